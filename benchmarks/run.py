"""archsim speed and memory benchmarks (issue 5). Timings depend on the machine: not a test.

    python benchmarks/run.py            # full set, ~40 s on a 2-vCPU VM
    python benchmarks/run.py --quick    # a fast subset, ~20 s
    python benchmarks/run.py --out my.csv --repeat 7
    python benchmarks/run.py --tree ../old-checkout   # benchmark another checkout's code

Every case runs in a fresh Python subprocess, so one case's caches and memory do not
leak into the next; peak memory is that child's high-water resident set (VmHWM, which
includes the interpreter and imported libraries; the RSS right after `import archsim`
is reported beside it). Wall times use time.perf_counter; "best" is the minimum of
--repeat runs, the usual estimator on a shared, noisy machine. Ratios (events/s against
a bare SimPy loop, batch-N against batch 1) are measured in the same child, interleaved,
so machine noise affects both sides alike.

Output: a tidy CSV (section, case, metric, value, unit, note) at --out, default
benchmarks/results/bench.csv, and the same table on stdout.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "bench.csv"
FIELDS = ("section", "case", "metric", "value", "unit", "note")

#: the two ResNet-50 cases of issue 5: SCALE-Sim's 54 shapes on its 32x32 array (its
#: ResNet-50 os run took ~570 s and 0.7 GB), and the zoo network on the FlexNN preset
RESNET50_CASES = (
    ("resnet50_scalesim", "scalesim32", "int8", "os"),
    ("resnet50", "flexnn", "int8", "auto"),
)
BATCHES = (1, 2, 4, 8, 16, 32, 64)
QUICK_BATCHES = (1, 8, 64)
SCHEMES = ("int8", "int4", "strum-dliq", "strum-mip2q", "nm")
BARE_EVENTS = 200_000
BARE_PROCESSES = 10


# ------------------------------------------------------------------ child side

def _peak_rss_mb() -> float:
    """High-water RSS of this process in MB (VmHWM: not inherited from the parent across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def bare_simpy_events_per_s(n_events: int = BARE_EVENTS, processes: int = BARE_PROCESSES) -> float:
    """Events/s of a bare SimPy loop: `processes` processes that only wait on timeouts."""
    import simpy

    def ticker(env, k):
        for _ in range(k):
            yield env.timeout(1)

    env = simpy.Environment()
    for _ in range(processes):
        env.process(ticker(env, n_events // processes))
    t0 = time.perf_counter()
    env.run()
    return n_events / (time.perf_counter() - t0)


class _LoopTimer:
    """Times Scheduler.run (the SimPy event-loop phase of simulate()) without touching the library."""

    def __init__(self) -> None:
        from archsim import scheduler
        self.seconds = 0.0
        original = scheduler.Scheduler.run
        timer = self

        def timed_run(sched):
            t0 = time.perf_counter()
            try:
                return original(sched)
            finally:
                timer.seconds = time.perf_counter() - t0

        scheduler.Scheduler.run = timed_run


def child_resnet50(workload: str, hw: str, quant: str, dataflow: str, repeat: int) -> dict:
    """Cold and warm simulate(), event-loop time, events/s against a bare SimPy loop, memory."""
    t0 = time.perf_counter()
    import archsim
    from archsim import formats
    import_s = time.perf_counter() - t0
    rss_import = _rss_mb()
    loop = _LoopTimer()

    t0 = time.perf_counter()
    r = archsim.simulate(workload, hw, quant=quant, dataflow=dataflow)
    cold_s = time.perf_counter() - t0
    events, cycles = int(r.summary["events"].iloc[0]), r.cycles

    warm, loops, bare = [], [], []
    for _ in range(repeat):  # interleaved, so noise hits both sides of the ratio alike
        t0 = time.perf_counter()
        archsim.simulate(workload, hw, quant=quant, dataflow=dataflow)
        warm.append(time.perf_counter() - t0)
        loops.append(loop.seconds)
        bare.append(bare_simpy_events_per_s())

    requant = [float("nan")]  # weights generated and quantized again, imports and config warm
    cache = getattr(formats, "_synthetic_format", None)  # the in-process weight-format cache
    for _ in range(max(1, repeat // 3) if hasattr(cache, "cache_clear") else 0):
        cache.cache_clear()
        t0 = time.perf_counter()
        archsim.simulate(workload, hw, quant=quant, dataflow=dataflow)
        requant.append(time.perf_counter() - t0)
    requant = [x for x in requant if x == x] or requant
    return {
        "import_s": import_s, "cold_s": cold_s, "warm_s": min(warm),
        "loop_s": min(loops), "requantize_s": min(requant), "events": events, "cycles": cycles,
        "bare_events_per_s": max(bare), "rss_after_import_mb": rss_import,
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_cold(workload: str, hw: str, quant: str, dataflow: str) -> dict:
    """A fresh interpreter's `import archsim` and first simulate() (weights synthesized and quantized)."""
    t0 = time.perf_counter()
    import archsim
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    archsim.simulate(workload, hw, quant=quant, dataflow=dataflow)
    return {"import_s": import_s, "cold_s": time.perf_counter() - t0, "peak_rss_mb": _peak_rss_mb()}


def child_tracemalloc(workload: str, hw: str, quant: str, dataflow: str) -> dict:
    """Peak of memory allocated during one cold simulate() (Python objects and numpy arrays)."""
    import tracemalloc
    import archsim
    tracemalloc.start()
    archsim.simulate(workload, hw, quant=quant, dataflow=dataflow)
    _, peak = tracemalloc.get_traced_memory()
    return {"traced_peak_mb": peak / 2 ** 20}


def child_batches(workload: str, hw: str, quant: str, dataflow: str, batches: list[int], repeat: int) -> dict:
    """Warm simulate() wall time per batch size (weights are batch-independent, quantized once)."""
    import archsim
    archsim.simulate(workload, hw, quant=quant, dataflow=dataflow)  # quantize the weights once
    out = {}
    best = {b: float("inf") for b in batches}
    info = {}
    for _ in range(repeat):  # interleave batch sizes so drift in machine load cancels out
        for b in batches:
            t0 = time.perf_counter()
            r = archsim.simulate(workload, hw, quant=quant, dataflow=dataflow, batch=b)
            best[b] = min(best[b], time.perf_counter() - t0)
            info[b] = (r.cycles, int(r.summary["events"].iloc[0]))
    for b in batches:
        out[str(b)] = {"wall_s": best[b], "cycles": info[b][0], "events": info[b][1]}
    return out


def child_quant(workload: str, schemes: list[str], stride: int, repeat: int) -> dict:
    """quant.quantize throughput (weights/s) over a network's synthetic layer weights, per scheme."""
    import quant
    import workloads
    from archsim.formats import layer_seed
    g = workloads.load(workload)
    layers = [g.nodes[n]["layer"] for n in g.nodes]
    layers = [l for l in layers if l.has_weights][::stride]
    t0 = time.perf_counter()
    tensors = [quant.synthetic_weights(l.weight_shape, layer_seed(0, l.name)) for l in layers]
    gen_s = time.perf_counter() - t0
    n = sum(w.size for w in tensors)
    out = {"weights": n, "layers": len(tensors), "synthetic_weights_per_s": n / gen_s}
    for scheme in schemes:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            for w in tensors:
                quant.quantize(w, scheme)
            best = min(best, time.perf_counter() - t0)
        out[scheme] = n / best
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def child_sweep(workers: int, quick: bool) -> dict:
    """Points per second of archsim.sweep over a small ResNet-18 grid, `workers` local processes."""
    import tempfile
    try:
        from archsim.sweep import sweep
    except Exception as e:  # noqa: BLE001 - the row records why it was skipped
        return {"skipped": f"archsim.sweep not importable: {type(e).__name__}: {e}"}
    sram = [2 ** 20, 2 ** 21] if quick else [2 ** 19, 2 ** 20, 2 ** 21, 2 ** 22]
    spec = {"base": {"workload": "resnet18", "hw": "flexnn", "quant": "int8"},
            "axes": {"sram.bytes": sram, "dataflow": ["ws", "os", "is", "auto"]}}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        df = sweep(spec, tmp, workers=workers, progress=False)
        wall = time.perf_counter() - t0
    ok = int((df["status"] == "ok").sum())
    return {"points": len(df), "ok": ok, "wall_s": wall, "points_per_s": len(df) / wall}


CHILDREN = {"resnet50": child_resnet50, "cold": child_cold, "tracemalloc": child_tracemalloc,
            "batches": child_batches, "quant": child_quant, "sweep": child_sweep}


def _child_main(name: str, args_json: str) -> None:
    result = CHILDREN[name](*json.loads(args_json))
    print(json.dumps(result))


# ----------------------------------------------------------------- parent side

#: the checkout whose code the children import (--tree); this script's own by default
TREE = ROOT


def run_child(name: str, *args) -> dict:
    """Run one benchmark function in a fresh interpreter and return its JSON result."""
    env = dict(os.environ, PYTHONPATH=str(TREE))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", name, json.dumps(args)],
                          cwd=TREE, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {name}{args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, section: str, case: str, metric: str, value, unit: str = "", note: str = "") -> None:
        if isinstance(value, float):
            value = float(f"{value:.6g}")
        self.rows.append(dict(section=section, case=case, metric=metric, value=value, unit=unit, note=note))
        print(f"{section:10s} {case:34s} {metric:30s} {value!s:>14s} {unit:10s} {note}", flush=True)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
            w.writeheader()
            w.writerows(self.rows)
        os.replace(tmp, path)


def bench_environment(t: Table) -> None:
    import simpy  # only for its version; the parent does no simulation
    t.add("env", "machine", "python", platform.python_version())
    t.add("env", "machine", "simpy", simpy.__version__)
    t.add("env", "machine", "platform", platform.platform())
    t.add("env", "machine", "cpus", os.cpu_count())
    t.add("env", "machine", "date", time.strftime("%Y-%m-%d %H:%M:%S"))
    t.add("env", "machine", "command", " ".join(["python", "benchmarks/run.py", *sys.argv[1:]]))
    t.add("env", "machine", "code", str(TREE))


def bench_resnet50(t: Table, repeat: int, cold_repeat: int) -> dict:
    results = {}
    for workload, hw, quant, dataflow in RESNET50_CASES:
        case = f"{workload}/{hw}/{quant}/{dataflow}"
        r = run_child("resnet50", workload, hw, quant, dataflow, repeat)
        colds = [run_child("cold", workload, hw, quant, dataflow) for _ in range(cold_repeat)]
        r["import_s"] = min(c["import_s"] for c in colds + [r])
        r["cold_s"] = min(c["cold_s"] for c in colds + [r])
        r["peak_rss_mb"] = max(c["peak_rss_mb"] for c in colds + [r])
        results[case] = r
        t.add("resnet50", case, "simulated_cycles", r["cycles"], "cycles")
        t.add("resnet50", case, "events", r["events"], "events", "SimPy events processed")
        t.add("resnet50", case, "import_s", r["import_s"], "s",
              f"import archsim in a fresh interpreter, best of {cold_repeat + 1}")
        t.add("resnet50", case, "cold_simulate_s", r["cold_s"], "s",
              f"first simulate() in a fresh interpreter (synthesizes and quantizes all weights), "
              f"best of {cold_repeat + 1}")
        t.add("resnet50", case, "requantize_simulate_s", r["requantize_s"], "s",
              "weight cache cleared, imports warm: weights synthesized and quantized again")
        t.add("resnet50", case, "warm_simulate_s", r["warm_s"], "s",
              f"best of {repeat}; weight formats from the in-process cache")
        t.add("resnet50", case, "warm_event_loop_s", r["loop_s"], "s", "Scheduler.run only")
        t.add("resnet50", case, "simulated_cycles_per_s_warm", r["cycles"] / r["warm_s"], "cycles/s")
        t.add("resnet50", case, "rss_after_import_mb", r["rss_after_import_mb"], "MB")
        t.add("resnet50", case, "peak_rss_mb", r["peak_rss_mb"], "MB",
              "VmHWM of the child (interpreter and libraries included), worst of the runs")
        tm = run_child("tracemalloc", workload, hw, quant, dataflow)
        t.add("resnet50", case, "traced_peak_mb", tm["traced_peak_mb"], "MB",
              "tracemalloc peak during one cold simulate()")
    return results


def bench_events(t: Table, results: dict) -> None:
    for case, r in results.items():
        bare = r["bare_events_per_s"]
        whole = r["events"] / r["warm_s"]
        loop = r["events"] / r["loop_s"]
        t.add("events", case, "bare_simpy_events_per_s", bare, "events/s",
              f"{BARE_PROCESSES} processes yielding timeouts, {BARE_EVENTS} events, same child")
        t.add("events", case, "loop_events_per_s", loop, "events/s", "events / Scheduler.run time (warm)")
        t.add("events", case, "loop_ratio_to_bare", loop / bare, "x")
        t.add("events", case, "whole_events_per_s", whole, "events/s",
              "events / whole warm simulate() (planning, mapping, reports included)")
        t.add("events", case, "whole_ratio_to_bare", whole / bare, "x")


def bench_batches(t: Table, batches: tuple[int, ...], repeat: int) -> None:
    for workload, hw, quant, dataflow in RESNET50_CASES:
        case = f"{workload}/{hw}/{quant}/{dataflow}"
        r = run_child("batches", workload, hw, quant, dataflow, list(batches), repeat)
        base = r[str(batches[0])]
        for b in batches:
            x = r[str(b)]
            note = f"cycles x{x['cycles'] / base['cycles']:.1f}, events x{x['events'] / base['events']:.2f}"
            t.add("batch", case, f"batch{b}_warm_s", x["wall_s"], "s", f"best of {repeat}")
            t.add("batch", case, f"batch{b}_ratio_to_batch1", x["wall_s"] / base["wall_s"], "x", note)


def bench_quant(t: Table, quick: bool, repeat: int) -> None:
    stride = 4 if quick else 1
    r = run_child("quant", "resnet50", list(SCHEMES), stride, repeat)
    case = f"resnet50 weights ({r['layers']} layers, {r['weights']} weights)"
    t.add("quant", case, "synthetic_weights_per_s", r["synthetic_weights_per_s"], "weights/s",
          "quant.synthetic_weights (seeded Student-t draws)")
    for scheme in SCHEMES:
        t.add("quant", case, f"{scheme}_weights_per_s", r[scheme], "weights/s",
              f"quant.quantize, best of {repeat}")
    t.add("quant", case, "peak_rss_mb", r["peak_rss_mb"], "MB", "all layers' float32 weights held at once")


def bench_sweep(t: Table, quick: bool) -> None:
    for workers in (1, 2):
        r = run_child("sweep", workers, quick)
        case = f"resnet18 sram x dataflow grid, workers={workers}"
        if "skipped" in r:
            t.add("sweep", case, "points_per_s", "", "points/s", "skipped: " + r["skipped"])
            continue
        t.add("sweep", case, "points", r["points"], "points",
              f"{r['ok']} ok; fresh interpreter, each worker quantizes the weights once")
        t.add("sweep", case, "wall_s", r["wall_s"], "s")
        t.add("sweep", case, "points_per_s", r["points_per_s"], "points/s")


def bench_targets(t: Table, results: dict, batch_rows: list[dict]) -> None:
    """Issue 5's targets, each with its measured value and whether it is met."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"
    for case, r in results.items():
        t.add("target", case, "warm_simulate_under_1s", r["warm_s"], "s", verdict(r["warm_s"] < 1.0))
        t.add("target", case, "cold_simulate_under_1s", r["cold_s"], "s", verdict(r["cold_s"] < 1.0))
        t.add("target", case, "peak_rss_under_300mb", r["peak_rss_mb"], "MB", verdict(r["peak_rss_mb"] < 300))
        loop = r["events"] / r["loop_s"] / r["bare_events_per_s"]
        whole = r["events"] / r["warm_s"] / r["bare_events_per_s"]
        t.add("target", case, "loop_events_ratio_at_least_0.5", loop, "x", verdict(loop >= 0.5))
        t.add("target", case, "whole_events_ratio_at_least_0.5", whole, "x", verdict(whole >= 0.5))
    for row in batch_rows:
        if row["metric"].startswith("batch64_ratio"):
            t.add("target", row["case"], "batch64_at_most_few_x_batch1", row["value"], "x",
                  verdict(row["value"] <= 3.0) + " (few = 3)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        _child_main(argv[1], argv[2])
        return 0
    ap = argparse.ArgumentParser(description="archsim speed and memory benchmarks")
    ap.add_argument("--quick", action="store_true", help="a fast subset (fewer repeats, batches, layers)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"CSV path (default {DEFAULT_OUT.relative_to(ROOT)})")
    ap.add_argument("--repeat", type=int, default=None, help="repeats per timing (best-of); default 7, quick 3")
    ap.add_argument("--tree", type=Path, default=ROOT,
                    help="benchmark the code of this checkout (default: this one)")
    args = ap.parse_args(argv)
    global TREE
    TREE = args.tree.resolve()
    repeat = args.repeat or (3 if args.quick else 7)
    t = Table()
    bench_environment(t)
    results = bench_resnet50(t, repeat, 1 if args.quick else 3)
    bench_events(t, results)
    n = len(t.rows)
    bench_batches(t, QUICK_BATCHES if args.quick else BATCHES, repeat)
    batch_rows = t.rows[n:]
    bench_quant(t, args.quick, 1 if args.quick else 2)
    bench_sweep(t, args.quick)
    bench_targets(t, results, batch_rows)
    t.write(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
