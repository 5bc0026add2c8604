"""quantize(): codes, exact stored bits, selection, DLIQ / MIP2Q rules, mix and error."""
import math

import numpy as np
import pytest

from quant import QuantError, WeightFormat, parse_scheme, quantize, synthetic_weights

SCHEMES = ["int8", "int4", "strum-dliq", "strum-mip2q", "nm", "strum-dliq:shift=none",
           "strum-mip2q:round=log", "strum-dliq:meta=index,L=16,k=4", "strum-mip2q:select=fixed",
           "nm:N=1,M=8"]


def ref_int8(w):
    """Independent per-output-channel INT8 reference: fp16 scale, codes, dequantized."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    s = (amax.astype(np.float64) / 127).astype(np.float16).astype(np.float32)
    bshape = (-1,) + (1,) * (w.ndim - 1)
    q = np.clip(np.rint(w / s.reshape(bshape)), -128, 127)
    return s, q.astype(np.int16), (q * s.reshape(bshape)).astype(np.float32)


@pytest.fixture(scope="module")
def conv():
    return synthetic_weights((64, 64, 3, 3), seed=1)


def test_stored_bits_by_hand_conv_dliq(conv):
    qw = quantize(conv, "strum-dliq:L=8,k=4,meta=mask")
    n = 64 * 64 * 3 * 3                  # 36864 weights
    blocks = 64 * 3 * 3 * (64 // 8)      # one row per (o, h, w), 8 blocks of 8 along I
    expected = (64 * 16                  # fp16 scale per output channel
                + blocks * 8             # 8-bit mask per block
                + blocks * 3             # shift 0..4 -> 3 bits per block
                + n // 2 * 8 + n // 2 * 4)
    assert expected == 272896
    assert qw.stored_bits == expected
    assert qw.bits == {"scale": 1024, "meta": 36864, "shift": 13824, "data8": 147456, "data4": 73728}
    assert qw.bits_per_weight == pytest.approx(expected / n)
    assert qw.hp_fraction == 0.5
    assert qw.weights == n


@pytest.mark.parametrize("scheme, bits", [
    ("int8", 64 * 16 + 36864 * 8),
    ("int4", 64 * 16 + 36864 * 4),
    ("nm", 64 * 16 + (36864 // 4) * 2 * 2 + 36864 // 2 * 8),          # 2 indices x 2 bits per group
    ("strum-mip2q", 64 * 16 + 4608 * 8 + 36864 // 2 * 12),             # no shift field
    ("strum-dliq:meta=index", 64 * 16 + 4608 * (4 * 3 + 3) + 36864 // 2 * 12),
    ("strum-dliq:select=fixed", 64 * 16 + 4608 * 3 + 36864 // 2 * 12),  # no metadata
    ("strum-dliq:shift=none", 64 * 16 + 4608 * 8 + 36864 // 2 * 12),
    ("strum-dliq:L=16,k=4,shift_max=1", 64 * 16 + 2304 * (16 + 1) + 36864 // 4 * 8 + 36864 * 3 // 4 * 4),
    ("strum-dliq:k=8", 64 * 16 + 36864 * 8),                            # k = L: no meta, no shift
])
def test_stored_bits_other_schemes(conv, scheme, bits):
    assert quantize(conv, scheme).stored_bits == bits


def test_padding_last_block():
    # I = 10, L = 8: each (o, h, w) row has a full block and a block with 2 real + 6 padding
    w = synthetic_weights((4, 10, 3, 3), seed=2)
    qw = quantize(w, "strum-dliq:L=8,k=4")
    rows, blocks = 4 * 9, 4 * 9 * 2
    n_hp = rows * (4 + 2)                 # the short block keeps both real weights at 8 bits
    n_lp = rows * 4
    assert qw.hp_fraction == n_hp / 360
    assert qw.stored_bits == 4 * 16 + blocks * (8 + 3) + n_hp * 8 + n_lp * 4
    hp = qw.codes["hp"]
    assert hp.shape == (36, 2, 8)
    assert (hp.sum(axis=-1) == 4).all()   # k per padded block, padding included
    assert hp[:, 1, :2].all()             # real weights win every tie against padding


@pytest.mark.parametrize("shape, rows, run", [
    ((8, 1, 3, 3), 8, 9),        # depthwise: flattened reduction axis
    ((10, 20), 10, 20),          # FC
    ((6, 12, 1, 1), 6, 12),      # pointwise
    ((6, 12, 3, 3), 54, 12),     # conv: one row per (o, h, w)
])
def test_block_geometry(shape, rows, run):
    qw = quantize(synthetic_weights(shape, 0), "strum-dliq")
    lay = qw.layout
    assert (lay.rows, lay.run, lay.nblk) == (rows, run, -(-run // 8))
    assert qw.dequantized.shape == shape and qw.dequantized.dtype == np.float32


@pytest.mark.parametrize("scheme", SCHEMES)
def test_hp_values_are_the_int8_codes(conv, scheme):
    qw = quantize(conv, scheme)
    s, q, deq = ref_int8(conv)
    if scheme == "int4":
        return
    lay = qw.layout
    assert np.array_equal(lay.from_blocks(qw.codes["q8"]), q)
    hp = qw.codes["hp"]
    assert np.array_equal(qw.codes["q_hat"][hp], qw.codes["q8"][hp])
    assert np.array_equal(qw.scales.astype(np.float32), s)
    if scheme == "int8":
        assert np.array_equal(qw.dequantized, deq)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_mix_counts_sum_to_weights(conv, scheme):
    qw = quantize(conv, scheme)
    assert set(qw.mix) == {"mul8x8", "mul8x4", "shift", "skip"}
    assert sum(qw.mix.values()) == qw.weights
    wf = qw.summary()
    assert isinstance(wf, WeightFormat)
    assert sum(wf.mix.values()) == pytest.approx(1.0)
    assert wf.stored_bits == qw.stored_bits and wf.stored_bytes == math.ceil(qw.stored_bits / 8)
    assert wf.scheme == str(parse_scheme(scheme))


def test_mix_by_scheme(conv):
    n = conv.size
    assert quantize(conv, "int8").mix == {"mul8x8": n, "mul8x4": 0, "shift": 0, "skip": 0}
    assert quantize(conv, "int4").mix == {"mul8x8": 0, "mul8x4": n, "shift": 0, "skip": 0}
    half = n // 2
    assert quantize(conv, "strum-dliq").mix == {"mul8x8": half, "mul8x4": half, "shift": 0, "skip": 0}
    assert quantize(conv, "nm").mix == {"mul8x8": n // 2, "mul8x4": 0, "shift": 0, "skip": n // 2}
    m = quantize(conv, "strum-mip2q")
    low = ~m.codes["hp"]
    zeros = int((m.codes["q8"][low] == 0).sum())
    assert m.mix == {"mul8x8": n // 2, "mul8x4": 0, "shift": n // 2 - zeros, "skip": zeros}
    assert zeros > 0


def ref_top_k(absq, k):
    """The k largest |q| per block, ties by lower index (lexsort reference)."""
    out = np.zeros(absq.shape, dtype=bool)
    flat, fo = absq.reshape(-1, absq.shape[-1]), out.reshape(-1, absq.shape[-1])
    for b in range(flat.shape[0]):
        order = np.lexsort((np.arange(flat.shape[1]), -flat[b]))
        fo[b, order[:k]] = True
    return out


@pytest.mark.parametrize("L, k", [(4, 1), (8, 4), (8, 6), (16, 3)])
def test_magnitude_selection_picks_k_largest(L, k):
    w = synthetic_weights((8, 16, 3, 3), seed=L + k)
    w[0, :8, 0, 0] = 0.5 * w[0].max()     # a block full of ties
    qw = quantize(w, f"strum-mip2q:L={L},k={k}")
    hp = qw.codes["hp"]
    assert (hp.sum(axis=-1) == k).all()
    assert np.array_equal(hp, ref_top_k(np.abs(qw.codes["q8"]), k))


def test_fixed_selection_takes_first_positions(conv):
    hp = quantize(conv, "strum-dliq:select=fixed,k=3").codes["hp"]
    assert hp[..., :3].all() and not hp[..., 3:].any()


@pytest.mark.parametrize("round_mode", ["even", "up"])
def test_dliq_shift_minimises_block_error(round_mode):
    w = synthetic_weights((6, 32, 3, 3), seed=5)
    w[:, :8] *= 6.0                       # widen some blocks so larger shifts win

    def rnd(v, e):  # Python's round() is half to even; the shift form is half up
        return round(v / (1 << e)) if round_mode == "even" else (v + (1 << e >> 1)) >> e
    for shift_max in (4, 2, 7):
        qw = quantize(w, f"strum-dliq:L=8,k=2,shift_max={shift_max},round={round_mode}")
        q, hp, shift = qw.codes["q8"], qw.codes["hp"], qw.codes["shift"]
        q4, q_hat = qw.codes["q4"], qw.codes["q_hat"]
        for r, b in np.ndindex(shift.shape):
            low = [int(v) for v in q[r, b][~hp[r, b]]]

            def err(e):
                rec = [min(max(rnd(v, e), -8), 7) << e for v in low]
                return sum((v - x) ** 2 for v, x in zip(low, rec))
            errs = [err(e) for e in range(shift_max + 1)]
            e = int(shift[r, b])
            assert errs[e] == min(errs) and errs.index(min(errs)) == e
            lq4 = q4[r, b][~hp[r, b]]
            assert lq4.min() >= -8 and lq4.max() <= 7
            assert np.array_equal(q_hat[r, b][~hp[r, b]], lq4.astype(np.int64) << e)
        assert len(set(shift.ravel().tolist())) > 1


def test_dliq_default_rounding_is_unbiased():
    """Half-to-even leaves no systematic offset; the rounding shift adds +1/2 step per tie."""
    q = np.arange(-100, 101, dtype=np.int16)
    w = np.tile(q.astype(np.float32), (1, 8))[:, :1600].reshape(1, 1600)
    w[0, 0] = 127.0                       # scale = 1, so INT8 codes equal the values
    even = quantize(w, "strum-dliq:L=8,k=1,round=even").dequantized
    up = quantize(w, "strum-dliq:L=8,k=1,round=up").dequantized
    assert abs(float((even - w).mean())) < abs(float((up - w).mean()))
    assert float((up - w).mean()) > 0


def test_dliq_without_shift_is_int4_clip(conv):
    qw = quantize(conv, "strum-dliq:shift=none")
    low = ~qw.codes["hp"]
    assert not qw.codes["shift"].any()
    assert np.array_equal(qw.codes["q_hat"][low], np.clip(qw.codes["q8"][low], -8, 7))


@pytest.mark.parametrize("round_mode", ["linear", "log"])
def test_mip2q_low_values_are_signed_powers_of_two(conv, round_mode):
    qw = quantize(conv, f"strum-mip2q:round={round_mode}")
    low = ~qw.codes["hp"]
    q, v = qw.codes["q8"][low].astype(np.int64), qw.codes["q_hat"][low].astype(np.int64)
    sign, code = qw.codes["sign"][low], qw.codes["exp"][low]
    assert ((v == 0) == (q == 0)).all()
    mag = np.abs(v[v != 0])
    assert ((mag & (mag - 1)) == 0).all() and mag.max() <= 64
    assert (np.sign(v) == np.sign(q)).all()
    assert code.max() <= 7
    from_fields = np.where(code == 0, 0, np.left_shift(1, np.maximum(code.astype(np.int64), 1) - 1))
    assert np.array_equal(v, np.where(sign == 1, -1, 1) * from_fields)
    nz = q != 0
    powers = 2 ** np.arange(7)
    if round_mode == "linear":
        best = np.abs(np.abs(q[nz])[:, None] - powers).min(axis=1)
        assert np.array_equal(np.abs(np.abs(q[nz]) - mag), best)
    else:
        assert np.array_equal(mag, 2 ** np.clip(np.rint(np.log2(np.abs(q[nz]))), 0, 6).astype(np.int64))


def test_mip2q_linear_ties_go_to_larger_power():
    w = np.array([[127.0, 3.0, 6.0, 12.0, -24.0, -48.0, 96.0, 0.0, 1.0]], dtype=np.float32)
    qw = quantize(w, "strum-mip2q:L=8,k=1")
    assert qw.layout.from_blocks(qw.codes["q_hat"]).tolist() == [[127, 4, 8, 16, -32, -64, 64, 0, 1]]


def test_k_equal_L_is_int8(conv):
    a, b = quantize(conv, "int8"), quantize(conv, "strum-dliq:L=8,k=8")
    c = quantize(conv, "strum-mip2q:L=16,k=16")
    for x in (b, c):
        assert np.array_equal(a.dequantized.view(np.uint32), x.dequantized.view(np.uint32))
        assert x.stored_bits == a.stored_bits and x.mix == a.mix and x.mse == a.mse


def test_nm_keeps_exactly_n_per_group():
    w = synthetic_weights((16, 32, 3, 3), seed=3)
    w += np.sign(w) * 0.05 * np.abs(w).max()     # no INT8 code is zero
    for N, M in [(2, 4), (1, 4), (4, 8), (3, 4), (8, 8)]:
        qw = quantize(w, f"nm:N={N},M={M}")
        qh = qw.codes["q_hat"]
        assert ((qh != 0).sum(axis=-1) == N).all()
        kept = qw.codes["hp"]
        assert (kept.sum(axis=-1) == N).all() and not qh[~kept].any()
        assert np.array_equal(kept, ref_top_k(np.abs(qw.codes["q8"]), N))


@pytest.mark.parametrize("seed", [0, 1])
def test_strum_beats_int4_on_synthetic(seed):
    w = synthetic_weights((128, 128, 3, 3), seed)
    int4 = quantize(w, "int4").sqnr_db
    for s in ("strum-dliq", "strum-mip2q", "strum-dliq:shift=none", "strum-dliq:L=16,k=4"):
        assert quantize(w, s).sqnr_db > int4 + 3, s
    assert quantize(w, "int8").sqnr_db > quantize(w, "strum-dliq").sqnr_db


def test_strum_beats_int4_on_heavy_tailed_weights():
    """Weights harsher than synthetic_weights: Student-t(3), outlier channels, dead inputs."""
    rng = np.random.default_rng(7)
    w = rng.standard_t(3, size=(96, 64, 3, 3)) * np.exp(rng.normal(0, 1.0, (96, 1, 1, 1)))
    w[:, ::9] *= 0.01
    w[3, 5, 1, 1] = 50 * np.abs(w[3]).max()
    int4 = quantize(w, "int4").sqnr_db
    for s in ("strum-dliq", "strum-mip2q"):
        assert quantize(w, s).sqnr_db > int4 + 3


def test_axis_order_hwio_matches_oihw(conv):
    hwio = np.transpose(conv, (2, 3, 1, 0))
    a, b = quantize(conv, "strum-dliq"), quantize(hwio, "strum-dliq", axis_order="HWIO")
    assert np.array_equal(np.transpose(a.dequantized, (2, 3, 1, 0)), b.dequantized)
    assert a.stored_bits == b.stored_bits and b.axis_order == "HWIO"


def test_error_statistics(conv):
    qw = quantize(conv, "strum-dliq")
    d = conv.astype(np.float64) - qw.dequantized
    assert qw.mse == pytest.approx(np.mean(d ** 2), rel=1e-5)
    sig = np.sum(conv.astype(np.float64) ** 2)
    assert qw.sqnr_db == pytest.approx(10 * np.log10(sig / np.sum(d ** 2)), rel=1e-5)


def test_zero_tensor_and_zero_channel():
    z = quantize(np.zeros((4, 8)), "strum-dliq")
    assert z.sqnr_db == math.inf and z.mse == 0 and not z.dequantized.any()
    w = synthetic_weights((4, 16), 0)
    w[2] = 0
    qw = quantize(w, "strum-mip2q")
    assert not qw.dequantized[2].any() and qw.scales[2] == 0 and np.isfinite(qw.sqnr_db)


def test_exact_representable_weights_round_trip():
    q = np.arange(-8, 8, dtype=np.float32).reshape(2, 8) * 0.25
    q[:, 0] = 127 * 0.25
    assert quantize(q, "int8").sqnr_db == math.inf


def test_float64_and_integer_inputs():
    w = synthetic_weights((8, 16), 0)
    a, b = quantize(w, "int8"), quantize(w.astype(np.float64), "int8")
    assert np.array_equal(a.dequantized, b.dequantized)
    assert quantize(np.arange(32).reshape(4, 8), "int4").dequantized.dtype == np.float32


@pytest.mark.parametrize("weights, kwargs, words", [
    (np.array([1.0, np.nan]).reshape(1, 2), {}, ["NaN"]),
    (np.ones(5), {}, ["shape=(5,)"]),
    (np.ones((2, 0)), {}, ["shape=(2, 0)"]),
    (np.ones((2, 3), dtype=complex), {}, ["dtype=complex128"]),
    (np.ones((2, 3, 3, 3)), {"axis_order": "OIH"}, ["axis_order='OIH'"]),
    (np.ones((2, 3, 3, 3)), {"axis_order": "ABCD"}, ["axis_order='ABCD'"]),
    (np.ones((2, 3)) * 1e9, {}, ["fp16"]),
])
def test_bad_weights(weights, kwargs, words):
    with pytest.raises(QuantError) as exc:
        quantize(weights, "strum-dliq", **kwargs)
    for w in words:
        assert w in str(exc.value)


def test_bad_scheme_in_quantize():
    with pytest.raises(QuantError, match="k=9"):
        quantize(np.ones((2, 8)), "strum-dliq:k=9")
