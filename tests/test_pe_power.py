"""PE-array power of a run (reports.power): parts sum to the ledger, power = energy / run time."""
import math

import pandas as pd
import pytest

from archsim import simulate
from reports import ReportError
from reports.power import PE_PARTS, compare_pe_power, pe_power_breakdown


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """mobilenet_v2 with INT8 weights on the INT8 PE and MIP2Q weights on the static MIP2Q PE, saved."""
    out = {}
    for label, hw, q in (("int8", "flexnn", "int8"), ("mip2q", "flexnn_strum_mip2q", "strum-mip2q")):
        res = simulate("mobilenet_v2", hw=hw, quant=q)
        d = tmp_path_factory.mktemp(label)
        res.save(d)
        out[label] = (res, d)
    return out


def test_breakdown_sums_exactly_to_pe_array_energy_in_energy_csv(runs):
    for res, d in runs.values():
        energy = pd.read_csv(d / "energy.csv")
        summary = pd.read_csv(d / "summary.csv").iloc[0]
        df = pe_power_breakdown(energy, int(summary["cycles"]), res.config.clock_ghz)
        parts = df[df["part"] != "total"]
        total = float(df.loc[df["part"] == "total", "energy_pj"].iloc[0])
        csv_pe = math.fsum(energy.loc[energy["component"] == "pe_array", "energy_pj"])
        assert list(parts["part"]) == list(PE_PARTS)  # no "other": every pe_array action is covered
        assert math.fsum(parts["energy_pj"]) == pytest.approx(total, rel=1e-15, abs=0)
        assert total == pytest.approx(csv_pe, rel=1e-15, abs=0)
        assert total * 1e-6 == pytest.approx(summary["energy_pe_array_uj"], rel=1e-12)
        assert parts["share"].sum() == pytest.approx(1.0)


def test_parts_are_the_ledger_actions_and_power_is_energy_over_time(runs):
    res, _ = runs["mip2q"]
    e = res.energy[res.energy["component"] == "pe_array"].groupby("action")["energy_pj"].sum()
    df = pe_power_breakdown(res.energy, res.cycles, res.config.clock_ghz).set_index("part")
    assert df.loc["multipliers", "energy_pj"] == pytest.approx(e.get("mul8x8", 0) + e.get("mul8x4", 0)
                                                               + e.get("shift", 0))
    assert df.loc["accumulators", "energy_pj"] == pytest.approx(e["acc"])
    assert df.loc["register_files", "energy_pj"] == pytest.approx(e["rf_read"] + e["rf_write"])
    assert df.loc["leakage", "energy_pj"] == pytest.approx(e["leakage"])
    run_ns = res.cycles / res.config.clock_ghz
    for part in df.index:
        assert df.loc[part, "power_mw"] == pytest.approx(df.loc[part, "energy_pj"] / run_ns)
        assert df.loc[part, "energy_uj"] == pytest.approx(df.loc[part, "energy_pj"] * 1e-6)
    # leakage power is the PE array's leakage in mW, whatever the run length
    assert df.loc["leakage", "power_mw"] == pytest.approx(
        res.config.clock_ghz * res.energy.query("component == 'pe_array' and action == 'leakage'")["energy_pj"].sum()
        / res.cycles)


def test_compare_against_the_first_run(runs):
    frames = {k: pe_power_breakdown(r.energy, r.cycles, r.config.clock_ghz) for k, (r, _) in runs.items()}
    cmp = compare_pe_power(frames)
    base = cmp[cmp["run"] == "int8"]
    assert (base["power_change_pct"] == 0).all() and (base["energy_change_pct"] == 0).all()
    row = cmp[(cmp["run"] == "mip2q") & (cmp["part"] == "total")].iloc[0]
    b = frames["int8"].set_index("part").loc["total"]
    s = frames["mip2q"].set_index("part").loc["total"]
    assert row["power_change_pct"] == pytest.approx(100 * (s["power_mw"] / b["power_mw"] - 1))
    assert row["baseline_energy_uj"] == pytest.approx(b["energy_uj"])
    assert row["power_change_pct"] < 0  # shift-only low lanes cut PE power
    mult = cmp[(cmp["run"] == "mip2q") & (cmp["part"] == "multipliers")].iloc[0]
    assert mult["energy_change_pct"] < row["energy_change_pct"]  # the lane ops are what shrinks


def test_unknown_pe_actions_go_to_other_and_still_sum():
    df = pd.DataFrame({"layer": ["a"] * 3, "component": ["pe_array", "pe_array", "sram"],
                       "action": ["mul8x8", "mask_read", "read"], "count": [1, 1, 1],
                       "energy_pj": [3.0, 1.0, 100.0]})
    out = pe_power_breakdown(df, cycles=2, clock_ghz=0.5).set_index("part")
    assert out.loc["other", "actions"] == "mask_read" and out.loc["other", "energy_pj"] == 1.0
    assert out.loc["total", "energy_pj"] == 4.0
    assert out.loc["total", "power_mw"] == pytest.approx(4.0 / 4.0)  # 4 pJ over 2 cycles at 0.5 GHz = 4 ns


@pytest.mark.parametrize("kwargs, needle", [
    ({"cycles": 0, "clock_ghz": 1.0}, "cycles"),
    ({"cycles": 10, "clock_ghz": -1.0}, "clock_ghz"),
    ({"cycles": 10, "clock_ghz": 1.0, "component": "npu"}, "npu"),
])
def test_errors_name_the_argument(kwargs, needle):
    df = pd.DataFrame({"component": ["pe_array"], "action": ["acc"], "energy_pj": [1.0]})
    with pytest.raises(ReportError, match=needle):
        pe_power_breakdown(df, **kwargs)


def test_errors_on_bad_frames():
    with pytest.raises(ReportError, match="energy_pj"):
        pe_power_breakdown(pd.DataFrame({"component": [], "action": []}), 1, 1.0)
    with pytest.raises(ReportError, match="first run is the baseline"):
        compare_pe_power({})
    with pytest.raises(ReportError, match="'x'"):
        compare_pe_power({"x": pd.DataFrame({"part": []})})
