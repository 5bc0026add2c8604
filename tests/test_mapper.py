"""Mapper details that whole-network checks would not catch: grouped layers, tile counts, overheads."""
import math

import archsim
import workloads
from archsim.mapper import choose_tiling, map_layer
from hw.config import load_config
from workloads import Layer


def _dw(c=384, h=14):
    return Layer(name="dw", op="dwconv", C=c, K=c, H=h, W=h, P=h, Q=h, R=3, S=3, padding=1, groups=c)


def test_depthwise_inputs_are_streamed_once_per_own_filter_fold():
    """Each channel's inputs meet only that channel's filter: no re-read per column fold."""
    layer, cfg = _dw(), load_config("flexnn")
    m, kr, f, g = layer.gemm
    inputs = m * kr * g
    for df in ("ws", "os"):
        mp = map_layer(layer, cfg, df, weight_bytes=layer.weight_count, budget_bytes=1 << 20)
        weights_reads = layer.weight_count * (1 if df == "ws" else math.ceil(m / 16))
        assert mp.sram_read_bytes == inputs + weights_reads
    # a dense layer with the same shape re-streams its inputs once per column fold
    dense = Layer(name="d", op="conv", C=64, K=64, H=14, W=14, P=14, Q=14, R=3, S=3, padding=1)
    mp = map_layer(dense, cfg, "ws", weight_bytes=dense.weight_count, budget_bytes=1 << 20)
    dm, dkr, df_, _ = dense.gemm
    psum_reads = dm * df_ * 4 * (math.ceil(dkr / 64) - 1)  # Kr folds spill 32-bit partial sums
    assert mp.sram_read_bytes == dense.weight_count + dm * dkr * math.ceil(df_ / 16) + psum_reads


def test_depthwise_filter_chunks_load_only_their_channels():
    layer = _dw(c=512, h=28)
    t = choose_tiling(layer, layer.weight_count, ifmap_resident=False, ofmap_resident=True,
                      budget_bytes=96 * 1024)
    assert t.inputs_per_tile
    # every input byte is loaded about once (plus row halos), not once per filter chunk
    assert t.dram_read_bytes - layer.weight_count < 1.5 * layer.ifmap_bytes
    assert t.footprint_bytes <= 96 * 1024


def test_every_tile_holds_data():
    g = workloads.get("mobilenet_v2")
    layer = g.nodes["features.2.conv.1.0"]["layer"]  # 56 output rows
    for budget in (60_000, 120_000, 400_000):
        t = choose_tiling(layer, layer.weight_count, ifmap_resident=False, ofmap_resident=True,
                          budget_bytes=budget)
        rows = layer.N * layer.P
        assert math.ceil(rows / math.ceil(rows / t.m_chunks)) == t.m_chunks


def test_tile_overheads_discourage_tiny_tiles():
    """DMA setup and DRAM latency are paid per tile: a few more weight bytes must not double
    the tile count of a small layer (it used to, making StruM slower than INT8 here)."""
    int8 = archsim.simulate("digits_cnn", "flexnn", quant="int8")
    dliq = archsim.simulate("digits_cnn", "flexnn", quant="strum-dliq")
    assert dliq.cycles <= int8.cycles * 1.01
    li, ld = int8.layers.set_index("layer"), dliq.layers.set_index("layer")
    assert ld.loc["conv1", "tiles"] <= li.loc["conv1", "tiles"]


def test_post_processing_layers_read_and_write_sram():
    res = archsim.simulate("resnet18", "flexnn").layers.set_index("layer")
    g = workloads.get("resnet18")
    pool = g.nodes["maxpool"]["layer"]
    assert res.loc["maxpool", "sram_read_bytes"] >= pool.ifmap_bytes
    assert res.loc["maxpool", "sram_write_bytes"] >= pool.ofmap_bytes
    add = g.nodes["layer1.0.add"]["layer"]
    assert res.loc["layer1.0.add", "sram_read_bytes"] >= 2 * add.ofmap_bytes


def test_packed_speedup_applies_to_systolic_timing_too():
    base = {"pe.variant": "packed", "pe.interconnect": "systolic"}
    int8 = archsim.simulate("resnet18", "flexnn", quant="int8", **base)
    dliq = archsim.simulate("resnet18", "flexnn", quant="strum-dliq", **base)
    assert dliq.layers["compute_cycles"].sum() < 0.9 * int8.layers["compute_cycles"].sum()
