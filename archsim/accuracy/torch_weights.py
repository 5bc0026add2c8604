"""The weights of a torch model as numpy: find, trace, swap in and restore.

Quantizable layers are every ``nn.Conv2d`` (incl. depthwise and TF-"same" subclasses)
and every ``nn.Linear``. Conv weights are OIHW; Linear weights are O x I (and O x I x 1 x 1
when handed to the simulator).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .errors import AccuracyError


def quantizable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Conv2d / Linear modules with a weight, by qualified name, in registration order."""
    return {name: m for name, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear)) and getattr(m, "weight", None) is not None}


def weight_arrays(model: nn.Module) -> dict[str, np.ndarray]:
    """Float32 copies of the quantizable weights (Conv OIHW, Linear O x I), registration order."""
    return {name: m.weight.detach().cpu().numpy().astype(np.float32, copy=True)
            for name, m in quantizable_layers(model).items()}


@contextlib.contextmanager
def swapped_weights(model: nn.Module, new: Mapping[str, np.ndarray]) -> Iterator[nn.Module]:
    """Temporarily replace the named layers' weights with ``new`` arrays; always restore them."""
    layers = quantizable_layers(model)
    unknown = sorted(set(new) - set(layers))
    if unknown:
        raise AccuracyError(f"layers {unknown} are not Conv2d/Linear layers of the model")
    saved = {}
    try:
        with torch.no_grad():
            for name, arr in new.items():
                w = layers[name].weight
                if tuple(arr.shape) != tuple(w.shape):
                    raise AccuracyError(f"layer {name!r}: weights shape {tuple(arr.shape)} "
                                        f"does not match the model's {tuple(w.shape)}")
                saved[name] = w.detach().clone()
                w.copy_(torch.as_tensor(np.asarray(arr), dtype=w.dtype))
        yield model
    finally:
        with torch.no_grad():
            for name, w in saved.items():
                layers[name].weight.copy_(w)


@dataclass(frozen=True)
class LayerTrace:
    """One Conv2d / Linear call seen during a forward pass, in workloads.Layer's notation.

    ``padding`` is the symmetric padding that gives the observed output size (TF "same"
    padding of a stride-2 layer is asymmetric in the model; the totals match).
    """

    name: str
    op: str  # conv, dwconv, fc, matmul
    C: int
    K: int
    H: int
    W: int
    P: int
    Q: int
    R: int
    S: int
    N: int
    stride: int
    padding: int
    groups: int
    bias: bool
    weights: np.ndarray = field(repr=False, compare=False)

    def layer_kwargs(self) -> dict:
        """Keyword arguments for ``workloads.Layer(**kw)``."""
        return {k: getattr(self, k) for k in ("name", "op", "C", "K", "H", "W", "P", "Q", "R", "S",
                                               "N", "stride", "padding", "groups", "bias", "weights")}


def _symmetric_padding(h: int, p: int, r: int, stride: int, dilation: int, fallback: int) -> int:
    for pad in range(r * dilation + 1):
        if (h + 2 * pad - dilation * (r - 1) - 1) // stride + 1 == p:
            return pad
    return fallback


def _trace(name: str, m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> LayerTrace:
    w = m.weight.detach().cpu().numpy().astype(np.float32, copy=True)
    if isinstance(m, nn.Linear):
        rows = int(np.prod(x.shape[1:-1])) if x.dim() > 2 else 1
        return LayerTrace(name, "matmul" if x.dim() > 2 else "fc", m.in_features, m.out_features,
                          rows, 1, rows, 1, 1, 1, int(x.shape[0]), 1, 0, 1, m.bias is not None,
                          w.reshape(m.out_features, m.in_features, 1, 1))
    n, c, h, wd = x.shape
    k, p, q = y.shape[1], y.shape[2], y.shape[3]
    r, s = m.kernel_size
    stride, dil = m.stride[0], m.dilation[0]
    pad = _symmetric_padding(h, p, r, stride, dil, int(m.padding[0]) if not isinstance(m.padding, str) else 0)
    op = "dwconv" if m.groups > 1 and m.groups == c == k else "conv"
    return LayerTrace(name, op, int(c), int(k), int(h), int(wd), int(p), int(q), int(r), int(s), int(n),
                      int(stride), int(pad), int(m.groups), m.bias is not None, w)


def trace_layers(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerTrace]:
    """Run one zero input through ``model`` and record every Conv2d / Linear in execution order.

    A module called twice (weight sharing) is recorded at its first call. The model's
    train/eval mode is restored afterwards; the trace runs in eval mode so BatchNorm
    statistics are not touched.
    """
    layers = quantizable_layers(model)
    seen: dict[str, LayerTrace] = {}
    hooks = []
    for name, m in layers.items():
        def hook(mod, inputs, output, name=name):
            if name not in seen:
                seen[name] = _trace(name, mod, inputs[0], output)
        hooks.append(m.register_forward_hook(hook))
    was_training = model.training
    try:
        param = next(model.parameters(), None)
        x = torch.zeros(tuple(input_shape), dtype=torch.float32,
                        device=param.device if param is not None else "cpu")
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return list(seen.values())


def to_workload_layers(model: nn.Module | str, input_shape: tuple[int, ...] | None = None
                       ) -> dict[str, np.ndarray]:
    """Real weights by layer name in execution order: Conv OIHW, Linear O x I x 1 x 1 (float32).

    ``model`` may be a name from ``models.MODELS`` (its input shape is then known).
    """
    if isinstance(model, str):
        from .models import INPUT_SHAPES, load_model
        input_shape = input_shape or INPUT_SHAPES.get(model)
        model = load_model(model)
    if input_shape is None:
        raise AccuracyError("input_shape=None: give the shape of one input batch, e.g. (1, 3, 224, 224)")
    return {t.name: t.weights for t in trace_layers(model, input_shape)}
