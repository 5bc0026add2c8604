"""Bottom-up area (hw.area)."""
import pytest

from hw.area import LEVELS, area_breakdown, area_summary, compare_area
from hw.config import load_config
from hw.errors import ConfigError

BASE = load_config("flexnn")
STATIC = BASE.replace(**{"pe.variant": "strum-static", "pe.hp_lanes": 2})


def _by_level(recs):
    out = {}
    for r in recs:
        out.setdefault(r.level, []).append(r)
    return out


@pytest.mark.parametrize("cfg", [BASE, STATIC, BASE.replace(**{"pe.variant": "packed", "tech_node_nm": 7})])
def test_composition_sums_exactly(cfg):
    recs = area_breakdown(cfg)
    lv = _by_level(recs)
    assert set(lv) == set(LEVELS)
    for r in recs:
        assert r.area_um2 == pytest.approx(r.count * r.unit_um2, rel=1e-12)
        assert r.provenance
    total = {level: sum(r.area_um2 for r in rs) for level, rs in lv.items()}
    (pe_arr,) = lv["pe_array"]
    assert pe_arr.unit_um2 == pytest.approx(total["pe"], rel=1e-12)
    dpu = {r.component: r.area_um2 for r in lv["dpu"]}
    for level in ("pe_array", "sram", "dma", "ppu"):
        assert dpu[level] == pytest.approx(total[level], rel=1e-12)
    acc = {r.component: r.area_um2 for r in lv["accelerator"]}
    assert acc["DPU"] == pytest.approx(total["dpu"], rel=1e-12)
    summ = area_summary(cfg)
    for level in LEVELS:
        assert summ[level] == pytest.approx(total[level], rel=1e-12)
    assert summ["pe_datapath"] < summ["pe"]


def test_control_and_rest_held_fixed_across_variants():
    a, b = area_summary(BASE), area_summary(STATIC)
    assert a["control"] == pytest.approx(b["control"])
    assert a["accelerator"] - a["dpu"] == pytest.approx(b["accelerator"] - b["dpu"])
    assert a["dpu"] / a["accelerator"] == pytest.approx(0.5)


def test_static_strum_shrinks_every_level_in_order():
    rows = compare_area([BASE, STATIC, STATIC.replace(**{"pe.low_lane_kind": "shift"})])
    ch = {(r["config"], r["level"]): r["change_pct"] for r in rows}
    for label in {r["config"] for r in rows} - {rows[0]["config"]}:
        pe, dpu, acc = ch[(label, "pe")], ch[(label, "dpu")], ch[(label, "accelerator")]
        print(f"{label}: PE {pe:+.2f} %, DPU {dpu:+.2f} %, accelerator {acc:+.2f} % "
              f"(paper: PE -23..-26 %, DPU -2..-3 %)")
        assert pe < 0 and pe < dpu < 0 and dpu < acc < 0
    assert all(r["change_pct"] == 0 for r in rows if r["config"] == rows[0]["config"])


def test_compare_area_labels_and_mapping():
    rows = compare_area({"int8": BASE, "static": STATIC})
    assert {r["config"] for r in rows} == {"int8", "static"}
    rows = compare_area([BASE, BASE])
    assert len({r["config"] for r in rows}) == 2
    with pytest.raises(ConfigError):
        compare_area([])


def test_accelerator_fraction_parameter_and_override():
    a = area_summary(BASE, accelerator_dpu_fraction=0.25)
    assert a["dpu"] / a["accelerator"] == pytest.approx(0.25)
    b = area_summary(BASE.replace(area_overrides={"accelerator_dpu_fraction": 0.8}))
    assert b["dpu"] / b["accelerator"] == pytest.approx(0.8)
    with pytest.raises(ConfigError, match="accelerator_dpu_fraction"):
        area_summary(BASE, accelerator_dpu_fraction=1.5)


def test_area_overrides_apply_and_unknown_raise():
    big = area_summary(BASE.replace(area_overrides={"mul_8x8": 540}))
    assert big["pe"] == pytest.approx(area_summary(BASE)["pe"] + 4 * (540 - 54))
    with pytest.raises(ConfigError) as e:
        area_summary(BASE.replace(area_overrides={"mul8x8": 1}))
    assert "mul8x8" in str(e.value) and "mul_8x8" in str(e.value)


def test_node_scaling_monotone():
    s = [area_summary(BASE.replace(tech_node_nm=n)) for n in (7, 16, 22)]
    for level in ("pe", "pe_array", "sram", "dpu"):
        assert s[0][level] < s[1][level] < s[2][level]


def test_sram_area_scales_with_capacity():
    a = area_summary(BASE)["sram"]
    assert area_summary(BASE.replace(**{"sram.bytes": 4 * 2 ** 20}))["sram"] == pytest.approx(2 * a)
    # small banks pay the periphery overhead
    small = area_summary(BASE.replace(**{"sram.bytes": 64 * 1024, "sram.banks": 8}))["sram"]
    assert small == pytest.approx(64 / 1024 * 0.9e6 * 1.3)
