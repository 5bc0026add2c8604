"""Perfetto / chrome://tracing JSON: valid, one thread per component, times in microseconds."""
import json

import numpy as np
import pytest

from reports import ReportError, chrome_trace, write_trace

SPANS = [
    ("pe_array", "conv1", "compute", 100, 400),
    ("dma", "conv1", "load_w", 0, 100),
    ("sram", "conv1", "read", 100, 400),
    ("dma", "conv2", "load_w", 120, 300),
    ("pe_array", "conv2", "compute", 400, 1000),
]


def _threads(trace):
    return {e["tid"]: e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"}


def test_trace_file_parses_and_has_one_thread_per_component(tmp_path):
    path = write_trace(SPANS, tmp_path / "trace.json", clock_ghz=1.25, metadata={"workload": "resnet18"})
    trace = json.loads(path.read_text())
    assert trace["displayTimeUnit"] == "ns"
    assert trace["otherData"] == {"clock_ghz": 1.25, "workload": "resnet18"}
    events = trace["traceEvents"]
    assert {e["ph"] for e in events} == {"M", "X"}
    assert all(e["pid"] == 1 for e in events)
    process = [e for e in events if e["name"] == "process_name"]
    assert [e["args"]["name"] for e in process] == ["archsim"]
    threads = _threads(trace)
    assert sorted(threads.values()) == ["dma", "pe_array", "sram"]
    for e in events:
        if e["ph"] == "X":
            assert threads[e["tid"]] == e["cat"]


def test_durations_match_cycles_over_clock():
    clock = 1.25
    trace = chrome_trace(SPANS, clock)
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == len(SPANS)
    for e, (component, layer, name, start, end) in zip(complete, SPANS):
        assert e["name"] == name and e["cat"] == component
        assert e["args"] == {"layer": layer, "cycles": end - start}
        assert e["ts"] == start / (clock * 1000)
        assert e["dur"] == (end - start) / (clock * 1000)
    assert complete[-1]["dur"] == pytest.approx(0.48)


def test_overlapping_spans_of_one_component_get_overflow_threads():
    spans = [("dma", "l", "a", 0, 50), ("dma", "l", "b", 10, 60), ("dma", "l", "c", 55, 70)]
    trace = chrome_trace(spans, 1.0)
    threads = _threads(trace)
    tids = [e["tid"] for e in trace["traceEvents"] if e["ph"] == "X"]
    assert [threads[t] for t in tids] == ["dma", "dma #2", "dma"]


def test_numpy_numbers_and_missing_layers_serialize(tmp_path):
    spans = [("ppu", None, "op", np.int64(3), np.float64(7.5)), ("ppu", float("nan"), "op", 8, 9)]
    trace = json.loads(write_trace(spans, tmp_path / "t.json", np.float64(2.0)).read_text())
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert complete[0]["args"] == {"layer": None, "cycles": 4.5}
    assert complete[1]["args"]["layer"] is None


@pytest.mark.parametrize("spans, clock, match", [
    ([("dma", "l", "x", 10, 5)], 1.0, "end_cycle"),
    ([("dma", "l", "x", 0, float("inf"))], 1.0, "end_cycle"),
    ([("dma", "l", "x", 0)], 1.0, "span 0"),
    ([], 0.0, "clock_ghz"),
])
def test_bad_input_is_rejected(spans, clock, match):
    with pytest.raises(ReportError, match=match):
        chrome_trace(spans, clock)


def test_large_trace_is_fast_enough():
    spans = [("pe_array" if i % 3 else "dma", f"l{i // 1000}", "t", i * 10, i * 10 + 8) for i in range(100_000)]
    trace = chrome_trace(spans, 1.0)
    assert sum(e["ph"] == "X" for e in trace["traceEvents"]) == 100_000
