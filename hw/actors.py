"""SimPy actors of the DPU: DRAM, DMA engine, SRAM, PE grid and post-processing unit.

Time is in cycles of the DPU clock. Every actor writes what it does to a ledger with
``add(layer, component, action, count)`` and ``span(component, layer, name, start, end)``.
"""
from __future__ import annotations

import math
from collections import deque
from heapq import heappush

import simpy
from simpy.events import NORMAL, PENDING, Event

from .config import DPUConfig
from .errors import ConfigError

#: a DRAM transfer is served in at most this many chunks, so concurrent streams interleave
#: (and share bandwidth) at chunk granularity without one event per burst
DRAM_CHUNKS = 4


def _fired(env: simpy.Environment, callback=None, value=None) -> Event:
    """A new event, already succeeded with `value` (and `callback`): Event() + append + succeed(value), inlined.

    Scheduling pushes onto SimPy 4's event heap directly, as Environment.schedule does (same
    time, priority and sequence number), to save two Python calls per event in the hot loop;
    pyproject pins simpy < 5 for that, and tests/lean_equivalence.py would catch a change.
    """
    event = Event(env)
    if callback is not None:
        event.callbacks.append(callback)
    event._ok, event._value = True, value
    heappush(env._queue, (env._now, NORMAL, next(env._eid), event))  # env.schedule(event), inlined
    return event


class FifoResource:
    """A first-come first-served resource with `capacity` slots: simpy.Resource, lean.

    It schedules the same events at the same moments as simpy.Resource (a request event
    when a slot is granted; a release event whose processing grants the next waiting
    request), so simulated times and event order are unchanged; it skips SimPy's generic
    put/get queue machinery, which made requests and releases the simulator's most
    expensive events. Use as ``with res.request() as req: yield req``, or request() ...
    release(req) in hot loops. This class, FifoStore and TokenPool are checked against
    SimPy's own by tests/lean_equivalence.py.
    """

    def __init__(self, env: simpy.Environment, capacity: int = 1) -> None:
        self.env, self.capacity = env, capacity
        self.users = 0
        self.waiting: deque[Request] = deque()

    def request(self) -> Request:
        req = Request(self)
        if self.users < self.capacity and not self.waiting:  # free, nobody ahead: granted at once
            self.users += 1
            req._ok, req._value = True, None
            heappush(self.env._queue, (self.env._now, NORMAL, next(self.env._eid), req))  # req.succeed()
        else:
            self.waiting.append(req)
            self._grant_next()
        return req

    def release(self, req: Request) -> None:
        if req._value is not PENDING:  # granted
            self.users -= 1
        else:  # never granted: withdraw it
            self.waiting.remove(req)
        _fired(self.env, self._grant_next)

    def _grant_next(self, _event: Event | None = None) -> None:
        if self.waiting and self.users < self.capacity:
            self.users += 1
            self.waiting.popleft().succeed()


class Request(Event):
    """A FifoResource request: an event that fires when the slot is granted; released on exit."""

    def __init__(self, resource: FifoResource) -> None:
        self.env, self.callbacks, self.resource = resource.env, [], resource  # Event.__init__, inlined

    def __enter__(self) -> Request:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is GeneratorExit:  # process torn down by the garbage collector: only withdraw
            if not self.triggered:
                self.resource.waiting.remove(self)
            return
        self.resource.release(self)


