"""Per-layer weight-format statistics of a whole workload (what `archsim quantize` writes)."""
from __future__ import annotations

import pandas as pd

import quant

from .formats import layer_weights
from .simulate import load_workload, quant_scheme, with_weights


def quantize_workload(workload, schemes, seed: int = 0, batch: int = 1, weights: str = "auto") -> pd.DataFrame:
    """One row per (layer, scheme) plus one `network` row per scheme.

    Columns come from quant.layer_stats (stored bits incl. metadata and scales, high-precision
    fraction, MSE, SQNR, multiply mix) plus `workload` and `weight_source` (real / synthetic).
    The synthetic weights are the very tensors simulate() quantizes for the same seed.
    """
    g = with_weights(load_workload(workload, batch), weights)
    canonical = [str(quant_scheme(s)) for s in schemes]
    rows, sources = [], {}
    for name in g.nodes:
        layer = g.nodes[name]["layer"]
        if not layer.has_weights:
            continue
        w, source = layer_weights(layer, seed)
        sources[name] = source
        for row in quant.layer_stats(name, w, canonical):
            rows.append({**row, "weight_source": source})
    net = quant.network_stats(rows, name="network")
    kinds = sorted(set(sources.values()))
    for row in net:
        row["weight_source"] = ",".join(kinds)
    df = pd.DataFrame(rows + net)
    df.insert(0, "workload", g.graph.get("name", "graph"))
    return df
