"""The paper check (archsim.paper_check) and the directions of StruM's design knobs."""
import math

import pytest

from archsim import SimulationError, simulate
from archsim.paper_check import (
    CLAIMS,
    COLUMNS,
    hp_lanes_for,
    int8_config,
    paper_check,
    strum_design_sweep,
    strum_static_config,
)
from hw.area import area_summary
from hw.config import load_config
from hw.errors import ConfigError
from hw.pe import pe_model

WORKLOADS = ("resnet18", "mobilenet_v2")
SCHEMES = ("strum-dliq", "strum-mip2q")


@pytest.fixture(scope="module")
def pc():
    return paper_check(WORKLOADS)


@pytest.fixture(scope="module")
def sweep():
    """Area-direction sweep on a tiny network: L, k, node; both schemes."""
    return strum_design_sweep(L_values=(8, 16), k_values=(2, 4, 8), nodes=(7, 16, 22), workload="mnist_cnn")


# --- paper_check --------------------------------------------------------------------------------

def test_every_claim_for_every_workload_and_scheme(pc):
    assert list(pc.columns) == list(COLUMNS)
    assert len(pc) == len(CLAIMS) * len(WORKLOADS) * len(SCHEMES)
    got = {(r.claim, r.workload, r.scheme.split(":")[0]) for r in pc.itertuples()}
    assert got == {(c.key, w, s) for c in CLAIMS for w in WORKLOADS for s in SCHEMES}
    assert pc["within_range"].dtype == bool
    for r in pc.itertuples():
        assert math.isfinite(r.model_value)
        assert r.within_range == (r.paper_low <= r.model_value <= r.paper_high)
        assert r.paper_low < r.paper_high and r.paper_range
        assert len(r.driver) > 80 and r.detail
        assert r.model_value == pytest.approx(100 * (r.strum_value / r.baseline_value - 1))
        print(f"{r.claim:18s} {r.workload:13s} {r.scheme.split(':')[0]:12s} paper {r.paper_range:27s} "
              f"model {r.model_value:+7.2f} %  in range: {r.within_range}")


def test_both_accelerator_readings_are_labelled(pc):
    texts = dict(zip(pc["claim"], pc["claim_text"]))
    assert "AREA" in texts["accelerator_area"] and "POWER" in texts["accelerator_power"]


def test_area_claims_match_the_area_model(pc):
    base = load_config("flexnn")
    for s in SCHEMES:
        a0, a1 = area_summary(base), area_summary(strum_static_config(base, s))
        for claim, level in (("pe_area", "pe"), ("dpu_area", "dpu"), ("accelerator_area", "accelerator")):
            rows = pc[(pc["claim"] == claim) & pc["scheme"].str.startswith(s + ":")]
            for v in rows["model_value"]:
                assert v == pytest.approx(100 * (a1[level] / a0[level] - 1))


def test_static_strum_reduces_pe_power_and_mip2q_more(pc):
    pw = pc[pc["claim"] == "pe_power"]
    for w in WORKLOADS:
        d = {r.scheme.split(":")[0]: r.model_value for r in pw[pw["workload"] == w].itertuples()}
        assert d["strum-mip2q"] < d["strum-dliq"] < 0


def test_drivers_quote_model_numbers(pc):
    area = pc[(pc["claim"] == "pe_area") & pc["scheme"].str.startswith("strum-dliq")].iloc[0]
    assert "storage" in area["driver"] and "um^2" in area["driver"] and "dliq_shift=block" in area["driver"]
    power = pc[pc["claim"] == "pe_power"].iloc[0]
    assert "lane op" in power["driver"] and "%" in power["driver"]


def test_paper_check_rejects_non_strum_schemes():
    with pytest.raises(SimulationError, match="strum-dliq"):
        paper_check(("mnist_cnn",), quant=("int8",))


# --- the static PE that matches a scheme --------------------------------------------------------

