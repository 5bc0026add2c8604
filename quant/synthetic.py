"""Seeded synthetic weights that imitate trained CNN weights (they are NOT trained weights).

What is imitated, from the quantization literature:
- bell-shaped, heavier-than-Gaussian value distributions: weights are fitted by
  Gaussian-to-Laplace, long-tailed distributions (Banner et al., "Post training 4-bit
  quantization of convolutional networks", NeurIPS 2019; Fang et al., "Post-training
  piecewise linear quantization", ECCV 2020). Here: Student-t with 8 degrees of freedom
  (excess kurtosis 1.5, between Gaussian 0 and Laplace 3), drawn in float32 by Bailey's
  polar method (R. W. Bailey, "Polar generation of random variates with the
  t-distribution", Mathematics of Computation 62(206):779-781, 1994), which is exact in
  law and needs neither normal nor gamma draws.
- per-output-channel ranges that differ widely, most in depthwise layers, which is why
  per-channel scales are used (Krishnamoorthi, "Quantizing deep convolutional networks
  for efficient inference: a whitepaper", 2018; Nagel et al., "Data-free quantization
  through weight equalization and bias correction", ICCV 2019). Here: a log-normal
  channel scale, sigma 0.35 (dense) or 1.4 (depthwise).
- magnitudes that also vary along the input channels (the previous layer's batch-norm
  gains, the imbalance cross-layer equalization removes): a log-normal factor per input
  channel, sigma 0.2; this is the within-block variance StruM exploits.
- overall size ~ He initialisation, sqrt(2 / fan_in).

Calibrated by hand against the real EfficientNet-Lite0 ImageNet weights (50 conv / FC
tensors): per-layer SQNR of int8, int4, strum-dliq and strum-mip2q differs from the real
layers' by < 0.7 dB on average (the mean over the layers of synthetic minus real, per
scheme). Re-measured with the Bailey draw, synthetic tensors of the real shapes seeded by
archsim.formats.layer_seed(s, name) for s = 0, 1, 2: int8 -0.55 to -0.60 dB, int4 -0.58
to -0.67, strum-dliq -0.05 to -0.19, strum-mip2q +0.05 to +0.18; single layers differ by
0.8 (strum-dliq) to 1.6 dB (int8, int4) in absolute value on average. Real tensors also
hold all-zero channels, which this generator does not make.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import QuantError

T_DOF = 8                  # _student_t8 draws exactly this law
DENSE_CHANNEL_SIGMA = 0.35
DEPTHWISE_CHANNEL_SIGMA = 1.4
INPUT_CHANNEL_SIGMA = 0.2
#: (U, V) pairs per chunk of _student_t8 (cache-resident buffers); the stream depends on it
T_CHUNK = 65536


def synthetic_weights(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """float32 weights of `shape` (OIHW, or O x I), the same for the same shape and seed."""
    shape = tuple(shape)
    if len(shape) < 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in shape):
        raise QuantError(f"shape={shape!r} must have >= 2 axes of positive integers (OIHW or O x I)")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise QuantError(f"seed={seed!r} must be a non-negative integer")
    rng = np.random.default_rng(int(seed))
    O, I = int(shape[0]), int(shape[1])
    fan_in = math.prod(shape[1:])
    depthwise = len(shape) > 2 and I == 1
    chan_sigma = DEPTHWISE_CHANNEL_SIGMA if depthwise else DENSE_CHANNEL_SIGMA
    out_scale = rng.lognormal(0.0, chan_sigma, size=O)
    in_scale = rng.lognormal(0.0, INPUT_CHANNEL_SIGMA if I > 1 else 0.0, size=I)
    unit = _student_t8(rng, math.prod(shape)).reshape(shape)
    bshape = (-1,) + (1,) * (len(shape) - 1)
    ishape = (1, -1) + (1,) * (len(shape) - 2)
    gain = math.sqrt(2.0 / fan_in) / math.sqrt(T_DOF / (T_DOF - 2))  # unit variance, then He size
    unit *= (gain * out_scale).astype(np.float32).reshape(bshape)
    unit *= in_scale.astype(np.float32).reshape(ishape)
    return unit


def _student_t8(rng: np.random.Generator, n: int) -> np.ndarray:
    """n float32 Student-t(8) variates by Bailey's polar method (exact in law).

    U, V uniform on (-1, 1), W = U^2 + V^2; keep 0 < W < 1 (a fraction pi / 4) and return
    T = U sqrt(nu (W^(-2/nu) - 1) / W), with W^(-1/4) = 1 / sqrt(sqrt(W)) for nu = 8.
    U and V each take 24 random bits (a 32-bit half of a 64-bit output of the bit generator,
    shifted right by 7 with the lowest bit then set): U = i / 2^24 with i uniform on the odd
    integers in (-2^24, 2^24), so the law is symmetric and U is never 0 (W > 0).
    Drawn T_CHUNK pairs at a time, every step in place in small buffers: on whole arrays
    the passes run from memory and take about twice as long. The transform runs on every
    pair (the rejected ones give NaN) and one compress keeps the accepted values in order.
    """
    out = np.empty(n, dtype=np.float32)
    uv_buf = np.empty(2 * T_CHUNK, dtype=np.float32)
    w_buf = np.empty(T_CHUNK, dtype=np.float32)
    keep_buf = np.empty(T_CHUNK, dtype=bool)
    pos = 0
    with np.errstate(invalid="ignore"):
        while pos < n:
            left = n - pos
            k = min(T_CHUNK, left * 4 // 3 + 64)              # pairs; 4/3 > 1 / (pi / 4)
            bits = np.asarray(rng.bit_generator.random_raw(k), dtype="<u8").view("<i4")
            np.right_shift(bits, 7, out=bits)
            np.bitwise_or(bits, 1, out=bits)                  # odd, in (-2^24, 2^24)
            uv = uv_buf[:2 * k]
            np.multiply(bits, np.float32(2.0 ** -24), out=uv, dtype=np.float32, casting="unsafe")
            u, t, w, keep = uv[:k], uv[k:], w_buf[:k], keep_buf[:k]
            np.multiply(u, u, out=w)
            np.multiply(t, t, out=t)                          # t holds V^2, then T
            w += t
            np.sqrt(w, out=t)
            np.sqrt(t, out=t)
            np.divide(np.float32(1.0), t, out=t)
            t -= np.float32(1.0)
            t *= np.float32(T_DOF)
            t /= w
            np.sqrt(t, out=t)
            t *= u
            np.less(w, np.float32(1.0), out=keep)
            m = int(np.count_nonzero(keep))
            if m <= left:
                np.compress(keep, t, out=out[pos:pos + m])
            else:                                             # the last chunk: its first `left`
                out[pos:] = np.compress(keep, t)[:left]
            pos += m
    return out