class FifoStore:
    """An unbounded first-in first-out store of items: simpy.Store, lean (same events, same order).

    put() always succeeds at once; its event, when processed, hands the oldest item to the
    oldest waiting get().
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.items: deque = deque()
        self.getters: deque[Event] = deque()

    def put(self, item) -> Event:
        self.items.append(item)
        return _fired(self.env, self._serve_getter)

    def get(self) -> Event:
        if self.items and not self.getters:  # an item and nobody ahead: served at once
            return _fired(self.env, value=self.items.popleft())
        got = Event(self.env)
        self.getters.append(got)
        self._serve_getter()
        return got

    def _serve_getter(self, _event: Event | None = None) -> None:
        if self.getters and self.items:
            self.getters.popleft().succeed(self.items.popleft())


class TokenPool:
    """`capacity` interchangeable tokens (e.g. tile buffers): simpy.Container, lean.

    get(n) waits until n tokens are free, put(n) until n fit; both are served first come
    first served, and a processed put (get) serves waiting gets (puts), as in SimPy.
    """

    def __init__(self, env: simpy.Environment, capacity: int, init: int = 0) -> None:
        self.env, self.capacity, self.level = env, capacity, init
        self.putters: deque[tuple[Event, int]] = deque()
        self.getters: deque[tuple[Event, int]] = deque()

    def put(self, amount: int = 1) -> Event:
        if not self.putters and self.level + amount <= self.capacity:  # fits, nobody ahead
            self.level += amount
            return _fired(self.env, self._serve_getters)
        ev = Event(self.env)
        ev.callbacks.append(self._serve_getters)
        self.putters.append((ev, amount))
        self._serve_putters()
        return ev

    def get(self, amount: int = 1) -> Event:
        if not self.getters and self.level >= amount:  # enough tokens, nobody ahead
            self.level -= amount
            return _fired(self.env, self._serve_putters)
        ev = Event(self.env)
        ev.callbacks.append(self._serve_putters)
        self.getters.append((ev, amount))
        self._serve_getters()
        return ev

    def _serve_putters(self, _event: Event | None = None) -> None:
        while self.putters and self.level + self.putters[0][1] <= self.capacity:
            ev, amount = self.putters.popleft()
            self.level += amount
            ev.succeed()

    def _serve_getters(self, _event: Event | None = None) -> None:
        while self.getters and self.level >= self.getters[0][1]:
            ev, amount = self.getters.popleft()
            self.level -= amount
            ev.succeed()


class DRAM:
    """Off-chip memory: one shared data port of `bytes_per_cycle`, plus a fixed access latency."""

    def __init__(self, env: simpy.Environment, cfg: DPUConfig, ledger) -> None:
        self.env, self.ledger = env, ledger
        self.ideal = cfg.dram.type == "ideal"
        self.bw = cfg.dram.bytes_per_cycle
        self.latency = cfg.dram.latency_cycles
        self.burst = cfg.dram.burst_bytes
        self.port = FifoResource(env, capacity=1)
        self.busy_cycles = 0
        self._chunk_cycles: dict[int, tuple[int, ...]] = {}

    def chunk_cycles(self, nbytes: int) -> tuple[int, ...]:
        """Port cycles of each chunk of an `nbytes` transfer (whole bursts; the first chunks may get one more)."""
        cycles = self._chunk_cycles.get(nbytes)
        if cycles is None:
            bursts = math.ceil(nbytes / self.burst)
            chunks = min(DRAM_CHUNKS, bursts)
            per_chunk, longer = divmod(bursts, chunks)
            cycles = tuple(math.ceil((per_chunk + (i < longer)) * self.burst / self.bw) for i in range(chunks))
            self._chunk_cycles[nbytes] = cycles
        return cycles

    def transfer(self, nbytes: int, layer: str, write: bool):
        """Process: move `nbytes` over the port (reads pay the latency first)."""
        self.ledger.add(layer, "dram", "write" if write else "read", nbytes)
        if self.ideal or nbytes <= 0:
            return
        timeout, port = self.env.timeout, self.port
        if not write and self.latency:
            yield timeout(self.latency)
        for cycles in self.chunk_cycles(nbytes):
            req = port.request()
            yield req
            self.busy_cycles += cycles
            yield timeout(cycles)
            port.release(req)


class DMA:
    """`channels` descriptor engines moving tiles between DRAM and SRAM, each with a setup cost."""

    def __init__(self, env: simpy.Environment, cfg: DPUConfig, ledger, dram: DRAM) -> None:
        self.env, self.ledger, self.dram = env, ledger, dram
        self.channels = FifoResource(env, capacity=cfg.dma.channels)
        self.setup = cfg.dma.setup_cycles
        self.bw = cfg.dma.bytes_per_cycle
        self.ideal = dram.ideal

    def account(self, nbytes: int, layer: str, to_dram: bool) -> None:
        """The ledger rows of a descriptor that takes no time (an ideal DRAM)."""
        self.ledger.add_rows(layer, (("dma", "transfer", nbytes),
                                     ("sram", "read" if to_dram else "write", nbytes),
                                     ("dram", "write" if to_dram else "read", nbytes)))

    def move(self, nbytes: int, layer: str, what: str, to_dram: bool):
        """Process: one descriptor, DRAM -> SRAM (a load) or SRAM -> DRAM (a store)."""
        if nbytes <= 0:
            return
        if self.ideal:
            self.account(nbytes, layer, to_dram)
            return
        self.ledger.add_rows(layer, (("dma", "transfer", nbytes), ("sram", "read" if to_dram else "write", nbytes)))
        env = self.env
        req = self.channels.request()
        yield req
        start = env.now
        if self.setup:
            yield env.timeout(self.setup)
        yield from self.dram.transfer(nbytes, layer, write=to_dram)
        floor = self.setup + math.ceil(nbytes / self.bw)
        if env.now - start < floor:
            yield env.timeout(floor - (env.now - start))
        self.channels.release(req)
        self.ledger.span("dma", layer, ("store " if to_dram else "load ") + what, start, env.now)


class SRAM:
    """Software-managed scratchpad: tile buffers are allocated and freed; overflow is an error.

    Occupancy is counted per cycle, after all of that cycle's reservations and releases: a
    buffer released in a cycle makes room for one reserved in the same cycle, whatever order
    SimPy runs the cycle's events in (the released buffer's last use ends where the reserved
    one's first use begins). `peak` is the largest occupancy of a cycle; a cycle that ends
    over capacity is an error, raised when the next cycle opens or at settle().
    Without an environment every call is its own cycle.
    """

    def __init__(self, cfg: DPUConfig, env: simpy.Environment | None = None) -> None:
        self.capacity = cfg.sram.bytes
        self.env = env
        self.used = 0
        self.peak = 0
        self._cycle = None  # the cycle whose reservations and releases are not settled yet
        self._overflow: tuple[str, str, int] | None = None  # the open cycle's last reservation past capacity

    def allocate(self, nbytes: int, layer: str, what: str) -> None:
        """Reserve `nbytes` for `what` of `layer` (the message is built only on overflow)."""
        self._open_cycle()
        self.used += nbytes
        if self.used > self.capacity:
            self._overflow = (layer, what, nbytes)
            if self.env is None:
                self.settle()

    def free(self, nbytes: int) -> None:
        self._open_cycle()
        self.used -= nbytes
        assert self.used >= 0, "SRAM freed more than it allocated"

    def settle(self) -> None:
        """Close the open cycle: record its occupancy; fail if it ends over capacity."""
        if self.used > self.capacity:
            layer, what, nbytes = self._overflow
            raise ConfigError(
                f"sram.bytes={self.capacity}: layer {layer!r} {what} needs {nbytes} bytes, and at "
                f"cycle {self._cycle} {self.used} bytes would be in use; use a larger SRAM or "
                "smaller tiles")
        self.peak = max(self.peak, self.used)
        self._overflow = None

    def _open_cycle(self) -> None:
        now = self.env.now if self.env is not None else None
        if now is None or now != self._cycle:
            self.settle()
            self._cycle = now


class ComputeUnit:
    """An exclusive engine that holds for a given number of cycles: the PE grid or the PPU."""

    def __init__(self, env: simpy.Environment, ledger, component: str) -> None:
        self.env, self.ledger, self.component = env, ledger, component
        self.unit = FifoResource(env, capacity=1)
        self.busy_cycles = 0

    def run(self, cycles: int, layer: str, name: str):
        """Process: occupy the unit for `cycles`."""
        req = self.unit.request()
        yield req
        start = self.env.now
        yield self.env.timeout(cycles)
        self.busy_cycles += cycles
        self.unit.release(req)
        self.ledger.span(self.component, layer, name, start, start + cycles)


def PEGrid(env: simpy.Environment, ledger) -> ComputeUnit:
    """The rows x cols x lanes MAC array; one layer's tile at a time."""
    return ComputeUnit(env, ledger, "pe_array")


def PPU(env: simpy.Environment, ledger) -> ComputeUnit:
    """Post-processing / vector unit: pooling, eltwise adds, concatenation."""
    return ComputeUnit(env, ledger, "ppu")
