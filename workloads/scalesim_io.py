"""Read and write SCALE-Sim topology CSVs, so one network can be fed to both tools.

Conv form: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
Channels, Num Filter, Strides,`` (+ optional ``Sparsity`` as ``N:M``). GEMM form:
``Layer Name, M, N, K,`` (+ optional ``Sparsity``). Rows end with a comma (accepted
with or without; a trailing ``#comment`` field is dropped as SCALE-Sim does), blank
lines are skipped. SCALE-Sim has no padding: OFMAP = ceil((IFMAP - Filter + Stride) /
Stride), stored as the layers' explicit P, Q with ``padding=0``. A name containing
``DP`` is depthwise (SCALE-Sim splits it into ``Channels`` one-channel layers).

A topology describes one image and runs its layers one after another, each reading its
ifmap from DRAM: the graph is a chain of ordering-only edges (``data=False``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import networkx as nx

from .errors import WorkloadError
from .graph import add_layer, add_order_edge, new_graph, topological_layers, validate_graph
from .layer import Layer

CONV_HEADER = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
               "Channels", "Num Filter", "Strides")
GEMM_HEADER = ("Layer Name", "M", "N", "K")
_CONV_INTS = CONV_HEADER[1:]
_GEMM_INTS = GEMM_HEADER[1:]


def _fields(line: str) -> list[str]:
    """Comma-separated fields, without the trailing empty or ``#comment`` ones."""
    fields = [f.strip() for f in line.split(",")]
    while fields and (fields[-1] == "" or fields[-1].startswith("#")):
        fields.pop()
    return fields


def _parse_sparsity(text: str, where: str) -> str:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise WorkloadError(f"{where}: Sparsity={text!r} must be 'N:M' with integers N <= M")
    n, m = (int(p) for p in parts)
    if not 1 <= n <= m:
        raise WorkloadError(f"{where}: Sparsity={text!r} must be 'N:M' with 1 <= N <= M")
    return f"{n}:{m}"


def _ints(fields: list[str], names: tuple[str, ...], where: str) -> dict[str, int]:
    out = {}
    for name, text in zip(names, fields):
        try:
            value = int(text)
        except ValueError:
            raise WorkloadError(f"{where}: {name}={text!r} must be a positive integer") from None
        if value < 1:
            raise WorkloadError(f"{where}: {name}={value} must be a positive integer")
        out[name] = value
    return out