@pytest.mark.parametrize("lanes, L, k, hp", [(4, 8, 4, 2), (4, 8, 2, 1), (4, 16, 4, 1), (4, 16, 2, 1),
                                             (8, 8, 4, 4), (4, 8, 8, 4), (4, 8, 0, 0), (4, 8, 3, 2)])
def test_hp_lanes_is_k_lanes_over_L_rounded_up(lanes, L, k, hp):
    assert hp_lanes_for(lanes, L, k) == hp


def test_matching_static_config():
    cfg = strum_static_config("flexnn", "strum-mip2q:L=16,k=8")
    assert (cfg.pe.variant, cfg.pe.hp_lanes, cfg.pe.low_lane_kind, cfg.pe.block_length) == \
        ("strum-static", 2, "shift", 16)
    assert int8_config("flexnn_strum_dliq").pe.variant == "int8"
    for name in SCHEMES:  # the presets are the default static PEs
        preset = load_config(f"flexnn_strum_{name[6:]}")
        assert strum_static_config("flexnn", name).pe == preset.pe


# --- direction tests ----------------------------------------------------------------------------

def test_fewer_high_precision_lanes_smaller_pe(sweep):
    for (scheme, L, node), g in sweep[sweep["scheme"] != "int8"].groupby(["scheme", "L", "node_nm"]):
        g = g.sort_values("hp_lanes")
        areas = g.drop_duplicates("hp_lanes")["pe_area_um2"].tolist()
        assert areas == sorted(areas) and len(set(areas)) == len(areas), (scheme, L, node)
    base = load_config("flexnn")
    for low in ("mul8x4", "shift"):
        a = [area_summary(base.replace(**{"pe.variant": "strum-static", "pe.hp_lanes": h,
                                          "pe.low_lane_kind": low}))["pe"] for h in range(5)]
        assert a == sorted(a) and len(set(a)) == 5


def test_shift_only_lanes_smaller_than_8x4_lanes(sweep):
    s = sweep[sweep["scheme"] != "int8"]
    dliq = s[s["scheme"] == "strum-dliq"].set_index(["L", "k", "node_nm"])
    mip = s[s["scheme"] == "strum-mip2q"].set_index(["L", "k", "node_nm"])
    for key in dliq.index:
        if dliq.loc[key, "hp_lanes"] < dliq.loc[key, "lanes"]:  # there are low lanes to compare
            assert mip.loc[key, "pe_area_um2"] < dliq.loc[key, "pe_area_um2"]
            assert mip.loc[key, "pe_datapath_um2"] < dliq.loc[key, "pe_datapath_um2"]
    # one low lane of each kind, component by component
    base = load_config("flexnn").replace(**{"pe.variant": "strum-static", "pe.hp_lanes": 3})
    d, m = pe_model(base), pe_model(base.replace(**{"pe.low_lane_kind": "shift"}))
    assert m.datapath_area_um2() < d.datapath_area_um2()


