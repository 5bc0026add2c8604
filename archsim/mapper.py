"""Mapper: one layer + one dataflow -> spatial unrolling, folds, SRAM tiling and access counts.

The GEMM view of a layer (DESIGN.md section 3): M = N*P*Q output pixels, Kr = C*R*S/groups
reduction, F = K/groups filters, G groups; filters of all groups are mapped together
(Fg = F*G), the reduction stays within a group.

    ws  Kr over rows, Fg over cols, M in time      (weights stay in the PE register files)
    os  M over rows,  Fg over cols, Kr in time     (partial sums stay in the PEs)
    is  Kr over rows, M over cols,  Fg in time     (inputs stay in the PEs)

Lanes split Kr (``vxv``) or Fg (``mxm``). Everything here is a pure function of its
arguments; the scheduler turns the tiling into timed SimPy work.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hw.config import DPUConfig
from workloads import Layer

from . import systolic
from .errors import SimulationError

DATAFLOWS = ("ws", "os", "is")
#: GEMM dimension mapped onto the array's rows and columns, per dataflow (module docstring)
ARRAY_AXES = {"ws": ("Kr", "Fg"), "os": ("M", "Fg"), "is": ("Kr", "M")}
PSUM_BYTES = 4  # partial sums spilled to SRAM as 32-bit words
#: pipeline fill of the broadcast (multicast) array per tile: SRAM read, RF write, MAC,
#: adder tree; a model assumption, not a measured figure
BROADCAST_FILL_CYCLES = 4
MIN_TILES = 4  # at least this many SRAM tiles (when the layer allows) so loads overlap compute
MAX_TILES = 4096  # more tiles than this buy no overlap worth the bookkeeping


@dataclass(frozen=True)
class Tiling:
    """How a layer's tensors are cut into SRAM tiles (DRAM <-> SRAM granularity)."""
    order: str           # "weights-outer": weight chunk loaded once, inputs stream under it
    f_chunks: int        # chunks of the filter axis (weights)
    m_chunks: int        # chunks of the output-row axis (inputs/outputs)
    weight_chunk_bytes: int
    ifmap_chunk_bytes: int
    ofmap_chunk_bytes: int
    footprint_bytes: int  # double-buffered SRAM bytes the layer needs beyond resident tensors
    dram_read_bytes: int
    n_tiles: int
    #: True when every tile loads its own input slice (grouped layers: each filter chunk
    #: needs only its groups' channels); False when an input chunk serves all filter chunks
    inputs_per_tile: bool = False


@dataclass(frozen=True)
class Mapping:
    layer: str
    dataflow: str
    spatial: tuple[tuple[str, str, int], ...]  # (array axis, GEMM dim, size used)
    folds: tuple[tuple[str, int], ...]        # temporal folds per GEMM dim
    macs: int
    mac_cycles: int        # MAC-limited cycles (fill/drain included)
    compute_cycles: int    # max(MAC cycles, SRAM-bandwidth cycles), tile by tile
    utilization: float     # macs / (compute_cycles * peak MACs per cycle)
    weight_bytes: int      # stored (packed) weight bytes
    sram_read_bytes: int   # PE-side operand reads from SRAM
    sram_write_bytes: int  # PE-side partial-sum and output writes to SRAM
    rf_read_bytes: int
    rf_write_bytes: int
    tiling: Tiling

    def folds_of(self, dim: str) -> int:
        return dict(self.folds).get(dim, 1)


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def dram_bytes_per_cycle(cfg: DPUConfig) -> float:
    """DRAM bandwidth as the timing model sees it (an ideal DRAM moves data in no time)."""
    return math.inf if cfg.dram.type == "ideal" else cfg.dram.bytes_per_cycle


def tile_overhead_cycles(cfg: DPUConfig) -> float:
    """Fixed cost of one tile's load: DMA descriptor setup plus DRAM access latency."""
    return 0.0 if cfg.dram.type == "ideal" else cfg.dma.setup_cycles + cfg.dram.latency_cycles


def spatial_assignment(layer: Layer, cfg: DPUConfig, dataflow: str) -> dict[str, int]:
    """Spatial parallelism per GEMM dim (product of the array axes mapped onto it)."""
    if dataflow not in DATAFLOWS:
        raise SimulationError(f"dataflow={dataflow!r}: allowed values are {', '.join(DATAFLOWS)}, auto")
    pe = cfg.pe
    axes = ARRAY_AXES[dataflow]
    par = {"M": 1, "Kr": 1, "Fg": 1}
    par[axes[0]] *= pe.rows
    par[axes[1]] *= pe.cols
    par["Kr" if pe.lane_mode == "vxv" else "Fg"] *= pe.lanes
    return par


