"""Regenerate ``COMPUTE_REPORT_resnet50_32x32_is.csv``: SCALE-Sim 3.0.0, input stationary.

Not used by the test suite (which only reads the CSV). Provenance script, run in a separate
environment with ``pip install scalesim==3.0.0 numpy==2.3.5``:

    python tests/data/scalesim/gen_resnet50_is_reference.py tests/data/scalesim/COMPUTE_REPORT_resnet50_32x32_is.csv

Same 54 layers (taken from scalesim_resnet50_32x32_os_reference.csv), same 32x32 array,
64/64/64 KB SRAM and CALC mode as the shared os/ws reference runs, but ``Dataflow : is``.
Each layer is run as its own one-layer SCALE-Sim run, so its matrices are freed after it
(SCALE-Sim keeps every layer's matrices otherwise); layers are independent in SCALE-Sim, so
the results are those of one 54-layer run. Output: SCALE-Sim's COMPUTE_REPORT columns plus
the layer name and GEMM shape. About 10 CPU-minutes.
"""
from __future__ import annotations

import csv
import os
import sys
import tempfile
from pathlib import Path

from gen_synthetic_reference import CFG  # same config text as the synthetic runs

HERE = Path(__file__).resolve().parent


def main(out_path: str) -> None:
    from scalesim.scale_sim import scalesim

    with open(HERE / "scalesim_resnet50_32x32_os_reference.csv") as f:
        layers = list(csv.DictReader(f))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "is.cfg")
        with open(cfg, "w") as f:
            f.write(CFG.format(run="resnet50_32x32_is_calc", rows=32, cols=32, df="is"))
        layout = os.path.join(tmp, "layout.csv")
        for lay in layers:
            topo = os.path.join(tmp, "topo.csv")
            with open(topo, "w") as f:
                f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                        "Channels, Num Filter, Strides,\n")
                f.write(", ".join(lay[k] for k in ("layer_name", "ifmap_h", "ifmap_w", "filt_h",
                                                   "filt_w", "channels", "num_filt", "stride")) + ",\n")
            with open(layout, "w") as f:
                f.write("Layer name," + ",".join(f"f{i}" for i in range(20)) + ",\n")
                f.write(lay["layer_name"] + ", " + ", ".join(["1"] * 20) + ",\n")
            s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout)
            s.run_scale(top_path=tmp)
            obj = s.runner.single_layer_sim_object_list[0]
            incl, total, stall, overall, mapping, util = obj.get_compute_report_items()
            out.append({"LayerID": lay["layer_id"], "layer_name": lay["layer_name"],
                        "gemm_M": lay["gemm_M"], "gemm_N": lay["gemm_N"], "gemm_K": lay["gemm_K"],
                        "Total Cycles (incl. prefetch)": int(incl), "Total Cycles": int(total),
                        "Stall Cycles": int(stall), "Overall Util %": repr(float(overall)),
                        "Mapping Efficiency %": repr(float(mapping)),
                        "Compute Util %": repr(float(util))})
            print(lay["layer_name"], int(total), flush=True)
            del s, obj
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    print(f"wrote {len(out)} rows, total cycles {sum(r['Total Cycles'] for r in out)}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main(sys.argv[1] if len(sys.argv) > 1 else "COMPUTE_REPORT_resnet50_32x32_is.csv")
