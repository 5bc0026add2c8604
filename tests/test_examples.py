"""Every example script runs as a user would run it and writes its CSV into the given directory."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from archsim.sweep import load_spec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: script -> the CSV it must write into its output directory
OUTPUTS = {
    "compare_dataflows.py": "compare.csv",
    "strum_block_k.py": "strum_block_k.csv",
    "array_size.py": "sweep.csv",
    "sweep_dask.py": "sweep.csv",
}


def test_every_example_is_covered():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(OUTPUTS)


@pytest.mark.parametrize("script", sorted(OUTPUTS))
def test_example_runs(script, tmp_path):
    if script == "sweep_dask.py":
        pytest.importorskip("distributed")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "Agg"}
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - t0 < 60, f"{script} took {time.monotonic() - t0:.0f} s"
    table = pd.read_csv(out / OUTPUTS[script])
    assert len(table) > 1
    if "status" in table.columns:
        assert (table["status"] == "ok").all(), table.loc[table["status"] != "ok", "error"].tolist()
    assert f"wrote {out}" in proc.stdout


def test_sweep_small_spec_is_valid():
    points = load_spec(EXAMPLES / "sweep_small.yaml").points()
    assert len(points) == 12
