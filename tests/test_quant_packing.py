"""encode / decode: exact length, bit-exact round trip, and rejection of bad streams."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from quant import QuantError, decode, encode, quantize, synthetic_weights


def same_bits(a, b):
    return a.dtype == b.dtype == np.float32 and np.array_equal(a.view(np.uint32), b.view(np.uint32))


shapes = st.one_of(
    st.tuples(st.integers(1, 6), st.integers(1, 40)),                                   # FC
    st.tuples(st.integers(1, 5), st.integers(1, 24), st.integers(1, 3), st.integers(1, 3)),  # conv
    st.tuples(st.integers(1, 6), st.just(1), st.integers(1, 5), st.integers(1, 5)),     # depthwise
)


@st.composite
def schemes(draw):
    kind = draw(st.sampled_from(["int8", "int4", "strum-dliq", "strum-mip2q", "nm"]))
    if kind in ("int8", "int4"):
        return kind
    if kind == "nm":
        M = draw(st.integers(2, 16))
        return f"nm:N={draw(st.integers(1, M))},M={M}"
    L = draw(st.integers(2, 33))
    k = draw(st.integers(0, L))
    select = draw(st.sampled_from(["magnitude", "fixed"]))
    meta = "none" if select == "fixed" else draw(st.sampled_from(["mask", "index"]))
    extra = (f"shift_max={draw(st.integers(0, 7))}" if kind == "strum-dliq"
             else f"round={draw(st.sampled_from(['linear', 'log']))}")
    return f"{kind}:L={L},k={k},select={select},meta={meta},{extra}"


@settings(max_examples=300, deadline=None)
@given(shape=shapes, scheme=schemes(), seed=st.integers(0, 2**16),
       scale=st.sampled_from([1e-3, 1.0, 300.0]))
def test_round_trip_is_bit_exact(shape, scheme, seed, scale):
    w = synthetic_weights(shape, seed) * np.float32(scale)
    qw = quantize(w, scheme)
    data = encode(qw)
    assert isinstance(data, bytes)
    assert len(data) == math.ceil(qw.stored_bits / 8)
    assert same_bits(decode(data, shape, scheme), qw.dequantized)
    assert same_bits(decode(data, shape, qw.scheme), qw.dequantized)


@pytest.mark.parametrize("scheme", ["int8", "strum-dliq", "strum-mip2q:meta=index", "nm"])
def test_round_trip_other_axis_order(scheme):
    w = np.transpose(synthetic_weights((8, 12, 3, 3), 4), (2, 3, 1, 0))      # HWIO
    qw = quantize(w, scheme, axis_order="HWIO")
    out = decode(encode(qw), w.shape, scheme, axis_order="HWIO")
    assert out.shape == w.shape and same_bits(out, qw.dequantized)


def test_zero_channels_and_tensor_round_trip():
    w = synthetic_weights((4, 16, 3, 3), 0)
    w[1] = 0
    for s in ("int8", "strum-dliq", "strum-mip2q", "nm"):
        qw = quantize(w, s)
        assert same_bits(decode(encode(qw), w.shape, s), qw.dequantized)
    qz = quantize(np.zeros((2, 8), np.float32), "strum-dliq")
    assert same_bits(decode(encode(qz), (2, 8), "strum-dliq"), qz.dequantized)


def test_layout_starts_with_fp16_scales():
    w = synthetic_weights((3, 16), 0)
    qw = quantize(w, "strum-dliq")
    data = encode(qw)
    assert data[:6] == qw.scales.astype(">f2").tobytes()
    # then 2 blocks x 8 mask bits per row: the first mask byte is row 0's first block
    assert data[6] == int("".join("1" if b else "0" for b in qw.codes["hp"][0, 0]), 2)


def test_int8_stream_is_scales_then_codes():
    w = synthetic_weights((2, 5, 1, 1), 0)
    qw = quantize(w, "int8")
    data = encode(qw)
    assert data[4:] == qw.codes["q8"].astype(np.int8).tobytes()


def test_wrong_length_is_rejected():
    w = synthetic_weights((4, 16), 0)
    qw = quantize(w, "strum-dliq")
    data = encode(qw)
    with pytest.raises(QuantError, match="bytes"):
        decode(data + b"\0", w.shape, "strum-dliq")
    with pytest.raises(QuantError, match="stream has"):
        decode(data[:-3], w.shape, "strum-dliq")


def test_corrupt_index_metadata_is_rejected():
    w = synthetic_weights((1, 8), 0)
    qw = quantize(w, "strum-dliq:meta=index,k=2")
    data = bytearray(encode(qw))
    # after the 16-bit scale come two 3-bit indices: make them equal (both 0)
    data[2] = 0
    with pytest.raises(QuantError, match="repeats a position"):
        decode(bytes(data), w.shape, "strum-dliq:meta=index,k=2")


def test_decode_checks_its_scheme_and_shape():
    with pytest.raises(QuantError, match="int3"):
        decode(b"", (2, 2), "int3")
    with pytest.raises(QuantError, match="shape"):
        decode(b"", (2,), "int8")
