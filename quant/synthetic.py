"""Seeded synthetic weights that imitate trained CNN weights (they are NOT trained weights).

What is imitated, from the quantization literature:
- bell-shaped, heavier-than-Gaussian value distributions: weights are fitted by
  Gaussian-to-Laplace, long-tailed distributions (Banner et al., "Post training 4-bit
  quantization of convolutional networks", NeurIPS 2019; Fang et al., "Post-training
  piecewise linear quantization", ECCV 2020). Here: Student-t with 8 degrees of freedom
  (excess kurtosis 1.5, between Gaussian 0 and Laplace 3).
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
layers' by < 0.7 dB on average. Real tensors also hold all-zero channels, which this
generator does not make.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import QuantError

T_DOF = 8
DENSE_CHANNEL_SIGMA = 0.35
DEPTHWISE_CHANNEL_SIGMA = 1.4
INPUT_CHANNEL_SIGMA = 0.2


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
    # Student-t(nu) = Z * sqrt(nu / chi2(nu)) and chi2(nu) = 2 Gamma(nu / 2): drawn in float32,
    # which is exact in law and about 1.5x faster than rng.standard_t's float64 path
    unit = rng.standard_normal(shape, dtype=np.float32)
    chi2_half = rng.standard_gamma(T_DOF / 2, shape, dtype=np.float32)
    unit *= np.sqrt(np.float32(T_DOF / 2) / chi2_half)
    bshape = (-1,) + (1,) * (len(shape) - 1)
    ishape = (1, -1) + (1,) * (len(shape) - 2)
    gain = math.sqrt(2.0 / fan_in) / math.sqrt(T_DOF / (T_DOF - 2))  # unit variance, then He size
    unit *= (gain * out_scale).astype(np.float32).reshape(bshape)
    unit *= in_scale.astype(np.float32).reshape(ishape)
    return unit
