"""``python -m archsim.accuracy``: the measured tables of docs/accuracy.md, as Markdown.

Runs every named model on its own data with each scheme, prints the summary tables,
EfficientNet-Lite0's per-layer SQNR and StruM's margin over INT4, and with ``--out DIR``
also writes them as CSV.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from .harness import DEFAULT_SCHEMES, STRUM_SCHEMES, accuracy_report, canonical_scheme, sqnr_margin
from .models import MODELS


def markdown(df: pd.DataFrame, floatfmt: str = ".2f") -> str:
    """A DataFrame as a GitHub Markdown table (no tabulate dependency)."""
    def cell(v) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else format(v, floatfmt)
        return str(v)
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a CSV atomically: a crash never leaves a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            df.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def layer_table(layers: pd.DataFrame, baseline: str = "int4") -> pd.DataFrame:
    """Per-layer SQNR (dB) with one column per format, plus StruM minus baseline."""
    wide = layers.pivot_table(index=["layer", "op", "shape"], columns="format", values="sqnr_db",
                              sort=False).reset_index()
    for fmt in STRUM_SCHEMES:
        if fmt in wide and baseline in wide:
            wide[f"{fmt}-{baseline}"] = wide[fmt] - wide[baseline]
    wide.columns.name = None
    return wide


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m archsim.accuracy", description=__doc__)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--schemes", nargs="+", default=list(DEFAULT_SCHEMES))
    ap.add_argument("--out", type=Path, help="directory for summary/layers CSV files")
    ap.add_argument("--no-layers", action="store_true", help="skip the per-layer table")
    args = ap.parse_args(argv)
    summaries, all_layers = [], []
    print("Schemes: " + "; ".join(f"`{s}` = `{canonical_scheme(s)}`" for s in args.schemes) + "\n")
    for name in args.models:
        t0 = time.perf_counter()
        rep = accuracy_report(name, schemes=args.schemes)
        secs = time.perf_counter() - t0
        summaries.append(rep.summary)
        all_layers.append(rep.layers)
        cols = ["format", "top1_pct", "agreement_pct", "top5_agreement_pct", "n_samples",
                "bits_per_weight", "hp_fraction", "sqnr_db_mean", "sqnr_db_min", "logit_sqnr_db"]
        print(f"## {name} on {rep.summary['dataset'].iloc[0]} ({secs:.1f} s)\n")
        print(markdown(rep.summary[cols]) + "\n")
        formats = set(rep.layers["format"])
        if "int4" in formats and formats & set(STRUM_SCHEMES):
            print(f"### {name}: StruM SQNR minus INT4 SQNR, per layer\n")
            print(markdown(sqnr_margin(rep.layers, [s for s in STRUM_SCHEMES if s in formats])) + "\n")
            if not args.no_layers:
                print(f"### {name}: per-layer weight SQNR (dB)\n")
                print(markdown(layer_table(rep.layers), ".1f") + "\n")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        write_csv(pd.concat(summaries), args.out / "accuracy_summary.csv")
        write_csv(pd.concat(all_layers), args.out / "accuracy_layers.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
