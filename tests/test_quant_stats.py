"""synthetic_weights, layer_stats / network_stats, and the package's public surface."""
import math

import numpy as np
import pytest

import quant
from quant import QuantError, layer_stats, network_stats, quantize, synthetic_weights
from quant.synthetic import T_CHUNK, _student_t8


def test_synthetic_is_deterministic_float32():
    a, b = synthetic_weights((32, 16, 3, 3), 7), synthetic_weights((32, 16, 3, 3), 7)
    assert a.dtype == np.float32 and a.shape == (32, 16, 3, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, synthetic_weights((32, 16, 3, 3), 8))


def test_synthetic_distribution_is_realistic():
    w = synthetic_weights((256, 256, 3, 3), 0).astype(np.float64)
    fan_in = 256 * 9
    assert 0.5 * math.sqrt(2 / fan_in) < w.std() < 2 * math.sqrt(2 / fan_in)
    c = w.reshape(256, -1)
    x = c / c.std(axis=1, keepdims=True)
    kurt = (x ** 4).mean() - 3
    assert 0.5 < kurt < 4                                  # heavier than Gaussian, about Laplace or less
    spread = np.log(c.std(axis=1)).std()
    assert 0.2 < spread < 0.6                              # per-channel scales differ
    dw = synthetic_weights((256, 1, 3, 3), 0).reshape(256, -1)
    assert np.log(np.abs(dw).max(axis=1)).std() > 2 * spread   # depthwise channels differ more


def _t8_cdf(t: np.ndarray) -> np.ndarray:
    """Exact Student-t(8) CDF: for even nu, 1/2 + x/2 sum_{j<nu/2} c_j (1 - x^2)^j,
    x = t / sqrt(nu + t^2), c_0 = 1, c_{j+1} = c_j (2j + 1) / (2j + 2)."""
    x = t / np.sqrt(8.0 + t * t)
    total, power, c = np.zeros_like(t), np.ones_like(t), 1.0
    for j in range(4):
        total += c * power
        power = power * (1.0 - x * x)
        c *= (2 * j + 1) / (2 * j + 2)
    return 0.5 + 0.5 * x * total


def test_unit_draw_is_student_t8():
    """Bailey's polar draw against the exact t8 law: Kolmogorov-Smirnov distance below the 1 %
    critical value 1.63 / sqrt(n), variance 4/3 and excess kurtosis 1.5 (a Gaussian has 0)."""
    n = 10 ** 6 + 7                                        # many chunks and a cut last one
    t = _student_t8(np.random.default_rng(0), n)
    assert t.dtype == np.float32 and t.shape == (n,)
    t = np.sort(t.astype(np.float64))
    cdf = _t8_cdf(t)
    i = np.arange(1, n + 1)
    ks = max((i / n - cdf).max(), (cdf - (i - 1) / n).max())
    assert ks < 1.63 / math.sqrt(n)
    var = t.var()
    kurt = ((t - t.mean()) ** 4).mean() / var ** 2 - 3
    assert abs(t.mean()) < 0.006                          # 5 sd
    assert abs(var - 4 / 3) < 0.015                       # sd of the estimate ~0.003
    assert 1.2 < kurt < 2.2                               # Gaussian 0, Laplace 3; sd ~0.08


@pytest.mark.parametrize("n", [1, 7, T_CHUNK - 1, T_CHUNK, 3 * T_CHUNK + 5])
def test_unit_draw_sizes(n):
    t = _student_t8(np.random.default_rng(n), n)
    assert t.shape == (n,) and t.dtype == np.float32 and np.isfinite(t).all()
    assert np.array_equal(t, _student_t8(np.random.default_rng(n), n))


@pytest.mark.parametrize("shape, seed", [((5,), 0), ((4, 0), 0), ((4, 4), -1), ((4, 4), 1.5)])
def test_synthetic_bad_args(shape, seed):
    with pytest.raises(QuantError):
        synthetic_weights(shape, seed)


SCHEMES = ["int8", "int4", "strum-dliq", "strum-mip2q", "nm"]


@pytest.fixture(scope="module")
def rows():
    out = []
    for i, shape in enumerate([(32, 16, 3, 3), (32, 1, 3, 3), (10, 32)]):
        out += layer_stats(f"l{i}", synthetic_weights(shape, i), SCHEMES)
    return out


def test_layer_rows(rows):
    assert len(rows) == 15
    r = rows[2]
    assert r["layer"] == "l0" and r["scheme"].startswith("strum-dliq:L=8,k=4")
    assert r["weight_count"] == 32 * 16 * 9
    assert r["stored_bytes"] == math.ceil(r["stored_bits"] / 8)
    assert r["stored_bits"] == r["scale_bits"] + r["meta_bits"] + r["shift_bits"] + r["data_bits"]
    assert r["bits_per_weight"] == pytest.approx(r["stored_bits"] / r["weight_count"])
    assert sum(r[f"{k}_fraction"] for k in ("mul8x8", "mul8x4", "shift", "skip")) == pytest.approx(1)
    assert list(r) == list(quant.stats.COLUMNS)
    qw = quantize(synthetic_weights((32, 16, 3, 3), 0), "strum-dliq")
    assert r["sqnr_db"] == qw.sqnr_db and r["mse"] == qw.mse


def test_network_aggregate_is_weighted(rows):
    net = network_stats(rows, name="toy")
    assert [n["scheme"] for n in net] == [r["scheme"] for r in rows[:5]]
    for agg in net:
        mine = [r for r in rows if r["scheme"] == agg["scheme"]]
        n = sum(r["weight_count"] for r in mine)
        assert agg["layer"] == "toy" and agg["layers"] == 3 and agg["weight_count"] == n
        assert agg["stored_bits"] == sum(r["stored_bits"] for r in mine)
        assert agg["bits_per_weight"] == pytest.approx(agg["stored_bits"] / n)
        hp = sum(r["hp_fraction"] * r["weight_count"] for r in mine) / n
        assert agg["hp_fraction"] == pytest.approx(hp)
        assert agg["mse"] == pytest.approx(sum(r["mse"] * r["weight_count"] for r in mine) / n)
        sig = sum(r["weight_sumsq"] for r in mine)
        assert agg["sqnr_db"] == pytest.approx(10 * math.log10(sig / (agg["mse"] * n)))
        assert agg["worst_layer_sqnr_db"] == min(r["sqnr_db"] for r in mine)
    by = {a["scheme"].split(":")[0]: a for a in net}
    assert by["int4"]["sqnr_db"] < by["strum-dliq"]["sqnr_db"] < by["int8"]["sqnr_db"]


def test_layer_stats_single_scheme_and_errors():
    assert len(layer_stats("x", np.ones((2, 8)), "int8")) == 1
    with pytest.raises(QuantError, match="lacks columns"):
        network_stats([{"scheme": "int8"}])
    with pytest.raises(QuantError, match="shape"):
        layer_stats("x", np.ones(3), ["int8"])


def test_public_api():
    for name in ["QuantError", "Scheme", "parse_scheme", "available_schemes", "quantize",
                 "QuantizedWeights", "WeightFormat", "encode", "decode", "synthetic_weights",
                 "layer_stats", "network_stats"]:
        assert name in quant.__all__ and hasattr(quant, name)
