"""Weight formats per layer: quantize the layer's real (or seeded synthetic) weights once.

The simulator never assumes a compression ratio: stored bytes and the multiply mix come
from quantizing the actual tensor. Results are cached per (layer, shape, seed, scheme) in
the process, since sweeps revisit the same weights many times.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import quant
from quant.records import MIX_KINDS
from workloads import Layer


@dataclass(frozen=True)
class LayerFormat:
    scheme: str
    weights: int
    stored_bytes: int
    bits_per_weight: float
    hp_fraction: float
    mix: tuple[tuple[str, int], ...]  # weights whose multiply runs on each unit
    mse: float
    sqnr_db: float
    source: str  # "real" or "synthetic"

    @property
    def mix_counts(self) -> dict[str, int]:
        return dict(self.mix)

    @property
    def mix_fractions(self) -> dict[str, float]:
        n = max(1, self.weights)
        return {k: v / n for k, v in self.mix}


def layer_seed(seed: int, name: str) -> int:
    """A per-layer seed that does not depend on the order layers are visited in."""
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % (2 ** 32)


def layer_weights(layer: Layer, seed: int) -> tuple[np.ndarray, str]:
    """The layer's weights (OIHW float32) and where they come from: "real" or "synthetic"."""
    if layer.weights is not None:
        return np.asarray(layer.weights, dtype=np.float32), "real"
    return synthetic_layer_weights(layer.name, layer.weight_shape, seed), "synthetic"


def synthetic_layer_weights(name: str, shape: tuple, seed: int) -> np.ndarray:
    return quant.synthetic_weights(shape, layer_seed(seed, name))


def layer_format(layer: Layer, scheme: str, seed: int) -> LayerFormat:
    """Quantize the layer's weights (real if the layer carries them) under `scheme`."""
    canonical = str(quant.parse_scheme(scheme))
    if layer.weights is not None:
        return _format_of(canonical, np.asarray(layer.weights, dtype=np.float32), "real")
    return _synthetic_format(canonical, layer.name, layer.weight_shape, seed)


@lru_cache(maxsize=4096)
def _synthetic_format(scheme: str, name: str, shape: tuple, seed: int) -> LayerFormat:
    return _format_of(scheme, synthetic_layer_weights(name, shape, seed), "synthetic")


def _format_of(scheme: str, w: np.ndarray, source: str) -> LayerFormat:
    qw = quant.quantize(w, scheme)
    mix = tuple((k, int(qw.mix.get(k, 0))) for k in MIX_KINDS)
    return LayerFormat(scheme=scheme, weights=int(w.size), stored_bytes=math.ceil(qw.stored_bits / 8),
                       bits_per_weight=float(qw.bits_per_weight), hp_fraction=float(qw.hp_fraction),
                       mix=mix, mse=float(qw.mse), sqnr_db=float(qw.sqnr_db), source=source)
