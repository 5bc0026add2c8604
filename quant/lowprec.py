"""The two StruM low-precision formats for the non-selected INT8 codes of a block.

Both work on the low-precision members only, given as an int16 array (blocks, m) of the
m = L - k low codes of each block (selection leaves exactly m per block).

DLIQ: q ~ q4 * 2^e_b, q4 in [-8, 7], one shift e_b per block chosen from 0..shift_max
to minimise the squared error over the block's low-precision members (ties: smaller e).
Rounding is to nearest: ties to even by default (unbiased), or ties toward +inf as the
plain hardware rounding shift (q + 2^(e-1)) >> e does; that bias is +1/2 step per value
and adds up linearly along a dot product (measured in docs/accuracy.md).

MIP2Q: q ~ sign * 2^e, e in [0, 6], stored as 1 sign bit + a 3-bit exponent code
(code 0 = the value zero, code c = 2^(c-1)). Only q = 0 maps to zero.
"""
from __future__ import annotations

import numpy as np

Q4_MIN, Q4_MAX = -8, 7
EXP_MAX = 6


def _q4(qf: np.ndarray, inv: np.ndarray | float, out: np.ndarray, half_even: bool) -> np.ndarray:
    """clip(round(q * 2^-e), -8, 7) into `out` (float32; exact for these integers)."""
    np.multiply(qf, inv, out=out)
    if half_even:
        np.rint(out, out=out)
    else:
        out += np.float32(0.5)
        np.floor(out, out=out)
    return np.clip(out, Q4_MIN, Q4_MAX, out=out)


def dliq(q_low: np.ndarray, shift_max: int, round_mode: str = "even") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q4, shift, q_hat) for the low codes q_low (blocks, m): q4 and q_hat (blocks, m) int16,
    shift (blocks,) uint8. Loops only over the shift_max + 1 candidate shifts."""
    half_even = round_mode == "even"
    qf = q_low.astype(np.float32)
    ones = np.ones(qf.shape[-1], dtype=np.float32)
    buf = np.empty_like(qf)
    err = np.empty(qf.shape[0], dtype=np.float32)
    best = np.full(qf.shape[0], np.inf, dtype=np.float32)
    shift = np.zeros(qf.shape[0], dtype=np.uint8)
    for e in range(shift_max + 1):
        _q4(qf, np.float32(2.0 ** -e), buf, half_even)
        buf *= np.float32(2.0 ** e)
        buf -= qf
        buf *= buf
        np.matmul(buf, ones, out=err)            # exact: integer sums < 2^24
        better = err < best                      # strict: ties keep the smaller shift
        np.copyto(best, err, where=better)
        shift[better] = e
    step = np.ldexp(np.float32(1.0), shift.astype(np.int32))[:, None]
    q4 = _q4(qf, np.float32(1.0) / step, buf, half_even)
    return q4.astype(np.int16), shift, (q4 * step).astype(np.int16)


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


def mip2q(q_low: np.ndarray, round_mode: str, emin: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sign, exp_code, q_hat) for low codes q_low, by table lookup on q."""
    code_t, val_t = _p2_table(round_mode, emin)
    idx = q_low.astype(np.intp) + 128
    return (q_low < 0).astype(np.uint8), code_t[idx], val_t[idx]


def p2_value(sign: np.ndarray, code: np.ndarray, emin: int = 0) -> np.ndarray:
    """Integer value of MIP2Q fields: (-1)^sign * 2^(code - 1 + emin), or 0 for code 0."""
    mag = np.where(code == 0, 0, np.left_shift(1, np.maximum(code.astype(np.int16), 1) - 1 + emin))
    return np.where(sign.astype(bool), -mag, mag).astype(np.int16)
