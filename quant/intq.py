"""Symmetric per-output-channel integer quantization with fp16 scales, and its inverse.

The scale is stored as fp16 (it is part of the stored bits), so codes are computed
against the fp16 scale and dequantization uses exactly that scale: a decoder that
reads the stream reproduces the dequantized tensor bit for bit.
"""
from __future__ import annotations

import numpy as np

from .blocking import BlockView
from .errors import QuantError

FP16_MAX = float(np.finfo(np.float16).max)


def channel_scales(blocks: np.ndarray, view: BlockView, qmax: int) -> np.ndarray:
    """fp16 scale per output channel: max|W_c| / qmax (0 for an all-zero channel)."""
    amax = np.abs(view.per_channel(blocks)).max(axis=1).astype(np.float64)
    scale = amax / qmax
    if scale.max(initial=0.0) > FP16_MAX:
        c = int(np.argmax(scale))
        raise QuantError(f"weights: channel {c} has max|w|={amax[c]:.6g}; its scale exceeds the fp16 "
                         f"range (allowed: max|w| <= {FP16_MAX * qmax:.6g})")
    return scale.astype(np.float16)


def quantize_codes(blocks: np.ndarray, view: BlockView, scales: np.ndarray, qmax: int) -> np.ndarray:
    """int16 codes clip(rint(w / s_c), -qmax-1, qmax) in block layout; 0 where s_c is 0."""
    s = scales.astype(np.float32)
    safe = np.where(s > 0, s, np.float32(1.0))[:, None]
    q = np.rint(view.per_channel(blocks) / safe)
    np.clip(q, -qmax - 1, qmax, out=q)
    q[s == 0] = 0
    return q.astype(np.int16).reshape(blocks.shape)


def dequantize(q_hat: np.ndarray, view: BlockView, scales: np.ndarray) -> np.ndarray:
    """float32 weights in the original shape: fp16 scale times the effective integer code.

    Exact in float32 (11-bit scale mantissa times an 8-bit integer), so it is
    reproducible from the stored fields alone.
    """
    w = view.per_channel(q_hat).astype(np.float32) * scales.astype(np.float32)[:, None]
    return view.from_blocks(w.reshape(q_hat.shape))
