"""Per-layer and per-network tables of what each scheme costs and how much error it adds.

Rows are plain dicts (ready for pandas / CSV); column names carry units where they have one.
The network aggregate weights every per-weight quantity by the layer's weight count and
computes SQNR from the summed squared weights and errors (not an average of dB values).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .errors import QuantError
from .quantize import check_weights, quantize
from .records import MIX_KINDS
from .scheme import Scheme

#: column order of layer_stats / network_stats rows
COLUMNS = ("layer", "scheme", "weight_count", "stored_bits", "stored_bytes", "bits_per_weight",
           "scale_bits", "meta_bits", "shift_bits", "data_bits", "hp_fraction", "mse",
           "sqnr_db", "weight_sumsq", "error_sumsq") + tuple(f"{k}_fraction" for k in MIX_KINDS)


def layer_stats(name: str, weights: np.ndarray, schemes: Iterable[str | Scheme] | str | Scheme,
                *, axis_order: str | None = None) -> list[dict]:
    """One row per scheme for the weights of layer `name`."""
    w = check_weights(weights)
    if isinstance(schemes, (str, Scheme)):
        schemes = [schemes]
    sumsq = float(np.square(w, dtype=np.float64).sum())
    rows = []
    for s in schemes:
        qw = quantize(w, s, axis_order=axis_order)
        n = qw.weights
        row = {"layer": name, "scheme": qw.scheme, "weight_count": n,
               "stored_bits": qw.stored_bits, "stored_bytes": qw.stored_bytes,
               "bits_per_weight": qw.bits_per_weight, "scale_bits": qw.bits["scale"],
               "meta_bits": qw.bits["meta"], "shift_bits": qw.bits["shift"],
               "data_bits": qw.bits["data8"] + qw.bits["data4"], "hp_fraction": qw.hp_fraction,
               "mse": qw.mse, "sqnr_db": qw.sqnr_db, "weight_sumsq": sumsq,
               "error_sumsq": qw.mse * n}
        row.update({f"{k}_fraction": qw.mix[k] / n for k in MIX_KINDS})
        rows.append(row)
    return rows


def network_stats(rows: Iterable[dict], name: str = "network") -> list[dict]:
    """One aggregate row per scheme (first-seen order) over layer_stats rows.

    Adds `layers` (count) and `worst_layer_sqnr_db` (the lowest layer SQNR).
    """
    groups: dict[str, list[dict]] = {}
    for r in rows:
        missing = [c for c in COLUMNS if c not in r]
        if missing:
            raise QuantError(f"rows: a row lacks columns {missing}; allowed: rows from layer_stats()")
        groups.setdefault(r["scheme"], []).append(r)
    out = []
    for scheme, rs in groups.items():
        n = sum(r["weight_count"] for r in rs)
        total = {c: sum(r[c] for r in rs) for c in
                 ("stored_bits", "stored_bytes", "scale_bits", "meta_bits", "shift_bits",
                  "data_bits", "weight_sumsq", "error_sumsq")}
        def wavg(col: str) -> float:
            return sum(r[col] * r["weight_count"] for r in rs) / n
        err, sig = total["error_sumsq"], total["weight_sumsq"]
        sqnr = math.inf if err == 0 else (-math.inf if sig == 0 else 10 * math.log10(sig / err))
        row = {"layer": name, "scheme": scheme, "weight_count": n, **total,
               "bits_per_weight": total["stored_bits"] / n, "hp_fraction": wavg("hp_fraction"),
               "mse": err / n, "sqnr_db": sqnr}
        row.update({f"{k}_fraction": wavg(f"{k}_fraction") for k in MIX_KINDS})
        row["layers"] = len(rs)
        row["worst_layer_sqnr_db"] = min(r["sqnr_db"] for r in rs)
        out.append({c: row[c] for c in COLUMNS + ("layers", "worst_layer_sqnr_db")})
    return out
