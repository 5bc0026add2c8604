"""load(): graphs, zoo names, SCALE-Sim CSV, YAML layer lists and ONNX models."""
import sys

import numpy as np
import pytest

import workloads
from workloads import WorkloadError, load, param_count, topological_layers

YAML = """\
name: tiny
layers:
  - {name: conv1, op: conv, C: 3, K: 16, H: 32, W: 32, R: 3, padding: 1, bn: true}
  - {name: pool1, op: pool, pool_kind: max, R: 2}
  - {name: conv2, op: conv, K: 16, R: 3, padding: 1}
  - {name: add, op: eltwise, inputs: [conv2, pool1]}
  - {name: side, op: dwconv, R: 3, padding: 1, inputs: pool1}
  - {name: cat, op: concat, inputs: [add, side]}
  - {name: fc, op: fc, K: 10, bias: true}
"""


def test_graph_passes_through_and_rebatches():
    g = workloads.get("resnet18")
    assert load(g) is g
    g2 = load(g, batch=2)
    assert g2.graph["batch"] == 2 and g.graph["batch"] == 1


def test_zoo_name_and_unknown_name():
    assert load("mobilenet_v2", batch=3).graph["batch"] == 3
    with pytest.raises(WorkloadError, match="alexnet") as err:
        load("alexnet")
    assert all(name in str(err.value) for name in workloads.available())
    with pytest.raises(WorkloadError, match="spec=42"):
        load(42)
    with pytest.raises(WorkloadError, match="batch=0"):
        load("resnet18", batch=0)


def test_csv_path(tmp_path):
    path = workloads.write_scalesim_topology(workloads.get("mnist_cnn"), tmp_path / "m.csv")
    g = load(str(path))
    assert g.graph["source"] == "scalesim" and g.number_of_nodes() == 5
    with pytest.raises(WorkloadError, match="does not exist"):
        load(tmp_path / "missing.csv")


