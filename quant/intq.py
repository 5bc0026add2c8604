"""Symmetric per-output-channel integer quantization with fp16 scales, and its inverse.

The scale is stored as fp16 (it is part of the stored bits), so codes are computed
against the fp16 scale and dequantization uses exactly that scale: a decoder that
reads the stream reproduces the dequantized tensor bit for bit.

Codes are computed on the weights grouped by output channel, (channels, m) with the
channel's weights in their original order; blocking.py moves the int16 codes into block
layout afterwards (cheaper than moving the float32 weights).
"""
from __future__ import annotations

import numpy as np

from .blocking import BlockView
from .errors import QuantError

FP16_MAX = float(np.finfo(np.float16).max)


def channel_amax(wc: np.ndarray) -> np.ndarray:
    """max|w| per row of wc (channels, m): max(max w, -min w), two read-only passes.

    NaN where a row holds a NaN, inf where it holds an infinity; +0.0 for an all-zero row.
    """
    return np.abs(np.maximum(wc.max(axis=1), -wc.min(axis=1)))


def channel_scales(amax: np.ndarray, qmax: int) -> np.ndarray:
    """fp16 scale per output channel from its max|W_c|: max|W_c| / qmax (0 for an all-zero channel)."""
    amax = amax.astype(np.float64)
    scale = amax / qmax
    if scale.max(initial=0.0) > FP16_MAX:
        c = int(np.argmax(scale))
        raise QuantError(f"weights: channel {c} has max|w|={amax[c]:.6g}; its scale exceeds the fp16 "
                         f"range (allowed: max|w| <= {FP16_MAX * qmax:.6g})")
    return scale.astype(np.float16)


def quantize_codes(wc: np.ndarray, scales: np.ndarray, qmax: int,
                   work: np.ndarray | None = None) -> np.ndarray:
    """int16 codes clip(rint(w / s_c), -qmax-1, qmax) of wc (channels, m); 0 where s_c is 0.

    `work`: optional float32 scratch of wc's size. Clipping before rounding gives the same
    codes (the bounds are integers and rint is monotonic) and lets rint write the int16 codes.
    """
    s = scales.astype(np.float32)
    safe = np.where(s > 0, s, np.float32(1.0))[:, None]
    x = np.divide(wc, safe, out=None if work is None else work.reshape(wc.shape))
    np.clip(x, -qmax - 1, qmax, out=x)
    q = np.empty(wc.shape, dtype=np.int16)
    np.rint(x, out=q, casting="unsafe")
    q[s == 0] = 0
    return q


def scale_codes(q: np.ndarray, view: BlockView, scales: np.ndarray) -> np.ndarray:
    """float32 C-contiguous q * scale of its output channel, q in the original shape and axis order.

    Exact in float32 (11-bit scale mantissa times an 8-bit integer).
    """
    o = view.axis_order.index("O")
    s = scales.astype(np.float32).reshape([-1 if a == o else 1 for a in range(q.ndim)])
    return np.multiply(q, s, order="C")


def dequantize(q_hat: np.ndarray, view: BlockView, scales: np.ndarray) -> np.ndarray:
    """float32 weights in the original shape: fp16 scale times the effective integer code.

    Exact in float32 (11-bit scale mantissa times an 8-bit integer), so it is
    reproducible from the stored fields alone.
    """
    return scale_codes(view.from_blocks(q_hat), view, scales)
