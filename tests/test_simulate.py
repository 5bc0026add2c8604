"""End-to-end checks of simulate(): conservation laws, memory-bound behaviour, dataflows."""
import math

import numpy as np
import pandas as pd
import pytest

import archsim
import workloads
from archsim.formats import layer_format
from archsim.mapper import BROADCAST_FILL_CYCLES, map_layer
from hw.config import load_config
from hw.errors import ConfigError


@pytest.fixture(scope="module")
def resnet50():
    return archsim.simulate("resnet50", "flexnn", quant="int8")


def test_full_resnet50_conserves_macs_and_energy(resnet50):
    g = workloads.get("resnet50")
    layers, summary = resnet50.layers, resnet50.summary.iloc[0]
    assert layers["macs"].sum() == workloads.mac_count(g) == summary["macs"]
    assert len(layers) == g.number_of_nodes()
    peak = load_config("flexnn").pe.peak_macs_per_cycle
    assert (layers["cycles"] >= np.ceil(layers["macs"] / peak)).all()
    assert layers["cycles"].sum() == summary["cycles"]
    assert resnet50.energy["energy_pj"].sum() == pytest.approx(summary["energy_uj"] * 1e6, rel=1e-12)
    assert layers["energy_pj"].sum() == pytest.approx(summary["energy_uj"] * 1e6, rel=1e-12)


def test_dram_reads_cover_compulsory_traffic(resnet50):
    g = workloads.get("resnet50")
    stored = sum(layer_format(g.nodes[n]["layer"], "int8", 0).stored_bytes
                 for n in g if g.nodes[n]["layer"].has_weights)
    first = next(n for n in g if g.in_degree(n) == 0)
    compulsory = stored + g.nodes[first]["layer"].ifmap_bytes
    assert resnet50.summary.iloc[0]["dram_read_bytes"] >= compulsory
    # the classifier's output leaves the chip
    assert resnet50.summary.iloc[0]["dram_write_bytes"] >= 1000
    # every weight byte moved is the packed INT8 size: count + one fp16 scale per output channel
    assert resnet50.layers["weight_bytes"].sum() == stored
    assert stored == 25_557_032 - _bn_and_bias(g) + 2 * _out_channels(g)


def _bn_and_bias(g):
    return sum(l.param_count - l.weight_count for l in (g.nodes[n]["layer"] for n in g))


def _out_channels(g):
    return sum(l.K for l in (g.nodes[n]["layer"] for n in g) if l.has_weights)


def test_memory_bound_run_stalls_and_is_slower():
    fast = archsim.simulate("resnet18", "flexnn")
    slow = archsim.simulate("resnet18", "flexnn", **{"dram.bytes_per_cycle": 0.5})
    assert slow.layers["stall_cycles"].sum() > 10 * max(1, fast.layers["stall_cycles"].sum())
    assert slow.cycles > 2 * fast.cycles
    # same work and the same traffic: only time changes
    assert slow.summary.iloc[0]["macs"] == fast.summary.iloc[0]["macs"]
    assert slow.summary.iloc[0]["dram_bytes"] == fast.summary.iloc[0]["dram_bytes"]


@pytest.mark.parametrize("workload", ["resnet18", "mobilenet_v2"])
def test_larger_sram_never_increases_dram_traffic(workload):
    traffic = [archsim.simulate(workload, "flexnn", **{"sram.bytes": kib * 1024}).summary.iloc[0]["dram_bytes"]
               for kib in (256, 512, 1024, 2048, 4096)]
    assert all(b <= a for a, b in zip(traffic, traffic[1:])), traffic
    assert traffic[-1] < traffic[0]


def test_sram_never_overflows_and_peak_is_reported(resnet50):
    assert 0 < resnet50.summary.iloc[0]["sram_peak_bytes"] <= 2 * 1024 * 1024


