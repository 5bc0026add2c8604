"""PE array size against latency: how far does a bigger grid help one network?

Run:  python examples/array_size.py [OUT_DIR]
Sweeps square PE grids (rows and cols varied together with `zip`) for two SRAM sizes
on MobileNetV2 and writes OUT_DIR/sweep.csv, one row per point. Without OUT_DIR a
temporary directory is used.
"""
import sys
import tempfile

from archsim.sweep import sweep

out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="archsim-array-")

spec = {
    "base": {"workload": "mobilenet_v2", "hw": "flexnn", "quant": "int8", "dataflow": "auto"},
    "axes": {
        "pe.rows": [8, 16, 32, 64],
        "pe.cols": [8, 16, 32, 64],
        "sram.bytes": [1048576, 4194304],      # 1 MiB and 4 MiB
    },
    "zip": [["pe.rows", "pe.cols"]],           # 8x8, 16x16, ... rather than every rows x cols pair
}
table = sweep(spec, out, workers=2)            # two local processes; scheduler="tcp://..." for Dask

ok = table[table["status"] == "ok"]
view = ok[["pe.rows", "pe.cols", "sram.bytes", "cycles", "latency_us", "energy_uj", "utilization"]]
print(view.to_string(index=False))

# Speed-up per doubling of the grid side, at the larger SRAM: utilization tells where it flattens.
big = ok[ok["sram.bytes"] == 4194304].set_index("pe.rows")["latency_us"]
print("\nspeed-up vs 8x8:", (big.iloc[0] / big).round(2).to_dict())
failed = table[table["status"] != "ok"]
if len(failed):
    print("\nfailed points:\n" + failed[["pe.rows", "sram.bytes", "error"]].to_string(index=False))
print(f"\nwrote {out}/sweep.csv")
