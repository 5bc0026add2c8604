"""Where blocks run: the (rows, blocks, L) view of a weight tensor, and back.

Blocks follow the reduction axis the PE accumulates along. For a conv weight with
more than one input channel (OIHW, I > 1) a row is one (o, h, w) and runs over I, so
the stream order is O, H, W, I. For depthwise (I == 1) and 2-D (O x I) weights a row
is one output channel and runs over the flattened reduction axis I*H*W. A row whose
length is not a multiple of L ends in a block padded with zeros.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import QuantError

_DEFAULT_ORDERS = {2: "OI", 3: "OIW", 4: "OIHW", 5: "OIDHW"}


def default_axis_order(ndim: int) -> str:
    if ndim not in _DEFAULT_ORDERS:
        raise QuantError(f"weights ndim={ndim} has no default axis order; allowed: 2 (OI) to 5 "
                         "(OIDHW) axes, or pass axis_order naming each axis")
    return _DEFAULT_ORDERS[ndim]


@dataclass(frozen=True)
class BlockView:
    """How a tensor of `shape` (axes named by `axis_order`) maps onto (rows, nblk, block)."""
    shape: tuple[int, ...]
    axis_order: str
    block: int
    perm: tuple[int, ...]      # transposes the tensor to row-major stream order
    channels: int              # O: one scale per output channel
    rows: int
    run: int                   # real positions per row

    @classmethod
    def of(cls, shape: tuple[int, ...], axis_order: str | None, block: int) -> "BlockView":
        shape = tuple(int(s) for s in shape)
        if len(shape) < 2 or any(s < 1 for s in shape):
            raise QuantError(f"weights shape={shape} must have >= 2 axes, all of size >= 1")
        order = default_axis_order(len(shape)) if axis_order is None else axis_order
        if (not isinstance(order, str) or len(order) != len(shape) or len(set(order)) != len(order)
                or "O" not in order or "I" not in order):
            raise QuantError(f"axis_order={axis_order!r} must name each of the {len(shape)} axes of "
                             f"shape {shape} once with letters including 'O' and 'I' (e.g. 'OIHW', "
                             "'HWIO', 'OI')")
        o, i = order.index("O"), order.index("I")
        spatial = [a for a in range(len(shape)) if a not in (o, i)]
        n_in = shape[i]
        n_sp = math.prod(shape[a] for a in spatial)
        if spatial and n_in > 1:
            perm, rows, run = (o, *spatial, i), shape[o] * n_sp, n_in
        else:
            perm, rows, run = (o, i, *spatial), shape[o], n_in * n_sp
        return cls(shape, order, int(block), perm, shape[o], rows, run)

    @property
    def nblk(self) -> int:
        return -(-self.run // self.block)

    @property
    def blocks(self) -> int:
        """Number of blocks, padded ones included."""
        return self.rows * self.nblk

    @property
    def count(self) -> int:
        """Number of real weights."""
        return self.rows * self.run

    @property
    def pad(self) -> int:
        return self.nblk * self.block - self.run

    def to_blocks(self, x: np.ndarray) -> np.ndarray:
        """(rows, nblk, block) copy of x in stream order, zero-padded."""
        flat = np.transpose(x, self.perm).reshape(self.rows, self.run)
        if self.pad:
            flat = np.concatenate([flat, np.zeros((self.rows, self.pad), dtype=x.dtype)], axis=1)
        return np.ascontiguousarray(flat).reshape(self.rows, self.nblk, self.block)

    def from_blocks(self, b: np.ndarray) -> np.ndarray:
        """Inverse of to_blocks: drop the padding, restore the original shape and axis order."""
        flat = b.reshape(self.rows, self.nblk * self.block)[:, :self.run]
        t = flat.reshape(tuple(self.shape[a] for a in self.perm))
        return np.ascontiguousarray(np.transpose(t, np.argsort(self.perm)))

    def valid(self) -> np.ndarray:
        """Read-only bool (rows, nblk, block): True at real weights, False at padding."""
        pos = np.arange(self.nblk * self.block).reshape(self.nblk, self.block) < self.run
        return np.broadcast_to(pos, (self.rows, self.nblk, self.block))

    def per_channel(self, b: np.ndarray) -> np.ndarray:
        """Reshape a (rows, nblk, block) array to (channels, -1): rows are grouped by channel."""
        return b.reshape(self.channels, -1)
