"""Scheduler: runs the planned layers as SimPy processes over the DPU actors.

Each layer is a loader / compute / storer pipeline with double buffering: the loader
fills one of two tile slots while the PE grid computes on the other; the storer drains
spilled outputs to DRAM. A layer's loader starts when the previous layer starts
computing (so its weights prefetch); its compute starts when the previous layer's compute
is done and its inputs exist. Layers compute one after another in topological order.

With an ideal DRAM (transfers take no time) the loader only hands tile slots over, its
ledger rows written at once, and there is no storer: a layer is done when it has computed.

Identical SRAM tiles are coalesced into at most `max_steps` pipeline steps per layer
(first and last tile kept apart, so fill and drain are timed exactly); events then grow
with the number of layers, not with the batch size or the simulated cycles.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import simpy

from hw.actors import DMA, DRAM, PPU, SRAM, FifoStore, PEGrid, TokenPool
from hw.config import DPUConfig

from .ledger import Ledger
from .plan import LayerPlan, gemm_counts

MAX_STEPS = 16


def split_even(total: int, n: int) -> np.ndarray:
    """n non-negative integers that sum exactly to `total`, as even as possible."""
    base, rem = divmod(int(total), n)
    out = np.full(n, base, dtype=np.int64)
    out[:rem] += 1
    return out


def tile_loads(p: LayerPlan) -> tuple[np.ndarray, np.ndarray]:
    """Per-tile DRAM->SRAM bytes of weights and of inputs, in execution order."""
    t = p.mapping.tiling
    nf, nm = t.f_chunks, t.m_chunks
    wchunks = split_even(p.mapping.weight_bytes, nf)
    in_loads = 0 if p.ifmap_resident else t.ifmap_chunk_bytes
    if t.order == "weights-outer":  # for f: for m
        w = np.zeros((nf, nm), dtype=np.int64)
        w[:, 0] = wchunks
        i = np.full((nf, nm), in_loads, dtype=np.int64)
    else:  # for m: for f
        w = np.tile(wchunks, (nm, 1)) if nf > 1 else np.zeros((nm, 1), dtype=np.int64)
        if nf == 1:
            w[0, 0] = wchunks[0]
        i = np.zeros((nm, nf), dtype=np.int64)
        if t.inputs_per_tile:
            i[:, :] = in_loads
        else:
            i[:, 0] = in_loads
    return w.ravel(), i.ravel()


def coalesce(n: int, max_steps: int) -> np.ndarray:
    """Start indices of the steps that group n tiles into at most max_steps."""
    if n <= max_steps:
        return np.arange(n)
    middle = np.linspace(1, n - 1, max_steps - 1, endpoint=False).astype(np.int64)
    return np.unique(np.concatenate(([0], middle, [n - 1])))


@dataclass
class Step:
    weight_bytes: int
    ifmap_bytes: int
    store_bytes: int
    cycles: int
    tiles: int


def gemm_steps(p: LayerPlan, max_steps: int) -> list[Step]:
    w, i = tile_loads(p)
    n = len(w)
    starts = coalesce(n, max_steps)
    tiles = np.diff(np.append(starts, n))
    ws = np.add.reduceat(w, starts)
    is_ = np.add.reduceat(i, starts)
    cyc = np.add.reduceat(split_even(p.mapping.compute_cycles, n), starts)
    st = np.add.reduceat(split_even(p.spill_bytes, n), starts)
    return [Step(int(a), int(b), int(c), int(d), int(e)) for a, b, c, d, e in zip(ws, is_, st, cyc, tiles)]


def vector_steps(p: LayerPlan, cfg: DPUConfig, max_steps: int) -> list[Step]:
    n = p.vector_tiles()
    cycles = math.ceil(p.layer.vector_ops / cfg.ppu.ops_per_cycle)
    starts = coalesce(n, max_steps)
    tiles = np.diff(np.append(starts, n))
    loads, spills, cyc = (np.add.reduceat(split_even(x, n), starts)
                          for x in (p.input_load_bytes, p.spill_bytes, cycles))
    return [Step(0, int(a), int(b), int(c), int(d)) for a, b, c, d in zip(loads, spills, cyc, tiles)]


@dataclass
class LayerTiming:
    load_start: float = math.inf
    compute_start: float = 0.0
    compute_end: float = 0.0
    done: float = 0.0
    busy_cycles: int = 0


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (for events/s benchmarks).

    run() is SimPy's step() inlined into one loop (same heap, same callback order, same
    crash on an undefused failed event), counting as it goes: a Python call per event
    costs about a tenth of a bare SimPy loop's time. SimPy binds its event factories
    (timeout, process, ...) to the instance only for names in the class's own __dict__,
    so a subclass re-binds them here; otherwise every env.timeout() would go through a
    descriptor and cost another 15 %.
    """

    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0
        for name, attr in vars(simpy.Environment).items():
            if isinstance(attr, simpy.core.BoundClass):
                setattr(self, name, getattr(self, name))

    def run(self, until=None):
        if until is not None:
            raise NotImplementedError("CountingEnvironment runs until the schedule is empty")
        queue, pop, n = self._queue, heapq.heappop, 0
        try:
            while queue:
                self._now, _, _, event = pop(queue)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                n += 1
                if not event._ok and not hasattr(event, "_defused"):
                    exc = type(event._value)(*event._value.args)  # as simpy.Environment.step
                    exc.__cause__ = event._value
                    raise exc
        finally:
            self.events_processed += n


