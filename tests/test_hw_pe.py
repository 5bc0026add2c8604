"""PE micro-architecture models (hw.pe): composition, direction, throughput."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw.config import load_config
from hw.errors import ConfigError
from hw.pe import pe_model

BASE = load_config("flexnn")
STRUM_MIX = {"mul8x8": 0.5, "mul8x4": 0.5}


def pe(**kw):
    return pe_model(BASE.replace(**kw))


def static(hp=2, low="mul8x4", **kw):
    return pe(**{"pe.variant": "strum-static", "pe.hp_lanes": hp, "pe.low_lane_kind": low}, **kw)


def test_area_is_sum_of_components():
    for m in (pe(), static(), static(low="shift"), pe(**{"pe.variant": "strum-dynamic"}),
              pe(**{"pe.variant": "packed"})):
        rows = m.breakdown()
        assert m.area_um2() == pytest.approx(sum(r["area_um2"] for r in rows))
        assert all(r["area_um2"] == pytest.approx(r["count"] * r["unit_um2"]) for r in rows)
        assert all(r["provenance"] for r in rows)
        assert 0 < m.datapath_area_um2() < m.area_um2()


def test_int8_pe_has_lanes_8x8_multipliers():
    rows = {r["component"]: r for r in pe().breakdown()}
    assert rows["mul_8x8"]["count"] == BASE.pe.lanes
    assert not any(r["entry"] == "mul_8x4" for r in rows.values())


def test_fewer_hp_lanes_smaller_pe():
    areas = [static(hp=h).area_um2() for h in range(0, BASE.pe.lanes + 1)]
    assert areas == sorted(areas) and len(set(areas)) == len(areas)


def test_shift_low_lanes_smaller_than_8x4_low_lanes():
    assert static(low="shift").area_um2() < static(low="mul8x4").area_um2()


def test_static_half_hp_reduces_pe_area():
    base, dliq, mip2q = pe().area_um2(), static().area_um2(), static(low="shift").area_um2()
    for name, a in (("DLIQ", dliq), ("MIP2Q", mip2q)):
        print(f"strum-static {name} hp=2/4: PE area {100 * (a / base - 1):+.1f} % vs int8 "
              f"(paper: -23..-26 %)")
    assert mip2q < dliq < base
    assert -0.40 < mip2q / base - 1 < 0  # a reduction, and not an implausible one
    wide = load_config("flexnn", **{"pe.lanes": 8})
    w8 = pe_model(wide).datapath_area_um2()
    s8 = pe_model(wide.replace(**{"pe.variant": "strum-static", "pe.hp_lanes": 4})).datapath_area_um2()
    print(f"L=8, hp=4: PE datapath {100 * (s8 / w8 - 1):+.1f} % vs int8")
    assert s8 < w8


def test_dynamic_and_packed_cost_area():
    base = pe().area_um2()
    assert pe(**{"pe.variant": "strum-dynamic"}).area_um2() > base
    assert pe(**{"pe.variant": "packed"}).area_um2() > base


def test_energy_per_lane_op_ordering():
    for m in (static(), pe(**{"pe.variant": "strum-dynamic"})):
        assert m.energy_per_lane_op("mul8x4") < m.energy_per_lane_op("mul8x8")
    m = static(low="shift")
    assert m.energy_per_lane_op("shift") < static().energy_per_lane_op("mul8x4") < pe().energy_per_lane_op("mul8x8")
    base = pe()
    assert base.energy_per_lane_op("mul8x4") == base.energy_per_lane_op("mul8x8")  # int8 PE has no narrow path
    assert base.energy_per_lane_op("skip") == 0.0


def test_energy_parts_compose():
    m = static()
    parts = m.energy_parts("mul8x4")
    assert {"mul_8x4", "shift_8to16", "operand registers", "accumulator add"} <= set(parts)
    assert m.energy_per_lane_op("mul8x4") == pytest.approx(m.op_energy_pj("mul8x4") + m.acc_energy_pj())


def test_mxm_accumulates_every_op():
    vxv = pe().acc_energy_pj()
    mxm = pe(**{"pe.lane_mode": "mxm"}).acc_energy_pj()
    assert mxm > vxv


def test_throughput_int8_dynamic_static_packed():
    lanes = BASE.pe.lanes
    assert pe().lane_ops_per_cycle(STRUM_MIX) == lanes
    assert pe(**{"pe.variant": "strum-dynamic"}).lane_ops_per_cycle(STRUM_MIX) == lanes
    assert static().lane_ops_per_cycle(STRUM_MIX) == pytest.approx(lanes)  # k/L = hp/lanes: no stall
    packed = pe(**{"pe.variant": "packed"}).lane_ops_per_cycle(STRUM_MIX)
    assert packed == pytest.approx(lanes / (0.5 + 0.5 / 2))
    assert packed > static().lane_ops_per_cycle(STRUM_MIX)


def test_static_limited_by_hp_lanes():
    assert static(hp=2).lane_ops_per_cycle({"mul8x8": 1.0}) == pytest.approx(2)
    assert static(hp=1).lane_ops_per_cycle(STRUM_MIX) == pytest.approx(2)  # 0.5 / 1 hp lane per weight
    # each weight runs on a lane of its kind: too many low weights stall on the low lanes
    assert static(hp=2).lane_ops_per_cycle({"mul8x8": 0.25, "mul8x4": 0.75}) == pytest.approx(1 / (0.75 / 2))
    # shift-only low lanes cannot run 8x4 weights
    assert static(low="shift").lane_ops_per_cycle(STRUM_MIX) == pytest.approx(2)
    with pytest.raises(ConfigError, match="hp_lanes"):
        static(hp=0).lane_ops_per_cycle(STRUM_MIX)
    assert static(hp=0, low="shift").lane_ops_per_cycle({"shift": 1}) == pytest.approx(4)


def test_skip_is_free_and_capped():
    m = pe()
    assert m.lane_ops_per_cycle({"mul8x8": 1, "skip": 1}) == pytest.approx(2 * BASE.pe.lanes)
    assert math.isfinite(m.lane_ops_per_cycle({"skip": 1}))
    assert m.lane_ops_per_cycle({"skip": 1}) == BASE.rf.weight_bytes


def test_mix_validation():
    with pytest.raises(ConfigError, match="mul16"):
        pe().lane_ops_per_cycle({"mul16": 1})
    with pytest.raises(ConfigError):
        pe().lane_ops_per_cycle({})
    with pytest.raises(ConfigError, match="kind"):
        pe().energy_per_lane_op("mul4x4")


def test_energy_per_mac():
    m = static(hp=2)
    expect = 0.5 * m.energy_per_lane_op("mul8x8") + 0.5 * m.energy_per_lane_op("mul8x4")
    assert m.energy_per_mac({**STRUM_MIX, "skip": 0}, include_rf=False) == pytest.approx(expect)
    assert m.energy_per_mac({"mul8x8": 1, "mul8x4": 1, "skip": 2}, include_rf=False) == pytest.approx(expect / 2)
    assert m.energy_per_mac(STRUM_MIX) > m.energy_per_mac(STRUM_MIX, include_rf=False)
    # an 8x4 weight on a shift-only PE runs, expanded to INT8, on an 8x8 lane
    mip = static(low="shift")
    assert not mip.runs_on_low_lane("mul8x4") and mip.runs_on_low_lane("shift")
    assert mip.energy_per_lane_op("mul8x4") == pytest.approx(mip.energy_per_lane_op("mul8x8"))


def test_leakage_follows_area():
    assert static().leakage_mw() < pe().leakage_mw()
    assert pe().leakage_mw() > 0


@settings(max_examples=40, deadline=None)
@given(f8=st.floats(0, 1), f4=st.floats(0, 1), fs=st.floats(0, 1), sk=st.floats(0, 1),
       hp=st.integers(1, 4), low=st.sampled_from(["mul8x4", "shift"]))
def test_static_throughput_bounds(f8, f4, fs, sk, hp, low):
    mix = {"mul8x8": f8, "mul8x4": f4, "shift": fs, "skip": sk}
    if sum(mix.values()) == 0:
        return
    s = static(hp=hp, low=low).lane_ops_per_cycle(mix)
    full = pe().lane_ops_per_cycle(mix)
    assert 0 < s <= full + 1e-9
    assert pe(**{"pe.variant": "packed"}).lane_ops_per_cycle(mix) >= full - 1e-9
