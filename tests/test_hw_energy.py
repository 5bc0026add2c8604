"""The ledger's energy table (hw.energy)."""
import math

import pytest

from hw.config import load_config
from hw.energy import energy_table, leakage_mw, sram_access_pj
from hw.errors import ConfigError
from hw import tech
from hw.pe import pe_model

BASE = load_config("flexnn")
LEDGER = {"pe_array": ("mul8x8", "mul8x4", "shift", "acc", "rf_read", "rf_write", "leakage"),
          "sram": ("read", "write", "leakage"), "dma": ("transfer", "leakage"),
          "dram": ("read", "write"), "ppu": ("op", "leakage")}


def test_every_ledger_entry_priced_with_provenance():
    table = energy_table(BASE)
    for comp, actions in LEDGER.items():
        for action in actions:
            assert table.pj(comp, action) >= 0
    df = table.as_frame()
    assert list(df.columns) == ["component", "action", "unit", "energy_pj", "provenance"]
    assert len(df) == sum(map(len, LEDGER.values()))
    assert df["provenance"].str.len().min() > 20
    assert table("sram", "read") == table["sram", "read"] == table.pj("sram", "read")
    with pytest.raises(ConfigError, match="allowed"):
        table.pj("pe_array", "mul16x16")


def test_pe_entries_match_pe_model():
    for variant in ("int8", "strum-static", "strum-dynamic", "packed"):
        cfg = BASE.replace(**{"pe.variant": variant})
        table, pe = energy_table(cfg), pe_model(cfg)
        for kind in ("mul8x8", "mul8x4", "shift"):
            assert table.pj("pe_array", kind) + table.pj("pe_array", "acc") == \
                pytest.approx(pe.energy_per_lane_op(kind))


def test_sram_formula_and_ordering():
    t = tech.component_table(16)
    assert sram_access_pj(t, 32 * 1024, 64) == pytest.approx(6.0)
    assert sram_access_pj(t, 1024 * 1024, 64) == pytest.approx(6.0 * math.sqrt(32))
    assert sram_access_pj(t, 32 * 1024, 128) == pytest.approx(6.0 * 1.7)
    table = energy_table(BASE)
    assert table.pj("sram", "write") == pytest.approx(1.1 * table.pj("sram", "read"))
    # per byte: RF < SRAM < DRAM, and a MAC is cheaper than an SRAM byte
    assert table.pj("pe_array", "rf_read") < table.pj("sram", "read") < table.pj("dram", "read")
    assert table.pj("pe_array", "mul8x8") < table.pj("sram", "read")
    bigger = energy_table(BASE.replace(**{"sram.banks": 4}))
    assert bigger.pj("sram", "read") > table.pj("sram", "read")


@pytest.mark.parametrize("dram,pj_bit", [("LPDDR4", 8), ("LPDDR5", 5), ("DDR4", 15), ("HBM2", 3.9),
                                         ("DDR3", 70), ("GDDR5", 14), ("LPDDR4X", 6), ("ideal", 0)])
def test_dram_energy_by_type(dram, pj_bit):
    table = energy_table(BASE.replace(**{"dram.type": dram}))
    assert table.pj("dram", "read") == pytest.approx(8 * pj_bit)
    assert table.pj("dram", "write") == pytest.approx(8 * pj_bit)


def test_node_scaling_monotone():
    tables = [energy_table(BASE.replace(tech_node_nm=n)) for n in (7, 12, 16, 19, 22)]
    for comp, action in (("pe_array", "mul8x8"), ("pe_array", "acc"), ("sram", "read"), ("ppu", "op"),
                         ("pe_array", "rf_read")):
        values = [t.pj(comp, action) for t in tables]
        assert values == sorted(values) and values[0] < values[-1], (comp, action)
    assert tables[0].pj("dram", "read") == tables[-1].pj("dram", "read")


def test_energy_overrides():
    cfg = BASE.replace(energy_overrides={"mul_8x8": 0.1, "dram_LPDDR4": 10.0})
    table, base = energy_table(cfg), energy_table(BASE)
    assert table.pj("pe_array", "mul8x8") == pytest.approx(base.pj("pe_array", "mul8x8") + 0.1 - 0.035)
    assert table.pj("dram", "read") == pytest.approx(80.0)
    assert table.pj("sram", "read") == base.pj("sram", "read")


def test_energy_override_unknown_key_raises():
    with pytest.raises(ConfigError) as e:
        energy_table(BASE.replace(energy_overrides={"mul_8x8": 0.1, "sram_rd": 1.0}))
    msg = str(e.value)
    assert "sram_rd" in msg and "allowed" in msg and "sram_read_64b_32KiB" in msg


def test_leakage():
    leak = leakage_mw(BASE)
    assert set(leak) == {"pe_array", "sram", "dma", "ppu"}
    assert all(v > 0 for v in leak.values())
    table = energy_table(BASE.replace(clock_ghz=2.0))
    for comp, mw in table.leakage_mw().items():
        assert table.pj(comp, "leakage") == pytest.approx(mw / 2.0)
    assert leakage_mw(BASE.replace(**{"pe.variant": "strum-static"}))["pe_array"] < leak["pe_array"]


def test_strum_lowers_pe_energy_per_mac():
    mix = {"mul8x8": 0.5, "mul8x4": 0.25, "shift": 0.25}
    base = pe_model(BASE).energy_per_mac(mix)
    for variant in ("strum-static", "strum-dynamic", "packed"):
        assert pe_model(BASE.replace(**{"pe.variant": variant})).energy_per_mac(mix) < base
