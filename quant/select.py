"""Which positions of each block stay high precision (StruM) or are kept (N:M)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

#: blocks up to this length find their threshold with a selection network, longer ones by np.sort
NETWORK_MAX_L = 16


def select_magnitude(q: np.ndarray, k: int) -> np.ndarray:
    """bool mask of the k largest |q| in each block (last axis); ties go to the lower index.

    Padding (q = 0 at the end of a block) loses every tie to a real weight.
    Vectorized on unique keys |q| * L + (L - 1 - position): a position is selected when its
    key is >= the block's k-th largest key, found by a comparator network over the L key
    columns (short blocks) or one sort along the block.
    """
    L = q.shape[-1]
    if k <= 0:
        return np.zeros(q.shape, dtype=bool)
    if k >= L:
        return np.ones(q.shape, dtype=bool)
    dtype = np.int16 if 129 * L <= np.iinfo(np.int16).max else np.int32
    key = np.abs(q)
    if key.dtype != dtype:
        key = key.astype(dtype)
    key *= dtype(L)
    key += np.arange(L - 1, -1, -1, dtype=dtype)
    if L > NETWORK_MAX_L or key.size == 0:
        thr = np.sort(key, axis=-1)[..., L - k, None]
    else:
        thr = _kth_smallest(key.reshape(-1, L), L - k).reshape(key.shape[:-1] + (1,))
    return key >= thr


def _kth_smallest(key: np.ndarray, t: int) -> np.ndarray:
    """The t-th smallest (0-based) of each row of key (rows, L), by a pruned sorting network
    run on the L columns (min/max of whole columns)."""
    wires = list(key.T.copy())              # a copy even when key.T is already contiguous
    spare = np.empty_like(wires[0])
    for i, j in _selection_network(key.shape[1], t):
        a, b = wires[i], wires[j]
        np.minimum(a, b, out=spare)
        np.maximum(a, b, out=b)
        wires[i], spare = spare, a
    return wires[t]


@lru_cache(maxsize=None)
def _selection_network(n: int, t: int) -> tuple[tuple[int, int], ...]:
    """Comparators (i, j), i < j (min to i, max to j), that put the t-th smallest of n wires
    on wire t: Batcher's odd-even merge sort for the next power of two, with comparators to
    wires >= n dropped (those wires hold +inf) and those that cannot reach wire t pruned."""
    size = 1
    while size < n:
        size *= 2
    net: list[tuple[int, int]] = []

    def merge(lo: int, hi: int, r: int) -> None:
        step = 2 * r
        if step < hi - lo:
            merge(lo, hi, step)
            merge(lo + r, hi, step)
            net.extend((i, i + r) for i in range(lo + r, hi - r, step))
        else:
            net.append((lo, lo + r))

    def sort(lo: int, hi: int) -> None:
        if hi > lo:
            mid = (lo + hi) // 2
            sort(lo, mid)
            sort(mid + 1, hi)
            merge(lo, hi, 1)

    sort(0, size - 1)
    need, keep = {t}, []
    for i, j in reversed([c for c in net if c[1] < n]):
        if i in need or j in need:
            keep.append((i, j))
            need.update((i, j))
    return tuple(reversed(keep))


def select_fixed(shape: tuple[int, ...], k: int) -> np.ndarray:
    """bool mask of the first k positions of each block: no metadata needed."""
    return np.broadcast_to(np.arange(shape[-1]) < k, shape).copy()
