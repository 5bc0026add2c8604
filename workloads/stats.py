"""Whole-network counts: parameters and multiply-accumulates, as papers report them."""
from __future__ import annotations

import networkx as nx

from .graph import validate_graph


def param_count(g: nx.DiGraph) -> int:
    """Trainable parameters of conv/fc layers: weights + biases + BatchNorm's scale and shift.

    BatchNorm's running mean and variance are buffers, not parameters (as in torchvision).
    """
    validate_graph(g)
    return sum(d["layer"].param_count for _, d in g.nodes(data=True))


def mac_count(g: nx.DiGraph, per_image: bool = True) -> int:
    """Multiply-accumulates of the GEMM layers (conv, dwconv, fc, matmul).

    ``per_image=True`` (the default, the number papers quote) divides each layer's MACs
    by its batch N, so the count does not depend on the graph's batch; ``per_image=False``
    gives the total over the batch.
    """
    validate_graph(g)
    layers = [d["layer"] for _, d in g.nodes(data=True)]
    if per_image:
        return sum(layer.macs // layer.N for layer in layers)
    return sum(layer.macs for layer in layers)
