"""Trace spans -> a Chrome Trace Event / Perfetto JSON timeline (load it at ui.perfetto.dev or chrome://tracing).

One process, ``archsim``; one thread per component, in order of first appearance. A trace
viewer only draws properly nested slices on one thread, so when spans of one component
partially overlap (e.g. several DMA channels in flight) the extra ones go on overflow
threads named ``"<component> #2"``, ``"#3"``, ... placed right below the component's own.
"""
from __future__ import annotations

import heapq
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .atomic import write_bytes_atomic
from .errors import ReportError

PID = 1
PROCESS_NAME = "archsim"


def _number(value: Any, field: str, i: int) -> int | float:
    """A cycle stamp as a plain JSON-able number; numpy scalars are converted."""
    kind = type(value)
    if (kind is int or kind is float) and math.isfinite(value):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ReportError(f"span {i}: {field}={value!r} must be a finite number of cycles")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _label(layer: Any) -> str | int | None:
    """A layer name as JSON: missing (None, NaN) becomes null, anything else not str/int becomes str."""
    if layer is None or (isinstance(layer, float) and math.isnan(layer)):
        return None
    return layer if isinstance(layer, (str, int)) and not isinstance(layer, bool) else str(layer)


def _lanes(starts: list, ends: list, order: list[int]) -> list[int]:
    """Give each span (indices in ``order``) the lowest free lane so no two spans in a lane overlap."""
    order = sorted(order, key=lambda j: (starts[j], -ends[j]))
    busy: list[tuple] = []
    free: list[int] = []
    count = 0
    lane_of = {}
    for j in order:
        while busy and busy[0][0] <= starts[j]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane, count = count, count + 1
        lane_of[j] = lane
        heapq.heappush(busy, (ends[j], lane))
    return [lane_of[j] for j in sorted(lane_of)]


def chrome_trace(spans: Iterable, clock_ghz: float, metadata: Mapping | None = None) -> dict:
    """Spans ``(component, layer, name, start_cycle, end_cycle)`` -> a trace dict ready for ``json.dump``.

    Complete events (``"ph": "X"``) carry ``ts`` and ``dur`` in microseconds
    (cycles / (clock_ghz * 1000)) and ``args`` ``{layer, cycles}``; ``metadata`` goes to
    ``otherData`` (e.g. workload, hw, clock) and should be JSON-serializable.
    """
    if isinstance(clock_ghz, bool) or not isinstance(clock_ghz, numbers.Real) \
            or not math.isfinite(clock_ghz) or clock_ghz <= 0:
        raise ReportError(f"chrome_trace: clock_ghz={clock_ghz!r} must be a finite number > 0")
    cycles_per_us = float(clock_ghz) * 1000.0

    components, layers, names, starts, ends = [], [], [], [], []
    by_component: dict[str, list[int]] = {}
    for i, span in enumerate(spans):
        try:
            component, layer, name, start, end = span
        except (TypeError, ValueError):
            raise ReportError(f"span {i}: {span!r} is not (component, layer, name, start_cycle, end_cycle)") from None
        start, end = _number(start, "start_cycle", i), _number(end, "end_cycle", i)
        if end < start:
            raise ReportError(f"span {i}: end_cycle={end!r} is before start_cycle={start!r}")
        component = str(component)
        by_component.setdefault(component, []).append(i)
        components.append(component)
        layers.append(_label(layer))
        names.append(str(name))
        starts.append(start)
        ends.append(end)

    events: list[dict] = [
        {"ph": "M", "pid": PID, "tid": 0, "name": "process_name", "args": {"name": PROCESS_NAME}},
    ]
    tid_of = [0] * len(starts)
    next_tid = 1
    for component, members in by_component.items():
        lanes = _lanes(starts, ends, members)
        for j, lane in zip(members, lanes):
            tid_of[j] = next_tid + lane
        for lane in range(max(lanes) + 1):
            label = component if lane == 0 else f"{component} #{lane + 1}"
            tid = next_tid + lane
            events.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": {"name": label}})
            events.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}})
        next_tid += max(lanes) + 1

    for i in range(len(starts)):
        cycles = ends[i] - starts[i]
        events.append({
            "ph": "X", "pid": PID, "tid": tid_of[i], "name": names[i], "cat": components[i],
            "ts": starts[i] / cycles_per_us, "dur": cycles / cycles_per_us,
            "args": {"layer": layers[i], "cycles": cycles},
        })

    trace = {"traceEvents": events, "displayTimeUnit": "ns"}
    other = {"clock_ghz": float(clock_ghz)}
    other.update(metadata or {})
    trace["otherData"] = other
    return trace


def write_trace(spans: Iterable, path: str | os.PathLike, clock_ghz: float,
                metadata: Mapping | None = None) -> Path:
    """Write ``chrome_trace(spans, clock_ghz, metadata)`` to ``path`` as compact JSON, atomically."""
    return dump_trace(chrome_trace(spans, clock_ghz, metadata), path)


def dump_trace(trace: Mapping, path: str | os.PathLike) -> Path:
    """Write an already built trace dict to ``path`` as compact JSON, atomically."""
    text = json.dumps(trace, separators=(",", ":"), allow_nan=False, default=str)
    return write_bytes_atomic(path, text.encode("utf-8"))