def test_yaml_layer_list(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(YAML)
    g = load(path, batch=2)
    assert g.graph["name"] == "tiny" and g.graph["source"] == "yaml"
    pool, add, side, cat, fc = (g.nodes[n]["layer"] for n in ("pool1", "add", "side", "cat", "fc"))
    assert (pool.P, pool.stride, pool.K) == (16, 2, 16)
    assert set(g.predecessors("add")) == {"conv2", "pool1"}
    assert side.groups == 16 and side.P == 16
    assert cat.C == 32 and cat.P == 16
    assert fc.C == 32 * 16 * 16 and fc.N == 2
    assert param_count(g) == (16 * 27 + 32) + 16 * 16 * 9 + 16 * 9 + (fc.C * 10 + 10)


def test_yaml_top_level_list(tmp_path):
    path = tmp_path / "l.yml"
    path.write_text("- {name: a, op: fc, C: 8, K: 4}\n- {name: b, op: fc, K: 2}\n")
    g = load(path)
    assert g.nodes["b"]["layer"].C == 4 and g.graph["name"] == "l"


@pytest.mark.parametrize("body,field", [
    ("- {name: a, op: conv, C: 3, K: 8, H: 8, W: 8, R: 3, colour: red}\n", "colour"),
    ("- {name: a, op: conv, K: 8, H: 8, W: 8}\n", "'C'"),
    ("- {name: a, op: fc, C: 3, K: 8}\n- {name: b, op: fc, K: 2, inputs: [zz]}\n", "inputs="),
    ("- {name: a, op: conv, C: 3, K: 8, H: 8, W: 8, R: 3, stride: 0}\n", "stride=0"),
    ("- {name: a, op: conv, C: 3, K: 8, H: 8, W: 8, R: 3}\n- {name: b, op: conv, C: 5, K: 8, R: 1}\n", "C=5"),
    ("layers: 3\n", "layers=3"),
    ("- [1, 2]\n", "mapping"),
    ("- {name: a, op: conv, C: 3, K: 8, H: 2, W: 2, R: 5}\n", "kernel=5"),
])
def test_yaml_errors_name_the_field(tmp_path, body, field):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(WorkloadError, match=field):
        load(path)


def test_unknown_suffix(tmp_path):
    with pytest.raises(WorkloadError, match=".onnx"):
        load(tmp_path / "net.pb")


def test_onnx_missing_gives_install_hint(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(WorkloadError, match=r"pip install archsim\[onnx\]"):
        load(path)


def _onnx_model(onnx, batch_dim="N", width=8):
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)

    def init(name, shape, dtype=np.float32):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(dtype), name)

    w_dw = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
    w_q = rng.integers(-8, 8, (12, 5)).astype(np.int8)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mu", "var"], ["bn1"], name="bn1"),
        helper.make_node("Relu", ["bn1"], ["r1"]),
        helper.make_node("Constant", [], ["wdw"], value=numpy_helper.from_array(w_dw)),
        helper.make_node("Conv", ["r1", "wdw"], ["dw"], name="dw", group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["r1", "dw"], ["add"], name="add"),
        helper.make_node("Constant", [], ["w2c"], value=numpy_helper.from_array(
            rng.standard_normal((4, 8, 1, 1)).astype(np.float32))),
        helper.make_node("Identity", ["w2c"], ["w2"]),
        helper.make_node("Conv", ["add", "w2"], ["c2"], name="conv2"),
        helper.make_node("Concat", ["add", "c2"], ["cat"], name="cat", axis=1),
        helper.make_node("MaxPool", ["cat"], ["mp"], name="mp", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["mp"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wfc", "bfc"], ["fc"], name="fc", transB=1),
        helper.make_node("Constant", [], ["wq"], value=numpy_helper.from_array(w_q)),
        helper.make_node("Constant", [], ["sq"], value_float=0.5),
        helper.make_node("DequantizeLinear", ["wq", "sq"], ["wmm"]),
        helper.make_node("MatMul", ["cat_vec", "wmm"], ["mm"], name="mm"),
        helper.make_node("ReduceMean", ["cat"], ["cat_mean"], name="cat_mean", axes=[2, 3], keepdims=0),
        helper.make_node("Identity", ["cat_mean"], ["cat_vec"]),
        helper.make_node("Add", ["mm", "bmm"], ["mm_b"]),
    ]
    # topological order: ReduceMean before MatMul
    nodes = nodes[:14] + nodes[18:20] + nodes[14:18] + nodes[20:]
    inits = [init("w1", (8, 3, 3, 3)), init("b1", (8,)), init("g", (8,)), init("beta", (8,)),
             init("mu", (8,)), numpy_helper.from_array(np.ones(8, np.float32), "var"),
             init("wfc", (10, 12)), init("bfc", (10,)), init("bmm", (5,))]
    graph = helper.make_graph(
        nodes, "tiny_onnx",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch_dim, 3, 8, width])],
        [helper.make_tensor_value_info("fc", TensorProto.FLOAT, [batch_dim, 10]),
         helper.make_tensor_value_info("mm_b", TensorProto.FLOAT, [batch_dim, 5])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model, w_dw, w_q


def test_onnx_import_with_real_weights(tmp_path):
    onnx = pytest.importorskip("onnx")
    model, w_dw, w_q = _onnx_model(onnx)
    path = tmp_path / "tiny.onnx"
    onnx.save(model, str(path))
    g = load(path, batch=3)
    assert g.graph["source"] == "onnx" and g.graph["name"] == "tiny_onnx" and g.graph["batch"] == 3
    layers = {layer.name: layer for layer in topological_layers(g)}
    assert {n: layer.op for n, layer in layers.items()} == {
        "conv1": "conv", "dw": "dwconv", "add": "eltwise", "conv2": "conv", "cat": "concat",
        "mp": "pool", "gap": "pool", "fc": "fc", "cat_mean": "pool", "mm": "fc"}
    c1 = layers["conv1"]
    assert c1.bn and c1.bias and (c1.N, c1.C, c1.K, c1.P, c1.padding) == (3, 3, 8, 8, 1)
    np.testing.assert_array_equal(layers["dw"].weights, w_dw)
    assert layers["dw"].groups == 8 and layers["dw"].weights.shape == (8, 1, 3, 3)
    assert layers["conv2"].weights.shape == (4, 8, 1, 1)
    assert layers["cat"].C == 12 and set(g.predecessors("cat")) == {"add", "conv2"}
    assert set(g.predecessors("add")) == {"conv1", "dw"}
    assert (layers["mp"].P, layers["gap"].R) == (4, 4)
    assert layers["fc"].weights.shape == (10, 12, 1, 1) and layers["fc"].bias
    np.testing.assert_allclose(layers["mm"].weights[:, :, 0, 0], w_q.T.astype(np.float32) * 0.5)
    assert layers["mm"].bias and set(g.predecessors("mm")) == {"cat_mean"}
    assert g.edges["gap", "fc"]["reshaped"] and not g.edges["conv1", "dw"]["reshaped"]
    assert param_count(g) == (8 * 27 + 8 + 16) + 72 + 32 + (120 + 10) + (60 + 5)


def test_onnx_symbolic_dims_need_input_shape(tmp_path):
    onnx = pytest.importorskip("onnx")
    model, _, _ = _onnx_model(onnx, width="W")
    path = tmp_path / "dyn.onnx"
    onnx.save(model, str(path))
    with pytest.raises(WorkloadError, match="input_shape"):
        load(path)
    g = load(path, input_shape=(2, 3, 8, 16))
    assert g.nodes["conv1"]["layer"].Q == 16 and g.nodes["conv1"]["layer"].N == 2
    assert g.graph["batch"] == 2
    assert load(path, batch=1, input_shape=(2, 3, 8, 16)).graph["batch"] == 1


def test_onnx_unreadable_file(tmp_path):
    pytest.importorskip("onnx")
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(WorkloadError, match="junk.onnx"):
        load(path)
