"""quant: weight formats (INT8 / INT4, StruM DLIQ and MIP2Q, N:M sparsity) in pure numpy.

It imports nothing of the project and knows nothing of the simulator: it turns a float
weight tensor into codes, a dequantized tensor, exact stored bits, the multiply mix a PE
would run, and the error added.
"""
from .errors import QuantError
from .packing import decode, encode
from .quantize import quantize
from .records import QuantizedWeights, WeightFormat, weight_format
from .scheme import Scheme, available_schemes, parse_scheme
from .stats import layer_stats, network_stats
from .synthetic import synthetic_weights

__all__ = [
    "QuantError", "Scheme", "parse_scheme", "available_schemes", "quantize", "QuantizedWeights",
    "WeightFormat", "weight_format", "encode", "decode", "synthetic_weights", "layer_stats",
    "network_stats",
]
