"""The model zoo: reference networks with their true topology, by name.

ImageNet networks follow torchvision's (or, for EfficientNet-Lite0, TF-Lite's)
architectures exactly, so parameter counts match the published ones; layer names
follow the reference implementation's module names. Activations (ReLU, ReLU6) are
fused into the producing layer and are not nodes. Zoo graphs carry no weights.
"""
from __future__ import annotations

from importlib import resources
from typing import Callable

import networkx as nx

from .errors import WorkloadError
from .graph import GraphBuilder
from .scalesim_io import read_scalesim_topology

_IMAGENET_CLASSES = 1000


def _check_size(name: str, input_size: int, minimum: int) -> None:
    if not isinstance(input_size, int) or isinstance(input_size, bool) or input_size < minimum:
        raise WorkloadError(f"{name}: input_size={input_size!r} must be an integer >= {minimum}")


def _resnet(name: str, block: str, layers: tuple[int, ...], batch: int, input_size: int) -> nx.DiGraph:
    """torchvision ResNet (v1.5: the stride of a bottleneck sits on its 3x3 conv)."""
    _check_size(name, input_size, 32)
    b = GraphBuilder(name, 3, input_size, batch)
    b.conv("conv1", 64, 7, 2, 3)
    b.pool("maxpool", "max", 3, 2, 1)
    expansion = 4 if block == "bottleneck" else 1
    inplanes = 64
    for stage, blocks in enumerate(layers, start=1):
        planes = 64 * 2 ** (stage - 1)
        for i in range(blocks):
            stride = 2 if stage > 1 and i == 0 else 1
            prefix = f"layer{stage}.{i}"
            x = b.cur
            if block == "bottleneck":
                b.conv(f"{prefix}.conv1", planes, 1)
                b.conv(f"{prefix}.conv2", planes, 3, stride)
                b.conv(f"{prefix}.conv3", planes * expansion, 1)
            else:
                b.conv(f"{prefix}.conv1", planes, 3, stride)
                b.conv(f"{prefix}.conv2", planes, 3)
            main = b.cur
            shortcut = x
            if stride != 1 or inplanes != planes * expansion:
                shortcut = b.conv(f"{prefix}.downsample.0", planes * expansion, 1, stride, 0, src=x)
            b.add(f"{prefix}.add", main, shortcut)
            inplanes = planes * expansion
    b.global_pool("avgpool")
    b.fc("fc", _IMAGENET_CLASSES)
    return b.build()


def resnet18(batch: int = 1, input_size: int = 224) -> nx.DiGraph:
    """torchvision resnet18: 11,689,512 parameters, 1.81 GMACs at 224."""
    return _resnet("resnet18", "basic", (2, 2, 2, 2), batch, input_size)


def resnet50(batch: int = 1, input_size: int = 224) -> nx.DiGraph:
    """torchvision resnet50: 25,557,032 parameters, 4.09 GMACs at 224."""
    return _resnet("resnet50", "bottleneck", (3, 4, 6, 3), batch, input_size)


def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's channel rounding for MobileNet widths."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def mobilenet_v2(batch: int = 1, input_size: int = 224) -> nx.DiGraph:
    """torchvision mobilenet_v2 (width 1.0): 3,504,872 parameters, 0.30 GMACs at 224."""
    _check_size("mobilenet_v2", input_size, 32)
    b = GraphBuilder("mobilenet_v2", 3, input_size, batch)
    settings = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
    cin = _make_divisible(32)
    b.conv("features.0.0", cin, 3, 2)
    idx = 1
    for t, c, n, s in settings:
        cout = _make_divisible(c)
        for i in range(n):
            stride = s if i == 0 else 1
            prefix = f"features.{idx}.conv"
            x = b.cur
            j = 0
            if t != 1:
                b.conv(f"{prefix}.0.0", cin * t, 1)
                j = 1
            b.dwconv(f"{prefix}.{j}.0", 3, stride)
            b.conv(f"{prefix}.{j + 1}", cout, 1)
            if stride == 1 and cin == cout:
                b.add(f"features.{idx}.add", b.cur, x)
            cin = cout
            idx += 1
    b.conv(f"features.{idx}.0", 1280, 1)
    b.global_pool("avgpool")
    b.fc("classifier.1", _IMAGENET_CLASSES)
    return b.build()


