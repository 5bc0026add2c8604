"""Weight-format schemes: names, parameters, parsing and the canonical spelling.

A scheme is written ``name`` or ``name:key=value,key=value`` (e.g. ``strum-dliq:L=16,k=4``).
``str(parse_scheme(text))`` is canonical: every parameter spelled out in a fixed order,
so equal formats give equal strings, usable as a cache key or a CSV value, and the
canonical string parses back to the same ``Scheme``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import QuantError


@dataclass(frozen=True)
class Param:
    """One scheme parameter: its type, default, allowed values and meaning."""
    name: str
    kind: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    lo: int | float | None = None
    hi: int | float | None = None

    def allowed(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        return f"{self.kind.__name__} in [{self.lo}, {self.hi}]"


@dataclass(frozen=True)
class SchemeSpec:
    """A scheme name with its description and its parameters in canonical order."""
    name: str
    description: str
    params: tuple[Param, ...]


_L = Param("L", int, 8, "block length along the reduction (input-channel) axis", lo=2, hi=256)
_K = Param("k", int, 4, "high-precision (INT8) values per block; or give frac=k/L", lo=0, hi=256)
_SELECT = Param("select", str, "magnitude",
                "magnitude: the k largest |q| (ties by index); fixed: the first k positions",
                choices=("magnitude", "fixed"))
_META = Param("meta", str, "mask",
              "where the INT8 values are: mask = L bits per block, index = k*ceil(log2 L) bits "
              "per block, none = fixed positions (select=fixed only)",
              choices=("mask", "index", "none"))

SPECS: dict[str, SchemeSpec] = {s.name: s for s in (
    SchemeSpec("int8", "INT8, symmetric per output channel (scale = max|W_c| / 127)", ()),
    SchemeSpec("int4", "INT4, symmetric per output channel (scale = max|W_c| / 7)", ()),
    SchemeSpec(
        "strum-dliq",
        "StruM DLIQ: per block, k values keep their INT8 code, the rest become "
        "4-bit q4 in [-8, 7] times 2^e with one shift e per block",
        (_L, _K, _SELECT, _META,
         Param("shift", str, "block", "block: per-block shift e in [0, shift_max]; "
               "none: plain INT4 clip of the INT8 code (e = 0, no shift bits)",
               choices=("block", "none")),
         Param("shift_max", int, 4, "largest per-block shift; the shift field has "
               "ceil(log2(shift_max + 1)) bits", lo=0, hi=7),
         Param("round", str, "even", "even: q / 2^e rounded half to even (unbiased); up: the "
               "plain rounding shift (q + 2^(e-1)) >> e, ties toward +inf, whose bias adds up "
               "along a dot product", choices=("even", "up")))),
    SchemeSpec(
        "strum-mip2q",
        "StruM MIP2Q: per block, k values keep their INT8 code, the rest become "
        "sign * 2^e, e in [0, 6] (1 sign bit + 3-bit exponent code, code 0 = zero)",
        (_L, _K, _SELECT, _META,
         Param("round", str, "linear", "linear: nearest power of two (ties to the larger); "
               "log: e = round(log2 |q|)", choices=("linear", "log")),
         Param("emin", int, 0, "smallest exponent: the 3-bit code spans 2^emin .. 2^(emin+6); "
               "emin=1 trades +-1 for +-128", lo=0, hi=1))),
    SchemeSpec(
        "nm",
        "N:M structured sparsity: in each group of M reduction-axis weights the N largest "
        "|q| keep their INT8 code, the rest are zero",
        (Param("N", int, 2, "weights kept per group", lo=1, hi=256),
         Param("M", int, 4, "group length", lo=2, hi=256))),
)}

#: other spellings accepted for a scheme name
ALIASES = {"dliq": "strum-dliq", "mip2q": "strum-mip2q", "n:m": "nm"}
#: parameters accepted on input but not part of the canonical form
_EXTRA = {"strum-dliq": ("frac",), "strum-mip2q": ("frac",)}


@dataclass(frozen=True)
class Scheme:
    """A weight format: a scheme name and its parameters, (key, value) in canonical order."""
    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in self.params)

    def __getitem__(self, key: str) -> Any:
        for k, v in self.params:
            if k == key:
                return v
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def as_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def is_strum(self) -> bool:
        return self.name.startswith("strum-")


def available_schemes() -> dict[str, dict[str, Any]]:
    """name -> {"description", "defaults" (param -> default), "params" (param -> help)}."""
    out = {}
    for spec in SPECS.values():
        params = {p.name: f"{p.help} (allowed: {p.allowed()})" for p in spec.params}
        if spec.name in _EXTRA:
            params["frac"] = "k as a fraction of L: k = round(frac * L) (allowed: float in [0, 1])"
        out[spec.name] = {"description": spec.description,
                          "defaults": {p.name: p.default for p in spec.params},
                          "params": params}
    return out


def parse_scheme(scheme: str | Scheme, **overrides: Any) -> Scheme:
    """Parse ``name[:key=value,...]`` (or re-validate a Scheme) into a canonical Scheme.

    Keyword overrides set parameters too: ``parse_scheme("strum-dliq", L=16)``.
    Parameter keys match case-insensitively; unknown names, keys or bad values raise QuantError.
    """
    if isinstance(scheme, Scheme):
        text = str(scheme)
    elif isinstance(scheme, str):
        text = scheme
    else:
        raise QuantError(f"scheme={scheme!r} must be a str such as 'strum-dliq:L=8,k=4' or a Scheme")
    name, _, rest = text.strip().partition(":")
    name = ALIASES.get(name.strip().lower(), name.strip().lower())
    if name not in SPECS:
        raise QuantError(f"scheme name {name!r} is unknown; allowed: {', '.join(SPECS)}")
    spec = SPECS[name]
    raw: dict[str, Any] = {}
    for item in (s.strip() for s in rest.split(",")):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise QuantError(f"scheme {name!r}: parameter {item!r} must be written key=value")
        _put(raw, spec, key.strip(), value.strip())
    for key, value in overrides.items():
        _put(raw, spec, key, value)
    return Scheme(name, _resolve(spec, raw))


def _put(raw: dict[str, Any], spec: SchemeSpec, key: str, value: Any) -> None:
    """Store one raw parameter under its canonical key spelling."""
    known = [p.name for p in spec.params] + list(_EXTRA.get(spec.name, ()))
    match = [k for k in known if k.lower() == key.lower()]
    if not match:
        allowed = ", ".join(known) if known else "none"
        raise QuantError(f"scheme {spec.name!r}: parameter {key!r} is unknown; allowed: {allowed}")
    if match[0] in raw:
        raise QuantError(f"scheme {spec.name!r}: parameter {match[0]!r} is given twice")
    raw[match[0]] = value


def _convert(spec: SchemeSpec, p: Param, value: Any) -> Any:
    """Turn a raw value (str from text, or a Python value) into the parameter's type and check it."""
    where = f"scheme {spec.name!r}: {p.name}={value!r}"
    if p.kind is int:
        if isinstance(value, bool):
            raise QuantError(f"{where} must be an integer ({p.allowed()})")
        try:
            v = int(value) if isinstance(value, str) else value
        except ValueError:
            raise QuantError(f"{where} must be an integer ({p.allowed()})") from None
        if not isinstance(v, int) and not (hasattr(v, "is_integer") and float(v).is_integer()):
            raise QuantError(f"{where} must be an integer ({p.allowed()})")
        v = int(v)
        if not p.lo <= v <= p.hi:
            raise QuantError(f"scheme {spec.name!r}: {p.name}={v} is out of range; "
                             f"allowed: {p.allowed()}")
        return v
    v = str(value).strip().lower()
    if v not in p.choices:
        raise QuantError(f"{where} is not allowed; allowed: {p.allowed()}")
    return v