class Scheduler:
    def __init__(self, plans: list[LayerPlan], cfg: DPUConfig, ledger: Ledger, max_steps: int = MAX_STEPS):
        self.plans, self.cfg, self.ledger, self.max_steps = plans, cfg, ledger, max_steps
        self.env = CountingEnvironment()
        self.dram = DRAM(self.env, cfg, ledger)
        self.dma = DMA(self.env, cfg, ledger, self.dram)
        self.sram = SRAM(cfg, self.env)
        self.pe = PEGrid(self.env, ledger)
        self.ppu = PPU(self.env, ledger)
        self.timing = {p.layer.name: LayerTiming() for p in plans}
        env = self.env
        self.compute_started = {p.layer.name: env.event() for p in plans}
        self.compute_done = {p.layer.name: env.event() for p in plans}
        self.done = {p.layer.name: env.event() for p in plans}
        self.remaining_consumers = {p.layer.name: len(p.succs) for p in plans}
        self.plans_by_name = {p.layer.name: p for p in plans}
        self.steps = self._plan_steps()

    def _plan_steps(self) -> dict[str, tuple[list[Step], int, tuple]]:
        """Each layer's pipeline steps, SRAM footprint and compute ledger rows, before time starts."""
        out = {}
        for p in self.plans:
            if p.mapping is not None:
                steps, footprint = gemm_steps(p, self.max_steps), p.mapping.tiling.footprint_bytes
            else:
                steps, footprint = vector_steps(p, self.cfg, self.max_steps), p.vector_footprint()
            out[p.layer.name] = steps, footprint, self._compute_rows(p)
        return out

    def run(self) -> float:
        names = [p.layer.name for p in self.plans]
        for i, p in enumerate(self.plans):
            self.env.process(self._layer(p, names[i - 1] if i else None, names[i - 2] if i > 1 else None))
        self.env.run()
        self.sram.settle()
        unfinished = [n for n, e in self.done.items() if not e.triggered]
        if unfinished:  # a logic error, never a user error: fail loudly rather than hang
            raise RuntimeError(f"simulation stalled; unfinished layers: {unfinished[:5]}")
        return self.env.now

    def _inputs_ready(self, p: LayerPlan):
        """Inputs on chip exist when their producer computed them, spilled ones once stored."""
        evs = [self.compute_done[q] if self.plans_by_name[q].ofmap_resident else self.done[q]
               for q in p.preds]
        return evs[0] if len(evs) == 1 else self.env.all_of(evs)  # all_of([]) fires at once

    def _layer(self, p: LayerPlan, prev: str | None, prevprev: str | None):
        env, name = self.env, p.layer.name
        if prev is not None:  # prefetch under the previous layer, never beside two others
            yield self.compute_started[prev]
        if prevprev is not None:
            yield self.done[prevprev]
        steps, footprint, compute_rows = self.steps[name]
        labels = [f"{name} step {k}" for k in range(len(steps))]  # trace span names
        self.sram.allocate(footprint, name, "tile buffers")
        slots = TokenPool(env, capacity=2, init=2)  # the two tile buffers of double buffering
        loaded = FifoStore(env)
        inputs_ready = self._inputs_ready(p)
        env.process(self._loader(p, steps, slots, loaded, inputs_ready))
        ideal = self.dma.ideal  # transfers take no time: no storer, a layer is done when computed
        computed = None if ideal else FifoStore(env)
        if not ideal:
            env.process(self._storer(p, steps, computed))
        # compute
        if prev is not None:
            yield self.compute_done[prev]
        yield inputs_ready
        t = self.timing[name]
        t.compute_start = env.now
        if p.ofmap_resident:
            self.sram.allocate(p.layer.ofmap_bytes, name, "output kept on chip")
        self.compute_started[name].succeed()
        unit = self.pe if p.mapping is not None else self.ppu
        for step, label in zip(steps, labels):
            yield loaded.get()
            yield from unit.run(step.cycles, name, label)
            t.busy_cycles += step.cycles
            slots.put(1)  # puts never block here: fire and go on, as SimPy lets a process do
            if not ideal:
                computed.put(step)
        t.compute_end = env.now
        self.ledger.add_rows(name, compute_rows)
        if ideal:
            self.dma.account(sum(s.store_bytes for s in steps), name, to_dram=True)
            t.done = env.now
            self.done[name].succeed()
        for q in p.preds:
            self.remaining_consumers[q] -= 1
            if self.remaining_consumers[q] == 0 and self.plans_by_name[q].ofmap_resident:
                self.sram.free(self.plans_by_name[q].layer.ofmap_bytes)
        self.compute_done[name].succeed()
        if not ideal:
            yield self.done[name]
        self.sram.free(footprint)

    def _loader(self, p: LayerPlan, steps: list[Step], slots, loaded, inputs_ready):
        env, name = self.env, p.layer.name
        if self.dma.ideal:  # loads take no time: all their ledger rows at once, then the slot handshake
            self.dma.account(sum(s.weight_bytes + s.ifmap_bytes for s in steps), name, to_dram=False)
            timing = self.timing[name]
            for step in steps:
                yield slots.get(1)
                timing.load_start = min(timing.load_start, env.now)
                if step.ifmap_bytes and not inputs_ready.triggered:
                    yield inputs_ready
                loaded.put(step)
            return
        for step in steps:
            yield slots.get(1)
            self.timing[name].load_start = min(self.timing[name].load_start, env.now)
            moves = []
            if step.weight_bytes:
                moves.append(self._move(step.weight_bytes, name, "weights", to_dram=False))
            if step.ifmap_bytes:
                if not inputs_ready.triggered:
                    yield inputs_ready
                moves.append(self._move(step.ifmap_bytes, name, "inputs", to_dram=False))
            if len(moves) == 1:
                yield moves[0]
            elif moves:
                yield env.all_of(moves)
            loaded.put(step)

    def _storer(self, p: LayerPlan, steps: list[Step], computed):
        env, name = self.env, p.layer.name
        for _ in steps:
            step = yield computed.get()
            if step.store_bytes:
                yield self._move(step.store_bytes, name, "outputs", to_dram=True)
        if not self.compute_done[name].triggered:
            yield self.compute_done[name]
        self.timing[name].done = env.now
        self.done[name].succeed()

    def _move(self, nbytes: int, layer: str, what: str, to_dram: bool):
        """A DMA descriptor as a process to wait for (a DRAM that takes time)."""
        return self.env.process(self.dma.move(nbytes, layer, what, to_dram))

    @staticmethod
    def _compute_rows(p: LayerPlan) -> tuple[tuple[str, str, float], ...]:
        """The ledger rows of a layer's computation: fixed by its mapping, so counted before time starts."""
        if p.mapping is not None:
            return tuple(gemm_counts(p.mapping, p.fmt, p.layer))
        # the PPU reads every input from SRAM and writes its output there
        return (("ppu", "op", p.layer.vector_ops), ("sram", "read", p.input_bytes),
                ("sram", "write", p.layer.ofmap_bytes))