def test_dataflows_differ_as_the_fold_arithmetic_says():
    """ResNet-50 conv1 (M=12544, Kr=147, F=64) on 16x16 PEs x 4 lanes (lanes split Kr)."""
    cfg = load_config("flexnn")
    layer = workloads.get("resnet50").nodes["conv1"]["layer"]
    m, kr, f, _ = layer.gemm
    expected_steps = {
        "ws": m * math.ceil(kr / 64) * math.ceil(f / 16),       # Kr on rows x lanes, F on cols
        "os": math.ceil(m / 16) * math.ceil(kr / 4) * math.ceil(f / 16),
        "is": math.ceil(kr / 64) * math.ceil(m / 16) * f,        # Kr on rows x lanes, M on cols
    }
    assert expected_steps == {"ws": 150528, "os": 116032, "is": 150528}
    maps = {df: map_layer(layer, cfg, df, weight_bytes=layer.weight_count, budget_bytes=2**20)
            for df in ("ws", "os", "is")}
    for df, mp in maps.items():
        assert mp.mac_cycles == expected_steps[df] + BROADCAST_FILL_CYCLES * mp.tiling.n_tiles
    inputs, weights = m * kr, kr * f
    assert maps["os"].sram_read_bytes == inputs * math.ceil(f / 16) + weights * math.ceil(m / 16)
    assert maps["is"].sram_read_bytes == inputs + weights * math.ceil(m / 16) + \
        m * f * 4 * (math.ceil(kr / 64) - 1)
    # same work, different cost: the dataflows disagree on cycles and on SRAM traffic
    assert len({mp.mac_cycles for mp in maps.values()}) == 2
    assert len({mp.sram_read_bytes for mp in maps.values()}) == 3


def test_auto_is_never_worse_than_any_fixed_dataflow_on_its_objective():
    runs = {df: archsim.simulate("mobilenet_v2", "flexnn", dataflow=df) for df in ("ws", "os", "is", "auto")}
    auto = runs["auto"].layers.set_index("layer")
    gemm = auto[auto["dataflow"] != "ppu"]
    for df in ("ws", "os", "is"):
        fixed = runs[df].layers.set_index("layer").loc[gemm.index]
        assert (fixed["dataflow"] == df).all()
        chosen = np.array([gemm.loc[n, f"est_edp_{gemm.loc[n, 'dataflow']}"] for n in gemm.index])
        assert (chosen <= fixed[f"est_edp_{df}"].to_numpy() * (1 + 1e-12)).all()
    assert gemm["dataflow"].nunique() >= 2  # depthwise and pointwise layers prefer different dataflows


def test_same_inputs_give_byte_identical_files(tmp_path):
    a = archsim.simulate("resnet18", "flexnn", quant="strum-dliq", seed=3).save(tmp_path / "a")
    b = archsim.simulate("resnet18", "flexnn", quant="strum-dliq", seed=3).save(tmp_path / "b")
    for name in ("layers", "energy", "summary", "config", "trace"):
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_saved_reports_have_the_promised_columns(tmp_path):
    paths = archsim.simulate("resnet18", "flexnn").save(tmp_path)
    layers = pd.read_csv(paths["layers"])
    for col in ("layer", "op", "dataflow", "macs", "cycles", "compute_cycles", "stall_cycles", "utilization",
                "weight_bytes", "dram_read_bytes", "dram_write_bytes", "sram_read_bytes", "sram_write_bytes",
                "energy_pj"):
        assert col in layers.columns
    summary = pd.read_csv(paths["summary"])
    for col in ("workload", "hw", "quant", "dataflow", "macs", "cycles", "latency_us", "energy_uj",
                "dram_bytes", "utilization"):
        assert col in summary.columns
    energy = pd.read_csv(paths["energy"])
    assert list(energy.columns) == ["layer", "component", "action", "count", "energy_pj"]
    assert {"pe_array", "sram", "dram", "dma", "ppu"} <= set(energy["component"])


def test_tiny_sram_is_a_clear_error_not_an_overflow():
    with pytest.raises(archsim.SimulationError, match=r"sram.bytes"):
        archsim.simulate("resnet18", "flexnn", **{"sram.bytes": 16 * 1024})


@pytest.mark.parametrize("kwargs, match", [
    ({"dataflow": "rs"}, "dataflow='rs'"),
    ({"quant": "int3"}, "int3"),
    ({"objective": "power"}, "objective='power'"),
    ({"seed": "x"}, "seed='x'"),
])
def test_bad_arguments_name_the_field(kwargs, match):
    with pytest.raises(archsim.SimulationError, match=match):
        archsim.simulate("resnet18", "flexnn", **kwargs)


def test_bad_hardware_field_names_the_field():
    with pytest.raises(ConfigError, match=r"pe\.rows=0"):
        archsim.simulate("resnet18", "flexnn", **{"pe.rows": 0})


def test_batch_scales_work_exactly_and_time_sublinearly():
    one = archsim.simulate("resnet18", "flexnn", batch=1).summary.iloc[0]
    four = archsim.simulate("resnet18", "flexnn", batch=4).summary.iloc[0]
    assert four["macs"] == 4 * one["macs"]
    assert one["cycles"] < four["cycles"] <= 4.5 * one["cycles"]