def _array_cycles(layer: Layer, cfg: DPUConfig, dataflow: str, lane_speedup: float) -> tuple[int, dict]:
    """MAC-limited cycles of the whole layer on the array, and the temporal folds."""
    m, kr, f, g = layer.gemm
    fg = f * g
    par = spatial_assignment(layer, cfg, dataflow)
    folds = {"M": _cdiv(m, par["M"]), "Kr": _cdiv(kr, par["Kr"]), "Fg": _cdiv(fg, par["Fg"])}
    pe = cfg.pe
    if pe.interconnect == "systolic":
        # SCALE-Sim's fold timing: folds serialized, full fill and drain each time.
        kr_eff = _cdiv(kr, pe.lanes) if pe.lane_mode == "vxv" else kr
        f_eff = _cdiv(f, pe.lanes) if pe.lane_mode == "mxm" else f
        cycles = g * systolic.scalesim_cycles(m, kr_eff, f_eff, pe.rows, pe.cols, dataflow)
        if lane_speedup != 1.0:  # packed PEs / skipped weights shorten every fold alike
            cycles = math.ceil(cycles / lane_speedup)
    else:
        steps = folds["M"] * folds["Kr"] * folds["Fg"]
        cycles = math.ceil(steps / lane_speedup)
    return cycles, folds


def _operand_traffic(layer: Layer, par: dict, folds: dict, dataflow: str, wb: float) -> tuple[int, int]:
    """(SRAM read bytes, SRAM write bytes) between SRAM and the PE register files."""
    m, kr, f, g = layer.gemm
    fg = f * g
    weights = kr * fg * wb
    inputs = m * kr * g  # im2col reads (an upper bound: no line-buffer reuse modelled)
    outputs = m * fg
    # an input is re-streamed once per column fold holding filters of its own group
    in_passes = _cdiv(f, par["Fg"])
    psum_passes = folds["Kr"] if dataflow in ("ws", "is") else 1
    if dataflow == "ws":
        reads = weights + inputs * in_passes
    elif dataflow == "os":
        reads = inputs * in_passes + weights * folds["M"]
    else:  # is
        reads = inputs + weights * folds["M"]
    psum_writes = outputs * PSUM_BYTES * (psum_passes - 1)
    psum_reads = psum_writes
    return int(round(reads + psum_reads)), int(outputs + psum_writes)


def pipeline_cycles(n_tiles: int, first_load_bytes: float, dram_bytes: float, compute_cycles: float,
                    dram_bytes_per_cycle: float, tile_overhead_cycles: float) -> float:
    """Estimated cycles of a double-buffered tile pipeline: the first tile's load is exposed,
    then each tile costs the larger of its compute and its load (DMA setup, DRAM latency
    and transfer), as the scheduler runs them."""
    first = tile_overhead_cycles + first_load_bytes / dram_bytes_per_cycle
    per_tile_load = tile_overhead_cycles + dram_bytes / n_tiles / dram_bytes_per_cycle
    return first + n_tiles * max(per_tile_load, compute_cycles / n_tiles)


