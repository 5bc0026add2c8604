"""Workload graphs: build, check and walk the networkx.DiGraph that every tool consumes.

Node key = layer name, node attribute ``layer`` = :class:`Layer`. Edge attributes:
``bytes`` and ``elems`` (the producer's output tensor), ``data`` (False on an edge
that only orders two layers, as in a SCALE-Sim chain: no tensor flows and the consumer
reads its input from DRAM) and ``reshaped`` (True when an importer merged away an op
that changes the tensor's shape between producer and consumer, so channel counts are
not comparable). Graph attributes: ``name``, ``batch``, ``source``.
"""
from __future__ import annotations

import networkx as nx

from .errors import WorkloadError
from .layer import Layer, conv_out

#: ops whose input channels must equal the producer's output channels
_CHANNEL_OPS = ("conv", "dwconv", "pool", "eltwise")


def new_graph(name: str, batch: int = 1, source: str = "zoo") -> nx.DiGraph:
    """An empty workload graph with the three graph attributes set."""
    return nx.DiGraph(name=name, batch=batch, source=source)


def add_layer(g: nx.DiGraph, layer: Layer, inputs=(), *, reshaped: bool = False) -> None:
    """Add ``layer`` as a node fed by the existing nodes named in ``inputs``."""
    if not isinstance(layer, Layer):
        raise WorkloadError(f"layer={layer!r} must be a workloads.Layer")
    if not isinstance(layer.name, str) or not layer.name:
        raise WorkloadError(f"layer name={layer.name!r} must be a non-empty string")
    if layer.name in g:
        raise WorkloadError(f"layer name={layer.name!r} is already in graph {g.graph.get('name')!r}; "
                            "names must be unique")
    g.add_node(layer.name, layer=layer)
    for src in inputs:
        if src not in g:
            raise WorkloadError(f"layer {layer.name!r}: input={src!r} is not a layer of the graph")
        add_tensor_edge(g, src, layer.name, reshaped=reshaped)


def add_tensor_edge(g: nx.DiGraph, src: str, dst: str, *, reshaped: bool = False) -> None:
    """Connect ``src`` -> ``dst`` with the producer's output tensor as the edge payload."""
    producer = g.nodes[src]["layer"]
    g.add_edge(src, dst, bytes=producer.ofmap_bytes, elems=producer.ofmap_elems,
               data=True, reshaped=reshaped)


def add_order_edge(g: nx.DiGraph, src: str, dst: str) -> None:
    """Connect ``src`` -> ``dst`` for ordering only: no tensor, the consumer reads DRAM."""
    g.add_edge(src, dst, bytes=0, elems=0, data=False, reshaped=False)


def topological_layers(g: nx.DiGraph) -> list[Layer]:
    """Layers in a deterministic topological order (ties broken by insertion order)."""
    order = {n: i for i, n in enumerate(g.nodes)}
    try:
        names = list(nx.lexicographical_topological_sort(g, key=order.__getitem__))
    except nx.NetworkXUnfeasible as exc:
        raise WorkloadError(f"graph {g.graph.get('name')!r} has a cycle; a workload must be a DAG") from exc
    return [g.nodes[n]["layer"] for n in names]


