"""SCALE-Sim topology CSVs: the reference ResNet-50 shapes, quirks and round trips."""
import csv
from pathlib import Path

import pytest

import workloads
from workloads import WorkloadError, read_scalesim_topology, topological_layers, write_scalesim_topology

# a copy of shared/reference/scalesim/resnet50_32x32_os/ (checked byte for byte in test_systolic)
REFERENCE = Path(__file__).parent / "data" / "scalesim" / "scalesim_resnet50_32x32_os_reference.csv"
HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
COLS = ("layer_name", "ifmap_h", "ifmap_w", "filt_h", "filt_w", "channels", "num_filt", "stride")


def reference_rows():
    with REFERENCE.open() as f:
        return list(csv.DictReader(f))


def check_against_reference(g, rows):
    layers = topological_layers(g)
    assert len(layers) == len(rows) == 54
    for layer, row in zip(layers, rows):
        m, kr, f, groups = layer.gemm
        assert layer.name == row["layer_name"]
        assert (m, f * groups, kr) == (int(row["gemm_M"]), int(row["gemm_N"]), int(row["gemm_K"])), layer.name
        assert (layer.P, layer.Q) == (int(row["ofmap_h"]), int(row["ofmap_w"])), layer.name
        assert layer.macs == int(row["macs"])


def test_reference_shapes_from_a_written_topology(tmp_path):
    rows = reference_rows()
    path = tmp_path / "resnet50.csv"
    path.write_text("\n".join([HEADER] + [",".join(r[c] for c in COLS) + "," for r in rows]) + "\n")
    g = read_scalesim_topology(path)
    check_against_reference(g, rows)
    assert g.graph["source"] == "scalesim" and g.graph["name"] == "resnet50"
    assert all(not d["data"] and d["bytes"] == 0 for _, _, d in g.edges(data=True))
    assert g.number_of_edges() == 53


def test_packaged_topology():
    g = workloads.get("resnet50_scalesim")
    assert g.number_of_nodes() == 54
    assert workloads.mac_count(g) == 3_479_536_384
    check_against_reference(g, reference_rows())


def test_quirks_trailing_comma_comments_blank_lines_depthwise_sparsity(tmp_path):
    path = tmp_path / "quirks.csv"
    path.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,\n"
        "\n"
        "Conv1, 224, 224, 3, 3, 3, 32, 2, 2:4,\n"
        "\tConv2 DP, 112, 112, 3, 3, 32, 1, 1, 1:1,#dw\n"
        "Conv3,112,112,1,1,32,64,1,1:1\n"
        "FC, 1, 1, 1, 1, 64, 10, 1, 1:1,\n"
    )
    g = read_scalesim_topology(path, batch=2)
    conv1, dw, conv3, fc = topological_layers(g)
    assert (conv1.P, conv1.Q) == (112, 112)
    assert conv1.padding == 0 and conv1.N == 2
    assert g.nodes["Conv1"]["sparsity"] == "2:4"
    assert dw.op == "dwconv" and dw.groups == dw.C == dw.K == 32 and dw.P == 110
    assert conv3.gemm == (2 * 112 * 112, 32, 64, 1)
    assert fc.op == "fc" and fc.gemm == (2, 64, 10, 1)


def test_unpadded_ceil_convention(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "\nc,56,56,1,1,256,128,2,\nd,224,224,7,7,3,64,2,\n")
    c, d = topological_layers(read_scalesim_topology(path))
    assert c.P == 29 and d.P == 110


def test_gemm_form(tmp_path):
    path = tmp_path / "gemm.csv"
    path.write_text("Layer Name, M, N, K,\nTest 1, 256, 128, 64,\nTest 2, 4, 8, 16\n")
    a, b = topological_layers(read_scalesim_topology(path))
    assert a.op == "matmul" and a.gemm == (256, 64, 128, 1)
    assert b.gemm == (4, 16, 8, 1)


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "efficientnet_lite0", "vgg16"])
def test_round_trip_keeps_gemm_shapes(tmp_path, name):
    g = workloads.get(name, batch=2)
    path = write_scalesim_topology(g, tmp_path / f"{name}.csv")
    assert path.read_text().splitlines()[0] == HEADER
    assert all(line.endswith(",") for line in path.read_text().splitlines())
    back = read_scalesim_topology(path, batch=2)
    want = [layer.gemm for layer in topological_layers(g) if layer.has_weights]
    assert [layer.gemm for layer in topological_layers(back)] == want
    assert workloads.mac_count(back) == workloads.mac_count(g)


def test_write_splits_grouped_conv_and_guards_names(tmp_path):
    b = workloads.GraphBuilder("grp", 8, 10)
    b.conv("DPconv", 8, 3)
    b.conv("grouped", 16, 3, groups=2)
    g = b.build()
    text = write_scalesim_topology(g, tmp_path / "g.csv").read_text()
    assert "dpconv" in text and "DP" not in text.split("\n", 1)[1]
    back = topological_layers(read_scalesim_topology(tmp_path / "g.csv"))
    assert [layer.name for layer in back] == ["dpconv", "grouped_g0", "grouped_g1"]
    assert [layer.gemm for layer in back[1:]] == [(100, 36, 8, 1)] * 2


@pytest.mark.parametrize("text,field", [
    ("Layer name, foo,\nx,1,\n", "header"),
    (HEADER + "\nc,56,56,3,3,x,8,1,\n", "Channels='x'"),
    (HEADER + "\nc,56,56,3,3,0,8,1,\n", "Channels=0"),
    (HEADER + "\nc,2,2,3,3,1,8,1,\n", "Filter Height=3"),
    (HEADER + "\nc,56,56,3,3,1,\n", "6 fields"),
    (HEADER + "\nc,56,56,3,3,1,8,1,5:4,\n", "Sparsity='5:4'"),
    (HEADER + "\n\n", "no layer rows"),
])
def test_bad_topologies_name_the_field(tmp_path, text, field):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(WorkloadError, match=field):
        read_scalesim_topology(path)


def test_missing_file(tmp_path):
    with pytest.raises(WorkloadError, match="not a file"):
        read_scalesim_topology(tmp_path / "none.csv")
