"""The numbers of docs/paper_check.md: the reproduction table, the bounds, the sensitivities, the sweeps.

    python benchmarks/paper_check.py [--out DIR] [--quick]

Prints markdown to stdout; with --out also writes paper_check.csv, sweep_lk.csv and
sweep_node.csv. --quick skips the L/k sweep (the slow part, ~1 min).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archsim.paper_check import paper_check, pe_power, strum_design_sweep, strum_static_config  # noqa: E402
from archsim import simulate  # noqa: E402
from hw.area import area_summary  # noqa: E402
from hw.config import load_config  # noqa: E402
from hw.pe import pe_model  # noqa: E402
from reports import write_csv_atomic  # noqa: E402

SCHEMES = ("strum-dliq", "strum-mip2q")


def pct(a, b):
    return 100.0 * (a - b) / b


def reproduction(df: pd.DataFrame) -> str:
    lines = ["| claim | paper | workload | DLIQ | MIP2Q | in range |", "|---|---|---|---|---|---|"]
    for (claim, w), g in df.groupby(["claim", "workload"], sort=False):
        v = {r.scheme.split(":")[0]: r for r in g.itertuples()}
        d, m = v["strum-dliq"], v["strum-mip2q"]
        ok = "/".join("yes" if r.within_range else "no" for r in (d, m))
        lines.append(f"| {d.claim_text} | {d.paper_range} | {w} | {d.model_value:+.2f} % | "
                     f"{m.model_value:+.2f} % | {ok} |")
    return "\n".join(lines)


def bounds() -> str:
    """PE area and lane-op energy if the PE held nothing but its multipliers / shifters."""
    base = load_config("flexnn")
    m0 = pe_model(base)
    m8a = next(c.unit_um2 for c in m0.components if c.entry == "mul_8x8")
    m8e = m0.op_parts["mul8x8"]["mul_8x8"]
    lines = ["| static PE (hp 2 of 4) | whole PE area | datapath area | multipliers + shifters only: area | "
             "energy per weight, 50/50 mix |", "|---|---|---|---|---|"]
    for name, over in (("DLIQ, shifter per lane", {}), ("DLIQ, shifter per block", {"pe.dliq_shift": "block"}),
                       ("MIP2Q", None)):
        cfg = strum_static_config(base, "strum-mip2q" if over is None else "strum-dliq", **(
            {"dliq_shift": over["pe.dliq_shift"]} if over else {}))
        m = pe_model(cfg)
        units = sum(c.area_um2 for c in m.components if c.entry in ("mul_8x8", "mul_8x4", "shift_8to16"))
        low = "mul8x4" if cfg.pe.low_lane_kind == "mul8x4" else "shift"
        skip = ("operand registers", "activation routing")
        e = 0.5 * m8e + 0.5 * sum(v for k, v in m.op_parts[low].items() if k not in skip)
        lines.append(f"| {name} | {pct(m.area_um2(), m0.area_um2()):+.1f} % | "
                     f"{pct(m.datapath_area_um2(), m0.datapath_area_um2()):+.1f} % | "
                     f"{pct(units, 4 * m8a):+.1f} % | {pct(e, m8e):+.1f} % |")
    return "\n".join(lines)


def sensitivities(workload: str = "resnet50") -> str:
    """One assumption changed at a time (an override, not a default): PE power, PE area, DPU area,
    whole-run power, for DLIQ and MIP2Q on `workload`."""
    cases = [("model as shipped", {}),
             ("DLIQ shifter shared per block (pe.dliq_shift=block)", {"pe.dliq_shift": "block"}),
             ("register energy at Bit Fusion's ratio (reg_bit 0.00075 pJ)", {"energy_overrides": {"reg_bit": 0.00075}}),
             ("8 lanes per PE (hp 4 of 8)", {"pe.lanes": 8}),
             ("RFs half the size (16/16/32 B)", {"rf.ifmap_bytes": 16, "rf.weight_bytes": 16, "rf.psum_bytes": 32}),
             ("DDR4 at 15 pJ/bit", {"dram.type": "DDR4"}),
             ("accelerator_dpu_fraction 0.9", {"area_overrides": {"accelerator_dpu_fraction": 0.9}})]
    lines = ["| assumption changed | scheme | PE power | PE area | DPU area | accelerator area | whole-run power |",
             "|---|---|---|---|---|---|---|"]
    for label, over in cases:
        base = load_config("flexnn", **{k: v for k, v in over.items() if k != "pe.dliq_shift"})
        r0 = simulate(workload, hw=base, quant="int8")
        a0 = area_summary(base)
        for s in SCHEMES:
            if "pe.dliq_shift" in over and s != "strum-dliq":
                continue
            cfg = strum_static_config(base, s, dliq_shift=over.get("pe.dliq_shift"))
            r1 = simulate(workload, hw=cfg, quant=s)
            a1 = area_summary(cfg)
            p0, p1 = (float(pe_power(r).set_index("part").loc["total", "power_mw"]) for r in (r0, r1))
            w0, w1 = (float(r.summary["power_mw"].iloc[0]) for r in (r0, r1))
            lines.append(f"| {label} | {s[6:].upper()} | {pct(p1, p0):+.1f} % | {pct(a1['pe'], a0['pe']):+.1f} % | "
                         f"{pct(a1['dpu'], a0['dpu']):+.2f} % | {pct(a1['accelerator'], a0['accelerator']):+.2f} % | "
                         f"{pct(w1, w0):+.1f} % |")
    return "\n".join(lines)


def sweep_table(df: pd.DataFrame, keys: list[str]) -> str:
    cols = keys + ["hp_lanes", "pe_area_change_pct", "pe_metadata_share", "pe_energy_per_mac_pj",
                   "pe_power_change_pct", "cycles", "cycles_change_pct", "bits_per_weight"]
    head = "| " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * len(cols)]
    for r in df[cols].itertuples(index=False):
        cells = []
        for c, v in zip(cols, r):
            if isinstance(v, float) and c not in ("L", "k", "node_nm"):
                cells.append(f"{v:.4f}" if c in ("pe_energy_per_mac_pj", "pe_metadata_share") else f"{v:+.1f}"
                             if c.endswith("_pct") else f"{v:.2f}")
            elif c in ("L", "k") and v == v:
                cells.append(str(int(v)))
            elif c == "cycles":
                cells.append(f"{v:,}")
            else:
                cells.append("" if v != v else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="directory for the CSVs")
    ap.add_argument("--quick", action="store_true", help="skip the L/k sweep")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    pc = paper_check()
    print("## Reproduction table\n\n" + reproduction(pc) + "\n")
    print("## Detail (resnet50)\n")
    for r in pc[pc["workload"] == "resnet50"].itertuples():
        print(f"- {r.claim} / {r.scheme.split(':')[0]}: {r.detail}")
    print("\n## Bounds\n\n" + bounds() + "\n")
    print("## Sensitivities (resnet50)\n\n" + sensitivities() + "\n")
    node = strum_design_sweep((8,), (4,), (7, 16, 22), "resnet18")
    print("## Node sweep (resnet18, L=8, k=4)\n\n" + sweep_table(node, ["scheme", "node_nm"]) + "\n")
    if out:
        write_csv_atomic(pc, out / "paper_check.csv")
        write_csv_atomic(node, out / "sweep_node.csv")
    if not args.quick:
        lk = strum_design_sweep((8, 16, 32), (2, 4, 8, 16), (16,), "resnet18")
        print("## L / k sweep (resnet18, 16 nm)\n\n" + sweep_table(lk, ["scheme", "L", "k"]) + "\n")
        if out:
            write_csv_atomic(lk, out / "sweep_lk.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
