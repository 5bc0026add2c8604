"""The two StruM low-precision formats for the non-selected INT8 codes of a block.

Both work on whole blocks: the int16 codes q (..., L) and the bool mask hp of the positions
that keep their INT8 code; the other (low-precision) positions of each block are coded here.
Each low code's result depends on its value q in [-128, 127] only (and on the block's shift
for DLIQ), so both formats are table lookups indexed by q + 128 + 256 * hp: the upper half of
a table holds what a high-precision position gets (zero fields, q_hat = q).

DLIQ: q ~ q4 * 2^e_b, q4 in [-8, 7], one shift e_b per block chosen from 0..shift_max
to minimise the squared error over the block's low-precision members (ties: smaller e).
Rounding is to nearest: ties to even by default (unbiased), or ties toward +inf as the
plain hardware rounding shift (q + 2^(e-1)) >> e does; that bias is +1/2 step per value
and adds up linearly along a dot product (measured in docs/accuracy.md).

MIP2Q: q ~ sign * 2^e, e in [0, 6], stored as 1 sign bit + a 3-bit exponent code
(code 0 = the value zero, code c = 2^(c-1)). Only q = 0 maps to zero.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

Q4_MIN, Q4_MAX = -8, 7
EXP_MAX = 6
#: integers below 2^53 add exactly in float64, in any order
_F64_EXACT_BITS = 53

_Q = np.arange(-128, 128)          # every INT8 code, table index q + 128


def _table_index(q: np.ndarray, hp: np.ndarray, spacing: int = 1) -> np.ndarray:
    """intp (q + 128 + 256 * hp) * spacing: q's entry in a table of 512 rows of `spacing`
    entries whose upper half serves hp positions."""
    idx = np.left_shift(hp, 8, dtype=np.int16)
    idx += q
    idx += 128
    if spacing != 1:
        idx *= np.int16(spacing)
    return idx.astype(np.intp)


def _per_position(v: np.ndarray, L: int) -> np.ndarray:
    """uint8 (blocks * L,): each block's value v (uint8, (blocks,)) repeated at its L positions."""
    if L in (2, 4, 8):                         # one unsigned word per block: multiply by 0x01..01
        word = np.dtype(f"u{L}")
        return (v.astype(word) * word.type(int("01" * L, 16))).view(np.uint8)
    if L % 8 == 0:
        w = (v.astype(np.uint64) * np.uint64(0x0101010101010101))
        return np.repeat(w, L // 8).view(np.uint8)
    out = np.empty((v.size, L), dtype=np.uint8)
    out[...] = v[:, None]
    return out.reshape(-1)


def _q4(qf: np.ndarray, inv: np.ndarray | float, half_even: bool) -> np.ndarray:
    """clip(round(q * 2^-e), -8, 7) in float32 (exact for these integers)."""
    out = np.multiply(qf, inv)
    if half_even:
        np.rint(out, out=out)
    else:
        out += np.float32(0.5)
        np.floor(out, out=out)
    return np.clip(out, Q4_MIN, Q4_MAX, out=out)


@lru_cache(maxsize=None)
def _dliq_tables(shift_max: int, half_even: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q4, q_hat, sq_err) of every shift e and table index i = q + 128 + 256 * hp: int16 q4 and
    q_hat flat at i * (shift_max + 1) + e, and int64 squared errors (shift_max + 1, 512), 0 for hp."""
    qf = _Q.astype(np.float32)
    n = shift_max + 1
    q4 = np.zeros((512, n), dtype=np.int16)
    q_hat = np.repeat(np.concatenate([_Q, _Q]).astype(np.int16)[:, None], n, axis=1)
    err = np.zeros((n, 512), dtype=np.int64)
    for e in range(n):
        v = _q4(qf, np.float32(2.0 ** -e), half_even)
        q4[:256, e] = v
        q_hat[:256, e] = v * np.float32(2.0 ** e)
        err[e, :256] = (q_hat[:256, e].astype(np.int64) - _Q) ** 2
    for t in (q4, q_hat, err):
        t.flags.writeable = False
    return q4.ravel(), q_hat.ravel(), err


@lru_cache(maxsize=None)
def _dliq_packing(shift_max: int, half_even: bool, L: int
                  ) -> tuple[tuple[np.ndarray, tuple[tuple[int, int, int], ...]], ...]:
    """Per-position error tables packed several shifts to a float64, for blocks of length L.

    Each group is (table, ((e, bit offset, width), ...)); the table is float64 at i * (shift_max
    + 1) like _dliq_tables. The field of shift e holds the sum of squared errors over a block,
    at most L * max error < 2^width, and a group's widths add up to <= 53 bits, so the float64
    sums over a block are exact and unpack by shifts.
    """
    err = _dliq_tables(shift_max, half_even)[2]
    groups: list[list[tuple[int, int]]] = [[]]
    used = 0
    for e in range(shift_max + 1):
        width = max((L * int(err[e].max())).bit_length(), 1)
        if used + width > _F64_EXACT_BITS:
            groups.append([])
            used = 0
        groups[-1].append((e, width))
        used += width
    out = []
    for g in groups:
        table = np.zeros((512, shift_max + 1), dtype=np.int64)
        fields = []
        off = 0
        for e, width in g:
            table[:, 0] += err[e] << off
            fields.append((e, off, width))
            off += width
        t = table.astype(np.float64).ravel()
        t.flags.writeable = False
        out.append((t, tuple(fields)))
    return tuple(out)


def dliq(q: np.ndarray, hp: np.ndarray, shift_max: int, round_mode: str = "even"
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q4, shift, q_hat) for the codes q (..., L) with high-precision mask hp: q4 int16
    (0 at hp positions), shift uint8 (...,) per block, q_hat int16 (q at hp positions).

    The shift minimises the block's summed squared error over its low members (ties: the
    smaller shift); the sums are exact integers, added as float64 several shifts at a time.
    """
    half_even = round_mode == "even"
    q4_t, q_hat_t, _ = _dliq_tables(shift_max, half_even)
    L = q.shape[-1]
    blocks = q.size // L
    idx = _table_index(q, hp, shift_max + 1)
    shift = np.zeros(blocks, dtype=np.uint8)
    if shift_max > 0:
        ones = np.ones(L, dtype=np.float64)
        best = err = better = bump = None
        for table, fields in _dliq_packing(shift_max, half_even, L):
            packed = (table.take(idx).reshape(blocks, L) @ ones).astype(np.int64)
            for e, off, width in fields:
                if best is None:
                    best = np.bitwise_and(packed, (1 << width) - 1)
                    err, better = np.empty_like(best), np.empty(blocks, dtype=bool)
                    bump = np.empty(blocks, dtype=np.uint8)
                    continue
                np.right_shift(packed, off, out=err)
                np.bitwise_and(err, (1 << width) - 1, out=err)
                np.less(err, best, out=better)       # strict: ties keep the smaller shift
                np.minimum(best, err, out=best)
                # e grows along the loop, so the last shift that improved is the largest
                np.multiply(better.view(np.uint8), np.uint8(e), out=bump)
                np.maximum(shift, bump, out=shift)
        np.add(idx, _per_position(shift, L).reshape(idx.shape), out=idx)
    return q4_t.take(idx), shift.reshape(q.shape[:-1]), q_hat_t.take(idx)


def _p2_table(round_mode: str, emin: int) -> tuple[np.ndarray, np.ndarray]:
    """(exp_code, signed value) for q = -128..127 under the given rounding, index q + 128.

    Exponents run over [emin, emin + EXP_MAX]; code c > 0 stands for 2^(c - 1 + emin).
    """
    v = np.arange(-128, 128)
    a = np.abs(v).astype(np.float64)
    if round_mode == "log":
        e = np.clip(np.rint(np.log2(np.maximum(a, 1.0))), emin, emin + EXP_MAX)
    else:
        powers = 2.0 ** np.arange(emin, emin + EXP_MAX + 1)
        dist = np.abs(a[:, None] - powers[None, :])
        e = emin + EXP_MAX - np.argmin(dist[:, ::-1], axis=1)     # ties to the larger power
    code = np.where(a == 0, 0, e + 1 - emin).astype(np.uint8)
    val = (np.sign(v) * np.where(a == 0, 0, 2.0 ** e)).astype(np.int16)
    return code, val


@lru_cache(maxsize=None)
def _mip2q_tables(round_mode: str, emin: int) -> tuple[np.ndarray, np.ndarray]:
    """(exp_code, q_hat) by table index q + 128 + 256 * hp: code 0 and q_hat = q at hp."""
    code, val = _p2_table(round_mode, emin)
    exp = np.concatenate([code, np.zeros(256, np.uint8)])
    q_hat = np.concatenate([val, _Q.astype(np.int16)])
    for t in (exp, q_hat):
        t.flags.writeable = False
    return exp, q_hat


def mip2q(q: np.ndarray, hp: np.ndarray, round_mode: str, emin: int = 0
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sign, exp_code, q_hat) for the codes q with high-precision mask hp, by table lookup:
    sign and exp_code uint8 (0 at hp positions), q_hat int16 (q at hp positions)."""
    exp_t, q_hat_t = _mip2q_tables(round_mode, emin)
    idx = _table_index(q, hp)
    sign = np.less(q, 0)
    np.greater(sign, hp, out=sign)            # q < 0 and not hp
    return sign.view(np.uint8), exp_t.take(idx), q_hat_t.take(idx)


def p2_value(sign: np.ndarray, code: np.ndarray, emin: int = 0) -> np.ndarray:
    """Integer value of MIP2Q fields: (-1)^sign * 2^(code - 1 + emin), or 0 for code 0."""
    mag = np.where(code == 0, 0, np.left_shift(1, np.maximum(code.astype(np.int16), 1) - 1 + emin))
    return np.where(sign.astype(bool), -mag, mag).astype(np.int16)
