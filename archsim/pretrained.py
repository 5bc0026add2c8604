"""Real pretrained weights on zoo graphs, so simulate() quantizes real tensors, not synthetic ones.

The weights come from archsim.accuracy (PyTorch, an optional extra). Zoo graphs and the
torch models list their conv / fc layers in the same execution order; weights are
attached in that order and every shape is checked.
"""
from __future__ import annotations

import networkx as nx

from workloads import WorkloadError

from .plan import layer_order

#: zoo workload -> model name in archsim.accuracy
PRETRAINED = {"efficientnet_lite0": "efficientnet_lite0", "mnist_cnn": "mnist", "digits_cnn": "digits"}


def attach_weights(g: nx.DiGraph, arrays) -> nx.DiGraph:
    """A copy of g whose conv/fc layers carry `arrays` (a dict by layer name, or a sequence
    in execution order). Raises WorkloadError on a count or shape mismatch."""
    gemm = [n for n in layer_order(g) if g.nodes[n]["layer"].has_weights]
    if isinstance(arrays, dict) and set(arrays) == set(gemm):
        ordered = [arrays[n] for n in gemm]
    else:
        ordered = list(arrays.values()) if isinstance(arrays, dict) else list(arrays)
    if len(ordered) != len(gemm):
        raise WorkloadError(f"weights: {len(ordered)} tensors given, workload {g.graph.get('name')!r} "
                            f"has {len(gemm)} conv/fc layers")
    out = g.copy()
    for name, w in zip(gemm, ordered):
        layer = out.nodes[name]["layer"]
        if tuple(w.shape) != layer.weight_shape:
            raise WorkloadError(f"weights for layer {name!r}: shape {tuple(w.shape)}, "
                                f"expected {layer.weight_shape} (OIHW)")
        out.nodes[name]["layer"] = layer.with_weights(w)
    out.graph["weights"] = "real"
    return out


def pretrained_workload(g: nx.DiGraph) -> nx.DiGraph:
    """g with the real pretrained weights of its zoo network (needs archsim[accuracy])."""
    name = g.graph.get("name")
    if name not in PRETRAINED:
        raise WorkloadError(f"weights='pretrained': workload {name!r} has no pretrained weights here; "
                            f"available: {', '.join(PRETRAINED)}")
    from .accuracy import to_workload_layers
    return attach_weights(g, to_workload_layers(PRETRAINED[name]))
