"""PNG plots of report frames; needs the optional ``plot`` extra (matplotlib).

Figures are built with matplotlib's object API on the Agg canvas, never through pyplot,
so plotting does not switch the caller's backend or leave global figures behind.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .atomic import atomic_open
from .errors import MissingDependencyError, ReportError

_ENERGY_UNITS = (("J", 1e12), ("mJ", 1e9), ("µJ", 1e6), ("nJ", 1e3), ("pJ", 1.0))
_BAR_LIMIT = 64


def _figure(width: float, height: float):
    """A new Agg-backed figure; explains how to get matplotlib when it is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingDependencyError(
            "plotting needs matplotlib, which is not installed: pip install archsim[plot]") from exc
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike) -> Path:
    """Save as PNG atomically; the Software tag is dropped so output does not depend on the matplotlib version."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120, metadata={"Software": None})
    return Path(path)


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Name the first missing column, and refuse an empty frame."""
    for col in columns:
        if col not in df.columns:
            raise ReportError(f"{what}: frame has no column {col!r}; required: {list(columns)}")
    if df.empty:
        raise ReportError(f"{what}: the frame is empty, nothing to plot")


def _energy_unit(max_pj: float) -> tuple[str, float]:
    """The largest unit in which the biggest value is still >= 1."""
    for unit, scale in _ENERGY_UNITS:
        if max_pj >= scale:
            return unit, scale
    return "pJ", 1.0


def _colors(n: int) -> list:
    """Distinct, stable colors: tab10 up to 10 series, tab20 beyond (cycled)."""
    from matplotlib import colormaps
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def plot_energy_breakdown(energy_by_run: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Stacked bars: one bar per run (first-seen order), one segment per component (sorted).

    Needs columns ``run``, ``component``, ``energy_pj``; other columns (layer, action)
    are summed over, so a tidy energy table with a ``run`` column can be passed as is.
    """
    _require(energy_by_run, ("run", "component", "energy_pj"), "plot_energy_breakdown")
    table = (energy_by_run.groupby(["run", "component"], sort=False)["energy_pj"].sum()
             .unstack(fill_value=0.0, sort=False))
    table = table.reindex(columns=sorted(table.columns, key=str))
    unit, scale = _energy_unit(float(table.sum(axis=1).max()))
    values = table / scale

    runs = [str(r) for r in values.index]
    fig = _figure(max(6.0, min(30.0, 1.0 + 0.8 * len(runs))), 4.5)
    ax = fig.add_subplot()
    bottom = [0.0] * len(runs)
    for color, component in zip(_colors(len(values.columns)), values.columns):
        heights = values[component].tolist()
        ax.bar(runs, heights, bottom=bottom, label=str(component), color=color)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_title("Energy breakdown by component")
    ax.set_xlabel("Run")
    ax.set_ylabel(f"Energy ({unit})")
    ax.tick_params(axis="x", labelrotation=30 if len(runs) > 4 else 0)
    ax.legend(title="Component", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def plot_layer_cycles(layers_by_run: pd.DataFrame, path: str | os.PathLike, *,
                      kind: str = "auto", log: bool = False) -> Path:
    """Cycles per layer (x, execution order), one series per run: grouped bars or lines.

    Needs columns ``run``, ``layer``, ``cycles``. ``kind="auto"`` draws bars while there
    are at most 64 bars and lines beyond, where bars would be unreadable; ``log`` sets a
    logarithmic cycle axis, useful when a few layers dominate.
    """
    if kind not in ("auto", "bar", "line"):
        raise ReportError(f"plot_layer_cycles: kind={kind!r} is not one of ('auto', 'bar', 'line')")
    _require(layers_by_run, ("run", "layer", "cycles"), "plot_layer_cycles")
    table = (layers_by_run.groupby(["layer", "run"], sort=False)["cycles"].sum()
             .unstack(sort=False))
    layers = [str(layer) for layer in table.index]
    runs = list(table.columns)
    if kind == "auto":
        kind = "bar" if len(layers) * len(runs) <= _BAR_LIMIT else "line"

    fig = _figure(max(6.0, min(30.0, 1.5 + 0.3 * len(layers) * (len(runs) if kind == "bar" else 0.6))), 4.5)
    ax = fig.add_subplot()
    positions = list(range(len(layers)))
    width = 0.8 / len(runs)
    for k, (color, run) in enumerate(zip(_colors(len(runs)), runs)):
        heights = table[run].tolist()
        if kind == "bar":
            offset = (k - (len(runs) - 1) / 2) * width
            ax.bar([p + offset for p in positions], heights, width=width, label=str(run), color=color)
        else:
            ax.plot(positions, heights, marker="o", markersize=3, label=str(run), color=color)
    ax.set_xticks(positions, layers, rotation=90, fontsize=8 if len(layers) > 20 else 9)
    if log:
        ax.set_yscale("log")
    ax.set_title("Cycles per layer")
    ax.set_xlabel("Layer")
    ax.set_ylabel("Cycles (DPU clock)")
    ax.legend(title="Run", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def plot_latency_energy(summary_df: pd.DataFrame, path: str | os.PathLike, *, label: str | None = None) -> Path:
    """Scatter of latency (µs) vs energy (µJ), one labelled point per run: the trade-off at a glance.

    Points are labelled from ``label``, else ``run_label`` when present, else the row position.
    """
    _require(summary_df, ("latency_us", "energy_uj"), "plot_latency_energy")
    if label is not None and label not in summary_df.columns:
        raise ReportError(f"plot_latency_energy: label column {label!r} is not in the frame")
    label = label or ("run_label" if "run_label" in summary_df.columns else None)
    names = summary_df[label].astype(str).tolist() if label else [str(i) for i in range(len(summary_df))]

    fig = _figure(6.5, 4.5)
    ax = fig.add_subplot()
    xs, ys = summary_df["latency_us"].tolist(), summary_df["energy_uj"].tolist()
    ax.scatter(xs, ys, color=_colors(1)[0], zorder=2)
    for x, y, name in zip(xs, ys, names):
        ax.annotate(name, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_title("Latency vs energy per run")
    ax.set_xlabel("Latency (µs)")
    ax.set_ylabel("Energy (µJ)")
    ax.margins(x=0.15, y=0.1)
    ax.grid(True, alpha=0.3, zorder=0)
    return _save(fig, path)
