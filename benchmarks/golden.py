"""Reference outputs that prove a performance change leaves results byte-identical.

    python benchmarks/golden.py save DIR [--tree ROOT]   # run the cases, save their CSVs
    python benchmarks/golden.py compare OLD NEW           # byte-compare two saved sets

`--tree` runs the cases with another checkout of the code (e.g. one without the change
under test) on PYTHONPATH. `compare` prints, for each file that is not byte-identical,
the columns whose values differ and the columns added or removed; it exits 1 on any
difference in a column both sets have.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [  # workload, hw preset, quant, batch, dataflow, hw overrides
    ("resnet50", "flexnn", "int8", 1, "auto", {}),
    ("resnet50", "flexnn", "int8", 8, "auto", {}),
    ("mobilenet_v2", "flexnn", "strum-dliq", 1, "auto", {}),
    ("mobilenet_v2", "flexnn", "strum-dliq", 8, "auto", {}),
    ("resnet18", "flexnn", "strum-mip2q", 1, "auto", {}),
    ("resnet18", "flexnn", "strum-mip2q", 8, "auto", {}),
    ("resnet50_scalesim", "scalesim32", "int8", 1, "os", {}),
    # contention: more DMA channels than DRAM bandwidth can feed, a small SRAM that spills
    ("resnet18", "flexnn_packed", "strum-dliq", 4, "ws",
     {"dma.channels": 3, "dram.bytes_per_cycle": 4, "sram.bytes": 262144}),
    ("mobilenet_v2", "flexnn", "nm", 2, "is", {"dma.channels": 1, "dram.latency_cycles": 400}),
]
FILES = ("layers.csv", "energy.csv", "summary.csv", "trace.json")  # the trace: every span, in order

_RUN = """
import sys, archsim
out = sys.argv[1]
for i, (w, hw, q, b, df, over) in enumerate({cases!r}):
    r = archsim.simulate(w, hw, quant=q, dataflow=df, batch=b, **over)
    r.save(f"{{out}}/{{i:02d}}_{{w}}_{{hw}}_{{q}}_b{{b}}_{{df}}")
"""


def save(out: Path, tree: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-c", _RUN.format(cases=CASES), str(out)], cwd=tree, env=env, check=True)


def compare(old: Path, new: Path) -> int:
    import pandas as pd
    bad = 0
    for case in sorted(p.name for p in old.iterdir() if p.is_dir()):
        for f in FILES:
            a, b = (old / case / f).read_bytes(), (new / case / f).read_bytes()
            if a == b:
                print(f"{case:48s} {f:12s} identical")
                continue
            if not f.endswith(".csv"):
                bad += 1
                print(f"{case:48s} {f:12s} DIFFERENT")
                continue
            da, db = (pd.read_csv(old / case / f, dtype=str, keep_default_na=False),
                      pd.read_csv(new / case / f, dtype=str, keep_default_na=False))
            common = [c for c in da.columns if c in db.columns]
            if len(da) != len(db):
                changed = ["<row count>"]
            else:
                changed = [c for c in common if not da[c].equals(db[c])]
            added = [c for c in db.columns if c not in da.columns]
            removed = [c for c in da.columns if c not in db.columns]
            bad += bool(changed or removed)
            print(f"{case:48s} {f:12s} DIFFERENT changed={changed} added={added} removed={removed}")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save")
    s.add_argument("dir", type=Path)
    s.add_argument("--tree", type=Path, default=ROOT)
    c = sub.add_parser("compare")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "save":
        save(args.dir, args.tree.resolve())
        return 0
    return compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
