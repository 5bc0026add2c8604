"""The vectorized selection and low-precision kernels against plain references.

select_magnitude finds each block's threshold with a comparator network for short blocks;
DLIQ picks its shift from exact integer error sums packed several shifts to a float64; both
must give exactly what a per-block sort / loop gives, ties included.
"""
import itertools

import numpy as np
import pytest

from quant.lowprec import dliq, mip2q, p2_value
from quant.select import _selection_network, select_magnitude


def ref_select(q, k):
    """k largest |q| per block (last axis), ties to the lower index, by a stable sort."""
    L = q.shape[-1]
    order = np.argsort(-np.abs(q.astype(np.int64)), axis=-1, kind="stable")
    hp = np.zeros(q.shape, dtype=bool)
    np.put_along_axis(hp, order[..., :max(0, min(k, L))], True, axis=-1)
    return hp


@pytest.mark.parametrize("L", list(range(2, 18)) + [24, 32])
def test_select_magnitude_matches_sort_with_ties(L):
    rng = np.random.default_rng(L)
    for k in range(-1, L + 2):
        for shape, hi in (((1, 1, L), 2), ((5, 7, L), 1), ((20, 30, L), 127), ((L,), 3)):
            q = rng.integers(-hi, hi + 1, shape).astype(np.int16)
            got = select_magnitude(q, k)
            assert got.dtype == bool and got.shape == q.shape and got.flags.c_contiguous
            assert np.array_equal(got, ref_select(q, k)), (L, k, shape)


@pytest.mark.parametrize("n", range(2, 11))
def test_selection_network_zero_one_principle(n):
    """A comparator network that selects on every 0/1 input selects on every input."""
    x = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int8)
    want = np.sort(x, axis=1)
    for t in range(n):
        wires = [x[:, i].copy() for i in range(n)]
        for i, j in _selection_network(n, t):
            wires[i], wires[j] = np.minimum(wires[i], wires[j]), np.maximum(wires[i], wires[j])
        assert np.array_equal(wires[t], want[:, t])


def ref_dliq_block(low, shift_max, round_mode):
    """(shift, q4) of one block's low codes by trying every shift (ties: the smaller shift)."""
    def rnd(v, e):
        return round(v / (1 << e)) if round_mode == "even" else (v + (1 << e >> 1)) >> e
    best = None
    for e in range(shift_max + 1):
        q4 = [min(max(rnd(v, e), -8), 7) for v in low]
        err = sum((v - (x << e)) ** 2 for v, x in zip(low, q4))
        if best is None or err < best[0]:
            best = (err, e, q4)
    return best[1], best[2]


@pytest.mark.parametrize("L, shift_max, round_mode", [
    (8, 4, "even"), (8, 7, "up"), (3, 2, "even"), (16, 4, "up"), (256, 7, "even")])
def test_dliq_matches_per_block_loop(L, shift_max, round_mode):
    rng = np.random.default_rng(L + shift_max)
    q = rng.integers(-128, 128, (6, 5, L)).astype(np.int16)
    q[0] = 127                                       # the largest errors a block can sum
    q[1] = -128
    q[2] = rng.integers(-20, 21, (5, L))               # many ties between shifts
    q[3, :, ::2] = 0
    hp = rng.random(q.shape) < 0.3
    hp[0] = hp[1] = False
    q4, shift, q_hat = dliq(q, hp, shift_max, round_mode)
    assert q4.dtype == q_hat.dtype == np.int16 and shift.dtype == np.uint8
    assert shift.shape == q.shape[:2]
    for r, b in np.ndindex(shift.shape):
        low = hp[r, b] == 0
        e, ref_q4 = ref_dliq_block([int(v) for v in q[r, b][low]], shift_max, round_mode)
        assert shift[r, b] == e
        assert q4[r, b][low].tolist() == ref_q4
        assert (q4[r, b][~low] == 0).all()
        assert np.array_equal(q_hat[r, b][low], q4[r, b][low].astype(np.int64) << e)
        assert np.array_equal(q_hat[r, b][~low], q[r, b][~low])


@pytest.mark.parametrize("round_mode, emin", [("linear", 0), ("log", 1)])
def test_mip2q_fields_zero_at_high_precision(round_mode, emin):
    q = np.arange(-128, 128, dtype=np.int16).reshape(32, 8)
    hp = (np.arange(q.size) % 3 == 0).reshape(q.shape)
    sign, exp, q_hat = mip2q(q, hp, round_mode, emin)
    assert sign.dtype == exp.dtype == np.uint8 and q_hat.dtype == np.int16
    assert (sign[hp] == 0).all() and (exp[hp] == 0).all()
    assert np.array_equal(q_hat[hp], q[hp])
    assert np.array_equal(sign[~hp], (q[~hp] < 0).astype(np.uint8))
    assert np.array_equal(p2_value(sign, exp, emin)[~hp], q_hat[~hp])
