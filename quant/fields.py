"""Bit widths of every stored field of a scheme: one table shared by the bit count and the packer.

Storage of a tensor with O output channels, B blocks (padded) and n real weights:

    stored_bits = 16 * O                 per-channel scale, fp16
                + (meta + shift) * B     per block, padded blocks included
                + 8 * n_hp + low * n_lp  per real weight (padding positions store nothing)

``meta`` is L bits (mask) or k * ceil(log2 L) bits (index) per StruM block and
N * ceil(log2 M) bits per N:M group; it is 0 when positions are fixed (select=fixed)
or when nothing needs marking (k = 0 or k = L; N = M). ``shift`` is the DLIQ per-block
shift, ceil(log2(shift_max + 1)) bits, present only when a block has low-precision
members (k < L). ``low`` is 4 bits for INT4 / DLIQ / MIP2Q and 0 for pruned N:M weights.
INT8 and INT4 are blocks of length 1 with no metadata.
"""
from __future__ import annotations

from dataclasses import dataclass

from .scheme import Scheme

SCALE_BITS = 16


@dataclass(frozen=True)
class FieldWidths:
    """Per-scheme storage geometry: block length, per-block and per-weight field widths."""
    block: int       # positions per block (L, M, or 1 for plain INT)
    keep: int        # high-precision / kept positions per block
    meta: int        # metadata bits per block
    shift: int       # shift bits per block
    low: int         # bits per real low-precision weight
    scale: int = SCALE_BITS


def index_bits(n: int) -> int:
    """Bits of one position index into a block of n: ceil(log2 n)."""
    return max(1, (n - 1).bit_length())


def field_widths(scheme: Scheme) -> FieldWidths:
    """The field widths of a canonical Scheme (from parse_scheme)."""
    if scheme.name == "int8":
        return FieldWidths(block=1, keep=1, meta=0, shift=0, low=0)
    if scheme.name == "int4":
        return FieldWidths(block=1, keep=0, meta=0, shift=0, low=4)
    if scheme.name == "nm":
        N, M = scheme["N"], scheme["M"]
        return FieldWidths(block=M, keep=N, meta=0 if N == M else N * index_bits(M),
                           shift=0, low=0)
    L, k = scheme["L"], scheme["k"]
    mixed = 0 < k < L
    meta = 0
    if mixed and scheme["meta"] == "mask":
        meta = L
    elif mixed and scheme["meta"] == "index":
        meta = k * index_bits(L)
    shift = 0
    if scheme.name == "strum-dliq" and k < L:
        shift = scheme["shift_max"].bit_length()
    return FieldWidths(block=L, keep=k, meta=meta, shift=shift, low=4)