def _ceil_out(size: int, kernel: int, stride: int, field: str, where: str) -> int:
    """SCALE-Sim's unpadded output size, ceil((size - kernel + stride) / stride)."""
    if kernel > size:
        raise WorkloadError(f"{where}: Filter {field}={kernel} exceeds IFMAP {field}={size}; "
                            "SCALE-Sim has no padding, put the padded IFMAP size in the file")
    return -(-(size - kernel + stride) // stride)


def _conv_layer(name: str, v: dict[str, int], batch: int, where: str) -> Layer:
    h, w = v["IFMAP Height"], v["IFMAP Width"]
    r, s = v["Filter Height"], v["Filter Width"]
    c, k, stride = v["Channels"], v["Num Filter"], v["Strides"]
    p = _ceil_out(h, r, stride, "Height", where)
    q = _ceil_out(w, s, stride, "Width", where)
    if "DP" in name:
        op, groups, k = ("dwconv", c, c) if k == 1 else ("conv", c, c * k)
    elif h == w == r == s == 1:
        op, groups = "fc", 1
    else:
        op, groups = "conv", 1
    return Layer(name, op, C=c, K=k, H=h, W=w, P=p, Q=q, R=r, S=s, N=batch,
                 stride=stride, padding=0, groups=groups)


def _gemm_layer(name: str, v: dict[str, int], batch: int) -> Layer:
    return Layer(name, "matmul", C=v["K"], K=v["N"], P=v["M"], N=batch)


def read_scalesim_topology(path: str | os.PathLike, batch: int = 1, name: str | None = None) -> nx.DiGraph:
    """A chain graph of the layers in a SCALE-Sim topology CSV (conv or GEMM form)."""
    path = Path(path)
    if not path.is_file():
        raise WorkloadError(f"topology path={str(path)!r} is not a file")
    g = new_graph(name or path.stem, batch, "scalesim")
    g.graph["path"] = str(path)
    header = None
    prev = None
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = _fields(line)
        where = f"{path.name}:{lineno}"
        if header is None:
            header = _header_kind(fields, where)
            continue
        ints = _GEMM_INTS if header == "gemm" else _CONV_INTS
        if len(fields) not in (len(ints) + 1, len(ints) + 2):
            raise WorkloadError(f"{where}: row has {len(fields)} fields; a {header}-form row needs "
                                f"{len(ints) + 1} (+ optional Sparsity)")
        layer_name = _unique(g, fields[0], where)
        values = _ints(fields[1:len(ints) + 1], ints, where)
        if header == "gemm":
            layer = _gemm_layer(layer_name, values, batch)
        else:
            layer = _conv_layer(layer_name, values, batch, where)
        add_layer(g, layer)
        if len(fields) == len(ints) + 2:
            g.nodes[layer_name]["sparsity"] = _parse_sparsity(fields[-1], where)
        if prev is not None:
            add_order_edge(g, prev, layer_name)
        prev = layer_name
    if header is None or prev is None:
        raise WorkloadError(f"topology path={str(path)!r} has no layer rows")
    return validate_graph(g)


def _header_kind(fields: list[str], where: str) -> str:
    norm = [f.lower() for f in fields]
    if norm[1:4] == ["m", "n", "k"]:
        return "gemm"
    if len(norm) >= 8 and norm[1].startswith("ifmap") and norm[3].startswith("filter"):
        return "conv"
    raise WorkloadError(f"{where}: header={','.join(fields)!r} is neither the conv form "
                        f"{', '.join(CONV_HEADER)} nor the GEMM form {', '.join(GEMM_HEADER)}")


def _unique(g: nx.DiGraph, name: str, where: str) -> str:
    if not name:
        raise WorkloadError(f"{where}: Layer name is empty")
    out, i = name, 1
    while out in g:
        i += 1
        out = f"{name}_{i}"
    return out


def _safe_name(name: str, depthwise: bool) -> str:
    """Commas break the CSV; 'DP' in a name switches SCALE-Sim's depthwise split on or off."""
    name = name.replace(",", "_").strip()
    if depthwise:
        return name if "DP" in name else f"{name}_DP"
    return name.replace("DP", "dp")


def _rows(layer: Layer) -> list[tuple]:
    """Conv-form rows (one image) whose SCALE-Sim GEMMs equal the layer's."""
    if layer.op in ("fc", "matmul"):
        return [(_safe_name(layer.name, False), layer.P * layer.Q, 1, 1, 1, layer.C, layer.K, 1)]
    h = (layer.P - 1) * layer.stride + layer.R
    w = (layer.Q - 1) * layer.stride + layer.S
    if layer.groups == 1:
        return [(_safe_name(layer.name, False), h, w, layer.R, layer.S, layer.C, layer.K, layer.stride)]
    if layer.groups == layer.C:
        return [(_safe_name(layer.name, True), h, w, layer.R, layer.S, layer.C,
                 layer.K // layer.C, layer.stride)]
    cg, kg = layer.C // layer.groups, layer.K // layer.groups
    return [(_safe_name(f"{layer.name}_g{i}", False), h, w, layer.R, layer.S, cg, kg, layer.stride)
            for i in range(layer.groups)]


def write_scalesim_topology(g: nx.DiGraph, path: str | os.PathLike) -> Path:
    """Write the conv/dwconv/fc/matmul layers of ``g`` as a conv-form SCALE-Sim topology.

    Each row describes one image. IFMAP sizes are the extent the layer really reads,
    (P - 1) * stride + R, so SCALE-Sim's unpadded formula gives back the layer's P, Q;
    fc and matmul become 1x1 convs over a P*Q x 1 input. Depthwise layers get ``DP`` in
    their name (one filter per channel), other grouped convs one row per group; vector
    layers (pool, eltwise, concat) are left out, as SCALE-Sim models only GEMMs.
    """
    validate_graph(g)
    layers = [layer for layer in topological_layers(g) if layer.has_weights]
    if not layers:
        raise WorkloadError(f"graph {g.graph.get('name')!r} has no conv/dwconv/fc/matmul layer to write")
    sparse = any("sparsity" in g.nodes[layer.name] for layer in layers)
    header = CONV_HEADER + (("Sparsity",) if sparse else ())
    lines = [", ".join(header) + ","]
    for layer in layers:
        extra = (g.nodes[layer.name].get("sparsity", "1:1"),) if sparse else ()
        lines += [",".join(str(x) for x in row + extra) + "," for row in _rows(layer)]
    return _write_atomic(Path(path), "\n".join(lines) + "\n")


def _write_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file and rename, so a crash never leaves half a CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
