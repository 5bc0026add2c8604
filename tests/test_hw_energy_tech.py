"""Component tables and node scaling (hw/tables, hw.tech)."""
import math

import pytest
import yaml

from hw import tech
from hw.config import load_config
from hw.errors import ConfigError

LOGIC = ("mul_8x8", "mul_8x4", "mul_4x4", "shift_8to16", "add_8", "add_16", "add_acc24", "add_acc32",
         "reg_bit", "mux2_bit")


def _yaml_entries():
    for path in sorted(tech.TABLE_DIR.glob("*.yaml")):
        for name, e in yaml.safe_load(path.read_text())["entries"].items():
            yield path.name, name, e


def test_every_table_entry_has_provenance():
    rows = list(_yaml_entries())
    assert len(rows) > 30
    for fname, name, e in rows:
        assert e.get("label") in tech.LABELS, (fname, name)
        assert isinstance(e.get("source"), str) and len(e["source"]) > 20, (fname, name)
        assert any(k in e for k in ("energy_pj", "area_um2", "value")), (fname, name)
        if "value" in e:
            assert e.get("side") in ("energy", "area"), (fname, name)
    assert tech.check_tables() == []


def test_required_entries_present():
    t = tech.component_table(16)
    for key in LOGIC + ("sram_read_64b_32KiB", "sram_mm2_per_MiB", "sram_write_factor", "wire_pj_per_bit_mm",
                        "logic_leakage_nw_per_um2", "sram_leakage_mw_per_32KiB", "dpu_control_fraction",
                        "accelerator_dpu_fraction"):
        assert key in t
    for dram in ("LPDDR4", "LPDDR4X", "LPDDR5", "DDR4", "DDR3", "GDDR5", "HBM2", "ideal"):
        assert f"dram_{dram}" in t
    assert t["dram_LPDDR4"].energy_pj == 8.0 and t["dram_HBM2"].energy_pj == 3.9
    assert t["mul_8x8"].energy_pj == 0.035 and t["mul_8x8"].area_um2 == 54


@pytest.mark.parametrize("name", LOGIC + ("sram_read_64b_32KiB",))
def test_tables_monotone_in_node(name):
    e = [tech.component_table(n)[name] for n in (7, 16, 22)]
    assert e[0].energy_pj < e[1].energy_pj < e[2].energy_pj
    if e[0].area_um2 is not None:
        assert e[0].area_um2 < e[1].area_um2 < e[2].area_um2


def test_interpolation_between_and_beyond_table_nodes():
    nodes = [5, 7, 10, 12, 16, 19, 22, 28, 45]
    mul = [tech.component_table(n)["mul_8x8"] for n in nodes]
    assert all(a.energy_pj < b.energy_pj and a.area_um2 < b.area_um2 for a, b in zip(mul, mul[1:]))
    assert "interpolated" in tech.component_table(19)["mul_8x8"].provenance
    assert "scaled" in tech.component_table(45)["mul_8x8"].provenance
    # table values reproduced at table nodes; DRAM does not scale
    assert tech.component_table(22)["mul_8x8"].energy_pj == 0.059
    assert tech.component_table(5)["dram_LPDDR4"].energy_pj == 8.0


def test_scale_factors():
    assert tech.scale("logic", "energy", 45, 16) == pytest.approx(0.174)
    assert tech.scale("logic", "area", 45, 7) == pytest.approx(0.059)
    assert tech.scale("logic", "energy", 16, 16) == 1.0
    assert tech.scale("sram", "energy", 22, 7) == pytest.approx(math.sqrt(7 / 22))
    assert tech.scale("dram", "energy", 22, 7) == 1.0
    assert tech.scale("wire", "energy", 45, 7) == 1.0
    # log-log between table nodes: monotone and between the neighbours
    f = tech.scale("logic", "energy", 45, 19)
    assert 0.174 < f < 0.294
    with pytest.raises(ConfigError, match="component_kind"):
        tech.scale("analog", "energy", 16, 7)
    with pytest.raises(ConfigError, match="quantity"):
        tech.scale("logic", "power", 16, 7)


def test_overrides_unknown_key_names_key_and_allowed():
    cfg = load_config("flexnn", energy_overrides={"mul_9x9": 0.1})
    with pytest.raises(ConfigError) as e:
        tech.entries(cfg)
    assert "mul_9x9" in str(e.value) and "mul_8x8" in str(e.value) and "energy_overrides" in str(e.value)
    cfg = load_config("flexnn", area_overrides={"dram_LPDDR4": 1.0})  # energy-only entry
    with pytest.raises(ConfigError, match="dram_LPDDR4"):
        tech.entries(cfg)


def test_overrides_replace_values_and_record_it():
    cfg = load_config("flexnn", energy_overrides={"mul_8x8": 0.05, "sram_write_factor": 1.3},
                      area_overrides={"mul_8x8": 60, "accelerator_dpu_fraction": 0.25})
    t = tech.entries(cfg)
    assert t["mul_8x8"].energy_pj == 0.05 and t["mul_8x8"].area_um2 == 60
    assert t["sram_write_factor"].value == 1.3 and t["accelerator_dpu_fraction"].value == 0.25
    assert "overridden" in t["mul_8x8"].provenance
