"""ONNX importer: a workload graph with the model's real weights.

Conv (depthwise when group == C == K), Gemm and MatMul with constant weights, Add of
two tensors, channel Concat, MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool
(and ReduceMean over H, W) become layers. Weights come from initializers and from
Constant nodes (some exporters, e.g. RapidOCR's, store them that way), folded through
Identity / Cast / Transpose / Reshape / Squeeze / Unsqueeze / Flatten /
DequantizeLinear. Every other op is passed through: merged away, keeping connectivity;
an edge that crossed a shape-changing op is marked ``reshaped``. BatchNormalization
right after a conv or fc sets that layer's ``bn``; an Add of a constant right after an
fc or matmul sets its ``bias``. Sizes come from ``onnx.shape_inference``; when H and W
strides or pads differ, ``stride`` and ``padding`` hold the H values (P and Q are exact).
"""
from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np

from .errors import WorkloadError
from .graph import add_layer, add_tensor_edge, new_graph, topological_layers, validate_graph, with_batch
from .layer import Layer

_FOLD_OPS = ("Identity", "Cast", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten",
             "DequantizeLinear")


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise WorkloadError("importing an .onnx workload needs the onnx package: "
                            "pip install archsim[onnx]") from None
    return onnx


def import_onnx(path: str | os.PathLike, batch: int | None = None,
                input_shape: tuple[int, ...] | dict[str, tuple[int, ...]] | None = None) -> nx.DiGraph:
    """The workload graph of the ONNX model at ``path``.

    ``input_shape`` fixes symbolic input dimensions: a tuple for the first graph input
    or a dict ``{input name: shape}``; a symbolic leading dimension becomes ``batch``
    (or 1). ``batch=None`` keeps the model's own batch; otherwise every layer is
    re-batched to ``batch``.
    """
    onnx = _require_onnx()
    path = Path(path)
    try:
        model = onnx.load(str(path))
    except Exception as exc:
        raise WorkloadError(f"onnx path={str(path)!r} cannot be read: {exc}") from None
    _fix_inputs(model, batch or 1, input_shape)
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:
        raise WorkloadError(f"onnx path={str(path)!r}: shape inference failed: {exc}") from None
    importer = _Importer(onnx, model.graph)
    for node in model.graph.node:
        importer.visit(node)
    g = new_graph(model.graph.name or path.stem, batch or 1, "onnx")
    g.graph["path"] = str(path)
    for layer, inputs in importer.layers.values():
        add_layer(g, layer)
        for src, reshaped in inputs.items():
            add_tensor_edge(g, src, layer.name, reshaped=reshaped)
    if not g:
        raise WorkloadError(f"onnx path={str(path)!r} has no Conv, Gemm, MatMul, pool, Add or Concat node")
    validate_graph(g)
    native = topological_layers(g)[0].N
    g.graph["batch"] = native
    if batch is not None and batch != native:
        g = with_batch(g, batch)
    return g


def _fix_inputs(model, batch: int, input_shape) -> None:
    """Give every graph input concrete dimensions, or say which ones are missing."""
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if isinstance(input_shape, dict):
        wanted = dict(input_shape)
    elif input_shape is not None:
        wanted = {inputs[0].name: tuple(input_shape)} if inputs else {}
    else:
        wanted = {}
    for inp in inputs:
        dims = inp.type.tensor_type.shape.dim
        shape = wanted.get(inp.name)
        if shape is not None:
            if len(shape) != len(dims):
                raise WorkloadError(f"input_shape={tuple(shape)} for ONNX input {inp.name!r} must have "
                                    f"{len(dims)} dimensions")
            for d, v in zip(dims, shape):
                d.dim_value = int(v)
            continue
        for j, d in enumerate(dims):
            if d.dim_value <= 0 and j == 0:
                d.dim_value = batch
            elif d.dim_value <= 0:
                sym = [x.dim_value or x.dim_param or "?" for x in dims]
                raise WorkloadError(f"ONNX input {inp.name!r} has symbolic shape {sym}; "
                                    "pass input_shape=(N, C, H, W) to fix it")


