"""Side-by-side comparison of run summaries against a baseline run."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import ReportError

LABEL = "run_label"


def _is_metric(series: pd.Series) -> bool:
    """Numeric and not boolean: something a delta or a ratio means something for."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def run_labels(df: pd.DataFrame, config_columns: Sequence[str]) -> list[str]:
    """One short, unique label per row from the config columns whose values differ between rows.

    The differing values are joined with ``/`` (e.g. ``"int8/ws"``); rows that would
    share a label get ``#<position>`` appended; with nothing differing rows are ``run<i>``.
    """
    differing = [c for c in config_columns if df[c].astype(str).nunique(dropna=False) > 1]
    if differing:
        labels = ["/".join(str(v) for v in row) for row in df[differing].itertuples(index=False, name=None)]
    else:
        labels = [f"run{i}" for i in range(len(df))]
    seen = pd.Series(labels).duplicated(keep=False).tolist()
    return [f"{label}#{i}" if dup else label for i, (label, dup) in enumerate(zip(labels, seen))]


def _baseline_position(df: pd.DataFrame, baseline: int | str) -> int:
    """Row position of the baseline, given as a position or as a run label."""
    if isinstance(baseline, (int, np.integer)) and not isinstance(baseline, bool):
        if not -len(df) <= baseline < len(df):
            raise ReportError(f"compare_frame: baseline={baseline!r} is out of range for {len(df)} runs")
        return int(baseline) % len(df)
    matches = np.flatnonzero(df[LABEL].astype(str).to_numpy() == str(baseline))
    if len(matches) != 1:
        raise ReportError(f"compare_frame: baseline={baseline!r} matches {len(matches)} runs; "
                          f"give a row position or one of {df[LABEL].tolist()}")
    return int(matches[0])


def compare_frame(summaries: pd.DataFrame | Sequence[Mapping], baseline: int | str = 0, *,
                  config_columns: Sequence[str] | None = None,
                  metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per run, plus for every metric ``m``: ``m_delta = m - m[baseline]`` and ``m_ratio = m / m[baseline]``.

    ``baseline`` is a row position or a ``run_label``. Config columns default to the
    non-numeric ones and metrics to the numeric ones; ``run_label`` (first column) is
    built from the differing config columns unless the input has one. A ratio against a
    baseline of 0 is NaN. The baseline row itself has deltas 0 and ratios 1.
    """
    df = pd.DataFrame(summaries).reset_index(drop=True)
    if df.empty:
        raise ReportError("compare_frame: no runs to compare")
    for col in [*(config_columns or ()), *(metrics or ())]:
        if col not in df.columns:
            raise ReportError(f"compare_frame: no column {col!r}; columns are {df.columns.tolist()}")
    if config_columns is None:
        config_columns = [c for c in df.columns if c != LABEL and not _is_metric(df[c])]
    if metrics is None:
        metrics = [c for c in df.columns if c != LABEL and c not in config_columns and _is_metric(df[c])]
    for col in metrics:
        if not _is_metric(df[col]):
            raise ReportError(f"compare_frame: metric {col!r} has dtype {df[col].dtype}; metrics must be numeric")

    if LABEL not in df.columns:
        df.insert(0, LABEL, run_labels(df, config_columns))
    else:
        df = df[[LABEL, *(c for c in df.columns if c != LABEL)]]
    base = _baseline_position(df, baseline)

    derived = {}
    for col in metrics:
        ref = df[col].iloc[base]
        derived[f"{col}_delta"] = df[col] - ref
        ratio = np.nan if pd.isna(ref) or ref == 0 else df[col].astype("float64") / float(ref)
        derived[f"{col}_ratio"] = pd.Series(ratio, index=df.index, dtype="float64")
    return pd.concat([df, pd.DataFrame(derived, index=df.index)], axis=1)
