"""The two records of a quantized tensor: QuantizedWeights (with arrays) and WeightFormat (summary)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blocking import BlockView

#: the multiply kinds a PE lane runs for one weight, the keys of `mix`
MIX_KINDS = ("mul8x8", "mul8x4", "shift", "skip")


@dataclass(frozen=True)
class WeightFormat:
    """What a scheme does to one tensor, without arrays: what the hardware model needs.

    `mix` holds fractions of the weights per multiply kind (keys MIX_KINDS, sum 1).
    """
    scheme: str
    weights: int
    stored_bits: int
    bits_per_weight: float
    hp_fraction: float
    mix: dict[str, float]
    mse: float
    sqnr_db: float

    @property
    def stored_bytes(self) -> int:
        return -(-self.stored_bits // 8)


@dataclass(frozen=True, eq=False)
class QuantizedWeights:
    """A tensor under one scheme: its codes, the dequantized tensor and its cost and error.

    codes (block layout (rows, nblk, L) of `layout`, padding included; INT8/INT4 use L = 1):
      "q8"    int16 INT8 code of every position (int4: absent)
      "hp"    bool, stored at 8 bits (StruM high precision; N:M kept; all for int8)
      "q_hat" int16 effective integer code; dequantized = scale[channel] * q_hat
      "q4"    int16 4-bit code (int4, strum-dliq low positions)
      "shift" uint8 per-block shift (rows, nblk) (strum-dliq)
      "sign", "exp"  uint8 sign bit and exponent code, 0 = zero (strum-mip2q)
    stored_bits = scale_bits + meta_bits + shift_bits + data8_bits + data4_bits (see fields.py).
    mix counts real weights per multiply kind; hp_fraction is the share stored at 8 bits.
    """
    scheme: str
    shape: tuple[int, ...]
    axis_order: str
    layout: BlockView
    scales: np.ndarray
    codes: dict[str, np.ndarray]
    dequantized: np.ndarray
    weights: int
    stored_bits: int
    bits: dict[str, int]
    bits_per_weight: float
    hp_fraction: float
    mix: dict[str, int]
    mse: float
    sqnr_db: float

    @property
    def stored_bytes(self) -> int:
        return -(-self.stored_bits // 8)

    def summary(self) -> WeightFormat:
        return weight_format(self)


def weight_format(qw: QuantizedWeights) -> WeightFormat:
    """The array-free summary of a QuantizedWeights."""
    n = max(qw.weights, 1)
    return WeightFormat(scheme=qw.scheme, weights=qw.weights, stored_bits=qw.stored_bits,
                        bits_per_weight=qw.bits_per_weight, hp_fraction=qw.hp_fraction,
                        mix={k: qw.mix[k] / n for k in MIX_KINDS}, mse=qw.mse, sqnr_db=qw.sqnr_db)
