"""Closed-form fold timing of a rows x cols systolic array, SCALE-Sim 3.0.0 compatible.

Pure functions of integers (numpy only, no simulator state). Two timing models:

* ``scalesim_cycles``: SCALE-Sim 3.0.0's ``Total Cycles`` (COMPUTE_REPORT.csv, CALC mode).
  Folds run one after another and every fold pays its full pipeline fill and drain. This is
  archsim's ``interconnect: systolic`` timing.
* ``overlapped_cycles``: consecutive folds overlap, so the fill/drain is paid once per
  pipeline restart (once per layer by default, or once per SRAM tile), and each fold adds
  only its temporal length. This is the fold timing of archsim's default
  ``interconnect: broadcast`` model.

GEMM view (``Layer.gemm`` = (M, Kr, F, G)): M output pixels (N*P*Q), Kr reduction length
(C/G*R*S), F filters per group, G groups. SCALE-Sim's own notation (its topology_utils /
systolic_compute_*.py, and shared/reference/scalesim/README.md) maps onto it as::

    SCALE-Sim   archsim   meaning
    R           rows      ArrayHeight
    C           cols      ArrayWidth
    M           M         output pixels = OFMAP_H * OFMAP_W (ifmap operand-matrix rows)
    K           Kr        Filter_H * Filter_W * Channels (the im2col window)
    N           F         Num Filter

and each SCALE-Sim compute class calls the dimension mapped on the array rows ``Sr``, the one
on the columns ``Sc`` and the streamed (temporal) one ``T``:

    dataflow   Sr (rows)   Sc (cols)   T (time)
    os         M           F           Kr
    ws         Kr          F           M
    is         Kr          M           F

Fold timing derivation (from SCALE-Sim's demand matrices: one matrix row = one cycle).
A fold's OFMAP demand block is padded to the full array and then skewed, which adds
``cols - 1`` rows:

* os: prefix ``T - 1`` (operands streaming in) + ``rows`` (outputs drain row by row) +
  skew ``cols - 1``  ->  ``T + rows + cols - 2`` cycles per fold;
* ws, is: prefix ``2*rows - 1`` (``rows`` cycles to load the stationary operand, ``rows - 1``
  for the first partial sum to cross the array) + ``T`` + skew ``cols - 1``  ->
  ``T + 2*rows + cols - 2`` cycles per fold.

SCALE-Sim reports ``Total Cycles`` as the (0-based) cycle index of the last OFMAP write, i.e.
the number of demand rows minus one, so::

    scalesim_cycles = row_folds * col_folds * (T + fill_drain) - 1
    fill_drain      = rows + cols - 2      (os)
                    = 2*rows + cols - 2    (ws, is)

Input stationary is the same code path as weight stationary with the two operands swapped:
SCALE-Sim's ``systolic_compute_is`` keeps a fold of the (transposed) ifmap operand matrix in
the array exactly as ``systolic_compute_ws`` keeps a fold of the filter matrix, and streams
the filters as ``ws`` streams the ifmap. So M and F exchange roles and
``is(M, Kr, F) == ws(F, Kr, M)`` for cycles, folds and the utilization columns.

These formulas equal SCALE-Sim 3.0.0's ``Total Cycles`` on all 54 ResNet-50 layers for os and
ws on 32x32 (shared/reference/scalesim/), and on 162 synthetic layers run through SCALE-Sim
3.0.0 itself for os, ws and is on 8x4, 4x8, 16x8, 5x7, 7x3 and 32x32 arrays
(tests/data/scalesim/scalesim_synthetic_reference.csv, made by gen_synthetic_reference.py).

Groups: SCALE-Sim has no grouped convolution. A topology row whose name contains ``DP`` is
split into ``Channels`` one-channel layers that run one after another. archsim generalizes
that: the G groups of a grouped/depthwise layer run one after another, each a GEMM of
(M, Kr, F), so ``scalesim_cycles(..., groups=G) == G * scalesim_cycles(...)``. (A depthwise
layer is G = C groups of (M, R*S, 1); a SCALE-Sim ``DP`` row reproduces it only when its Num
Filter is 1, since SCALE-Sim keeps the row's Num Filter for every channel.)
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .errors import SimulationError

DATAFLOWS = ("os", "ws", "is")

__all__ = [
    "DATAFLOWS", "array_dims", "fold_counts", "num_folds", "temporal_length",
    "fill_drain_cycles", "scalesim_fold_cycles", "scalesim_cycles", "overlapped_cycles",
    "mapping_efficiency", "compute_util", "overall_util", "ideal_cycles",
]

# Folds summed per numpy chunk when reproducing SCALE-Sim's per-fold float accumulation.
_CHUNK = 1 << 20


def _check(dataflow: str, **dims: int) -> None:
    if dataflow not in DATAFLOWS:
        raise SimulationError(f"dataflow={dataflow!r} is not one of {DATAFLOWS}")
    for name, v in dims.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise SimulationError(f"{name}={v!r} must be a positive integer")


def _cdiv(a: int, b: int) -> int:
    return -(-int(a) // int(b))


def array_dims(M: int, Kr: int, F: int, dataflow: str) -> tuple[int, int, int]:
    """(Sr, Sc, T): the GEMM dimension mapped on the array rows, on the columns, and in time.

    os: (M, F, Kr); ws: (Kr, F, M); is: (Kr, M, F).
    """
    _check(dataflow, M=M, Kr=Kr, F=F)
    M, Kr, F = int(M), int(Kr), int(F)
    if dataflow == "os":
        return M, F, Kr
    if dataflow == "ws":
        return Kr, F, M
    return Kr, M, F


def fold_counts(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str) -> tuple[int, int]:
    """(row_folds, col_folds) = (ceil(Sr / rows), ceil(Sc / cols)) for one group.

    os: M over rows, F over cols (Kr in time); ws: Kr over rows, F over cols (M in time);
    is: Kr over rows, M over cols (F in time).
    """
    _check(dataflow, rows=rows, cols=cols)
    sr, sc, _ = array_dims(M, Kr, F, dataflow)
    return _cdiv(sr, rows), _cdiv(sc, cols)


def num_folds(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str) -> int:
    """row_folds * col_folds for one group (the reference CSVs' ``folds`` column)."""
    rf, cf = fold_counts(M, Kr, F, rows, cols, dataflow)
    return rf * cf


def temporal_length(M: int, Kr: int, F: int, dataflow: str) -> int:
    """T, the GEMM dimension streamed through the array in time: os Kr, ws M, is F."""
    return array_dims(M, Kr, F, dataflow)[2]


def fill_drain_cycles(rows: int, cols: int, dataflow: str) -> int:
    """Per-fold pipeline overhead of SCALE-Sim's model: os rows+cols-2; ws, is 2*rows+cols-2."""
    _check(dataflow, rows=rows, cols=cols)
    if dataflow == "os":
        return int(rows) + int(cols) - 2
    return 2 * int(rows) + int(cols) - 2


def scalesim_fold_cycles(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str) -> int:
    """Cycles one fold occupies in SCALE-Sim's serialized model: T + fill_drain."""
    return temporal_length(M, Kr, F, dataflow) + fill_drain_cycles(rows, cols, dataflow)


def scalesim_cycles(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str,
                    groups: int = 1) -> int:
    """SCALE-Sim 3.0.0's ``Total Cycles`` (CALC mode) of a GEMM (M x Kr) . (Kr x F).

    ``groups * (row_folds * col_folds * (T + fill_drain) - 1)``: folds serialized, each with a
    full fill and drain, and the trailing ``-1`` of SCALE-Sim's 0-based last-write cycle index
    (paid per group, as SCALE-Sim reports each ``DP`` channel as its own layer).

    os: ceil(M/rows)  * ceil(F/cols) * (Kr + rows + cols - 2)   - 1
    ws: ceil(Kr/rows) * ceil(F/cols) * (M  + 2*rows + cols - 2) - 1
    is: ceil(Kr/rows) * ceil(M/cols) * (F  + 2*rows + cols - 2) - 1
    """
    _check(dataflow, groups=groups)
    per_group = num_folds(M, Kr, F, rows, cols, dataflow) * \
        scalesim_fold_cycles(M, Kr, F, rows, cols, dataflow) - 1
    return int(groups) * per_group


def overlapped_cycles(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str,
                      groups: int = 1, tiles: int = 1, fill_cycles: int | None = None) -> int:
    """Cycles of the GEMM when consecutive folds overlap (archsim's ``broadcast`` fold timing).

    ``groups * row_folds * col_folds * T + tiles * fill``: every fold keeps the array busy for
    its temporal length T only, because the next fold's operands enter while the previous
    fold drains; the pipeline fill/drain ``fill`` is paid once per restart. ``tiles`` is the
    number of restarts for the whole layer (1 = once per layer; the number of SRAM tiles when
    the pipeline empties between tiles). The G groups are simply more folds of the same
    stream. ``fill_cycles`` defaults to the systolic skew of ``fill_drain_cycles`` (os
    rows+cols-2, ws/is 2*rows+cols-2); pass a smaller figure for a multicast array.

    This is a duration (number of cycles), not SCALE-Sim's last-cycle index, so with the
    default fill, ``groups=1`` and ``tiles == num_folds`` it equals ``scalesim_cycles + 1``,
    and in general ``scalesim_cycles(groups=G) - overlapped_cycles(groups=G, tiles=t)
    == (G * folds - t) * fill_drain - G``.
    """
    _check(dataflow, groups=groups, tiles=tiles)
    fill = fill_drain_cycles(rows, cols, dataflow) if fill_cycles is None else fill_cycles
    if isinstance(fill, bool) or not isinstance(fill, (int, np.integer)) or fill < 0:
        raise SimulationError(f"fill_cycles={fill_cycles!r} must be a non-negative integer")
    folds = num_folds(M, Kr, F, rows, cols, dataflow)
    return int(groups) * folds * temporal_length(M, Kr, F, dataflow) + int(tiles) * int(fill)


def ideal_cycles(M: int, Kr: int, F: int, rows: int, cols: int, groups: int = 1) -> int:
    """ceil(groups * M * Kr * F / (rows * cols)): every PE busy every cycle."""
    return _cdiv(int(groups) * int(M) * int(Kr) * int(F), int(rows) * int(cols))


# --- SCALE-Sim's utilization columns --------------------------------------------------
def _fold_classes(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str):
    """Per-fold used rows/cols: (rf, cf, [(rows_used_full, rows_used_last)], [...])."""
    sr, sc, t = array_dims(M, Kr, F, dataflow)
    rf, cf = _cdiv(sr, rows), _cdiv(sc, cols)
    r_last = sr - (rf - 1) * rows
    c_last = sc - (cf - 1) * cols
    return rf, cf, (int(rows), r_last), (int(cols), c_last), t


def _sequential_mean(table: list[list[float]], rf: int, cf: int) -> float:
    """Mean of the per-fold values, summed in SCALE-Sim's order with plain float adds.

    SCALE-Sim appends one value per fold (column folds outer, row folds inner) and returns
    ``sum(list) / len(list)``; on Python <= 3.11 (the reference runs), ``sum`` of floats
    adds left to right. ``table[i][j]`` is the value of a fold whose row fold is the last
    one (i=1) or not (i=0), and likewise for the column fold (j). numpy's ``cumsum`` adds
    sequentially, so this is bit-identical, in chunks of ``_CHUNK`` folds.
    """
    tab = np.asarray(table, dtype=np.float64)
    n = rf * cf
    acc = 0.0
    for start in range(0, n, _CHUNK):
        idx = np.arange(start, min(n, start + _CHUNK), dtype=np.int64)
        vals = tab[(idx % rf == rf - 1).astype(np.intp), (idx // rf == cf - 1).astype(np.intp)]
        seq = np.empty(len(vals) + 1, dtype=np.float64)
        seq[0] = acc
        seq[1:] = vals
        acc = float(np.cumsum(seq)[-1])
    return acc / n


def mapping_efficiency(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str,
                       exact: bool = False) -> float:
    """SCALE-Sim's ``Mapping Efficiency %``: mean over folds of used PEs / (rows*cols), in percent.

    A fold uses min(rows, remaining Sr) x min(cols, remaining Sc) PEs. With ``exact=False``
    (default) the per-fold values are accumulated as SCALE-Sim 3.0.0 does on Python 3.11
    (bit-identical to its report); ``exact=True`` returns the exact mean (as a correctly
    rounded float), which differs from it only in the last bits.
    """
    _check(dataflow, rows=rows, cols=cols)
    rf, cf, (rfull, rlast), (cfull, clast), _ = _fold_classes(M, Kr, F, rows, cols, dataflow)
    pes = int(rows) * int(cols)
    if exact:
        used = ((rf - 1) * rfull + rlast) * ((cf - 1) * cfull + clast)
        return float(Fraction(used * 100, pes * rf * cf))
    table = [[(r * c) / pes for c in (cfull, clast)] for r in (rfull, rlast)]
    return _sequential_mean(table, rf, cf) * 100


def _util_fold_cycles(T: int, rows: int, cols: int, dataflow: str) -> int:
    """The per-fold cycle count SCALE-Sim uses in ``Compute Util %``.

    os: rows + cols + T - 2 (its fold time). ws, is: 2*rows + 2*cols + T - 3, which is
    ``cols - 1`` more than the fold time 2*rows + cols + T - 2, because SCALE-Sim measures it
    on the unskewed filter (ws) / ifmap (is) demand block and still adds its width - 1.
    """
    if dataflow == "os":
        return T + rows + cols - 2
    return T + 2 * rows + 2 * cols - 3


def compute_util(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str,
                 exact: bool = False) -> float:
    """SCALE-Sim's ``Compute Util %``: mean over folds of used_PEs * T / (rows*cols*fold_cycles).

    ``fold_cycles`` is as in ``_util_fold_cycles`` (for ws/is it is ``cols - 1`` longer than the
    fold's time in ``scalesim_cycles``: a quirk of SCALE-Sim, kept to match its report).
    ``exact`` as in ``mapping_efficiency``.
    """
    _check(dataflow, rows=rows, cols=cols)
    rf, cf, (rfull, rlast), (cfull, clast), t = _fold_classes(M, Kr, F, rows, cols, dataflow)
    rows, cols = int(rows), int(cols)
    pes = rows * cols
    fc = _util_fold_cycles(t, rows, cols, dataflow)
    if exact:
        used = ((rf - 1) * rfull + rlast) * ((cf - 1) * cfull + clast)
        return float(Fraction(used * t * 100, pes * fc * rf * cf))
    table = [[(r * c * t) / (pes * fc) for c in (cfull, clast)] for r in (rfull, rlast)]
    return _sequential_mean(table, rf, cf) * 100


def overall_util(M: int, Kr: int, F: int, rows: int, cols: int, dataflow: str,
                 groups: int = 1) -> float:
    """SCALE-Sim's ``Overall Util %``: MACs * 100 / (Total Cycles * rows * cols).

    Per SCALE-Sim layer; for groups > 1 (a split ``DP`` layer) every group has the same value,
    which is also the value of the whole layer.
    """
    _check(dataflow, groups=groups)
    cycles = scalesim_cycles(M, Kr, F, rows, cols, dataflow)
    if cycles < 1:
        raise SimulationError(f"overall_util undefined: scalesim_cycles={cycles} for a 1-cycle GEMM")
    return (int(M) * int(Kr) * int(F) * 100) / (cycles * int(rows) * int(cols))
