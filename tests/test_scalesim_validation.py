"""The full simulator in its SCALE-Sim-compatible setting reproduces SCALE-Sim 3.0.0 exactly.

Setting: hw preset `scalesim32` (systolic interconnect, single-MAC PEs, ideal DRAM, an SRAM
that never spills) and SCALE-Sim's own 54-layer unpadded ResNet-50 topology. References
in tests/data/scalesim/ (copied from shared/reference/scalesim/, see the README there).
"""
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import archsim
import workloads
from workloads import Layer

DATA = Path(__file__).parent / "data" / "scalesim"


def _reference(dataflow: str) -> pd.Series:
    if dataflow == "is":
        ref = pd.read_csv(DATA / "COMPUTE_REPORT_resnet50_32x32_is.csv")
        return ref["Total Cycles"]
    ref = pd.read_csv(DATA / f"scalesim_resnet50_32x32_{dataflow}_reference.csv")
    return ref["scalesim_total_cycles"]


@pytest.mark.parametrize("dataflow, total", [("os", 4_434_168), ("ws", 5_753_486), ("is", 5_608_356)])
def test_resnet50_per_layer_cycles_equal_scalesim(dataflow, total):
    res = archsim.simulate("resnet50_scalesim", "scalesim32", dataflow=dataflow)
    ref = _reference(dataflow)
    assert len(res.layers) == len(ref) == 54
    mismatches = (res.layers["cycles"].to_numpy() != ref.to_numpy()).sum()
    assert mismatches == 0
    assert (res.layers["compute_cycles"].to_numpy() == ref.to_numpy()).all()
    assert res.cycles == total
    assert res.layers["stall_cycles"].sum() == 0  # CALC mode is stall-free


def _gemm_graph(m: int, k: int, n: int) -> nx.DiGraph:
    g = nx.DiGraph(name="gemm", batch=1, source="test")
    g.add_node("gemm", layer=Layer(name="gemm", op="matmul", C=k, K=n, P=m, H=m))
    return g


def test_non_square_arrays_and_all_dataflows_equal_scalesim():
    ref = pd.read_csv(DATA / "scalesim_synthetic_reference.csv")
    ref = ref[~ref["layer"].str.contains("DP")]
    assert {(r, c) for r, c in zip(ref["rows"], ref["cols"])} >= {(8, 4), (4, 8), (5, 7), (7, 3)}
    got = [archsim.simulate(_gemm_graph(r.gemm_M, r.gemm_K, r.gemm_N), "scalesim32", dataflow=r.dataflow,
                            **{"pe.rows": int(r.rows), "pe.cols": int(r.cols)}).cycles
           for r in ref.itertuples()]
    assert got == ref["total_cycles"].tolist()


def test_topology_round_trip_feeds_both_tools_the_same_shapes(tmp_path):
    g = workloads.get("resnet50_scalesim")
    path = workloads.write_scalesim_topology(g, tmp_path / "topo.csv")
    again = archsim.simulate(str(path), "scalesim32", dataflow="os")
    assert again.cycles == 4_434_168