def _resolve(spec: SchemeSpec, raw: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Fill defaults, convert, check cross-parameter rules and normalise equivalent spellings."""
    byname = {p.name: p for p in spec.params}
    given = {k: _convert(spec, byname[k], v) for k, v in raw.items() if k in byname}
    vals = {p.name: given.get(p.name, p.default) for p in spec.params}
    if spec.name.startswith("strum-"):
        _resolve_strum(spec, raw, given, vals)
    if spec.name == "nm" and vals["N"] > vals["M"]:
        raise QuantError(f"scheme 'nm': N={vals['N']} must be <= M={vals['M']}")
    return tuple((p.name, vals[p.name]) for p in spec.params)


def _resolve_strum(spec: SchemeSpec, raw: dict, given: dict, vals: dict) -> None:
    L = vals["L"]
    if "frac" in raw:
        if "k" in given:
            raise QuantError(f"scheme {spec.name!r}: give k or frac, not both "
                             f"(k={given['k']}, frac={raw['frac']!r})")
        try:
            frac = float(raw["frac"])
        except (TypeError, ValueError):
            raise QuantError(f"scheme {spec.name!r}: frac={raw['frac']!r} must be a number "
                             "in [0, 1]") from None
        if not 0.0 <= frac <= 1.0:
            raise QuantError(f"scheme {spec.name!r}: frac={frac!r} must be in [0, 1]")
        vals["k"] = int(math.floor(frac * L + 0.5))
    if vals["k"] > L:
        raise QuantError(f"scheme {spec.name!r}: k={vals['k']} must be <= L={L} "
                         f"(allowed: 0 <= k <= L)")
    if vals["select"] == "fixed":
        if given.get("meta", "none") != "none":
            raise QuantError(f"scheme {spec.name!r}: meta={given['meta']!r} with select=fixed; "
                             "fixed positions need no metadata, allowed: meta=none")
        vals["meta"] = "none"
    elif vals["meta"] == "none":
        raise QuantError(f"scheme {spec.name!r}: meta='none' needs select=fixed; "
                         "with select=magnitude allowed: mask | index")
    if spec.name == "strum-dliq":
        if vals["shift"] == "none":
            if given.get("shift_max", 0) != 0:
                raise QuantError(f"scheme 'strum-dliq': shift_max={given['shift_max']} with "
                                 "shift=none; allowed: shift_max=0 or shift=block")
            vals["shift_max"] = 0
        elif vals["shift_max"] == 0:
            vals["shift"] = "none"
