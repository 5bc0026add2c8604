"""Layer record, conv_out, GraphBuilder and validate_graph."""
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads import GraphBuilder, Layer, WorkloadError, conv_out, topological_layers, validate_graph
from workloads.graph import add_layer, add_order_edge, new_graph, with_batch


@st.composite
def conv_layers(draw):
    groups = draw(st.sampled_from([1, 1, 2, 4]))
    c = groups * draw(st.integers(1, 8))
    k = groups * draw(st.integers(1, 8))
    r = draw(st.integers(1, 7))
    s = draw(st.integers(1, 7))
    stride = draw(st.integers(1, 4))
    pad = draw(st.integers(0, 3))
    h = draw(st.integers(max(1, r - 2 * pad), 40))
    w = draw(st.integers(max(1, s - 2 * pad), 40))
    n = draw(st.integers(1, 3))
    return dict(C=c, K=k, H=h, W=w, R=r, S=s, stride=stride, padding=pad, groups=groups, N=n)


@settings(max_examples=150, deadline=None)
@given(conv_layers())
def test_conv_out_and_macs_agree_with_window_count(p):
    """conv_out counts window positions; macs = positions x window x filters."""
    P = conv_out(p["H"], p["R"], p["stride"], p["padding"])
    Q = conv_out(p["W"], p["S"], p["stride"], p["padding"])
    assert P == len(range(0, p["H"] + 2 * p["padding"] - p["R"] + 1, p["stride"]))
    assert Q == len(range(0, p["W"] + 2 * p["padding"] - p["S"] + 1, p["stride"]))
    layer = Layer("x", "conv", P=P, Q=Q, **p)
    per_output = (p["C"] // p["groups"]) * p["R"] * p["S"]
    assert layer.macs == p["N"] * p["K"] * P * Q * per_output
    m, kr, f, g = layer.gemm
    assert (m, kr, f * g) == (p["N"] * P * Q, per_output, p["K"])
    assert layer.ofmap_elems == p["N"] * p["K"] * P * Q


def test_conv_out_rejects_window_larger_than_input():
    with pytest.raises(WorkloadError, match="kernel=5"):
        conv_out(3, 5, 1, 0)


@pytest.mark.parametrize("kwargs,field", [
    (dict(op="convv"), "op='convv'"),
    (dict(C=0), "C=0"),
    (dict(stride=-1), "stride=-1"),
    (dict(padding=-1), "padding=-1"),
    (dict(padding="1"), "padding='1'"),
    (dict(groups=3), "groups=3"),
    (dict(op="dwconv", groups=2), "dwconv"),
    (dict(op="pool", pool_kind="min"), "pool_kind='min'"),
    (dict(weights=np.zeros((1, 1, 1, 1))), "weights shape"),
])
def test_layer_errors_name_the_field(kwargs, field):
    base = dict(name="bad", op="conv", C=4, K=8, H=8, W=8, P=8, Q=8, R=3, S=3, padding=1)
    base.update(kwargs)
    with pytest.raises(WorkloadError, match=field.replace("(", r"\(")):
        Layer(**base)


def test_matmul_ifmap_counts_rows():
    layer = Layer("mm", "matmul", C=64, K=32, P=10, N=2)
    assert layer.gemm == (20, 64, 32, 1)
    assert layer.ifmap_elems == 2 * 10 * 64


def test_builder_residual_and_concat():
    b = GraphBuilder("tiny", 3, 16)
    stem = b.conv("stem", 8, 3, 2)
    b.conv("a", 8, 3)
    b.add("add", "a", stem)
    left = b.conv("left", 4, 1)
    right = b.conv("right", 6, 1, src="add")
    b.concat("cat", [left, right])
    b.global_pool("gap")
    b.fc("fc", 10)
    g = b.build()
    assert b.shape("cat") == (10, 8, 8)
    assert set(g.predecessors("add")) == {"a", "stem"}
    assert g.nodes["fc"]["layer"].C == 10
    assert g.edges["stem", "a"]["bytes"] == g.nodes["stem"]["layer"].ofmap_bytes
    assert [layer.name for layer in topological_layers(g)][:3] == ["stem", "a", "add"]


def test_builder_shape_errors():
    b = GraphBuilder("tiny", 3, 16)
    b.conv("a", 8, 3)
    b.conv("b", 8, 3, 2)
    with pytest.raises(WorkloadError, match="same"):
        b.add("add", "a", "b")
    with pytest.raises(WorkloadError, match="src='nope'"):
        b.conv("c", 8, 3, src="nope")
    with pytest.raises(WorkloadError, match="already"):
        b.conv("a", 8, 3)
    with pytest.raises(WorkloadError, match="channels=0"):
        GraphBuilder("bad", 0, 16)


def _two_convs(c2):
    g = new_graph("t")
    add_layer(g, Layer("a", "conv", C=3, K=8, H=8, W=8, P=8, Q=8))
    add_layer(g, Layer("b", "conv", C=c2, K=8, H=8, W=8, P=8, Q=8), ["a"])
    return g


def test_validate_checks_channels_and_order_edges_skip_it():
    validate_graph(_two_convs(8))
    with pytest.raises(WorkloadError, match="C=5"):
        validate_graph(_two_convs(5))
    g = new_graph("chain")
    add_layer(g, Layer("a", "conv", C=3, K=8, H=8, W=8, P=8, Q=8))
    add_layer(g, Layer("b", "conv", C=5, K=8, H=8, W=8, P=8, Q=8))
    add_order_edge(g, "a", "b")
    validate_graph(g)


def test_validate_rejects_cycles_missing_layers_and_concat_mismatch():
    g = _two_convs(8)
    g.add_edge("b", "a", bytes=0)
    with pytest.raises(WorkloadError, match="cycle"):
        validate_graph(g)
    with pytest.raises(WorkloadError, match="cycle"):
        topological_layers(g)
    h = nx.DiGraph()
    h.add_node("x")
    with pytest.raises(WorkloadError, match="layer=None"):
        validate_graph(h)
    with pytest.raises(WorkloadError, match="DiGraph"):
        validate_graph(nx.Graph())
    c = new_graph("cat")
    add_layer(c, Layer("a", "conv", C=3, K=8, H=8, W=8, P=8, Q=8))
    add_layer(c, Layer("b", "conv", C=3, K=4, H=8, W=8, P=8, Q=8))
    add_layer(c, Layer("cat", "concat", C=16, K=16, H=8, W=8, P=8, Q=8), ["a", "b"])
    with pytest.raises(WorkloadError, match="concat C=16"):
        validate_graph(c)


def test_with_batch_recomputes_edges():
    g = with_batch(_two_convs(8), 3)
    assert g.graph["batch"] == 3
    assert g.edges["a", "b"]["bytes"] == 3 * 8 * 8 * 8
    with pytest.raises(WorkloadError, match="batch=0"):
        with_batch(g, 0)