def vgg16(batch: int = 1, input_size: int = 224) -> nx.DiGraph:
    """torchvision vgg16 (no BN): 138,357,544 parameters, 15.47 GMACs at 224.

    The adaptive 7x7 avg pool is an identity at 224 and is omitted there; at other
    sizes whose feature map is a multiple of 7 it is a uniform avg pool node.
    """
    _check_size("vgg16", input_size, 32)
    b = GraphBuilder("vgg16", 3, input_size, batch)
    cfg = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
    idx = 0
    for v in cfg:
        if v == "M":
            b.pool(f"features.{idx}", "max", 2, 2)
            idx += 1
        else:
            b.conv(f"features.{idx}", v, 3, 1, 1, bias=True, bn=False)
            idx += 2
    fmap = b.shape()[1]
    if fmap != 7:
        if fmap % 7:
            raise WorkloadError(f"vgg16: input_size={input_size} gives a {fmap}x{fmap} feature map; the "
                                "adaptive 7x7 pool is modelled only for multiples of 7 (input_size = 224 * k)")
        b.pool("avgpool", "avg", fmap // 7)
    b.fc("classifier.0", 4096)
    b.fc("classifier.3", 4096)
    b.fc("classifier.6", _IMAGENET_CLASSES)
    return b.build()


def efficientnet_lite0(batch: int = 1, input_size: int = 224) -> nx.DiGraph:
    """EfficientNet-Lite0: B0's MBConv table without squeeze-excite, ReLU6, fixed stem/head.

    4,652,008 parameters and 49 conv layers; names follow timm's ``efficientnet_lite0``.
    """
    _check_size("efficientnet_lite0", input_size, 32)
    b = GraphBuilder("efficientnet_lite0", 3, input_size, batch)
    # (expand ratio, kernel, stride, out channels, repeats) per stage, as EfficientNet-B0
    stages = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
              (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))
    cin = 32
    b.conv("conv_stem", cin, 3, 2)
    for si, (e, k, s, cout, n) in enumerate(stages):
        for i in range(n):
            stride = s if i == 0 else 1
            prefix = f"blocks.{si}.{i}"
            x = b.cur
            if e != 1:
                b.conv(f"{prefix}.conv_pw", cin * e, 1)
            b.dwconv(f"{prefix}.conv_dw", k, stride)
            b.conv(f"{prefix}.conv_pwl" if e != 1 else f"{prefix}.conv_pw", cout, 1)
            if stride == 1 and cin == cout:
                b.add(f"{prefix}.add", b.cur, x)
            cin = cout
    b.conv("conv_head", 1280, 1)
    b.global_pool("global_pool")
    b.fc("classifier", _IMAGENET_CLASSES)
    return b.build()


def mnist_cnn(batch: int = 1, input_size: int = 28) -> nx.DiGraph:
    """The digit-recognizer CNN for 28x28 MNIST: 390,410 parameters.

    3 x [conv3x3 (padding 1, bias) + ReLU + maxpool 2] with 32, 64, 128 filters
    (28 -> 14 -> 7 -> 3), then fc 1152 -> 256 -> 10.
    """
    _check_size("mnist_cnn", input_size, 8)
    b = GraphBuilder("mnist_cnn", 1, input_size, batch)
    for i, k in enumerate((32, 64, 128), start=1):
        b.conv(f"conv{i}", k, 3, 1, 1, bias=True, bn=False)
        b.pool(f"pool{i}", "max", 2)
    b.fc("fc1", 256)
    b.fc("fc2", 10)
    return b.build()


def digits_cnn(batch: int = 1, input_size: int = 8) -> nx.DiGraph:
    """A small CNN for scikit-learn's 8x8 digits: 25,866 parameters.

    conv3x3 1->16, conv3x3 16->32, maxpool 2 (8 -> 4), conv3x3 32->64, maxpool 2
    (4 -> 2), fc 256 -> 10; convs have padding 1, bias and ReLU, no BatchNorm. Small
    enough to train in seconds with numpy, deep enough to exercise a conv pipeline.
    """
    _check_size("digits_cnn", input_size, 4)
    b = GraphBuilder("digits_cnn", 1, input_size, batch)
    b.conv("conv1", 16, 3, 1, 1, bias=True, bn=False)
    b.conv("conv2", 32, 3, 1, 1, bias=True, bn=False)
    b.pool("pool1", "max", 2)
    b.conv("conv3", 64, 3, 1, 1, bias=True, bn=False)
    b.pool("pool2", "max", 2)
    b.fc("fc", 10)
    return b.build()


def resnet50_scalesim(batch: int = 1, input_size: int = 224) -> nx.DiGraph:
    """SCALE-Sim's 54-layer ResNet-50 topology (unpadded, no pools or adds), as a chain.

    These are the shapes of the SCALE-Sim reference runs; use it to compare cycles.
    """
    if input_size != 224:
        raise WorkloadError(f"resnet50_scalesim: input_size={input_size!r}; the topology file fixes it at 224")
    ref = resources.files(__package__).joinpath("topologies", "resnet50_scalesim.csv")
    with resources.as_file(ref) as path:
        return read_scalesim_topology(path, batch=batch, name="resnet50_scalesim")


_REGISTRY: dict[str, Callable[..., nx.DiGraph]] = {
    f.__name__: f for f in (resnet18, resnet50, mobilenet_v2, vgg16, efficientnet_lite0,
                            mnist_cnn, digits_cnn, resnet50_scalesim)
}


def available() -> list[str]:
    """Names accepted by :func:`get`, sorted."""
    return sorted(_REGISTRY)


def get(name: str, batch: int = 1, input_size: int | None = None) -> nx.DiGraph:
    """The zoo network ``name`` at ``batch``; ``input_size=None`` = the network's own size."""
    if name not in _REGISTRY:
        raise WorkloadError(f"network name={name!r} is not in the zoo; available: {', '.join(available())}")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise WorkloadError(f"{name}: batch={batch!r} must be a positive integer")
    if input_size is None:
        return _REGISTRY[name](batch=batch)
    return _REGISTRY[name](batch=batch, input_size=input_size)