class _Importer:
    """Walks the (topologically sorted) ONNX nodes and collects layers and their inputs."""

    def __init__(self, onnx, graph) -> None:
        self.onnx = onnx
        self.consts: dict[str, np.ndarray] = {
            t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
        self.shapes: dict[str, tuple | None] = {}
        for vi in list(graph.input) + list(graph.value_info) + list(graph.output):
            tt = vi.type.tensor_type
            if tt.HasField("shape"):
                self.shapes[vi.name] = tuple(d.dim_value if d.dim_value > 0 else None for d in tt.shape.dim)
        self.producers: dict[str, dict[str, bool]] = {}
        self.layers: dict[str, tuple[Layer, dict[str, bool]]] = {}

    # --- helpers -----------------------------------------------------------------
    def attrs(self, node) -> dict:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def data_inputs(self, node) -> list[str]:
        return [t for t in node.input if t and t not in self.consts]

    def nchw(self, tensor: str, node) -> tuple[int, int, int, int]:
        shape = self.shapes.get(tensor)
        if shape is None or any(d is None for d in shape) or not 2 <= len(shape) <= 4:
            raise WorkloadError(f"ONNX node {node.name!r} ({node.op_type}): tensor {tensor!r} has shape "
                                f"{shape}; a concrete 2-D to 4-D shape is needed (pass input_shape)")
        return tuple(shape) + (1,) * (4 - len(shape))

    def name(self, node) -> str:
        base = node.name or f"{node.op_type.lower()}_{len(self.layers)}"
        out, i = base, 1
        while out in self.layers:
            i += 1
            out = f"{base}_{i}"
        return out

    def add(self, node, layer: Layer, inputs: list[str]) -> None:
        srcs: dict[str, bool] = {}
        for t in inputs:
            for src, reshaped in self.producers.get(t, {}).items():
                srcs[src] = srcs.get(src, False) or reshaped
        self.layers[layer.name] = (layer, srcs)
        for out in node.output[:1]:
            self.producers[out] = {layer.name: False}

    def single_producer(self, tensor: str) -> Layer | None:
        srcs = self.producers.get(tensor, {})
        if len(srcs) != 1:
            return None
        (src, reshaped), = srcs.items()
        return None if reshaped else self.layers[src][0]

    def mark(self, layer: Layer, **changes) -> None:
        _, srcs = self.layers[layer.name]
        self.layers[layer.name] = (replace(layer, **changes), srcs)

    # --- dispatch ----------------------------------------------------------------
    def visit(self, node) -> None:
        op = node.op_type
        if op == "Constant":
            self.consts[node.output[0]] = self.constant_value(node)
            return
        if node.input and all(t == "" or t in self.consts for t in node.input) and op in _FOLD_OPS:
            value = self.fold(node)
            if value is not None:
                self.consts[node.output[0]] = value
                return
        handler = getattr(self, f"on_{op}", None)
        if handler is None or not handler(node):
            self.passthrough(node)

    def constant_value(self, node) -> np.ndarray:
        a = self.attrs(node)
        if "value" in a:
            return self.onnx.numpy_helper.to_array(a["value"])
        for key in ("value_float", "value_floats", "value_int", "value_ints"):
            if key in a:
                return np.asarray(a[key])
        raise WorkloadError(f"ONNX Constant node {node.name!r}: attribute(s) {sorted(a)} not supported; "
                            "allowed: value, value_float(s), value_int(s)")

    def fold(self, node) -> np.ndarray | None:
        """Evaluate a weight-reshaping op on constants, or None when it cannot."""
        x = [self.consts.get(t) if t else None for t in node.input]
        a = self.attrs(node)
        op = node.op_type
        try:
            if op == "Identity":
                return x[0]
            if op == "Cast":
                return x[0].astype(self.onnx.helper.tensor_dtype_to_np_dtype(a["to"]))
            if op == "Transpose":
                return np.transpose(x[0], a.get("perm"))
            if op == "Reshape":
                shape = [d if d != 0 else x[0].shape[i] for i, d in enumerate(x[1].tolist())]
                return x[0].reshape(shape)
            if op in ("Squeeze", "Unsqueeze"):
                axes = a.get("axes", x[1].tolist() if len(x) > 1 and x[1] is not None else None)
                if op == "Squeeze":
                    return np.squeeze(x[0], axis=None if axes is None else tuple(axes))
                return np.expand_dims(x[0], tuple(axes))
            if op == "Flatten":
                axis = a.get("axis", 1)
                return x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)
            if op == "DequantizeLinear":
                return self.dequantize(x, a.get("axis", 1))
        except (KeyError, ValueError, TypeError, IndexError):
            return None
        return None

    @staticmethod
    def dequantize(x: list, axis: int) -> np.ndarray:
        q, scale = x[0].astype(np.float32), x[1].astype(np.float32)
        zero = x[2].astype(np.float32) if len(x) > 2 and x[2] is not None else np.zeros_like(scale)
        if scale.ndim == 1 and q.ndim > 1:
            shape = [1] * q.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        return (q - zero) * scale

    def passthrough(self, node) -> None:
        """Merge the node away: its outputs carry its data inputs' producers."""
        ins = self.data_inputs(node)
        for out in node.output:
            if not out:
                continue
            merged: dict[str, bool] = {}
            for t in ins:
                changed = self.shapes.get(t) is None or self.shapes.get(t) != self.shapes.get(out)
                for src, reshaped in self.producers.get(t, {}).items():
                    merged[src] = merged.get(src, False) or reshaped or changed
            self.producers[out] = merged

    # --- layers ------------------------------------------------------------------
    def on_Conv(self, node) -> bool:
        if len(node.input) < 2 or node.input[1] not in self.consts:
            raise WorkloadError(f"ONNX node {node.name!r} (Conv): weight {node.input[1]!r} is not a "
                                "constant; only constant weights are supported")
        w = np.asarray(self.consts[node.input[1]], dtype=np.float32)
        if w.ndim == 3:
            w = w[..., None]
        if w.ndim != 4:
            raise WorkloadError(f"ONNX node {node.name!r} (Conv): weight rank={w.ndim}; allowed: 1-D or 2-D conv")
        a = self.attrs(node)
        n, c, h, wd = self.nchw(node.input[0], node)
        _, k, p, q = self.nchw(node.output[0], node)
        group = int(a.get("group", 1))
        op = "dwconv" if group > 1 and group == c == k else "conv"
        strides = a.get("strides", [1])
        pads = a.get("pads", [0])
        layer = Layer(self.name(node), op, C=c, K=k, H=h, W=wd, P=p, Q=q, R=w.shape[2], S=w.shape[3],
                      N=n, stride=int(strides[0]), padding=max(int(pads[0]), 0), groups=group,
                      bias=len(node.input) > 2 and bool(node.input[2]), weights=w)
        self.add(node, layer, node.input[:1])
        return True

    def _dense(self, node, x: str, w: np.ndarray, bias: bool) -> bool:
        """An fc (2-D input) or matmul (rows per sample) layer for x @ w.T, w = (out, in)."""
        shape = self.shapes.get(x)
        if shape is None or any(d is None for d in shape) or len(shape) < 2:
            raise WorkloadError(f"ONNX node {node.name!r} ({node.op_type}): input {x!r} has shape {shape}; "
                                "a concrete shape is needed (pass input_shape)")
        k, c = w.shape
        weights = w.astype(np.float32).reshape(k, c, 1, 1)
        if len(shape) == 2:
            layer = Layer(self.name(node), "fc", C=c, K=k, N=shape[0], bias=bias, weights=weights)
        else:
            rows = math.prod(shape[1:-1])
            layer = Layer(self.name(node), "matmul", C=c, K=k, P=rows, N=shape[0], bias=bias, weights=weights)
        self.add(node, layer, [x])
        return True

    def on_Gemm(self, node) -> bool:
        a = self.attrs(node)
        if node.input[1] not in self.consts or a.get("transA", 0) or node.input[0] in self.consts:
            return False
        b = np.asarray(self.consts[node.input[1]], dtype=np.float32) * float(a.get("alpha", 1.0))
        w = b if a.get("transB", 0) else b.T
        return self._dense(node, node.input[0], w, len(node.input) > 2 and bool(node.input[2]))

    def on_MatMul(self, node) -> bool:
        if node.input[1] not in self.consts or node.input[0] in self.consts:
            return False
        b = np.asarray(self.consts[node.input[1]])
        if b.ndim != 2:
            return False
        return self._dense(node, node.input[0], b.T, False)

    def on_Add(self, node) -> bool:
        ins = self.data_inputs(node)
        if len(ins) < 2:
            self.passthrough(node)
            prod = self.single_producer(ins[0]) if ins else None
            if prod is not None and prod.op in ("fc", "matmul") and not prod.bias:
                self.mark(prod, bias=True)
                self.producers[node.output[0]] = {prod.name: False}
            return True
        n, c, h, w = self.nchw(node.output[0], node)
        self.add(node, Layer(self.name(node), "eltwise", C=c, K=c, H=h, W=w, P=h, Q=w, N=n), ins)
        return True

    def on_Concat(self, node) -> bool:
        shape = self.shapes.get(node.output[0])
        if shape is None or len(shape) not in (2, 4) or self.attrs(node)["axis"] % len(shape) != 1:
            return False
        if any(t in self.consts for t in node.input):
            return False
        n, c, h, w = self.nchw(node.output[0], node)
        ins = self.data_inputs(node)
        self.add(node, Layer(self.name(node), "concat", C=c, K=c, H=h, W=w, P=h, Q=w, N=n), ins)
        return True

    def _pool(self, node, kind: str, kernel: tuple[int, int] | None) -> bool:
        a = self.attrs(node)
        n, c, h, w = self.nchw(node.input[0], node)
        _, _, p, q = self.nchw(node.output[0], node)
        if kernel is None:
            r, s, stride, pad = h, w, max(h, w), 0
        else:
            r, s = kernel
            stride = int(a.get("strides", [1])[0])
            pad = max(int(a.get("pads", [0])[0]), 0)
        layer = Layer(self.name(node), "pool", C=c, K=c, H=h, W=w, P=p, Q=q, R=r, S=s, N=n,
                      stride=stride, padding=pad, pool_kind=kind)
        self.add(node, layer, node.input[:1])
        return True

    def on_MaxPool(self, node) -> bool:
        k = self.attrs(node)["kernel_shape"]
        return self._pool(node, "max", (k[0], k[1] if len(k) > 1 else 1))

    def on_AveragePool(self, node) -> bool:
        k = self.attrs(node)["kernel_shape"]
        return self._pool(node, "avg", (k[0], k[1] if len(k) > 1 else 1))

    def on_GlobalAveragePool(self, node) -> bool:
        return self._pool(node, "avg", None)

    def on_GlobalMaxPool(self, node) -> bool:
        return self._pool(node, "max", None)

    def on_ReduceMean(self, node) -> bool:
        a = self.attrs(node)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1] in self.consts:
            axes = self.consts[node.input[1]].tolist()
        shape = self.shapes.get(node.input[0])
        if axes is None or shape is None or len(shape) != 4 or sorted(x % 4 for x in axes) != [2, 3]:
            return False
        return self._pool(node, "avg", None)

    def on_BatchNormalization(self, node) -> bool:
        self.passthrough(node)
        prod = self.single_producer(node.input[0])
        if prod is not None and prod.has_weights and not prod.bn:
            self.mark(prod, bn=True)
        return True
