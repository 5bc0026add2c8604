"""The `archsim compare` and `archsim sweep` subcommands, added to the CLI by register()."""
from __future__ import annotations

import argparse
import itertools
import time

from reports import ReportError

from .errors import SimulationError
from .mapper import DATAFLOWS
from .simulate import OBJECTIVES


def cmd_compare(args) -> int:
    from .cli import parse_set
    from .compare import compare
    common = {"batch": args.batch, "seed": args.seed, **parse_set(args.set)}
    runs = [{"workload": w, "hw": h, "quant": q, "dataflow": d, "objective": o, **common}
            for w, h, q, d, o in itertools.product(args.workload, args.hw or ["flexnn"], args.quant or ["int8"],
                                                   args.dataflow or ["auto"], args.objective or ["edp"])]
    try:
        res = compare(runs, out_dir=args.out, plots=not args.no_plots)
    except ReportError as e:
        raise SimulationError(str(e)) from e
    t = res.table
    width = max(len("run"), *(len(s) for s in t["run_label"]))
    print(f"{'run':<{width}}  {'cycles':>13}  {'latency_us':>11}  {'energy_uj':>10}  {'latency x':>9}  {'energy x':>8}")
    for _, r in t.iterrows():
        print(f"{r['run_label']:<{width}}  {r['cycles']:>13,}  {r['latency_us']:>11.1f}  {r['energy_uj']:>10.1f}  "
              f"{r['latency_us_ratio']:>9.3f}  {r['energy_uj_ratio']:>8.3f}")
    print(f"baseline: {t['run_label'].iloc[0]}; wrote " + ", ".join(str(p) for p in res.paths.values()))
    return 0


def cmd_sweep(args) -> int:
    from .sweep import TABLE, sweep
    t0 = time.monotonic()
    df = sweep(args.spec, args.out, workers=args.workers, scheduler=args.scheduler,
               resume=args.resume, progress=not args.quiet)
    failed = int((df["status"] != "ok").sum())
    resumed = df.attrs.get("resumed", 0)
    print(f"sweep: {len(df)} points, {len(df) - failed} ok, {failed} failed"
          + (f" ({resumed} already done, skipped)" if resumed else "")
          + f" in {time.monotonic() - t0:.1f} s; wrote {args.out}/{TABLE}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def register(subparsers) -> None:
    """Add `compare` and `sweep` to the `archsim` subcommands."""
    p = subparsers.add_parser(
        "compare", help="simulate several configurations and compare them against the first",
        description="Run the cartesian product of the repeated --hw, --quant, --dataflow and --objective "
                    "options (and of the workloads) and write compare.csv (one row per run, deltas and "
                    "ratios against the first run), compare_layers.csv and PNG plots to --out.")
    p.add_argument("workload", nargs="+", help="zoo name(s) (see `archsim list`) or workload file(s)")
    p.add_argument("--hw", action="append", metavar="HW",
                   help="hardware preset or YAML file; repeat to compare several (default: flexnn)")
    p.add_argument("--quant", action="append", metavar="SCHEME",
                   help="weight format, e.g. int8, strum-dliq:L=8,k=4; repeat to compare several (default: int8)")
    p.add_argument("--dataflow", action="append", choices=DATAFLOWS + ("auto",),
                   help="dataflow; repeat to compare several (default: auto)")
    p.add_argument("--objective", action="append", choices=OBJECTIVES,
                   help="what dataflow auto minimises per layer; repeat to compare several (default: edp)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="override a hardware field in every run, e.g. --set pe.rows=32 (repeatable)")
    p.add_argument("--batch", type=int, default=1, help="batch size (default: 1)")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic weights (default: 0)")
    p.add_argument("--no-plots", action="store_true", help="write the CSVs only, no PNG plots")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=cmd_compare)

    p = subparsers.add_parser(
        "sweep", help="run the cartesian product of config axes from a YAML spec into one table",
        description="Run every point of SPEC (base + axes + zip, see docs/sweep.md) and stream one row per "
                    "point into --out/sweep.csv; failed points are recorded with their error.")
    p.add_argument("spec", help="sweep spec YAML file")
    p.add_argument("--out", required=True, help="output directory (sweep.csv, sweep.yaml)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="local worker processes (default: 1 = run in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://host:8786; runs the points on that cluster "
                        "instead of local processes (needs pip install archsim[dask])")
    p.add_argument("--resume", action="store_true",
                   help="skip points already finished OK in --out/sweep.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=cmd_sweep)
