"""The hardware commands of the CLI: `archsim area` and `archsim paper-check` (issue 4).

register(subparsers) adds both to the `archsim` parser; errors are the project's exception
types, so cli.main prints them as one line.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from hw.area import LEVELS, area_breakdown, area_summary
from hw.config import load_config
from hw.errors import ConfigError

from .mapper import DATAFLOWS

AREA_LEVELS = ("pe", "pe_datapath") + LEVELS[1:]
AREA_COLUMNS = ("config", "hw", "level", "component", "kind", "count", "area_um2", "area_mm2",
                "baseline_um2", "change_um2", "change_pct", "provenance")


def _parse_set(items):
    from .cli import parse_set  # lazy: cli imports this module while building its parser
    return parse_set(items)


def area_configs(hws: list[str], sets: list[str] | None = None, node: float | None = None) -> list[tuple]:
    """[(label, DPUConfig)] for each --hw, with the --set overrides and --node applied to all."""
    over = _parse_set(sets)
    if node is not None:
        over["tech_node_nm"] = node
    out, seen = [], {}
    for hw in hws:
        cfg = load_config(hw, **over)
        label = Path(hw).stem if str(hw).endswith((".yaml", ".yml")) else str(hw)
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label}#{seen[label]}", cfg))
    return out


def _component_key(level: str, component: str) -> str:
    """Components are matched across configs by name; the PE array's names the variant, so drop it."""
    return "PE" if level == "pe_array" else component


def _config_rows(label: str, cfg) -> list[dict]:
    """Component and total rows of one config, before the baseline columns are added."""
    recs = area_breakdown(cfg)
    summ = area_summary(cfg)
    rows = []
    for level in AREA_LEVELS:
        if level != "pe_datapath":
            for r in recs:
                if r.level == level:
                    rows.append({"config": label, "hw": cfg.name, "level": level,
                                 "component": _component_key(level, r.component), "kind": "component",
                                 "count": r.count, "area_um2": r.area_um2, "provenance": r.provenance})
        note = ("PE without RFs, bitmaps and masks (group 'datapath' of the PE)" if level == "pe_datapath"
                else f"sum of level {level!r}")
        rows.append({"config": label, "hw": cfg.name, "level": level, "component": "total", "kind": "total",
                     "count": 1, "area_um2": summ[level], "provenance": note})
    return rows


def area_table(configs: list[tuple]) -> pd.DataFrame:
    """Every level's components and total for each (label, cfg), with the change vs the first.

    A component absent from the baseline compares against 0 (change_pct empty); a baseline
    component absent from a config appears there with area 0, so component changes sum to
    the level's total change.
    """
    if not configs:
        raise ConfigError("--hw: give at least one hardware config (the first is the baseline)")
    per = [_config_rows(label, cfg) for label, cfg in configs]
    base = {(r["level"], r["component"]): r for r in per[0]}
    rows = []
    for i, (label, cfg) in enumerate(configs):
        have = {(r["level"], r["component"]) for r in per[i]}
        cur = list(per[i])
        for key, r in base.items():
            if key not in have:
                cur.append({**r, "config": label, "hw": cfg.name, "count": 0, "area_um2": 0.0,
                            "provenance": "absent in this config"})
        order = {lv: j for j, lv in enumerate(AREA_LEVELS)}
        cur.sort(key=lambda r: (order[r["level"]], r["kind"] == "total"))
        for r in cur:
            b = base[(r["level"], r["component"])]["area_um2"] if (r["level"], r["component"]) in base else 0.0
            a = r["area_um2"]
            rows.append({**r, "area_mm2": a / 1e6, "baseline_um2": b, "change_um2": a - b,
                         "change_pct": 100.0 * (a - b) / b if b else float("nan")})
    return pd.DataFrame(rows, columns=list(AREA_COLUMNS))


def format_area(df: pd.DataFrame) -> str:
    """The level totals, one column per config: um^2 for the PE, mm^2 above, change vs the baseline."""
    tot = df[df["kind"] == "total"]
    labels = list(dict.fromkeys(tot["config"]))
    cells = {}
    for r in tot.itertuples(index=False):
        small = r.level in ("pe", "pe_datapath")
        v = f"{r.area_um2:,.1f} um^2" if small else f"{r.area_mm2:.4f} mm^2"
        if r.config != labels[0]:
            v += f" ({r.change_pct:+.2f} %)" if not math.isnan(r.change_pct) else " (n/a)"
        cells[(r.level, r.config)] = v
    head = ["level"] + [f"{labels[0]} (baseline)"] + labels[1:]
    body = [[lv] + [cells.get((lv, c), "") for c in labels] for lv in AREA_LEVELS]
    widths = [max(len(str(row[j])) for row in [head] + body) for j in range(len(head))]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in [head] + body]
    return "\n".join(lines)


