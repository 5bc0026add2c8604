"""Static plan of a run: layer order, what stays on chip, SRAM budgets, and each layer's mapping.

Residency is decided before the simulation so the SRAM can never deadlock: a layer's
output stays on chip when it has consumers and the tensors kept on chip would stay under
RESIDENT_FRACTION of the SRAM; otherwise it is spilled to DRAM and read back. The rest of
the SRAM is split evenly between a layer's double buffers and the next layer's prefetch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from hw.config import DPUConfig
from workloads import Layer

from .errors import SimulationError
from .formats import LayerFormat
from .mapper import DATAFLOWS, Mapping, dram_bytes_per_cycle, map_layer, pipeline_cycles, tile_overhead_cycles

RESIDENT_FRACTION = 0.5
VECTOR_TILES = 4  # minimum tiles of a PPU layer (pool, eltwise, concat)


@dataclass
class LayerPlan:
    index: int
    layer: Layer
    preds: list[str]
    succs: list[str]
    ifmap_resident: bool
    input_bytes: int           # bytes of all the layer's input tensors
    input_load_bytes: int      # bytes of inputs read from DRAM (inputs not on chip)
    ofmap_resident: bool
    resident_bytes: int        # on-chip tensors live while this layer runs (incl. its output)
    budget_bytes: int          # SRAM for this layer's double buffers
    fmt: LayerFormat | None = None
    mapping: Mapping | None = None
    candidates: dict[str, dict] = field(default_factory=dict)  # dataflow -> estimate

    @property
    def spill_bytes(self) -> int:
        return 0 if self.ofmap_resident else self.layer.ofmap_bytes

    def vector_tiles(self) -> int:
        """Tiles of a PPU layer: enough that double-buffered staging of its DRAM loads and
        spills fits the budget (at least a few, so loads overlap the vector work)."""
        staged = 2 * (self.input_load_bytes + self.spill_bytes)
        return max(VECTOR_TILES, -(-staged // max(1, self.budget_bytes)))

    def vector_footprint(self) -> int:
        n = self.vector_tiles()
        return 2 * (-(-self.input_load_bytes // n)) + 2 * (-(-self.spill_bytes // n))


def layer_order(g: nx.DiGraph) -> list[str]:
    """Deterministic topological order (ties broken by insertion order)."""
    rank = {n: i for i, n in enumerate(g.nodes)}
    return list(nx.lexicographical_topological_sort(g, key=lambda n: rank[n]))


def plan_residency(g: nx.DiGraph, cfg: DPUConfig) -> list[LayerPlan]:
    order = layer_order(g)
    cap = cfg.sram.bytes
    live: dict[str, int] = {}
    pending = {n: g.out_degree(n) for n in order}  # consumers not yet run
    plans = []
    for i, name in enumerate(order):
        layer: Layer = g.nodes[name]["layer"]
        # edges with data=False only order layers (SCALE-Sim topologies): no tensor flows
        preds = [q for q in g.predecessors(name) if g.edges[q, name].get("data", True)]
        succs = [q for q in g.successors(name) if g.edges[name, q].get("data", True)]
        order_preds = list(g.predecessors(name))
        resident_in = [p for p in preds if p in live]
        ifmap_resident = bool(preds) and len(resident_in) == len(preds)
        if preds:
            inputs = sum(g.nodes[p]["layer"].ofmap_bytes for p in preds)
            load = sum(g.nodes[p]["layer"].ofmap_bytes for p in preds if p not in live)
        else:
            inputs = load = layer.ifmap_bytes  # the network input comes from DRAM
        keep = bool(succs) and sum(live.values()) + layer.ofmap_bytes <= RESIDENT_FRACTION * cap
        resident = sum(live.values()) + (layer.ofmap_bytes if keep else 0)
        plans.append(LayerPlan(i, layer, preds, succs, ifmap_resident, inputs, load, keep, resident, 0))
        for p in order_preds:
            pending[p] -= 1
            if pending[p] == 0:
                live.pop(p, None)
        if keep:
            live[name] = layer.ofmap_bytes
    for i, p in enumerate(plans):
        window = [plans[j].resident_bytes for j in (i - 1, i, i + 1) if 0 <= j < len(plans)]
        p.budget_bytes = (cap - max(window)) // 2
    return plans


def lane_speedup(cfg: DPUConfig, fmt: LayerFormat | None, pe_model) -> float:
    """Lane operations per lane per cycle for this weight mix on this PE variant."""
    if fmt is None:
        return 1.0
    return pe_model.lane_ops_per_cycle(fmt.mix_fractions) / cfg.pe.lanes


def estimate(mapping: Mapping, cfg: DPUConfig, pj, fmt: LayerFormat, layer: Layer) -> dict:
    """Isolated-layer estimate used by dataflow='auto': energy, cycles and their product."""
    t = mapping.tiling
    cycles = pipeline_cycles(t.n_tiles, t.weight_chunk_bytes + t.ifmap_chunk_bytes, t.dram_read_bytes,
                             mapping.compute_cycles, dram_bytes_per_cycle(cfg), tile_overhead_cycles(cfg))
    energy = layer_dynamic_energy(mapping, fmt, layer, pj, dram_read=t.dram_read_bytes)
    return {"cycles": cycles, "energy_pj": energy, "edp": cycles * energy,
            "latency": cycles, "energy": energy}


def layer_dynamic_energy(mapping: Mapping, fmt: LayerFormat, layer: Layer, pj, dram_read: int) -> float:
    """Dynamic energy of one mapped layer: the same counts the simulation writes to its ledger."""
    return sum(count * pj(comp, action) for comp, action, count in gemm_counts(mapping, fmt, layer)) \
        + dram_read * (pj("dram", "read") + pj("dma", "transfer") + pj("sram", "write"))


def gemm_counts(mapping: Mapping, fmt: LayerFormat, layer: Layer):
    """(component, action, count) of a GEMM layer's compute, independent of timing."""
    m = layer.macs // max(1, layer.weight_count)  # uses of each weight
    mix = fmt.mix_counts
    for kind in ("mul8x8", "mul8x4", "shift"):
        yield "pe_array", kind, mix.get(kind, 0) * m
    yield "pe_array", "acc", (fmt.weights - mix.get("skip", 0)) * m
    yield "pe_array", "rf_read", mapping.rf_read_bytes
    yield "pe_array", "rf_write", mapping.rf_write_bytes
    yield "sram", "read", mapping.sram_read_bytes
    yield "sram", "write", mapping.sram_write_bytes
    yield "ppu", "op", layer.ofmap_elems  # requantization and activation of every output


