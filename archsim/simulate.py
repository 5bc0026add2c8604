"""simulate(): one workload on one DPU configuration, one weight format, one dataflow policy."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pandas as pd

import quant
import reports
import workloads
from hw import energy as hw_energy
from hw import pe as hw_pe
from hw.config import DPUConfig, load_config

from .errors import SimulationError
from .formats import layer_format
from .ledger import Ledger
from .mapper import DATAFLOWS
from .plan import choose_mapping, plan_residency
from .scheduler import MAX_STEPS, Scheduler

OBJECTIVES = ("edp", "latency", "energy")


@dataclass
class Result:
    """A finished run: tidy DataFrames plus what is needed to write them out."""
    layers: pd.DataFrame
    energy: pd.DataFrame
    summary: pd.DataFrame
    config: DPUConfig
    spans: list = field(repr=False, default_factory=list)
    run_info: dict = field(default_factory=dict)

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write layers.csv, energy.csv, summary.csv, config.yaml and trace.json atomically."""
        return reports.save_run(out_dir, layers_df=self.layers, energy_df=self.energy,
                                summary_df=self.summary, config_yaml=self.config_yaml(),
                                spans=self.spans, clock_ghz=self.config.clock_ghz)

    def config_yaml(self) -> str:
        import yaml
        doc = {"run": self.run_info, "hw": self.config.to_dict()}
        return yaml.safe_dump(doc, sort_keys=False)

    @property
    def cycles(self) -> int:
        return int(self.summary["cycles"].iloc[0])

    @property
    def energy_uj(self) -> float:
        return float(self.summary["energy_uj"].iloc[0])


def load_workload(workload, batch: int) -> nx.DiGraph:
    """A graph as given, or the zoo network / file it names."""
    if isinstance(workload, nx.DiGraph):
        return workload
    return workloads.load(workload, batch=batch)


