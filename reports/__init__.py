"""reports: plain ledger records and result frames -> tidy tables, comparisons, plots and files.

Imports nothing of the project: it takes tuples, dicts and DataFrames, never simulator
objects. Plots need the optional ``plot`` extra (matplotlib), Parquet needs pyarrow.
"""
from .atomic import atomic_open, write_bytes_atomic, write_csv_atomic, write_parquet_atomic, write_text_atomic
from .compare import compare_frame, run_labels
from .errors import MissingDependencyError, ReportError
from .export import save_run
from .plots import plot_energy_breakdown, plot_latency_energy, plot_layer_cycles
from .power import compare_pe_power, pe_power_breakdown
from .tables import (
    ENERGY_COLUMNS,
    LAYER_COLUMNS,
    SUMMARY_COLUMNS,
    energy_by_component,
    energy_by_layer,
    energy_frame,
    layers_frame,
    summary_frame,
)
from .trace import chrome_trace, dump_trace, write_trace

__all__ = [
    "ENERGY_COLUMNS", "LAYER_COLUMNS", "SUMMARY_COLUMNS",
    "MissingDependencyError", "ReportError",
    "atomic_open", "write_bytes_atomic", "write_text_atomic", "write_csv_atomic", "write_parquet_atomic",
    "energy_frame", "layers_frame", "summary_frame", "energy_by_component", "energy_by_layer",
    "chrome_trace", "write_trace", "dump_trace",
    "compare_frame", "run_labels", "pe_power_breakdown", "compare_pe_power",
    "plot_energy_breakdown", "plot_layer_cycles", "plot_latency_energy",
    "save_run",
]
