"""Accuracy harness: swap quantized weights into a torch model and measure the effect.

Only the weights of Conv2d / Linear layers are quantized (``quant.quantize``, then its
float ``dequantized`` tensor is copied into the layer); biases, BatchNorm and every
activation stay float32, so a difference in top-1 is the weight format's alone.
The original weights are restored after each format.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

import quant

from .datasets import Dataset, load_dataset
from .errors import AccuracyError
from .models import DEFAULT_DATASET, load_model
from .torch_weights import quantizable_layers, swapped_weights, weight_arrays

FLOAT = "float"
DEFAULT_SCHEMES = ("int8", "int4", "strum-dliq", "strum-mip2q", "nm")
STRUM_SCHEMES = ("strum-dliq", "strum-mip2q")


@dataclass(frozen=True)
class AccuracyReport:
    """``summary``: one row per format; ``layers``: one row per (layer, format)."""

    summary: pd.DataFrame
    layers: pd.DataFrame


def canonical_scheme(scheme: str) -> str:
    """``quant``'s canonical spelling of a scheme string (e.g. ``strum-dliq:L=8,k=4``)."""
    return str(quant.parse_scheme(scheme))


def _model(model: nn.Module | str) -> tuple[str, nn.Module]:
    if isinstance(model, str):
        return model, load_model(model)
    if isinstance(model, nn.Module):
        return type(model).__name__, model
    raise AccuracyError(f"model={model!r} must be a torch.nn.Module or a model name")


def _dataset(dataset, model_name: str) -> Dataset:
    if dataset is None:
        if model_name not in DEFAULT_DATASET:
            raise AccuracyError(f"dataset=None: model {model_name!r} has no default dataset; "
                                f"give a Dataset, a name or an (x, y) pair")
        dataset = DEFAULT_DATASET[model_name]
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, str):
        return load_dataset(dataset)
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2:
        x, y = dataset
        return Dataset("custom", torch.as_tensor(np.asarray(x), dtype=torch.float32),
                       None if y is None else np.asarray(y, dtype=np.int64), "user arrays")
    if isinstance(dataset, (torch.Tensor, np.ndarray)):
        return Dataset("custom", torch.as_tensor(np.asarray(dataset), dtype=torch.float32), None,
                       "user array")
    raise AccuracyError(f"dataset={type(dataset).__name__} must be a Dataset, a name in "
                        f"{sorted(DEFAULT_DATASET.values())}, an (x, y) pair or an array")


def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Float logits of ``model`` on ``x`` in eval mode (mode restored), on the CPU."""
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        with torch.no_grad():
            out = [model(x[i:i + batch_size].to(device)).float().cpu()
                   for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out)


def _layer_op(m: nn.Module) -> str:
    if isinstance(m, nn.Linear):
        return "fc"
    return "dwconv" if m.groups > 1 and m.groups == m.in_channels == m.out_channels else "conv"


def quantize_layers(weights: dict[str, np.ndarray], scheme: str) -> dict:
    """``quant.quantize`` of every layer's weights: name -> QuantizedWeights."""
    return {name: quant.quantize(w, scheme) for name, w in weights.items()}


def _layer_rows(model_name: str, model: nn.Module, weights: dict[str, np.ndarray], fmt: str,
                scheme: str, qws: dict) -> list[dict]:
    modules = quantizable_layers(model)
    return [{"model": model_name, "layer": name, "op": _layer_op(modules[name]),
             "shape": "x".join(map(str, w.shape)), "n_weights": int(w.size),
             "format": fmt, "scheme": scheme,
             "sqnr_db": float(qws[name].sqnr_db), "mse": float(qws[name].mse),
             "bits_per_weight": float(qws[name].bits_per_weight),
             "hp_fraction": float(getattr(qws[name], "hp_fraction", math.nan))}
            for name, w in weights.items()]


def _weight_stats(rows: Sequence[dict]) -> dict:
    n = np.array([r["n_weights"] for r in rows], dtype=np.float64)
    sq = np.array([r["sqnr_db"] for r in rows], dtype=np.float64)
    return {"bits_per_weight": float(np.dot(n, [r["bits_per_weight"] for r in rows]) / n.sum()),
            "hp_fraction": float(np.dot(n, [r["hp_fraction"] for r in rows]) / n.sum()),
            "sqnr_db_mean": float(sq.mean()), "sqnr_db_min": float(sq.min()), "n_layers": len(rows)}


def _logit_sqnr_db(ref: torch.Tensor, out: torch.Tensor) -> float:
    noise = float(((out - ref) ** 2).sum())
    return math.inf if noise == 0 else 10 * math.log10(float((ref ** 2).sum()) / noise)


def _formats(schemes: Iterable[str]) -> list[str]:
    if isinstance(schemes, str):
        schemes = [schemes]
    return [s for s in dict.fromkeys(schemes) if s != FLOAT]


