"""Randomized check that hw.actors' lean SimPy primitives behave exactly like SimPy's own.

    python tests/lean_equivalence.py [--scenarios 2000] [--seed 0]

FifoResource, FifoStore and TokenPool replace simpy.Resource, simpy.Store and
simpy.Container in the simulator's hot loop. The claim is strong: the same events, at
the same times, processed in the same order, so results stay byte-identical. This
script runs random scenarios (processes that request and release resources, put and get
items and tokens, and wait, with many zero-delay ties) once on SimPy's classes and once on
the lean ones, and compares the complete trace: every resumption of every process with
its simulated time and the value it received, plus the number of events processed.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hw.actors import FifoResource, FifoStore, TokenPool  # noqa: E402


class Stock:
    resource = staticmethod(lambda env, capacity: simpy.Resource(env, capacity=capacity))
    store = staticmethod(lambda env: simpy.Store(env))
    pool = staticmethod(lambda env, capacity, init: simpy.Container(env, capacity=capacity, init=init))


class Lean:
    resource = staticmethod(lambda env, capacity: FifoResource(env, capacity=capacity))
    store = staticmethod(lambda env: FifoStore(env))
    pool = staticmethod(lambda env, capacity, init: TokenPool(env, capacity=capacity, init=init))


def scenario(seed: int) -> dict:
    """A random program: resources, stores, pools, and per-process lists of operations."""
    rng = random.Random(seed)
    spec = {
        "resources": [rng.randint(1, 3) for _ in range(rng.randint(1, 3))],
        "stores": rng.randint(1, 2),
        "pools": [(c, rng.randint(0, c)) for c in (rng.randint(1, 4) for _ in range(rng.randint(1, 2)))],
        "procs": [],
    }
    for _ in range(rng.randint(2, 8)):
        ops = []
        for _ in range(rng.randint(1, 12)):
            kind = rng.choice(["hold", "put", "get", "tput", "tget", "wait", "spawn"])
            if kind == "hold":
                ops.append(("hold", rng.randrange(len(spec["resources"])), rng.choice([0, 0, 1, 2, 3])))
            elif kind in ("put", "get"):
                ops.append((kind, rng.randrange(spec["stores"]), rng.randint(0, 99)))
            elif kind in ("tput", "tget"):
                i = rng.randrange(len(spec["pools"]))
                ops.append((kind, i, rng.randint(1, spec["pools"][i][0])))
            elif kind == "wait":
                ops.append(("wait", rng.choice([0, 0, 1, 2, 5]), 0))
            else:
                ops.append(("spawn", rng.randrange(len(spec["resources"])), rng.choice([0, 1, 2])))
        spec["procs"].append((rng.choice([0, 0, 1, 2]), ops))
    return spec


def run(spec: dict, impl) -> tuple[list, int]:
    env = simpy.Environment()
    resources = [impl.resource(env, c) for c in spec["resources"]]
    stores = [impl.store(env) for _ in range(spec["stores"])]
    pools = [impl.pool(env, c, i) for c, i in spec["pools"]]
    trace = []

    def holder(pid, res, dt):
        with res.request() as req:
            yield req
            trace.append((env.now, pid, "granted"))
            yield env.timeout(dt)
        trace.append((env.now, pid, "released"))

    def proc(pid, start, ops):
        yield env.timeout(start)
        for k, (kind, a, b) in enumerate(ops):
            if kind == "hold":
                yield from holder(pid, resources[a], b)
            elif kind == "put":
                yield stores[a].put((pid, b))
            elif kind == "get":
                got = yield stores[a].get()
                trace.append((env.now, pid, "got", got))
            elif kind == "tput":
                yield pools[a].put(b)
            elif kind == "tget":
                yield pools[a].get(b)
            elif kind == "wait":
                yield env.timeout(a)
            else:  # a concurrent holder, joined later by nobody: tests interleaving with a sibling
                env.process(holder(f"{pid}.{k}", resources[a], b))
            trace.append((env.now, pid, k, kind))

    for pid, (start, ops) in enumerate(spec["procs"]):
        env.process(proc(pid, start, ops))
    events = 0
    while True:
        try:
            env.step()
        except simpy.core.EmptySchedule:
            break
        events += 1
    return trace, events


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    for s in range(args.seed, args.seed + args.scenarios):
        spec = scenario(s)
        stock, lean = run(spec, Stock), run(spec, Lean)
        if stock != lean:
            print(f"scenario {s}: traces differ\nstock: {stock}\nlean:  {lean}")
            return 1
    print(f"{args.scenarios} random scenarios: identical traces and event counts (SimPy {simpy.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
