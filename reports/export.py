"""One run's result directory: layers, energy, summary, resolved config and timeline trace."""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .atomic import has_pyarrow, write_csv_atomic, write_parquet_atomic, write_text_atomic
from .errors import MissingDependencyError, ReportError
from .trace import chrome_trace, dump_trace

FORMATS = ("csv", "parquet")
_STANDARD = ("layers", "energy", "summary", "config", "trace")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def save_run(out_dir: str | os.PathLike, *, layers_df: pd.DataFrame, energy_df: pd.DataFrame,
             summary_df: pd.DataFrame, config_yaml: str, spans: Iterable, clock_ghz: float,
             extra: Mapping[str, pd.DataFrame] | None = None, format: str = "csv",
             trace_metadata: Mapping | None = None) -> dict[str, Path]:
    """Write a run's files into ``out_dir`` (created if needed); return ``{name: path}``.

    Tables go to ``layers``, ``energy``, ``summary`` and each ``extra`` name, as ``.csv``
    or, with ``format="parquet"`` (needs pyarrow), ``.parquet``; plus ``config.yaml`` and
    ``trace.json``. Inputs are checked before anything is written; every file is written
    atomically and ``summary`` last, so in a fresh directory its presence means the run
    was saved completely.
    """
    if format not in FORMATS:
        raise ReportError(f"save_run: format={format!r} is not one of {FORMATS}")
    if format == "parquet" and not has_pyarrow():
        raise MissingDependencyError("save_run(format='parquet') needs pyarrow: pip install pyarrow "
                                     "(or use format='csv')")
    if not isinstance(config_yaml, str):
        raise ReportError(f"save_run: config_yaml is a {type(config_yaml).__name__}; expected the YAML text")
    tables = {"layers": layers_df, "energy": energy_df}
    for name, df in (extra or {}).items():
        if not isinstance(name, str) or not _NAME.match(name) or name in _STANDARD:
            raise ReportError(f"save_run: extra table name {name!r} must be a plain file stem "
                              f"(letters, digits, _ . -) and not one of {_STANDARD}")
        tables[name] = df
    for name, df in (*tables.items(), ("summary", summary_df)):
        if not isinstance(df, pd.DataFrame):
            raise ReportError(f"save_run: {name} is a {type(df).__name__}; expected a pandas DataFrame")

    trace = chrome_trace(spans, clock_ghz, trace_metadata)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"config": write_text_atomic(out / "config.yaml", config_yaml)}
    write = write_csv_atomic if format == "csv" else write_parquet_atomic
    for name, df in tables.items():
        written[name] = write(df, out / f"{name}.{format}")
    written["trace"] = dump_trace(trace, out / "trace.json")
    written["summary"] = write(summary_df, out / f"summary.{format}")
    return {name: written[name] for name in (*_STANDARD, *(extra or {}))}
