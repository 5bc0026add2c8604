"""compare_frame: deltas and ratios against a baseline row, run labels from differing config."""
import math

import pandas as pd
import pytest

from reports import ReportError, compare_frame

RUNS = [
    dict(workload="resnet18", hw="flexnn", quant="int8", dataflow="ws", macs=100, cycles=1000,
         latency_us=1.0, energy_uj=2.0, dram_bytes=0, utilization=0.5),
    dict(workload="resnet18", hw="flexnn", quant="strum-dliq", dataflow="ws", macs=100, cycles=800,
         latency_us=0.8, energy_uj=1.5, dram_bytes=10, utilization=0.625),
    dict(workload="resnet18", hw="flexnn", quant="strum-dliq", dataflow="os", macs=100, cycles=1250,
         latency_us=1.25, energy_uj=2.5, dram_bytes=20, utilization=0.4),
]


def test_deltas_and_ratios_against_first_row():
    df = compare_frame(RUNS)
    assert df.columns[0] == "run_label"
    assert df["run_label"].tolist() == ["int8/ws", "strum-dliq/ws", "strum-dliq/os"]
    assert df["cycles_delta"].tolist() == [0, -200, 250]
    assert df["cycles_ratio"].tolist() == [1.0, 0.8, 1.25]
    assert df["energy_uj_delta"].tolist() == [0.0, -0.5, 0.5]
    assert df["energy_uj_ratio"].tolist() == [1.0, 0.75, 1.25]
    assert df["macs_delta"].tolist() == [0, 0, 0]
    assert all(math.isnan(r) for r in df["dram_bytes_ratio"])
    assert df["dram_bytes_delta"].tolist() == [0, 10, 20]
    assert "quant_delta" not in df.columns and "run_label_delta" not in df.columns
    metrics = ["macs", "cycles", "latency_us", "energy_uj", "dram_bytes", "utilization"]
    assert list(df.columns[-12:]) == [f"{m}_{kind}" for m in metrics for kind in ("delta", "ratio")]


def test_baseline_by_position_or_label():
    by_label = compare_frame(pd.DataFrame(RUNS), baseline="strum-dliq/ws")
    by_position = compare_frame(RUNS, baseline=1)
    pd.testing.assert_frame_equal(by_label, by_position)
    assert by_label["cycles_delta"].tolist() == [200, 0, 450]
    assert by_label["utilization_ratio"].tolist() == [0.8, 1.0, 0.64]


def test_given_run_label_is_kept_and_moved_first():
    runs = [dict(r, run_label=name) for r, name in zip(RUNS, ["base", "a", "b"])]
    df = compare_frame(runs, baseline="b")
    assert df["run_label"].tolist() == ["base", "a", "b"]
    assert df.columns[0] == "run_label"
    assert df["latency_us_ratio"].tolist() == [0.8, 0.64, 1.0]


def test_identical_configs_get_unique_labels():
    df = compare_frame([RUNS[0], RUNS[0]])
    assert df["run_label"].tolist() == ["run0", "run1"]
    df = compare_frame([RUNS[0], RUNS[0], RUNS[1]])
    assert df["run_label"].tolist() == ["int8#0", "int8#1", "strum-dliq"]


@pytest.mark.parametrize("baseline", [3, "nope"])
def test_bad_baseline(baseline):
    with pytest.raises(ReportError, match="baseline"):
        compare_frame(RUNS, baseline=baseline)


def test_empty_input():
    with pytest.raises(ReportError, match="no runs"):
        compare_frame([])
