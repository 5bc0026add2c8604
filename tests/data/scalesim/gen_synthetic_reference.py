"""Regenerate ``scalesim_synthetic_reference.csv`` by running SCALE-Sim 3.0.0 itself.

Not used by the test suite (which only reads the CSV). Provenance script: it needs
``pip install scalesim==3.0.0 numpy==2.3.5`` in a separate environment (3.0.0 fails under
numpy 2.4) and runs in about a minute:

    python tests/data/scalesim/gen_synthetic_reference.py tests/data/scalesim/scalesim_synthetic_reference.csv

It runs small conv-form layers (1x1 filter, stride 1, so M = IFMAP H * W, K = Channels,
N = Num Filter) for the three dataflows on square and non-square arrays in CALC
(stall-free) mode with traces off, plus depthwise ``DP`` rows (which SCALE-Sim splits into
``Channels`` one-channel layers), and writes one row per SCALE-Sim layer with its
COMPUTE_REPORT columns.
"""
from __future__ import annotations

import csv
import os
import sys
import tempfile

CFG = """[general]
run_name = {run}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {df}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

ARRAYS = [(8, 4), (4, 8), (16, 8), (5, 7), (7, 3), (32, 32)]
DATAFLOWS = ["os", "ws", "is"]
# name, ifmap_h, ifmap_w, filt_h, filt_w, channels, num_filt, stride
LAYERS = [
    ("G1", 4, 5, 1, 1, 13, 9, 1),     # M=20, K=13, N=9
    ("G2", 37, 1, 1, 1, 50, 5, 1),    # M=37, K=50, N=5
    ("G3", 8, 8, 1, 1, 64, 64, 1),    # M=64, K=64, N=64
    ("G4", 3, 1, 1, 1, 7, 17, 1),     # M=3,  K=7,  N=17
    ("G5", 10, 10, 1, 1, 9, 3, 1),    # M=100, K=9, N=3
    ("C6", 9, 9, 3, 3, 4, 6, 2),      # conv: OFMAP ceil((9-3+2)/2)=4 -> M=16, K=36, N=6
    ("XDP", 6, 6, 3, 3, 3, 1, 1),     # depthwise: 3 layers of M=16, K=9, N=1
]


def main(out_path: str) -> None:
    from scalesim.scale_sim import scalesim  # noqa: WPS433 (optional, provenance only)

    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        topo = os.path.join(tmp, "topo.csv")
        with open(topo, "w") as f:
            f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\n")
            for layer in LAYERS:
                f.write(", ".join(str(x) for x in layer) + ",\n")
        layout = os.path.join(tmp, "layout.csv")
        with open(layout, "w") as f:
            f.write("Layer name," + ",".join(f"f{i}" for i in range(20)) + ",\n")
            for layer in LAYERS:
                f.write(layer[0] + ", " + ", ".join(["1"] * 20) + ",\n")
        for rows, cols in ARRAYS:
            for df in DATAFLOWS:
                run = f"syn_{rows}x{cols}_{df}"
                cfg = os.path.join(tmp, run + ".cfg")
                with open(cfg, "w") as f:
                    f.write(CFG.format(run=run, rows=rows, cols=cols, df=df))
                s = scalesim(save_disk_space=True, verbose=False, config=cfg,
                             topology=topo, layout=layout)
                s.run_scale(top_path=tmp)
                for lid, obj in enumerate(s.runner.single_layer_sim_object_list):
                    name = s.topo.get_layer_name(lid)
                    ofh, ofw = s.topo.get_layer_ofmap_dims(lid)
                    # COMPUTE_REPORT columns: incl-prefetch cycles, Total Cycles, stalls,
                    # Overall Util %, Mapping Efficiency %, Compute Util %
                    incl, total, stall, overall, mapping, util = obj.get_compute_report_items()
                    rows_out.append(dict(layer=name, dataflow=df, rows=rows, cols=cols,
                                         gemm_M=int(ofh * ofw),
                                         gemm_K=int(s.topo.get_layer_window_size(lid)),
                                         gemm_N=int(s.topo.get_layer_num_filters(lid)),
                                         total_cycles=int(total),
                                         total_cycles_incl_prefetch=int(incl),
                                         stall_cycles=int(stall),
                                         overall_util_pct=repr(float(overall)),
                                         mapping_eff_pct=repr(float(mapping)),
                                         compute_util_pct=repr(float(util))))
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows_out[0]))
        w.writeheader()
        w.writerows(rows_out)
    print(f"wrote {len(rows_out)} rows to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "scalesim_synthetic_reference.csv")
