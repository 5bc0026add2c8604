"""Zoo networks: exact torchvision parameter counts, published MACs, true topology."""
import pytest

import workloads
from workloads import mac_count, param_count, topological_layers

PARAMS = {
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "vgg16": 138_357_544,
    "efficientnet_lite0": 4_652_008,
    "mnist_cnn": 390_410,
    "digits_cnn": 25_866,
}
# published GMACs at 224x224 and the allowed relative error
MACS = {
    "resnet18": (1.81e9, 0.01),
    "resnet50": (4.09e9, 0.01),
    "mobilenet_v2": (0.30e9, 0.03),
    "vgg16": (15.47e9, 0.01),
}


def ops(g):
    out = {}
    for layer in topological_layers(g):
        out[layer.op] = out.get(layer.op, 0) + 1
    return out


@pytest.mark.parametrize("name,expected", sorted(PARAMS.items()))
def test_param_counts_are_exact(name, expected):
    assert param_count(workloads.get(name)) == expected


@pytest.mark.parametrize("name,target", sorted(MACS.items()))
def test_mac_counts_match_published(name, target):
    published, tol = target
    assert mac_count(workloads.get(name)) == pytest.approx(published, rel=tol)


def test_resnet50_structure():
    g = workloads.get("resnet50")
    assert ops(g) == {"conv": 53, "pool": 2, "eltwise": 16, "fc": 1}
    downsample = [n for n in g if n.endswith("downsample.0")]
    assert len(downsample) == 4
    for n, d in g.nodes(data=True):
        layer = d["layer"]
        if layer.op == "eltwise":
            assert g.in_degree(n) == 2
        if layer.op == "conv":
            assert layer.bn and not layer.bias
    assert g.nodes["fc"]["layer"].bias
    assert g.nodes["layer4.2.add"]["layer"].P == 7
    assert g.nodes["avgpool"]["layer"].P == 1


def test_resnet18_structure():
    g = workloads.get("resnet18")
    assert ops(g) == {"conv": 20, "pool": 2, "eltwise": 8, "fc": 1}
    assert sum(n.endswith("downsample.0") for n in g) == 3


def test_mobilenet_v2_structure():
    g = workloads.get("mobilenet_v2")
    o = ops(g)
    assert o["eltwise"] == 10 and o["dwconv"] == 17 and o["fc"] == 1
    assert o["conv"] == 35
    dw = [d["layer"] for _, d in g.nodes(data=True) if d["layer"].op == "dwconv"]
    assert all(layer.groups == layer.C == layer.K for layer in dw)


def test_vgg16_structure():
    g = workloads.get("vgg16")
    assert ops(g) == {"conv": 13, "pool": 5, "fc": 3}
    fcs = [layer for layer in topological_layers(g) if layer.op == "fc"]
    assert [(f.C, f.K) for f in fcs] == [(25088, 4096), (4096, 4096), (4096, 1000)]
    assert all(layer.bias and not layer.bn for layer in topological_layers(g) if layer.has_weights)


def test_efficientnet_lite0_structure():
    g = workloads.get("efficientnet_lite0")
    o = ops(g)
    assert o["conv"] + o["dwconv"] == 49
    assert o["dwconv"] == 16 and o["eltwise"] == 9
    assert g.nodes["conv_stem"]["layer"].K == 32 and g.nodes["conv_head"]["layer"].K == 1280


def test_small_cnn_shapes():
    g = workloads.get("mnist_cnn")
    assert g.nodes["fc1"]["layer"].C == 1152
    assert [g.nodes[f"pool{i}"]["layer"].P for i in (1, 2, 3)] == [14, 7, 3]
    d = workloads.get("digits_cnn")
    assert d.nodes["fc"]["layer"].C == 256


@pytest.mark.parametrize("name", workloads.available())
def test_spatial_sizes_chain(name):
    """Every tensor edge feeds the consumer exactly the producer's output size."""
    g = workloads.get(name)
    for u, v, d in g.edges(data=True):
        if not d["data"]:
            continue
        p, c = g.nodes[u]["layer"], g.nodes[v]["layer"]
        assert d["bytes"] == p.ofmap_bytes
        if c.op in ("conv", "dwconv", "pool", "eltwise", "concat"):
            assert (c.H, c.W) == (p.P, p.Q), (u, v)
        assert c.N == p.N


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "mnist_cnn"])
def test_batch_scales_macs_exactly(name):
    g1, g4 = workloads.get(name), workloads.get(name, batch=4)
    assert g4.graph["batch"] == 4
    assert mac_count(g4) == mac_count(g1)
    assert mac_count(g4, per_image=False) == 4 * mac_count(g1, per_image=False)
    assert param_count(g4) == param_count(g1)
    assert all(d["layer"].N == 4 for _, d in g4.nodes(data=True))


def test_input_size_changes_shapes():
    g = workloads.get("resnet50", input_size=448)
    assert g.nodes["layer4.2.add"]["layer"].P == 14
    assert param_count(g) == PARAMS["resnet50"]
    assert mac_count(g) == pytest.approx(4 * mac_count(workloads.get("resnet50")), rel=0.01)
    v = workloads.get("vgg16", input_size=448)
    assert v.nodes["avgpool"]["layer"].R == 2 and param_count(v) == PARAMS["vgg16"]


def test_registry_errors_name_the_field():
    with pytest.raises(workloads.WorkloadError, match="resnet50"):
        workloads.get("resnet51")
    with pytest.raises(workloads.WorkloadError, match="batch=0"):
        workloads.get("resnet18", batch=0)
    with pytest.raises(workloads.WorkloadError, match="input_size=300"):
        workloads.get("vgg16", input_size=300)
    with pytest.raises(workloads.WorkloadError, match="input_size=16"):
        workloads.get("resnet18", input_size=16)


def test_graph_attributes():
    for name in workloads.available():
        g = workloads.get(name, batch=2)
        assert g.graph["name"] == name and g.graph["batch"] == 2
        assert g.graph["source"] in ("zoo", "scalesim")