def test_larger_L_same_k_over_L_smaller_metadata_share(sweep):
    s = sweep[(sweep["scheme"] != "int8") & (sweep["node_nm"] == 16)].set_index(["scheme", "L", "k"])
    for num, den in ((1, 4), (1, 2)):
        a = s.loc[("strum-dliq", 8, 8 * num // den)]
        b = s.loc[("strum-dliq", 16, 16 * num // den)]
        assert b["pe_metadata_share"] < a["pe_metadata_share"]  # one exponent per block of L
        assert b["bits_per_weight"] < a["bits_per_weight"]  # and per-block metadata in memory
        m8, m16 = s.loc[("strum-mip2q", 8, 8 * num // den)], s.loc[("strum-mip2q", 16, 16 * num // den)]
        assert m16["pe_metadata_share"] <= m8["pe_metadata_share"]  # mask only: L bits per L weights
    shares = [pe_model(strum_static_config("flexnn", f"strum-dliq:L={L},k={L // 2}"))
              for L in (4, 8, 16, 32)]
    meta = [sum(c.area_um2 for c in m.components if c.name.startswith("DLIQ block")) for m in shares]
    assert meta == sorted(meta, reverse=True) and len(set(meta)) == 4


def test_node_7_smaller_than_16_smaller_than_22(sweep):
    for (scheme, L, k), g in sweep.groupby(["scheme", "L", "k"], dropna=False):
        by = g.set_index("node_nm")
        for col in ("pe_area_um2", "dpu_area_mm2", "pe_energy_per_mac_pj", "pe_power_mw"):
            assert by.loc[7, col] < by.loc[16, col] < by.loc[22, col], (scheme, L, k, col)
    base = load_config("flexnn")
    for level in ("pe", "pe_array", "sram", "dpu", "accelerator"):
        a = [area_summary(base.replace(tech_node_nm=n))[level] for n in (7, 12, 16, 19, 22)]
        assert a == sorted(a), level


def test_packed_pe_faster_than_static_on_strum_weights():
    """Measured in simulate() cycles on a real network, not from the lane-rate formula."""
    for q in ("strum-dliq", "strum-mip2q"):
        static = simulate("mobilenet_v2", hw=strum_static_config("flexnn", q), quant=q).cycles
        packed = simulate("mobilenet_v2", hw="flexnn_packed", quant=q).cycles
        print(f"mobilenet_v2 {q}: static {static:,} cycles, packed {packed:,} ({100 * (packed / static - 1):+.1f} %)")
        assert packed < static


def test_sweep_rows_and_baseline(sweep):
    base = sweep[sweep["scheme"] == "int8"]
    assert len(base) == 3 and (base["pe_area_change_pct"] == 0).all()
    pts = sweep[sweep["scheme"] != "int8"]
    assert len(pts) == 2 * 6 * 3  # schemes x valid (L, k) x nodes
    assert (pts["k"] <= pts["L"]).all()
    for col in ("pe_area_um2", "pe_energy_per_mac_pj", "pe_power_mw", "cycles"):
        assert (sweep[col] > 0).all()


# --- the PE fields added for the paper check -----------------------------------------------------

def test_block_shared_dliq_shifter():
    lane = strum_static_config("flexnn", "strum-dliq")
    block = lane.replace(**{"pe.dliq_shift": "block"})
    ml, mb = pe_model(lane), pe_model(block)
    assert mb.area_um2() < ml.area_um2()
    assert mb.energy_per_lane_op("mul8x4") < ml.energy_per_lane_op("mul8x4")
    # MIP2Q weights carry one exponent each: without a per-lane shifter they run on the 8x8 lanes
    assert not mb.runs_on_low_lane("shift") and ml.runs_on_low_lane("shift")
    assert mb.lane_ops_per_cycle({"mul8x8": 0.5, "shift": 0.5}) == pytest.approx(2)
    assert mb.lane_ops_per_cycle({"mul8x8": 0.5, "mul8x4": 0.5}) == pytest.approx(4)
    # the field changes nothing for MIP2Q, dynamic or packed PEs
    for cfg in (strum_static_config("flexnn", "strum-mip2q"), load_config("flexnn_packed")):
        assert pe_model(cfg.replace(**{"pe.dliq_shift": "block"})).area_um2() == pe_model(cfg).area_um2()


def test_new_pe_fields_validate():
    with pytest.raises(ConfigError, match="dliq_shift"):
        load_config("flexnn_strum_dliq", **{"pe.dliq_shift": "block", "pe.lane_mode": "mxm"})
    with pytest.raises(ConfigError, match="dliq_shift"):
        load_config("flexnn", **{"pe.dliq_shift": "row"})
    with pytest.raises(ConfigError, match="block_length"):
        load_config("flexnn", **{"pe.block_length": 1})
    assert load_config("flexnn").pe.block_length == 8 and load_config("flexnn").pe.dliq_shift == "lane"
