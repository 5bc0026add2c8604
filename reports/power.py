"""PE-array power of a run: the energy table's pe_array rows split by part, averaged over run time.

Parts follow the ledger's pe_array actions: multipliers (mul8x8 + mul8x4 + shift lane ops,
which carry the operand-register writes and routing of each op), accumulators (acc: adder
tree and accumulator share), register files (rf_read + rf_write) and leakage. Any other
pe_array action lands in "other", so the parts always sum to the pe_array energy.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from .errors import ReportError

#: part -> the pe_array ledger actions it sums
PE_PARTS = {
    "multipliers": ("mul8x8", "mul8x4", "shift"),
    "accumulators": ("acc",),
    "register_files": ("rf_read", "rf_write"),
    "leakage": ("leakage",),
}
BREAKDOWN_COLUMNS = ("part", "actions", "energy_pj", "energy_uj", "share", "power_mw")
COMPARE_COLUMNS = ("run", "part", "energy_uj", "power_mw", "baseline_energy_uj", "baseline_power_mw",
                   "energy_change_pct", "power_change_pct")


def _pct(value: float, base: float) -> float:
    return 100.0 * (value - base) / base if base else float("nan")


def pe_power_breakdown(energy_df: pd.DataFrame, cycles: float, clock_ghz: float,
                       component: str = "pe_array") -> pd.DataFrame:
    """Rows multipliers, accumulators, register_files, leakage (and "other" if any), then "total".

    energy_df: the tidy energy table (energy.csv: layer, component, action, count, energy_pj).
    power_mw = energy over the run time cycles / clock_ghz (pJ / ns = mW); share = part / total.
    The part rows sum to the total row, which is the component's energy in energy_df.
    """
    for col in ("component", "action", "energy_pj"):
        if col not in energy_df.columns:
            raise ReportError(f"pe_power_breakdown: energy frame has no column {col!r}; "
                              f"required: ['component', 'action', 'energy_pj']")
    for name, v in (("cycles", cycles), ("clock_ghz", clock_ghz)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ReportError(f"pe_power_breakdown: {name}={v!r} must be a finite number > 0")
    rows = energy_df[energy_df["component"] == component]
    if rows.empty:
        raise ReportError(f"pe_power_breakdown: no {component!r} rows in the energy frame; components present: "
                          f"{sorted(energy_df['component'].unique().tolist())}")
    run_ns = cycles / clock_ghz
    by_action: dict[str, list[float]] = {}
    for action, e in zip(rows["action"], rows["energy_pj"]):
        by_action.setdefault(str(action), []).append(float(e))
    known = {a for acts in PE_PARTS.values() for a in acts}
    parts = dict(PE_PARTS)
    other = tuple(sorted(set(by_action) - known))
    if other:
        parts["other"] = other
    total = math.fsum(e for es in by_action.values() for e in es)
    out = []
    for part, actions in parts.items():
        e = math.fsum(x for a in actions for x in by_action.get(a, ()))
        out.append({"part": part, "actions": "+".join(actions), "energy_pj": e})
    out.append({"part": "total", "actions": "all " + component, "energy_pj": total})
    for r in out:
        r["energy_uj"] = r["energy_pj"] * 1e-6
        r["share"] = r["energy_pj"] / total if total else 0.0
        r["power_mw"] = r["energy_pj"] / run_ns
    return pd.DataFrame(out, columns=list(BREAKDOWN_COLUMNS))


def compare_pe_power(frames_by_run: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Breakdowns of several runs ({label: pe_power_breakdown(...)}) against the first run.

    One row per run and part, with the baseline's energy and power and the changes in percent;
    a part the baseline lacks compares against 0 (change NaN).
    """
    if not isinstance(frames_by_run, Mapping) or not frames_by_run:
        raise ReportError("compare_pe_power: give a non-empty {run label: breakdown frame} mapping; "
                          "the first run is the baseline")
    for label, df in frames_by_run.items():
        if not isinstance(df, pd.DataFrame) or not {"part", "energy_uj", "power_mw"} <= set(df.columns):
            raise ReportError(f"compare_pe_power: run {label!r} is not a pe_power_breakdown frame "
                              f"(needs columns part, energy_uj, power_mw)")
    items = list(frames_by_run.items())
    base = items[0][1].set_index("part")
    rows = []
    for label, df in items:
        for r in df.itertuples(index=False):
            be = float(base["energy_uj"].get(r.part, 0.0))
            bp = float(base["power_mw"].get(r.part, 0.0))
            rows.append({"run": label, "part": r.part, "energy_uj": r.energy_uj, "power_mw": r.power_mw,
                         "baseline_energy_uj": be, "baseline_power_mw": bp,
                         "energy_change_pct": _pct(r.energy_uj, be), "power_change_pct": _pct(r.power_mw, bp)})
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
