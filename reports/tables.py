"""Plain ledger records -> tidy DataFrames with fixed columns and a stable row order.

Stable column and row orders are what make the CSVs byte-identical across runs, so
every builder here fixes both rather than relying on dict or hash order.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from .errors import ReportError

ENERGY_COLUMNS = ("layer", "component", "action", "count", "energy_pj")
LAYER_COLUMNS = (
    "layer", "op", "dataflow", "macs", "cycles", "compute_cycles", "stall_cycles", "utilization",
    "weight_bytes", "dram_read_bytes", "dram_write_bytes", "sram_read_bytes", "sram_write_bytes",
    "energy_pj",
)
SUMMARY_COLUMNS = (
    "workload", "hw", "quant", "dataflow", "macs", "cycles", "latency_us", "energy_uj",
    "dram_bytes", "utilization",
)


def _record_fields(record: Any, names: Sequence[str], i: int) -> tuple:
    """The named fields of one record: a mapping, a tuple in ``names`` order, or an object with attributes."""
    if isinstance(record, Mapping):
        missing = [n for n in names if n not in record]
        if missing:
            raise ReportError(f"record {i}: missing field {missing[0]!r}; each record needs {list(names)}")
        return tuple(record[n] for n in names)
    if isinstance(record, (tuple, list)):
        if len(record) != len(names):
            raise ReportError(f"record {i}: has {len(record)} fields {record!r}; expected {len(names)}: {list(names)}")
        return tuple(record)
    try:
        return tuple(getattr(record, n) for n in names)
    except AttributeError as exc:
        raise ReportError(f"record {i}: {type(record).__name__} has no field {exc.name!r}; "
                          f"each record needs {list(names)}") from None


def _check_amount(value: Any, field: str, i: int) -> None:
    """A count or an energy must be a finite, non-negative real number."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise ReportError(f"record {i}: {field}={value!r} must be a finite number >= 0")


def _total(values: list) -> int | float:
    """Exact sum: integer arithmetic for integers, correctly rounded ``fsum`` otherwise."""
    if all(isinstance(v, numbers.Integral) for v in values):
        return sum(int(v) for v in values)
    return math.fsum(values)


def _labels(values: list) -> pd.Series:
    """A label column; typed as strings even when empty, so empty tables keep their dtypes."""
    return pd.Series(values) if values else pd.Series([], dtype=str)


def _rows_of(data: Iterable | pd.DataFrame, names: Sequence[str]) -> Iterable:
    """Records from a DataFrame (by column name) or pass an iterable of records through."""
    if isinstance(data, pd.DataFrame):
        missing = [n for n in names if n not in data.columns]
        if missing:
            raise ReportError(f"frame has no column {missing[0]!r}; required: {list(names)}")
        return data[list(names)].itertuples(index=False, name=None)
    return data


def energy_frame(records: Iterable | pd.DataFrame) -> pd.DataFrame:
    """Ledger energy rows ``(layer, component, action, count, energy_pj)`` -> the tidy energy table.

    Records may be tuples, mappings or objects with those attributes; a missing layer
    (None, NaN) marks a run-level row such as leakage. Rows with the same
    (layer, component, action) are merged with exact sums. Rows are ordered by the layer's
    first appearance (execution order), then component and action alphabetically.
    ``count`` is an integer column when every count is integral, float otherwise.
    """
    totals: dict[tuple, tuple[list, list]] = {}
    layer_rank: dict[Any, int] = {}
    for i, record in enumerate(_rows_of(records, ENERGY_COLUMNS)):
        layer, component, action, count, energy = _record_fields(record, ENERGY_COLUMNS, i)
        for field, value in (("component", component), ("action", action)):
            if not isinstance(value, str) or not value:
                raise ReportError(f"record {i}: {field}={value!r} must be a non-empty string")
        _check_amount(count, "count", i)
        _check_amount(energy, "energy_pj", i)
        if layer is pd.NA or (isinstance(layer, float) and math.isnan(layer)):
            layer = None
        layer_rank.setdefault(layer, len(layer_rank))
        counts, energies = totals.setdefault((layer, component, action), ([], []))
        counts.append(count)
        energies.append(energy)

    keys = sorted(totals, key=lambda k: (layer_rank[k[0]], k[1], k[2]))
    counts = [_total(totals[k][0]) for k in keys]
    integral = all(float(c).is_integer() for c in counts)
    return pd.DataFrame({
        "layer": _labels([k[0] for k in keys]),
        "component": _labels([k[1] for k in keys]),
        "action": _labels([k[2] for k in keys]),
        "count": pd.Series([int(c) for c in counts] if integral else counts,
                           dtype="int64" if integral else "float64"),
        "energy_pj": pd.Series([float(_total(totals[k][1])) for k in keys], dtype="float64"),
    })


def _ordered_frame(rows: Iterable[Mapping] | pd.DataFrame, required: Sequence[str], what: str) -> pd.DataFrame:
    """Rows of dicts -> frame with ``required`` columns first, then extras in first-seen order."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict(orient="records")
    rows = list(rows)
    extras: dict[str, None] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ReportError(f"{what}: row {i} is a {type(row).__name__}; expected a dict of column -> value")
        missing = [c for c in required if c not in row]
        if missing:
            name = row.get(required[0], i)
            raise ReportError(f"{what}: row {name!r} is missing required column {missing[0]!r}; "
                              f"required columns: {list(required)}")
        for col in row:
            if col not in required:
                extras.setdefault(col, None)
    return pd.DataFrame(rows, columns=[*required, *extras])


def layers_frame(rows: Iterable[Mapping] | pd.DataFrame) -> pd.DataFrame:
    """Per-layer result dicts -> the layers table: ``LAYER_COLUMNS`` first, then extras in insertion order.

    Raises ``ReportError`` (a ``ValueError``) naming the first missing required column.
    """
    return _ordered_frame(rows, LAYER_COLUMNS, "layers_frame")


def summary_frame(summary: Mapping) -> pd.DataFrame:
    """One run's summary dict -> a one-row frame: ``SUMMARY_COLUMNS`` first, then extras in insertion order."""
    if not isinstance(summary, Mapping):
        raise ReportError(f"summary_frame: summary is a {type(summary).__name__}; expected a dict")
    return _ordered_frame([summary], SUMMARY_COLUMNS, "summary_frame")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Fail early, naming the column, when a frame lacks one this function needs."""
    for col in columns:
        if col not in df.columns:
            raise ReportError(f"{what}: frame has no column {col!r}; required: {list(columns)}")


def energy_by_component(energy_df: pd.DataFrame) -> pd.DataFrame:
    """Total energy in pJ per component (rows) and action (columns), both sorted; 0 where absent."""
    _require(energy_df, ("component", "action", "energy_pj"), "energy_by_component")
    table = energy_df.groupby(["component", "action"])["energy_pj"].sum().unstack(fill_value=0.0)
    return table.astype("float64")


def energy_by_layer(energy_df: pd.DataFrame) -> pd.DataFrame:
    """Total energy in pJ per layer (rows, execution order) and component (columns, sorted); 0 where absent.

    ``.sum(axis=1)`` gives each layer's total. Run-level rows with no layer are kept under a missing label.
    """
    _require(energy_df, ("layer", "component", "energy_pj"), "energy_by_layer")
    grouped = energy_df.groupby(["layer", "component"], sort=False, dropna=False)["energy_pj"].sum()
    table = grouped.unstack(fill_value=0.0, sort=False)
    return table.reindex(columns=sorted(table.columns)).astype("float64")
