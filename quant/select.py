"""Which positions of each block stay high precision (StruM) or are kept (N:M)."""
from __future__ import annotations

import numpy as np


def select_magnitude(q: np.ndarray, k: int) -> np.ndarray:
    """bool mask of the k largest |q| in each block (last axis); ties go to the lower index.

    Padding (q = 0 at the end of a block) loses every tie to a real weight.
    Vectorized as one sort of unique keys |q| * L + (L - 1 - position).
    """
    L = q.shape[-1]
    if k <= 0:
        return np.zeros(q.shape, dtype=bool)
    if k >= L:
        return np.ones(q.shape, dtype=bool)
    dtype = np.int16 if 129 * L <= np.iinfo(np.int16).max else np.int32
    key = np.abs(q).astype(dtype) * dtype(L) + np.arange(L - 1, -1, -1, dtype=dtype)
    thr = np.sort(key, axis=-1)[..., L - k, None]
    return key >= thr


def select_fixed(shape: tuple[int, ...], k: int) -> np.ndarray:
    """bool mask of the first k positions of each block: no metadata needed."""
    return np.broadcast_to(np.arange(shape[-1]) < k, shape).copy()
