"""save_run: the run directory's files, atomic and byte-identical for identical inputs."""
import json

import pandas as pd
import pytest

from reports import (
    LAYER_COLUMNS, MissingDependencyError, ReportError, energy_frame, layers_frame, save_run, summary_frame,
)
from reports import atomic as atomic_mod

CONFIG = "pe:\n  rows: 16\n  cols: 16\nclock_ghz: 1.0\n"
SPANS = [("pe_array", "conv1", "compute", 0, 100), ("dma", "conv1", "load", 0, 40)]


def _frames():
    row = {c: 1 for c in LAYER_COLUMNS}
    row.update(layer="conv1", op="conv", dataflow="ws", utilization=1 / 3, energy_pj=0.1 + 0.2)
    layers = layers_frame([row])
    energy = energy_frame([("conv1", "pe_array", "mul8x8", 4096, 1228.8000000000002),
                           ("conv1", "sram", "read", 512, 1 / 7)])
    summary = summary_frame(dict(workload="tiny", hw="flexnn", quant="int8", dataflow="ws", macs=4096,
                                 cycles=100, latency_us=0.1, energy_uj=0.0012, dram_bytes=512,
                                 utilization=1 / 3))
    return dict(layers_df=layers, energy_df=energy, summary_df=summary, config_yaml=CONFIG,
                spans=SPANS, clock_ghz=1.0)


def test_save_run_writes_all_files(tmp_path):
    out = tmp_path / "runs" / "r0"
    paths = save_run(out, **_frames(), extra={"tiles": pd.DataFrame({"tile": [0, 1]})})
    assert set(paths) == {"layers", "energy", "summary", "config", "trace", "tiles"}
    assert sorted(p.name for p in out.iterdir()) == [
        "config.yaml", "energy.csv", "layers.csv", "summary.csv", "tiles.csv", "trace.json"]
    assert paths["config"].read_text() == CONFIG
    assert json.loads(paths["trace"].read_text())["traceEvents"]
    assert pd.read_csv(paths["layers"]).columns.tolist() == list(LAYER_COLUMNS)
    assert pd.read_csv(paths["energy"])["energy_pj"].tolist() == [1228.8000000000002, 1 / 7]


def test_same_inputs_give_byte_identical_files(tmp_path):
    a = save_run(tmp_path / "a", **_frames())
    b = save_run(tmp_path / "b", **_frames())
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_bad_inputs_write_nothing(tmp_path):
    frames = _frames()
    with pytest.raises(ReportError, match="end_cycle"):
        save_run(tmp_path / "r", **{**frames, "spans": [("dma", "l", "x", 5, 1)]})
    with pytest.raises(ReportError, match="extra table name"):
        save_run(tmp_path / "r", **frames, extra={"../evil": pd.DataFrame()})
    with pytest.raises(ReportError, match="format"):
        save_run(tmp_path / "r", **frames, format="xlsx")
    assert not (tmp_path / "r").exists()


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("reports.export.has_pyarrow", lambda: False)
    with pytest.raises(ImportError, match="pyarrow") as info:
        save_run(tmp_path / "r", **_frames(), format="parquet")
    assert isinstance(info.value, MissingDependencyError)
    assert not (tmp_path / "r").exists()


def test_parquet_round_trip_when_available(tmp_path):
    pytest.importorskip("pyarrow")
    paths = save_run(tmp_path / "r", **_frames(), format="parquet")
    assert paths["layers"].suffix == ".parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(paths["energy"]), _frames()["energy_df"], check_dtype=False)


def test_failed_write_keeps_previous_run(tmp_path, monkeypatch):
    out = tmp_path / "r"
    first = save_run(out, **_frames())
    before = {name: p.read_bytes() for name, p in first.items()}

    def boom(src, dst):
        raise OSError("no space left")

    monkeypatch.setattr(atomic_mod.os, "replace", boom)
    frames = _frames()
    frames["config_yaml"] = "changed: true\n"
    with pytest.raises(OSError, match="no space"):
        save_run(out, **frames)
    assert {name: p.read_bytes() for name, p in first.items()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in first.values())
