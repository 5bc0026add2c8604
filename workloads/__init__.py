"""Workloads: layer graphs (networkx DiGraphs of Layer records), the zoo and importers."""
from .errors import WorkloadError
from .graph import GraphBuilder, topological_layers, validate_graph, with_batch
from .layer import GEMM_OPS, VECTOR_OPS, Layer, conv_out
from .loader import load
from .scalesim_io import read_scalesim_topology, write_scalesim_topology
from .stats import mac_count, param_count
from .zoo import available, get

__all__ = [
    "GEMM_OPS", "VECTOR_OPS", "GraphBuilder", "Layer", "WorkloadError", "available", "conv_out",
    "get", "load", "mac_count", "param_count", "read_scalesim_topology", "topological_layers",
    "validate_graph", "with_batch", "write_scalesim_topology",
]
