"""Compare the dataflows on one network: weight-, output-, input-stationary and per-layer auto.

Run:  python examples/compare_dataflows.py [OUT_DIR]
Writes OUT_DIR/compare.csv (one row per dataflow, deltas and ratios against ws), the
per-layer table compare_layers.csv, and three PNGs: energy per component, cycles per
layer, latency against energy. Without OUT_DIR a temporary directory is used.
"""
import sys
import tempfile

from archsim.compare import compare

out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="archsim-dataflows-")

# One dict of simulate() arguments per run; the first run is the baseline.
runs = [{"workload": "resnet18", "hw": "flexnn", "quant": "int8", "dataflow": df}
        for df in ("ws", "os", "is", "auto")]
result = compare(runs, out_dir=out)

cols = ["run_label", "cycles", "latency_us", "energy_uj", "utilization", "latency_us_ratio", "energy_uj_ratio"]
print(result.table[cols].to_string(index=False))

# Which dataflow did `auto` pick for each layer? (the Result objects are kept)
auto = result.results[-1].layers
print("\nauto picked:", auto["dataflow"].value_counts().to_dict())
print(f"\nwrote {out}/compare.csv and the plots")