def choose_tiling(layer: Layer, weight_bytes: int, *, ifmap_resident: bool, ofmap_resident: bool,
                  budget_bytes: int, compute_cycles: int = 0, dram_bytes_per_cycle: float = math.inf,
                  tile_overhead_cycles: float = 0.0) -> Tiling:
    """Pick SRAM tile counts and loop order within the SRAM budget.

    Objective, in order: enough tiles to overlap loads with compute, fewest DRAM bytes,
    shortest estimated pipeline (pipeline_cycles), fewest tiles.
    """
    n_rows = layer.N * layer.P  # output rows across the batch
    fg = layer.K
    grouped = layer.groups > 1
    ifmap = layer.ifmap_bytes
    ofmap = layer.ofmap_bytes
    min_tiles = min(MIN_TILES, n_rows * fg)
    best_key, best = None, None
    capped = False
    m_options = sorted({_cdiv(n_rows, _cdiv(n_rows, min(n_rows, 2 ** i)))  # tile counts that hold data
                        for i in range(0, 31) if 2 ** i <= 2 * n_rows} | {n_rows})
    f_options = sorted({min(fg, 2 ** i) for i in range(0, 31) if 2 ** i <= 2 * fg} | {fg})
    for nm in m_options:
        rows = _cdiv(n_rows, nm)
        in_rows = min(layer.H, (min(rows, layer.P) - 1) * layer.stride + layer.R)
        images = max(1, _cdiv(rows, layer.P))
        it = 0 if ifmap_resident else min(ifmap, images * in_rows * layer.W * layer.C * layer.a_bits // 8)
        for nf in f_options:
            n_tiles = nm * nf
            if n_tiles > MAX_TILES:
                capped = True
                continue
            # grouped layers: a filter chunk needs only the input channels of its groups
            it_tile = _cdiv(it * _cdiv(layer.groups, nf), layer.groups) if grouped else it
            wt = _cdiv(weight_bytes, nf)
            ot = 0 if ofmap_resident else _cdiv(ofmap, nm * nf)
            footprint = 2 * wt + 2 * it_tile + 2 * ot
            if footprint > budget_bytes:
                continue
            unpipelined = n_tiles < min_tiles
            for order in ("weights-outer", "inputs-outer"):
                inputs = n_tiles * it_tile if (grouped or order == "weights-outer") else nm * it
                weights = weight_bytes if (order == "weights-outer" or nf == 1) else nm * weight_bytes
                dram = inputs + weights
                if best_key is not None and (unpipelined, dram) > best_key[:2]:
                    continue  # loses on the first criteria already: skip the pipeline estimate
                est = pipeline_cycles(n_tiles, wt + it_tile, dram, compute_cycles, dram_bytes_per_cycle,
                                      tile_overhead_cycles)
                key = (unpipelined, dram, round(est), n_tiles, order)
                if best_key is None or key < best_key:
                    in_chunk = it_tile if grouped else it
                    best_key, best = key, (order, nf, nm, wt, in_chunk, ot, footprint, dram, n_tiles, grouped)
    if best is None:
        need = 2 * (_cdiv(weight_bytes, fg) + (0 if ifmap_resident else layer.R * layer.W * layer.C)
                    + (0 if ofmap_resident else _cdiv(ofmap, n_rows * fg)))
        why = (f"; tilings that fit need more than {MAX_TILES} tiles (a smaller batch helps)"
               if capped and need <= budget_bytes else "; use a larger sram.bytes")
        raise SimulationError(
            f"layer {layer.name!r}: its smallest double-buffered tile needs {need} bytes of SRAM "
            f"and only {budget_bytes} are free for it{why}")
    return Tiling(*best)


def map_layer(layer: Layer, cfg: DPUConfig, dataflow: str, *, weight_bytes: int,
              lane_speedup: float = 1.0, ifmap_resident: bool = False, ofmap_resident: bool = False,
              budget_bytes: int | None = None) -> Mapping:
    """Map one GEMM layer (conv, dwconv, fc, matmul) under one dataflow.

    weight_bytes: stored bytes of the layer's weights in its quantization format.
    lane_speedup: lane operations per cycle per lane for this weight mix (packed StruM PEs > 1).
    """
    if not layer.has_weights:
        raise SimulationError(f"layer {layer.name!r}: op={layer.op!r} has no GEMM view; it runs on the PPU")
    budget = cfg.sram.bytes if budget_bytes is None else budget_bytes
    par = spatial_assignment(layer, cfg, dataflow)
    mac_cycles, folds = _array_cycles(layer, cfg, dataflow, lane_speedup)
    wb = weight_bytes / max(1, layer.weight_count)
    sram_reads, sram_writes = _operand_traffic(layer, par, folds, dataflow, wb)
    tiling = choose_tiling(layer, weight_bytes, ifmap_resident=ifmap_resident,
                           ofmap_resident=ofmap_resident, budget_bytes=budget,
                           compute_cycles=mac_cycles, dram_bytes_per_cycle=dram_bytes_per_cycle(cfg),
                           tile_overhead_cycles=tile_overhead_cycles(cfg))
    if cfg.pe.interconnect == "broadcast":
        mac_cycles += BROADCAST_FILL_CYCLES * tiling.n_tiles
    bw_cycles = _cdiv(sram_reads + sram_writes, cfg.sram.bytes_per_cycle)
    compute_cycles = max(mac_cycles, bw_cycles)
    macs = layer.macs
    peak = cfg.pe.peak_macs_per_cycle
    rf_reads = int(round(macs * (layer.a_bits / 8 + wb)))
    spatial = tuple((axis, dim, size) for axis, dim, size in _spatial_axes(cfg, dataflow))
    return Mapping(
        layer=layer.name, dataflow=dataflow, spatial=spatial,
        folds=tuple(sorted(folds.items())), macs=macs, mac_cycles=mac_cycles,
        compute_cycles=compute_cycles, utilization=macs / (compute_cycles * peak),
        weight_bytes=weight_bytes, sram_read_bytes=sram_reads, sram_write_bytes=sram_writes,
        rf_read_bytes=rf_reads, rf_write_bytes=sram_reads, tiling=tiling)


def _spatial_axes(cfg: DPUConfig, dataflow: str):
    rows_dim, cols_dim = ARRAY_AXES[dataflow]
    lane_dim = "Kr" if cfg.pe.lane_mode == "vxv" else "Fg"
    return (("rows", rows_dim, cfg.pe.rows), ("cols", cols_dim, cfg.pe.cols), ("lanes", lane_dim, cfg.pe.lanes))