def with_batch(g: nx.DiGraph, batch: int) -> nx.DiGraph:
    """A copy of ``g`` with every layer at batch ``batch`` and edge sizes recomputed."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise WorkloadError(f"batch={batch!r} must be a positive integer")
    h = g.copy()
    h.graph["batch"] = batch
    for n in h.nodes:
        h.nodes[n]["layer"] = h.nodes[n]["layer"].with_batch(batch)
    for u, v, d in h.edges(data=True):
        if d.get("data", True):
            d["bytes"] = h.nodes[u]["layer"].ofmap_bytes
            d["elems"] = h.nodes[u]["layer"].ofmap_elems
    return h


def validate_graph(g: nx.DiGraph) -> nx.DiGraph:
    """Raise WorkloadError unless ``g`` is a well-formed workload; return it for chaining.

    Checks: a DiGraph without cycles; every node holds a Layer named like the node;
    every edge has a non-negative ``bytes``; on tensor edges the consumer's C equals
    the producer's K for conv/dwconv/pool/eltwise, equals K or K*P*Q (flatten) for
    fc/matmul, and a concat's C is the sum of its inputs' K.
    """
    if not isinstance(g, nx.DiGraph) or g.is_multigraph():
        raise WorkloadError(f"workload={type(g).__name__} must be a networkx.DiGraph")
    name = g.graph.get("name")
    if not nx.is_directed_acyclic_graph(g):
        cycle = [u for u, _ in nx.find_cycle(g)]
        raise WorkloadError(f"graph {name!r} has a cycle through {cycle}; a workload must be a DAG")
    for n, d in g.nodes(data=True):
        layer = d.get("layer")
        if not isinstance(layer, Layer):
            raise WorkloadError(f"graph {name!r}: node {n!r} has layer={layer!r}; every node needs a Layer")
        if layer.name != n:
            raise WorkloadError(f"graph {name!r}: node {n!r} holds layer name={layer.name!r}; they must match")
    for u, v, d in g.edges(data=True):
        b = d.get("bytes")
        if not isinstance(b, int) or b < 0:
            raise WorkloadError(f"graph {name!r}: edge {u!r}->{v!r} has bytes={b!r}; must be an int >= 0")
    for n in g.nodes:
        _check_channels(g, n)
    return g


def _check_channels(g: nx.DiGraph, n: str) -> None:
    layer = g.nodes[n]["layer"]
    edges = [(u, d) for u, _, d in g.in_edges(n, data=True) if d.get("data", True)]
    if not edges or any(d.get("reshaped", False) for _, d in edges):
        return
    producers = [g.nodes[u]["layer"] for u, _ in edges]
    if layer.op == "concat":
        total = sum(p.K for p in producers)
        if total != layer.C:
            raise WorkloadError(f"layer {n!r}: concat C={layer.C} but its inputs "
                                f"{[p.name for p in producers]} have K summing to {total}")
        return
    for p in producers:
        allowed = {p.K}
        if layer.op in ("fc", "matmul"):
            allowed.add(p.K * p.P * p.Q)
        elif layer.op not in _CHANNEL_OPS:
            continue
        if layer.C not in allowed:
            raise WorkloadError(f"layer {n!r}: C={layer.C} does not match producer {p.name!r} "
                                f"(allowed C: {sorted(allowed)})")


class GraphBuilder:
    """Builds a workload layer by layer, tracking the current tensor so zoo code stays short.

    Every method adds one node fed by ``src`` (a layer name; default: the last layer
    added; ``GraphBuilder.INPUT`` = the network input) and returns the new node's name.
    Output sizes come from :func:`conv_out` (PyTorch's floor convention).
    """

    INPUT = ""

    def __init__(self, name: str, channels: int, size: int | tuple[int, int], batch: int = 1,
                 source: str = "zoo") -> None:
        h, w = (size, size) if isinstance(size, int) else size
        for field, v in (("channels", channels), ("height", h), ("width", w), ("batch", batch)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise WorkloadError(f"network {name!r}: {field}={v!r} must be a positive integer")
        self.g = new_graph(name, batch, source)
        self.batch = batch
        self.input_shape = (channels, h, w)
        self.cur = self.INPUT

    def shape(self, src: str | None = None) -> tuple[int, int, int]:
        """(C, H, W) of the tensor produced by ``src`` (default: the current tensor)."""
        src = self.cur if src is None else src
        if src == self.INPUT:
            return self.input_shape
        if src not in self.g:
            raise WorkloadError(f"network {self.g.graph['name']!r}: src={src!r} is not a layer built so far")
        layer = self.g.nodes[src]["layer"]
        return (layer.K, layer.P, layer.Q)

    def _add(self, layer: Layer, srcs: list[str]) -> str:
        add_layer(self.g, layer, [s for s in srcs if s != self.INPUT])
        self.cur = layer.name
        return layer.name

    def conv(self, name: str, K: int, k: int, stride: int = 1, padding: int | None = None, *,
             groups: int = 1, bias: bool = False, bn: bool = True, src: str | None = None) -> str:
        """A k x k convolution; padding defaults to (k - 1) // 2 ('same' at stride 1)."""
        src = self.cur if src is None else src
        c, h, w = self.shape(src)
        pad = (k - 1) // 2 if padding is None else padding
        op = "dwconv" if groups > 1 and groups == c == K else "conv"
        layer = Layer(name, op, C=c, K=K, H=h, W=w, P=conv_out(h, k, stride, pad),
                      Q=conv_out(w, k, stride, pad), R=k, S=k, N=self.batch, stride=stride,
                      padding=pad, groups=groups, bias=bias, bn=bn)
        return self._add(layer, [src])

    def dwconv(self, name: str, k: int, stride: int = 1, padding: int | None = None, *,
               bias: bool = False, bn: bool = True, src: str | None = None) -> str:
        """A depthwise k x k convolution (groups = C = K)."""
        c = self.shape(self.cur if src is None else src)[0]
        return self.conv(name, c, k, stride, padding, groups=c, bias=bias, bn=bn, src=src)

    def fc(self, name: str, K: int, *, bias: bool = True, bn: bool = False, src: str | None = None) -> str:
        """A fully connected layer over the flattened input (C = C_in * H * W)."""
        src = self.cur if src is None else src
        c, h, w = self.shape(src)
        layer = Layer(name, "fc", C=c * h * w, K=K, N=self.batch, bias=bias, bn=bn)
        return self._add(layer, [src])

    def pool(self, name: str, kind: str, k: int, stride: int | None = None, padding: int = 0, *,
             src: str | None = None) -> str:
        """A k x k max or avg pooling window; stride defaults to k."""
        src = self.cur if src is None else src
        c, h, w = self.shape(src)
        s = k if stride is None else stride
        layer = Layer(name, "pool", C=c, K=c, H=h, W=w, P=conv_out(h, k, s, padding),
                      Q=conv_out(w, k, s, padding), R=k, S=k, N=self.batch, stride=s,
                      padding=padding, pool_kind=kind)
        return self._add(layer, [src])

    def global_pool(self, name: str, kind: str = "avg", *, src: str | None = None) -> str:
        """Pooling over the whole feature map down to 1 x 1."""
        src = self.cur if src is None else src
        c, h, w = self.shape(src)
        layer = Layer(name, "pool", C=c, K=c, H=h, W=w, P=1, Q=1, R=h, S=w, N=self.batch,
                      stride=max(h, w), pool_kind=kind)
        return self._add(layer, [src])

    def add(self, name: str, a: str, b: str) -> str:
        """Element-wise sum of two tensors of the same shape (a residual add)."""
        sa, sb = self.shape(a), self.shape(b)
        if sa != sb:
            raise WorkloadError(f"layer {name!r}: inputs {a!r} {sa} and {b!r} {sb} must have the same (C, H, W)")
        c, h, w = sa
        layer = Layer(name, "eltwise", C=c, K=c, H=h, W=w, P=h, Q=w, N=self.batch)
        return self._add(layer, [a, b])

    def concat(self, name: str, srcs: list[str]) -> str:
        """Channel concatenation of tensors with the same H and W."""
        shapes = [self.shape(s) for s in srcs]
        if len({s[1:] for s in shapes}) != 1:
            raise WorkloadError(f"layer {name!r}: inputs {srcs} have (H, W) {[s[1:] for s in shapes]}; "
                                "they must all match")
        c = sum(s[0] for s in shapes)
        h, w = shapes[0][1:]
        layer = Layer(name, "concat", C=c, K=c, H=h, W=w, P=h, Q=w, N=self.batch)
        return self._add(layer, srcs)

    def build(self) -> nx.DiGraph:
        """The finished, validated graph."""
        return validate_graph(self.g)
