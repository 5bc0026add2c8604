"""compare(): a few runs side by side, deltas against the first, and the plots that show why.

Each run is a dict of simulate() arguments (simulated here) or a finished Result. The
table is ``reports.compare_frame`` over the runs' summaries; the files are
``compare.csv``, ``compare_layers.csv`` and three PNGs (energy per component, cycles per
layer, latency against energy).
"""
from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import quant
import reports

from .errors import SimulationError
from .simulate import Result, simulate

#: the columns that say which run a row is (no deltas are taken of these)
CONFIG_COLUMNS = ("workload", "hw", "quant", "dataflow", "objective", "batch", "seed")
_SIMULATE_ARGS = tuple(name for name, p in inspect.signature(simulate).parameters.items()
                       if p.kind is not inspect.Parameter.VAR_KEYWORD)
PLOTS = {"energy": "energy_breakdown.png", "layers": "layer_cycles.png", "latency_energy": "latency_energy.png"}


@dataclass
class CompareResult:
    """``table``: one row per run (``run_label`` first), each metric with ``_delta`` and ``_ratio``
    against the first run; ``results``: the runs' Results in the same order; ``paths``: files written."""
    table: pd.DataFrame
    results: list[Result]
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.table["run_label"].tolist()


def compare(runs: Iterable[Mapping | Result], out_dir: str | os.PathLike | None = None,
            plots: bool = True) -> CompareResult:
    """Simulate (or take) each run and compare them against the first.

    runs: dicts of simulate() keyword arguments (``workload`` required; dotted hardware
    fields such as ``"pe.rows"`` become columns of their own) or Result objects.
    With ``out_dir``, write compare.csv, compare_layers.csv and, with ``plots``, the PNGs.
    """
    runs = list(runs)
    if not runs:
        raise SimulationError("compare: no runs; give a list of simulate() argument dicts or Results")
    results, override_keys = [], {}
    for i, run in enumerate(runs):
        if isinstance(run, Result):
            results.append(run)
        elif isinstance(run, Mapping):
            if "workload" not in run:
                raise SimulationError(f"compare: runs[{i}] has no 'workload'; each run needs at least a workload")
            override_keys.update(dict.fromkeys(k for k in run if k not in _SIMULATE_ARGS))
            results.append(simulate(**run))
        else:
            raise SimulationError(f"compare: runs[{i}] is a {type(run).__name__}; expected a dict of "
                                  f"simulate() arguments or a Result")

    summary = pd.DataFrame([_summary_row(r, override_keys) for r in results])
    config = [*CONFIG_COLUMNS, *override_keys]
    summary.insert(0, "run_label", reports.run_labels(_label_frame(summary, override_keys), config))
    table = reports.compare_frame(summary, 0, config_columns=config)
    out = CompareResult(table=table, results=results)
    if out_dir is not None:
        out.paths = _write(out, Path(out_dir), plots)
    return out


def _summary_row(result: Result, override_keys: Iterable[str]) -> dict:
    """The run's summary, its objective, and the value of each compared hardware field."""
    row = result.summary.iloc[0].to_dict()
    row["objective"] = result.run_info.get("objective", "")
    hw = result.config.to_dict()
    for key in override_keys:
        node = hw
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        row[key] = node
    return {**{c: row.pop(c, None) for c in CONFIG_COLUMNS}, **{k: row.pop(k) for k in override_keys}, **row}


def _label_frame(summary: pd.DataFrame, override_keys: Iterable[str]) -> pd.DataFrame:
    """What labels are built from: a scheme by its parameters that differ from the defaults
    (L and k always for StruM), a hardware field as ``field=value``."""
    def short(text: str) -> str:
        scheme = quant.parse_scheme(text)
        defaults = quant.available_schemes()[scheme.name]["defaults"]
        keep = [f"{k}={v}" for k, v in scheme.params
                if v != defaults.get(k) or (scheme.is_strum and k in ("L", "k"))]
        return scheme.name + (":" + ",".join(keep) if keep else "")
    named = {k: summary[k].map(lambda v, k=k: f"{k}={v}") for k in override_keys}
    return summary.assign(quant=summary["quant"].map(short), **named)


def _write(res: CompareResult, out: Path, plots: bool) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    labels = res.labels
    layers = pd.concat([r.layers.assign(run=lab) for r, lab in zip(res.results, labels)], ignore_index=True)
    paths = {"compare": reports.write_csv_atomic(res.table, out / "compare.csv"),
             "layers": reports.write_csv_atomic(
                 layers[["run", *(c for c in layers.columns if c != "run")]].rename(columns={"run": "run_label"}),
                 out / "compare_layers.csv")}
    if plots:
        energy = pd.concat([r.energy.assign(run=lab) for r, lab in zip(res.results, labels)], ignore_index=True)
        paths["energy_plot"] = reports.plot_energy_breakdown(energy, out / PLOTS["energy"])
        paths["layers_plot"] = reports.plot_layer_cycles(layers, out / PLOTS["layers"])
        paths["latency_energy_plot"] = reports.plot_latency_energy(res.table, out / PLOTS["latency_energy"])
    return paths
