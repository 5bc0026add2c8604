"""Run examples/sweep_small.yaml on a Dask cluster instead of local processes.

Run:  python examples/sweep_dask.py [OUT_DIR] [SCHEDULER_ADDRESS]
With an address (e.g. tcp://10.0.0.5:8786, from `dask scheduler`), the points run on
that cluster, whose workers need archsim installed; without one a two-worker
LocalCluster is started here. Needs pip install archsim[dask]. The table is the same
as `archsim sweep examples/sweep_small.yaml --out OUT_DIR` would write locally.
"""
import sys
import tempfile
from pathlib import Path

from archsim.sweep import sweep

SPEC = Path(__file__).with_name("sweep_small.yaml")

if __name__ == "__main__":          # Dask starts worker processes that re-import this file
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="archsim-dask-")
    address = sys.argv[2] if len(sys.argv) > 2 else None
    if address is None:
        from dask.distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            table = sweep(SPEC, out, scheduler=cluster.scheduler_address)
    else:
        table = sweep(SPEC, out, scheduler=address)
    cols = ["point", "status", "quant", "dataflow", "pe.rows", "cycles", "energy_uj"]
    print(table[cols].to_string(index=False))
    # Interrupted? Run again with resume=True (or `archsim sweep ... --resume`) to skip finished points.
    print(f"\nwrote {out}/sweep.csv")