def simulate(workload, hw="flexnn", quant="int8", dataflow: str = "auto", seed: int = 0, *,
             batch: int = 1, objective: str = "edp", weights: str = "auto", max_steps: int = MAX_STEPS,
             **hw_overrides) -> Result:
    """Simulate `workload` (zoo name, path or graph) on `hw` (preset, YAML path or DPUConfig).

    quant: a weight-format scheme string, e.g. "int8" or "strum-dliq:L=8,k=4".
    dataflow: "ws", "os", "is" or "auto" (per-layer choice minimising `objective`).
    weights: "auto" uses the weights the workload carries and seeded synthetic ones elsewhere;
        "pretrained" loads real pretrained weights for zoo networks that have them (needs
        archsim[accuracy]); "synthetic" ignores carried weights.
    hw_overrides: dotted config fields, e.g. simulate(..., **{"pe.rows": 32}).
    """
    cfg = load_config(hw, **hw_overrides)
    if dataflow not in DATAFLOWS + ("auto",):
        raise SimulationError(f"dataflow={dataflow!r}: allowed values are ws, os, is, auto")
    if objective not in OBJECTIVES:
        raise SimulationError(f"objective={objective!r}: allowed values are {', '.join(OBJECTIVES)}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SimulationError(f"seed={seed!r}: must be an integer")
    if not isinstance(max_steps, int) or max_steps < 3:
        raise SimulationError(f"max_steps={max_steps!r}: must be an integer >= 3")
    scheme = str(quant_scheme(quant))
    g = with_weights(load_workload(workload, batch), weights)
    table = hw_energy.energy_table(cfg)
    pj = table.pj
    pe_model = hw_pe.pe_model(cfg)

    plans = plan_residency(g, cfg)
    for p in plans:
        if p.layer.has_weights:
            p.fmt = layer_format(p.layer, scheme, seed)
            choose_mapping(p, cfg, dataflow, pj, pe_model, objective)

    ledger = Ledger()
    sched = Scheduler(plans, cfg, ledger, max_steps=max_steps)
    total_cycles = sched.run()

    layer_cycles = _critical_path_increments(plans, sched, total_cycles)
    leak = table.leakage_mw()
    for p in plans:
        for comp, mw in leak.items():
            ledger.add(p.layer.name, comp, "leakage", layer_cycles[p.layer.name])
    energy_df = reports.energy_frame(ledger.energy_records(pj))
    layers_df = _layer_rows(plans, sched, ledger, energy_df, layer_cycles, cfg, scheme)
    summary = _summary(g, cfg, scheme, dataflow, layers_df, energy_df, total_cycles, sched, seed, plans)
    run_info = {"workload": summary["workload"], "quant": scheme, "dataflow": dataflow, "weights": weights,
                "objective": objective, "seed": seed, "batch": int(g.graph.get("batch", batch)),
                "max_steps": max_steps, "archsim_version": _version()}
    result = Result(layers=layers_df, energy=energy_df, summary=reports.summary_frame(summary),
                    config=cfg, spans=ledger.spans, run_info=run_info)
    return result


WEIGHT_SOURCES = ("auto", "pretrained", "synthetic")


def with_weights(g: nx.DiGraph, weights: str) -> nx.DiGraph:
    """g with its weight source applied (see simulate's `weights`)."""
    if weights not in WEIGHT_SOURCES:
        raise SimulationError(f"weights={weights!r}: allowed values are {', '.join(WEIGHT_SOURCES)}")
    if weights == "pretrained":
        from .pretrained import pretrained_workload
        return pretrained_workload(g)
    if weights == "synthetic":
        g = g.copy()
        for n in g:
            g.nodes[n]["layer"] = g.nodes[n]["layer"].with_weights(None)
    return g


def quant_scheme(text):
    try:
        return quant.parse_scheme(text)
    except quant.QuantError as e:
        raise SimulationError(f"quant={text!r}: {e}") from e


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("archsim")
    except PackageNotFoundError:
        return "unknown"


def _critical_path_increments(plans, sched, total) -> dict[str, int]:
    """Each layer's share of the run: its compute end minus the previous layer's (sums to total)."""
    out, prev_end = {}, 0.0
    for i, p in enumerate(plans):
        end = total if i == len(plans) - 1 else sched.timing[p.layer.name].compute_end
        out[p.layer.name] = int(round(end - prev_end))
        prev_end = end
    return out


def _layer_rows(plans, sched, ledger, energy_df, layer_cycles, cfg, scheme) -> pd.DataFrame:
    by_layer = energy_df.groupby("layer", sort=False)["energy_pj"].sum()
    counts = ledger.counts
    rows = []
    peak = cfg.pe.peak_macs_per_cycle
    for p in plans:
        name, layer, m = p.layer.name, p.layer, p.mapping
        t = sched.timing[name]
        cycles = layer_cycles[name]
        busy = t.busy_cycles
        row = {
            "layer": name, "op": layer.op, "dataflow": m.dataflow if m else "ppu",
            "macs": layer.macs, "cycles": cycles, "compute_cycles": busy,
            "stall_cycles": max(0, cycles - busy),
            "utilization": layer.macs / (cycles * peak) if cycles else 0.0,
            "weight_bytes": m.weight_bytes if m else 0,
            "dram_read_bytes": int(counts.get((name, "dram", "read"), 0)),
            "dram_write_bytes": int(counts.get((name, "dram", "write"), 0)),
            "sram_read_bytes": int(counts.get((name, "sram", "read"), 0)),
            "sram_write_bytes": int(counts.get((name, "sram", "write"), 0)),
            "energy_pj": float(by_layer.get(name, 0.0)),
            "start_cycle": int(round(t.compute_start)), "end_cycle": int(round(t.done)),
            "quant": scheme if m else "",
            "bits_per_weight": p.fmt.bits_per_weight if p.fmt else 0.0,
            "weight_source": p.fmt.source if p.fmt else "",
            "weight_sqnr_db": p.fmt.sqnr_db if p.fmt else float("nan"),
            "ifmap_on_chip": p.ifmap_resident, "ofmap_on_chip": p.ofmap_resident,
            "tiles": m.tiling.n_tiles if m else 0,
            "loop_order": m.tiling.order if m else "",
            "spatial": ";".join(f"{a}={d}x{s}" for a, d, s in m.spatial) if m else "",
            "folds": ";".join(f"{d}={n}" for d, n in m.folds) if m else "",
            "spatial_utilization": m.macs / (m.mac_cycles * peak) if m and m.mac_cycles else 0.0,
        }
        for df in DATAFLOWS:
            est = p.candidates.get(df)
            row[f"est_edp_{df}"] = est["edp"] if est else float("nan")
        rows.append(row)
    return reports.layers_frame(rows)


def _summary(g, cfg, scheme, dataflow, layers_df, energy_df, total, sched, seed, plans) -> dict:
    energy_pj = float(energy_df["energy_pj"].sum())
    macs = int(layers_df["macs"].sum())
    dram_r = int(layers_df["dram_read_bytes"].sum())
    dram_w = int(layers_df["dram_write_bytes"].sum())
    latency_us = total / (cfg.clock_ghz * 1e3)
    fmts = [p.fmt for p in plans if p.fmt is not None]
    nweights = sum(f.weights for f in fmts)
    summary = {
        "workload": g.graph.get("name", "graph"), "hw": cfg.name, "quant": scheme, "dataflow": dataflow,
        "macs": macs, "cycles": int(round(total)), "latency_us": latency_us,
        "energy_uj": energy_pj * 1e-6, "dram_bytes": dram_r + dram_w,
        "utilization": macs / (total * cfg.pe.peak_macs_per_cycle) if total else 0.0,
        "dram_read_bytes": dram_r, "dram_write_bytes": dram_w,
        "weight_bytes": int(layers_df["weight_bytes"].sum()),
        "bits_per_weight": sum(f.stored_bytes for f in fmts) * 8 / nweights if nweights else 0.0,
        "weight_source": ",".join(sorted({f.source for f in fmts})),
        "power_mw": energy_pj / (total / cfg.clock_ghz) if total else 0.0,
        "sram_peak_bytes": sched.sram.peak, "pe_variant": cfg.pe.variant,
        "batch": int(g.graph.get("batch", 1)), "seed": seed, "layers": len(plans),
        "events": sched.env.events_processed,
    }
    for comp, e in energy_df.groupby("component", sort=True)["energy_pj"].sum().items():
        summary[f"energy_{comp}_uj"] = float(e) * 1e-6
    return summary