def cmd_area(args) -> int:
    import reports
    df = area_table(area_configs(args.hw or ["flexnn"], args.set, args.node))
    print(format_area(df))
    print(f"wrote {_write(reports, df, args.out, 'area.csv')}")
    return 0


def _write(reports, df: pd.DataFrame, out_dir: str, name: str) -> Path:
    """Write df atomically to out_dir/name, creating the directory; a path that is a file is a user error."""
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise ConfigError(f"--out {out_dir!r}: exists and is not a directory; give a directory")
    d.mkdir(parents=True, exist_ok=True)
    return reports.write_csv_atomic(df, d / name)


def format_paper_check(df: pd.DataFrame) -> str:
    """The reproduction table: claim, workload, scheme, paper range, model value, in range."""
    head = ["claim", "workload", "scheme", "paper", "model", "in range"]
    body = [[r.claim, r.workload, str(r.scheme).split(":")[0] + _lk(r.scheme), r.paper_range,
             f"{r.model_value:+.2f} %", "yes" if r.within_range else "no"] for r in df.itertuples(index=False)]
    widths = [max(len(str(row[j])) for row in [head] + body) for j in range(len(head))]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in [head] + body]
    drivers = dict.fromkeys((r.claim, r.scheme.split(":")[0], r.driver) for r in df.itertuples(index=False)
                            if r.workload == df["workload"].iloc[0])
    lines.append("")
    lines.append(f"why (from the model; workload {df['workload'].iloc[0]}):")
    for claim, scheme, driver in drivers:
        lines.append(f"- {claim} / {scheme}: {driver}")
    return "\n".join(lines)


def _lk(scheme: str) -> str:
    p = dict(kv.split("=", 1) for kv in scheme.split(":", 1)[1].split(",")) if ":" in scheme else {}
    return f" L={p['L']},k={p['k']}" if "L" in p and "k" in p else ""


def cmd_paper_check(args) -> int:
    import reports
    from .paper_check import STRUM_SCHEMES, paper_check
    hw = load_config(args.hw, **_parse_set(args.set))
    df = paper_check(tuple(args.workload or ("resnet50", "mobilenet_v2")), hw=hw,
                     quant=tuple(args.quant or STRUM_SCHEMES), node=args.node, dataflow=args.dataflow,
                     seed=args.seed)
    print(format_paper_check(df))
    if args.out:
        print(f"wrote {_write(reports, df, args.out, 'paper_check.csv')}")
    return 0


def register(sub) -> None:
    """Add the `area` and `paper-check` subcommands to the `archsim` subparsers."""
    p = sub.add_parser("area", help="bottom-up area of one or more hardware configs vs the first",
                       description="Print the area of every level (PE, PE datapath, PE array, SRAM, DMA, PPU, "
                                   "DPU, accelerator) of each --hw and write area.csv (every component and "
                                   "level total, with its change against the first --hw) to --out.")
    p.add_argument("--hw", action="append", metavar="HW",
                   help="hardware preset name or YAML file (repeatable; the first is the baseline; "
                        "default: flexnn), e.g. --hw flexnn --hw flexnn_strum_dliq")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="override a hardware field of every --hw, e.g. --set pe.lanes=8 (repeatable)")
    p.add_argument("--node", type=float, metavar="NM",
                   help="technology node in nm for every --hw (7, 16, 22 are tables; in between "
                        "log-log interpolated; outside scaled by Stillmaker-Baas)")
    p.add_argument("--out", required=True, help="output directory for area.csv")
    p.set_defaults(func=cmd_area)

    p = sub.add_parser("paper-check", help="the StruM paper's hardware claims beside the model's numbers",
                       description="Simulate each workload with INT8 weights on the INT8 PE and with StruM "
                                   "weights on the matching statically configured PE (hp_lanes = k*lanes/L), "
                                   "and print the paper's PE power, PE area, DPU area and accelerator-level "
                                   "claims beside the model's values, with what drives each gap.")
    p.add_argument("--workload", action="append", metavar="W",
                   help="zoo name or workload file (repeatable; default: resnet50 and mobilenet_v2)")
    p.add_argument("--quant", action="append", metavar="SCHEME",
                   help="StruM scheme (repeatable; default: strum-dliq and strum-mip2q at L=8, k=4), "
                        "e.g. strum-dliq:L=16,k=8")
    p.add_argument("--hw", default="flexnn",
                   help="hardware preset or YAML whose PE is the INT8 baseline (default: flexnn)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="override a hardware field, e.g. --set pe.lanes=8 (repeatable)")
    p.add_argument("--node", type=float, metavar="NM", help="technology node in nm (default: the config's)")
    p.add_argument("--dataflow", default="auto", choices=DATAFLOWS + ("auto",),
                   help="dataflow of every run (default: auto, per layer)")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic weights (default: 0)")
    p.add_argument("--out", help="output directory for paper_check.csv (optional)")
    p.set_defaults(func=cmd_paper_check)
