"""Bit widths of every stored field of a scheme: one table shared by the bit count and the packer.

Storage of a tensor with O output channels, B blocks (padded) and n real weights:

    stored_bits = 16 * O                 per-channel scale, fp16
                + (meta + shift) * B     per block, padded blocks included
                + 8 * n_hp + low * n_lp  per real weight (padding positions store nothing)

The per-block fields have one width for the whole tensor and every block stores them,
whatever its contents: the PE reads a fixed-size header per block, so block b's metadata and
shift sit at b times the field width in their sections (packing.py) and no per-block flag
says whether a field is present. The widths depend on the scheme only, not on the block:

``meta`` is L bits (mask) or k * ceil(log2 L) bits (index) per StruM block and
N * ceil(log2 M) bits per N:M group; it is 0 only when positions are fixed (select=fixed)
or when the scheme has nothing to mark (k = 0 or k = L; N = M). A block whose real weights
all keep INT8 codes still stores its mask. ``shift`` is the DLIQ per-block shift,
ceil(log2(shift_max + 1)) bits, stored in every block of a DLIQ scheme with k < L (0 with
shift=none / shift_max=0), even in blocks whose real weights are all high precision.
``low`` is 4 bits for INT4 / DLIQ / MIP2Q and 0 for pruned N:M weights. INT8 and INT4 are
blocks of length 1 with no metadata.

Because the per-block fields are paid per block rather than per real weight, short
reduction runs blow up: a ResNet conv1 (C = 3 input channels, so each block of L = 8 holds
3 real weights and 5 padding positions) under strum-dliq:L=8,k=4 stores 8 mask + 3 shift
bits for 3 INT8 weights, 11.8 bits/weight (MIP2Q: 10.8) against 8.1 for INT8.
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