def choose_mapping(p: LayerPlan, cfg: DPUConfig, dataflow: str, pj, pe_model, objective: str) -> None:
    """Fill p.mapping: the given dataflow, or for 'auto' the one minimising `objective`."""
    speed = lane_speedup(cfg, p.fmt, pe_model)
    options = DATAFLOWS if dataflow == "auto" else (dataflow,)
    best = None
    for df in options:
        try:
            m = map_layer(p.layer, cfg, df, weight_bytes=p.fmt.stored_bytes, lane_speedup=speed,
                          ifmap_resident=p.ifmap_resident, ofmap_resident=p.ofmap_resident,
                          budget_bytes=p.budget_bytes)
        except SimulationError:
            if dataflow != "auto":
                raise
            continue
        est = estimate(m, cfg, pj, p.fmt, p.layer)
        p.candidates[df] = est
        if best is None or est[objective] < best[0]:
            best = (est[objective], m)
    if best is None:
        map_layer(p.layer, cfg, DATAFLOWS[0], weight_bytes=p.fmt.stored_bytes, lane_speedup=speed,
                  ifmap_resident=p.ifmap_resident, ofmap_resident=p.ofmap_resident,
                  budget_bytes=p.budget_bytes)  # raises the informative error
    p.mapping = best[1]
