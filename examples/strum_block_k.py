"""StruM block length L and high-precision count k against accuracy, DRAM traffic and energy.

Run:  python examples/strum_block_k.py [OUT_DIR]
Sweeps DLIQ and MIP2Q over L and k/L on MobileNetV2 (plus INT8 and INT4 as references)
and writes OUT_DIR/strum_block_k.csv (OUT_DIR/sweep.csv holds every metric).
Accuracy: the weight SQNR of the quantized layers (higher is closer to the float
weights) always; with PyTorch installed (pip install archsim[accuracy]) also the top-1
of the small digits CNN with each format's weights swapped in.
"""
import importlib.util
import sys
import tempfile
from pathlib import Path

from archsim.sweep import sweep

out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="archsim-strum-"))

# quant.L and quant.frac apply to the StruM schemes only; INT8 and INT4 run once each.
table = sweep({"base": {"workload": "mobilenet_v2"},
               "axes": {"quant": ["int8", "int4", "strum-dliq", "strum-mip2q"],
                        "quant.L": [8, 16],            # block length along the input channels
                        "quant.frac": [0.25, 0.5]}},   # k = frac * L values per block keep INT8
              out, workers=2, progress=False)
table = table[table["status"] == "ok"].reset_index(drop=True)
table["dram_ratio"] = table["dram_bytes"] / table["dram_bytes"].iloc[0]     # against INT8
table["energy_ratio"] = table["energy_uj"] / table["energy_uj"].iloc[0]

if importlib.util.find_spec("torch") is not None:
    from archsim.accuracy import evaluate        # trains the 25k-parameter digits CNN (~10 s)
    acc = evaluate("digits", schemes=table["quant"].tolist())
    table = table.merge(acc[["scheme", "top1_pct"]].rename(columns={"scheme": "quant"}), on="quant", how="left")
else:
    print("PyTorch not installed: accuracy is the weight SQNR only (pip install archsim[accuracy])")

cols = [c for c in ("quant", "bits_per_weight", "weight_sqnr_db_mean", "top1_pct", "dram_bytes",
                    "dram_ratio", "energy_uj", "energy_ratio", "latency_us") if c in table]
table[cols].to_csv(out / "strum_block_k.csv", index=False)
with_short_names = table[cols].assign(quant=table["quant"].str.replace(r",select=.*", "", regex=True))
print(with_short_names.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
print(f"\nwrote {out}/strum_block_k.csv")