def accuracy_report(model: nn.Module | str, dataset=None, schemes: Iterable[str] = DEFAULT_SCHEMES,
                    *, batch_size: int = 256) -> AccuracyReport:
    """Evaluate ``model`` on ``dataset`` with float weights and with each scheme's weights.

    ``model``: a torch module or a name (``digits``, ``mnist``, ``efficientnet_lite0``);
    ``dataset``: a Dataset, a name (``digits``, ``mnist``, ``photos``), an (x, y) pair, or
    None for the named model's own data. Any ``quant`` scheme string is accepted.
    """
    model_name, model = _model(model)
    data = _dataset(dataset, model_name)
    weights = weight_arrays(model)
    if not weights:
        raise AccuracyError(f"model {model_name!r} has no Conv2d/Linear layer to quantize")
    ref = predict(model, data.x, batch_size)
    ref_top1 = ref.argmax(1).numpy()

    def row(fmt: str, scheme: str, logits: torch.Tensor, stats: dict) -> dict:
        top1 = logits.argmax(1).numpy()
        acc = float((top1 == data.y).mean() * 100) if data.labelled else math.nan
        top5 = logits.topk(min(5, logits.shape[1]), dim=1).indices.numpy()
        return {"model": model_name, "dataset": data.name, "format": fmt, "scheme": scheme,
                "top1_pct": acc, "agreement_pct": float((top1 == ref_top1).mean() * 100),
                "top5_agreement_pct": float((top5 == ref_top1[:, None]).any(1).mean() * 100),
                "n_samples": len(data), **stats,
                "logit_sqnr_db": math.nan if fmt == FLOAT else _logit_sqnr_db(ref, logits)}

    summary = [row(FLOAT, FLOAT, ref, {"bits_per_weight": 32.0, "hp_fraction": math.nan,
                                       "sqnr_db_mean": math.nan, "sqnr_db_min": math.nan,
                                       "n_layers": len(weights)})]
    layer_rows: list[dict] = []
    for fmt in _formats(schemes):
        scheme = canonical_scheme(fmt)
        qws = quantize_layers(weights, fmt)
        rows = _layer_rows(model_name, model, weights, fmt, scheme, qws)
        layer_rows += rows
        with swapped_weights(model, {name: qw.dequantized for name, qw in qws.items()}):
            logits = predict(model, data.x, batch_size)
        summary.append(row(fmt, scheme, logits, _weight_stats(rows)))
    return AccuracyReport(pd.DataFrame(summary), pd.DataFrame(layer_rows))


def evaluate(model: nn.Module | str, dataset=None, schemes: Iterable[str] = DEFAULT_SCHEMES,
             *, batch_size: int = 256) -> pd.DataFrame:
    """One row per format (``float`` first): top1_pct (NaN without labels), agreement_pct
    (top-1 equal to the float model's), top5_agreement_pct (float top-1 within this format's
    top-5), n_samples, bits_per_weight and hp_fraction (weight-count weighted), sqnr_db_mean
    and sqnr_db_min over layers, logit_sqnr_db (float logits vs this format's)."""
    return accuracy_report(model, dataset, schemes, batch_size=batch_size).summary


def per_layer_sqnr(model: nn.Module | str, schemes: Iterable[str] = DEFAULT_SCHEMES) -> pd.DataFrame:
    """One row per (layer, format): layer, op, shape, n_weights, format, scheme, sqnr_db, mse,
    bits_per_weight, hp_fraction. Layers in registration order; no data is needed."""
    model_name, model = _model(model)
    weights = weight_arrays(model)
    rows: list[dict] = []
    for fmt in _formats(schemes):
        rows += _layer_rows(model_name, model, weights, fmt, canonical_scheme(fmt),
                            quantize_layers(weights, fmt))
    return pd.DataFrame(rows)


def sqnr_margin(layers: pd.DataFrame, schemes: Iterable[str] = STRUM_SCHEMES,
                baseline: str = "int4") -> pd.DataFrame:
    """Per scheme: SQNR minus the baseline's SQNR on the same layer (dB): min, median, mean,
    the worst layer and how many layers beat the baseline. ``layers`` from per_layer_sqnr."""
    base = layers[layers["format"] == baseline].set_index("layer")["sqnr_db"]
    if base.empty:
        raise AccuracyError(f"baseline={baseline!r} is not a format in the table "
                            f"({sorted(layers['format'].unique())})")
    out = []
    for fmt in _formats(schemes):
        s = layers[layers["format"] == fmt].set_index("layer")["sqnr_db"]
        if s.empty:
            raise AccuracyError(f"scheme={fmt!r} is not a format in the table")
        d = (s - base.reindex(s.index)).astype(float)
        out.append({"format": fmt, "baseline": baseline, "n_layers": int(d.size),
                    "n_better": int((d > 0).sum()), "margin_db_min": float(d.min()),
                    "margin_db_median": float(d.median()), "margin_db_mean": float(d.mean()),
                    "worst_layer": str(d.idxmin())})
    return pd.DataFrame(out)
