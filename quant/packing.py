"""Bit-exact packed storage of a quantized tensor: encode(qw) -> bytes, decode(bytes) -> weights.

The stream has no header (shape and scheme travel beside it) and is exactly
``stored_bits`` long, zero-padded to a whole byte, so ``len(encode(qw)) ==
ceil(qw.stored_bits / 8)``. Fields are written MSB first and concatenated without
alignment, in five sections (widths from fields.py; a section of width 0 is absent):

1. scales:   per output channel, the 16-bit pattern of its fp16 scale.
2. metadata: per block, in stream order (row, then block; blocking.py):
             mask  = L bits, the j-th bit set when position j is stored at 8 bits;
             index = the k (N:M: N) 8-bit positions in ascending order, ceil(log2 L) bits each.
             Padding positions of a row's last block are described like real ones.
3. shifts:   per block, the DLIQ shift e_b as an unsigned integer.
4. 8-bit:    per real 8-bit position, in stream order: the INT8 code, two's complement.
5. 4-bit:    per real low-precision position, in stream order: INT4 / DLIQ q4 in two's
             complement; MIP2Q 1 sign bit then the 3-bit exponent code (0 = zero).
             N:M pruned weights store nothing.

Positions without metadata (int8, int4, select=fixed, k = 0 or L, N = M) are implied: the
first `keep` positions of each block are the 8-bit ones. Padding stores no value.
"""
from __future__ import annotations

import numpy as np

from .blocking import BlockView
from .errors import QuantError
from .fields import field_widths, index_bits
from .intq import dequantize
from .lowprec import p2_value
from .records import QuantizedWeights
from .scheme import Scheme, parse_scheme
from .select import select_fixed


def _bits(values: np.ndarray, width: int) -> np.ndarray:
    """uint8 0/1 array: the low `width` bits of each value, MSB first, values in order."""
    v = np.asarray(values).ravel()
    if width == 8:
        return np.unpackbits(v.astype(np.uint8))
    if width < 8:
        return np.unpackbits(v.astype(np.uint8)[:, None], axis=1)[:, 8 - width:].ravel()
    b = np.unpackbits(v.astype(">u2").view(np.uint8).reshape(-1, 2), axis=1)
    return b[:, 16 - width:].ravel()


def encode(qw: QuantizedWeights) -> bytes:
    """The packed stream of qw (layout in the module docstring)."""
    sch = parse_scheme(qw.scheme)
    fw = field_widths(sch)
    view, codes = qw.layout, qw.codes
    hp = codes["hp"]
    parts = [_bits(qw.scales.view(np.uint16), 16)]
    if fw.meta and sch.get("meta", "index") == "mask":
        parts.append(hp.reshape(-1).astype(np.uint8))
    elif fw.meta:
        positions = np.nonzero(hp.reshape(-1, fw.block))[1]
        parts.append(_bits(positions, index_bits(fw.block)))
    if fw.shift:
        parts.append(_bits(codes["shift"], fw.shift))
    valid = view.valid()
    parts.append(_bits(codes["q8" if "q8" in codes else "q4"][hp & valid], 8))
    if fw.low:
        low = ~hp & valid
        if sch.name == "strum-mip2q":
            nib = (codes["sign"][low] << 3) | codes["exp"][low]
        else:
            nib = codes["q4"][low] & 0xF
        parts.append(_bits(nib, 4))
    stream = np.concatenate(parts)
    if stream.size != qw.stored_bits:
        raise AssertionError(f"packed {stream.size} bits but stored_bits={qw.stored_bits}")
    return np.packbits(stream).tobytes()


class _Reader:
    """Sequential reader of fixed-width unsigned fields from an MSB-first bit array."""

    def __init__(self, bits: np.ndarray):
        self.bits, self.pos = bits, 0

    def take(self, n: int, width: int) -> np.ndarray:
        end = self.pos + n * width
        if end > self.bits.size:
            raise QuantError(f"data: the stream has {self.bits.size} bits but the layout needs at "
                             f"least {end}; allowed: the output of encode() for this shape and scheme")
        seg = self.bits[self.pos:end].reshape(n, width)
        self.pos = end
        if width == 1:
            return seg[:, 0].copy()
        if width <= 8:
            return np.packbits(seg, axis=1)[:, 0] >> np.uint8(8 - width)
        return np.packbits(seg, axis=1).view(">u2")[:, 0].astype(np.uint16) >> np.uint16(16 - width)


def decode(data: bytes, shape: tuple[int, ...], scheme: str | Scheme, *,
           axis_order: str | None = None) -> np.ndarray:
    """The dequantized float32 tensor of a stream from encode(), bitwise equal to qw.dequantized."""
    sch = parse_scheme(scheme)
    fw = field_widths(sch)
    view = BlockView.of(tuple(shape), axis_order, fw.block)
    rd = _Reader(np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8)))
    blk_shape = (view.rows, view.nblk, view.block)
    scales = rd.take(view.channels, 16).astype(np.uint16).view(np.float16)
    hp = _read_positions(rd, sch, fw, view, blk_shape)
    shift = rd.take(view.blocks, fw.shift).reshape(blk_shape[:2]) if fw.shift else None
    valid = view.valid()
    q_hat = np.zeros(blk_shape, dtype=np.int16)
    sel8 = hp & valid
    q_hat[sel8] = rd.take(int(np.count_nonzero(sel8)), 8).view(np.int8)
    if fw.low:
        low = ~hp & valid
        nib = rd.take(int(np.count_nonzero(low)), 4).astype(np.int16)
        if sch.name == "strum-mip2q":
            q_hat[low] = p2_value(nib >> 3, nib & 7, sch["emin"])
        else:
            q4 = np.where(nib >= 8, nib - 16, nib).astype(np.int16)
            if shift is not None:
                q4 = q4 << np.broadcast_to(shift[..., None], blk_shape)[low].astype(np.int16)
            q_hat[low] = q4
    need = -(-rd.pos // 8)
    if len(data) != need:
        raise QuantError(f"data has {len(data)} bytes; shape {tuple(shape)} under {sch} with these "
                         f"positions needs {need} bytes")
    return dequantize(q_hat, view, scales)


def _read_positions(rd: _Reader, sch: Scheme, fw, view: BlockView, blk_shape) -> np.ndarray:
    """The bool (rows, nblk, L) mask of 8-bit positions, from metadata or implied."""
    if not fw.meta:
        return select_fixed(blk_shape, fw.keep)
    if sch.get("meta", "index") == "mask":
        return rd.take(view.blocks * fw.block, 1).astype(bool).reshape(blk_shape)
    idx = rd.take(view.blocks * fw.keep, index_bits(fw.block)).astype(np.int64).reshape(-1, fw.keep)
    if idx.size and idx.max() >= fw.block:
        raise QuantError(f"data: metadata index {int(idx.max())} is out of range; allowed: "
                         f"0..{fw.block - 1}")
    hp = np.zeros((view.blocks, fw.block), dtype=bool)
    hp[np.arange(view.blocks)[:, None], idx] = True
    if np.count_nonzero(hp) != idx.size:
        raise QuantError(f"data: metadata repeats a position within a block; allowed: {fw.keep} "
                         "distinct ascending indices per block")
    return hp.reshape(blk_shape)
