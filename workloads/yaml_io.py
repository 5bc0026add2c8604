"""The YAML layer-list format: a workload written by hand.

```yaml
name: tiny            # optional, default: the file name
layers:               # or the list alone at the top level
  - {name: conv1, op: conv, C: 3, K: 16, H: 32, W: 32, R: 3, S: 3, padding: 1}
  - {name: pool1, op: pool, pool_kind: max, R: 2, S: 2, stride: 2}
  - {name: fc, op: fc, K: 10, bias: true}
  - {name: add, op: eltwise, inputs: [fc, other]}
```

Each entry takes the fields of :class:`Layer` (except ``weights``; ``N`` comes from
the batch) plus ``inputs``: the names of its producers, default the previous entry,
``[]`` for the network input. C, H and W default to the first input's K, P and Q (a
concat's C to the sum of its inputs' K, an fc's C to the flattened K*P*Q); K defaults
to C for dwconv/pool/eltwise/concat; P and Q default to the PyTorch output size for
conv/dwconv/pool, H and W for eltwise/concat, 1 for fc.
"""
from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import networkx as nx
import yaml

from .errors import WorkloadError
from .graph import add_layer, new_graph, validate_graph
from .layer import Layer, conv_out

_FIELDS = tuple(f.name for f in fields(Layer) if f.name not in ("weights", "N"))
_ALLOWED = _FIELDS + ("inputs",)


def read_yaml_workload(path: str | os.PathLike, batch: int = 1) -> nx.DiGraph:
    """The workload graph described by a YAML layer list."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise WorkloadError(f"workload path={str(path)!r} is not valid YAML: {exc}") from None
    if isinstance(doc, dict):
        entries, name = doc.get("layers"), doc.get("name", path.stem)
    else:
        entries, name = doc, path.stem
    if not isinstance(entries, list) or not entries:
        raise WorkloadError(f"{path.name}: layers={entries!r} must be a non-empty list of layer mappings")
    g = new_graph(str(name), batch, "yaml")
    g.graph["path"] = str(path)
    prev = None
    for i, entry in enumerate(entries):
        layer, inputs = _layer(g, entry, prev, batch, f"{path.name}: layers[{i}]")
        add_layer(g, layer, inputs)
        prev = layer.name
    return validate_graph(g)


def _layer(g: nx.DiGraph, entry, prev: str | None, batch: int, where: str) -> tuple[Layer, list[str]]:
    if not isinstance(entry, dict):
        raise WorkloadError(f"{where}: entry={entry!r} must be a mapping of Layer fields")
    unknown = sorted(set(entry) - set(_ALLOWED))
    if unknown:
        raise WorkloadError(f"{where}: field(s) {unknown} unknown; allowed: {', '.join(_ALLOWED)}")
    spec = dict(entry)
    for key in ("name", "op"):
        if key not in spec:
            raise WorkloadError(f"{where}: field {key!r} is missing")
    where = f"{where} ({spec['name']!r})"
    inputs = spec.pop("inputs", [prev] if prev is not None else [])
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not all(isinstance(s, str) and s in g for s in inputs):
        raise WorkloadError(f"{where}: inputs={inputs!r} must list names of layers defined earlier")
    _fill_defaults(spec, [g.nodes[s]["layer"] for s in inputs], where)
    return Layer(N=batch, **spec), inputs


def _fill_defaults(spec: dict, producers: list[Layer], where: str) -> None:
    op = spec["op"]
    if producers:
        first = producers[0]
        if op == "concat":
            spec.setdefault("C", sum(p.K for p in producers))
        elif op in ("fc", "matmul"):
            spec.setdefault("C", first.K * first.P * first.Q)
        else:
            spec.setdefault("C", first.K)
        if op not in ("fc", "matmul"):
            spec.setdefault("H", first.P)
            spec.setdefault("W", first.Q)
    if op in ("dwconv", "pool", "eltwise", "concat") and "C" in spec:
        spec.setdefault("K", spec["C"])
    for key in ("C", "K"):
        if key not in spec:
            raise WorkloadError(f"{where}: field {key!r} is missing and cannot be inferred from inputs")
    if op in ("conv", "dwconv", "pool"):
        r, s = spec.setdefault("R", 1), spec.setdefault("S", spec["R"])
        stride = spec.setdefault("stride", r if op == "pool" else 1)
        pad = spec.get("padding", 0)
        for key, size, k in (("P", "H", r), ("Q", "W", s)):
            if key not in spec and isinstance(spec.get(size), int):
                spec[key] = _out(spec[size], k, stride, pad, where)
    elif op in ("eltwise", "concat"):
        spec.setdefault("P", spec.get("H", 1))
        spec.setdefault("Q", spec.get("W", 1))
    if op == "dwconv":
        spec.setdefault("groups", spec["C"])


def _out(size: int, kernel, stride, pad, where: str) -> int:
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (kernel, stride, pad))
    if not ints or kernel < 1 or stride < 1 or pad < 0:
        raise WorkloadError(f"{where}: R/S={kernel!r}, stride={stride!r}, padding={pad!r} must be "
                            "integers, R/S and stride >= 1, padding >= 0")
    try:
        return conv_out(size, kernel, stride, pad)
    except WorkloadError as exc:
        raise WorkloadError(f"{where}: {exc}") from None
