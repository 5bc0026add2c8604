"""One entry point for every way of naming a workload: graph, zoo name or file."""
from __future__ import annotations

import os
from pathlib import Path

import networkx as nx

from .errors import WorkloadError
from .graph import validate_graph, with_batch
from .scalesim_io import read_scalesim_topology
from .yaml_io import read_yaml_workload
from .zoo import available, get

_SUFFIXES = (".csv", ".yaml", ".yml", ".onnx")


def load(spec, batch: int | None = None, input_shape: tuple[int, ...] | None = None) -> nx.DiGraph:
    """A validated workload graph from ``spec``.

    ``spec`` is a networkx.DiGraph (passed through), a zoo name (see ``available()``) or
    a path ending ``.csv`` (SCALE-Sim topology), ``.yaml``/``.yml`` (layer list) or
    ``.onnx`` (needs ``pip install archsim[onnx]``). ``batch=None`` keeps the batch of a
    graph or of an ONNX model and means 1 for everything else. ``input_shape`` fixes the symbolic input
    dimensions of an ONNX model (e.g. ``(1, 3, 48, 320)``); other sources ignore it.
    """
    if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool) or batch < 1):
        raise WorkloadError(f"batch={batch!r} must be a positive integer or None")
    if isinstance(spec, nx.DiGraph):
        validate_graph(spec)
        if batch is None or batch == spec.graph.get("batch"):
            return spec
        return with_batch(spec, batch)
    if not isinstance(spec, (str, os.PathLike)):
        raise WorkloadError(f"workload spec={spec!r} must be a DiGraph, a zoo name or a file path")
    n = 1 if batch is None else batch
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        if isinstance(spec, str) and spec in available():
            return get(spec, batch=n)
        raise WorkloadError(f"workload spec={str(spec)!r} is neither a zoo name ({', '.join(available())}) "
                            f"nor a file ending {', '.join(_SUFFIXES)}")
    if not path.is_file():
        raise WorkloadError(f"workload path={str(path)!r} does not exist")
    if suffix == ".csv":
        return read_scalesim_topology(path, batch=n)
    if suffix in (".yaml", ".yml"):
        return read_yaml_workload(path, batch=n)
    from .onnx_import import import_onnx

    return import_onnx(path, batch=batch, input_shape=input_shape)
