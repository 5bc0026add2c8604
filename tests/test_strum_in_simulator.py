"""StruM in the simulator: packed bytes move through DMA/SRAM, the multiply mix prices the MACs."""
import numpy as np
import pandas as pd
import pytest

import archsim
import quant
import workloads
from archsim.cli import main
from archsim.formats import layer_weights


@pytest.fixture(scope="module")
def runs():
    return {q: archsim.simulate("mobilenet_v2", "flexnn", quant=q, dataflow="os")
            for q in ("int8", "strum-dliq:L=8,k=4", "strum-mip2q:L=8,k=4")}


def test_weight_bytes_are_the_encoded_sizes(runs):
    g = workloads.get("mobilenet_v2")
    res = runs["strum-mip2q:L=8,k=4"].layers.set_index("layer")
    for name in ("features.0.0", "features.2.conv.1.0", "classifier.1"):
        w, source = layer_weights(g.nodes[name]["layer"], seed=0)
        assert source == "synthetic"
        encoded = quant.encode(quant.quantize(w, "strum-mip2q:L=8,k=4"))
        assert res.loc[name, "weight_bytes"] == len(encoded)


def test_strum_moves_fewer_weight_bytes_than_int8(runs):
    int8 = runs["int8"].summary.iloc[0]
    for q in ("strum-dliq:L=8,k=4", "strum-mip2q:L=8,k=4"):
        s = runs[q].summary.iloc[0]
        assert s["weight_bytes"] < int8["weight_bytes"]
        assert s["dram_read_bytes"] < int8["dram_read_bytes"]
        assert s["weight_source"] == "synthetic"


def test_mac_energy_follows_the_multiply_mix(runs):
    g = workloads.get("mobilenet_v2")
    name = "features.2.conv.0.0"
    layer = g.nodes[name]["layer"]
    w, _ = layer_weights(layer, seed=0)
    uses = layer.macs // layer.weight_count
    for q, kinds in (("strum-dliq:L=8,k=4", ("mul8x8", "mul8x4")), ("strum-mip2q:L=8,k=4", ("mul8x8", "shift"))):
        mix = quant.quantize(w, q).mix
        e = runs[q].energy
        rows = e[(e["layer"] == name) & (e["component"] == "pe_array")].set_index("action")
        for kind in kinds:
            assert rows.loc[kind, "count"] == mix[kind] * uses
        assert "mul8x4" not in rows.index or kinds[1] == "mul8x4"
    pe = {q: r.energy[r.energy["component"] == "pe_array"].query("action != 'leakage'")["energy_pj"].sum()
          for q, r in runs.items()}
    assert pe["strum-mip2q:L=8,k=4"] < pe["strum-dliq:L=8,k=4"] < pe["int8"]


def test_same_macs_whatever_the_format(runs):
    macs = {q: r.summary.iloc[0]["macs"] for q, r in runs.items()}
    assert len(set(macs.values())) == 1


def test_quantize_command_writes_one_row_per_layer_and_scheme(tmp_path):
    assert main(["quantize", "resnet18", "--quant", "int4", "--quant", "strum-dliq:L=16,k=4",
                 "--out", str(tmp_path)]) == 0
    df = pd.read_csv(tmp_path / "quant.csv")
    g = workloads.get("resnet18")
    n_gemm = sum(g.nodes[n]["layer"].has_weights for n in g)
    assert len(df) == 2 * n_gemm + 2
    net = df[df["layer"] == "network"].set_index("scheme")
    assert set(net.index) == {"int4", str(quant.parse_scheme("strum-dliq:L=16,k=4"))}
    assert net.loc["int4", "weight_count"] == sum(g.nodes[n]["layer"].weight_count for n in g)
    for col in ("bits_per_weight", "hp_fraction", "mse", "sqnr_db", "mul8x8_fraction", "mul8x4_fraction",
                "shift_fraction", "weight_source"):
        assert col in df.columns
    strum = net.iloc[1]
    assert strum["sqnr_db"] > net.loc["int4", "sqnr_db"]
    assert 0.2 < strum["hp_fraction"] < 0.3  # k/L = 4/16


def test_pretrained_weights_are_used_and_reported():
    pytest.importorskip("torch")
    from archsim.accuracy import to_workload_layers
    res = archsim.simulate("mnist_cnn", "flexnn", quant="strum-dliq", weights="pretrained")
    assert res.summary.iloc[0]["weight_source"] == "real"
    real = list(to_workload_layers("mnist").values())
    expected = sum(len(quant.encode(quant.quantize(w, "strum-dliq"))) for w in real)
    assert res.summary.iloc[0]["weight_bytes"] == expected
    synthetic = archsim.simulate("mnist_cnn", "flexnn", quant="strum-dliq")
    assert synthetic.summary.iloc[0]["weight_source"] == "synthetic"
    assert not np.isclose(res.layers["weight_sqnr_db"], synthetic.layers["weight_sqnr_db"]).all()


def test_pretrained_for_a_network_without_weights_is_a_clear_error():
    with pytest.raises(workloads.WorkloadError, match="resnet18"):
        archsim.simulate("resnet18", "flexnn", weights="pretrained")


def test_quantize_command_measures_accuracy_on_real_data(tmp_path):
    pytest.importorskip("torch")
    assert main(["quantize", "mnist_cnn", "--weights", "pretrained", "--quant", "int8", "--quant", "strum-dliq",
                 "--accuracy", "--out", str(tmp_path)]) == 0
    acc = pd.read_csv(tmp_path / "accuracy.csv").set_index("format")
    assert acc.loc["float", "n_samples"] == 5000
    assert abs(acc.loc["strum-dliq", "top1_pct"] - acc.loc["int8", "top1_pct"]) <= 1.0


def test_quantize_accuracy_needs_a_model_with_data(capsys, tmp_path):
    assert main(["quantize", "resnet18", "--accuracy", "--out", str(tmp_path)]) == 2
    assert "mnist_cnn" in capsys.readouterr().err
    assert not (tmp_path / "quant.csv").exists()
