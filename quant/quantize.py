"""quantize(): apply a scheme to a float weight tensor and measure its cost and error.

Every scheme starts from symmetric per-output-channel quantization (INT8, or INT4 for
``int4``) with an fp16 scale per channel; StruM and N:M then work on the INT8 codes in
blocks along the reduction axis (see blocking.py). The input is quantized as float32;
errors are measured against the input as given.
"""
from __future__ import annotations

import math

import numpy as np

from .blocking import BlockView
from .errors import QuantError
from .fields import FieldWidths, field_widths
from .intq import channel_amax, channel_scales, dequantize, quantize_codes, scale_codes
from .lowprec import dliq, mip2q
from .records import MIX_KINDS, QuantizedWeights
from .scheme import Scheme, parse_scheme
from .select import select_fixed, select_magnitude


def quantize(weights: np.ndarray, scheme: str | Scheme, *, axis_order: str | None = None
             ) -> QuantizedWeights:
    """Quantize `weights` (OIHW or O x I by default; else name the axes, e.g. 'HWIO') under `scheme`."""
    sch = parse_scheme(scheme)
    w = check_weights(weights, finite=False)
    if w.dtype != np.float32:        # float32: NaN and inf show in the channel maxima below
        _check_finite(w)
    fw = field_widths(sch)
    try:
        view = BlockView.of(w.shape, axis_order, fw.block)
    except QuantError:
        _check_finite(w)                  # NaN / inf is reported first, as check_weights does
        raise
    qmax = 7 if sch.name == "int4" else 127
    o = view.axis_order.index("O")
    by_channel = np.moveaxis(w.astype(np.float32, copy=False), o, 0)   # a view when O leads
    wc = by_channel.reshape(view.channels, -1)
    amax = channel_amax(wc)
    if w.dtype == np.float32 and not np.isfinite(amax).all():
        raise QuantError(NONFINITE)
    scales = channel_scales(amax, qmax)
    work = np.empty(w.shape, dtype=np.float32) if _scratch_ok(w) else None
    q_orig = np.moveaxis(quantize_codes(wc, scales, qmax, work).reshape(by_channel.shape), 0, o)
    q = view.to_blocks(q_orig)
    codes = scheme_codes(sch, q)
    if codes["q_hat"] is q:          # int8 / int4: from the codes still in the original layout
        dequantized = scale_codes(q_orig, view, scales)
    else:
        dequantized = dequantize(codes["q_hat"], view, scales)
    bits, mix, n_hp = _account(sch, fw, view, codes)
    n = view.count
    stored = sum(bits.values())
    mse, sqnr = error_stats(w, dequantized, work)
    return QuantizedWeights(
        scheme=str(sch), shape=view.shape, axis_order=view.axis_order, layout=view,
        scales=scales, codes=codes, dequantized=dequantized, weights=n, stored_bits=stored,
        bits=bits, bits_per_weight=stored / n, hp_fraction=n_hp / n, mix=mix, mse=mse,
        sqnr_db=sqnr)


NONFINITE = "weights contain NaN or inf; allowed: finite values only"


def check_weights(weights: np.ndarray, *, finite: bool = True) -> np.ndarray:
    """The weights as a real-valued ndarray with >= 2 axes and (if `finite`) finite values, else QuantError."""
    w = np.asarray(weights)
    if w.dtype.kind not in "fiu":
        raise QuantError(f"weights dtype={w.dtype} must be a real number type (float or int)")
    if w.ndim < 2 or w.size == 0:
        raise QuantError(f"weights shape={w.shape} must have >= 2 axes (O x I, OIHW, ...) and "
                         "at least one element")
    if finite:
        _check_finite(w)
    return w


def _check_finite(w: np.ndarray) -> None:
    if w.dtype.kind == "f" and not np.isfinite(w).all():
        raise QuantError(NONFINITE)


def scheme_codes(sch: Scheme, q: np.ndarray) -> dict[str, np.ndarray]:
    """The scheme's codes from the per-channel integer codes q (rows, nblk, L)."""
    if sch.name == "int8":
        return {"q8": q, "hp": np.ones(q.shape, dtype=bool), "q_hat": q}
    if sch.name == "int4":
        return {"q4": q, "hp": np.zeros(q.shape, dtype=bool), "q_hat": q}
    if sch.name == "nm":
        hp = select_magnitude(q, sch["N"])
        return {"q8": q, "hp": hp, "q_hat": q * hp}
    k = sch["k"]
    hp = select_magnitude(q, k) if sch["select"] == "magnitude" else select_fixed(q.shape, k)
    if sch.name == "strum-dliq":
        q4, shift, q_hat = dliq(q, hp, sch["shift_max"], sch["round"])
        return {"q8": q, "hp": hp, "q_hat": q_hat, "q4": q4, "shift": shift}
    sign, exp, q_hat = mip2q(q, hp, sch["round"], sch["emin"])
    return {"q8": q, "hp": hp, "q_hat": q_hat, "sign": sign, "exp": exp}


def count_real(mask: np.ndarray, view: BlockView) -> int:
    """Number of True entries of a (rows, nblk, L) mask at real (non-padding) positions."""
    n = int(np.count_nonzero(mask))
    if view.pad:
        n -= int(np.count_nonzero(mask[:, -1, view.block - view.pad:]))
    return n


def _account(sch: Scheme, fw: FieldWidths, view: BlockView, codes: dict[str, np.ndarray]
             ) -> tuple[dict[str, int], dict[str, int], int]:
    """(bits by field, mix counts, number of real 8-bit weights)."""
    n = view.count
    n_hp = count_real(codes["hp"], view)
    n_lp = n - n_hp
    bits = {"scale": fw.scale * view.channels, "meta": fw.meta * view.blocks,
            "shift": fw.shift * view.blocks, "data8": 8 * n_hp, "data4": fw.low * n_lp}
    mix = dict.fromkeys(MIX_KINDS, 0)
    mix["mul8x8"] = n_hp
    if sch.name in ("int4", "strum-dliq"):
        mix["mul8x4"] = n_lp
    elif sch.name == "nm":
        mix["skip"] = n_lp
    elif sch.name == "strum-mip2q":
        zero = count_real(~codes["hp"] & (codes["exp"] == 0), view)
        mix["skip"], mix["shift"] = zero, n_lp - zero
    return bits, mix, n_hp


def _scratch_ok(w: np.ndarray) -> bool:
    """Whether error_stats can use a C-contiguous float32 scratch for w and keep its summation order."""
    return w.dtype == np.float32 and w.flags.c_contiguous


def error_stats(w: np.ndarray, w_hat: np.ndarray, work: np.ndarray | None = None
                ) -> tuple[float, float]:
    """(MSE, SQNR in dB) of w_hat against w; SQNR = 10 log10(sum w^2 / sum (w - w_hat)^2).

    inf when the error is zero (including an all-zero tensor). `work`: optional float32
    scratch of w's shape, used when w is C-contiguous float32 (the sums then run in the
    same order as on fresh temporaries).
    """
    if w.dtype == np.float32:
        scratch = work if work is not None and _scratch_ok(w) else None
        d = np.subtract(w, w_hat, out=scratch)
        np.square(d, out=d)
        err = float(d.sum(dtype=np.float64))
        sig = float(np.square(w, out=scratch).sum(dtype=np.float64))
    else:
        d = w.astype(np.float64) - w_hat
        err = float(np.square(d).sum())
        sig = float(np.square(w.astype(np.float64)).sum())
    mse = err / w.size
    if err == 0.0:
        return mse, math.inf
    if sig == 0.0:
        return mse, -math.inf
    return mse, 10.0 * math.log10(sig / err)
