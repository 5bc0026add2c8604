"""Technology nodes: the component tables at 22/16/7 nm and the scaling rules in between.

The tables (hw/tables/*.yaml) hold the numbers of shared/reference/energy.md with their
labels. A node between two table nodes is interpolated log-log between them; a node
outside 7..22 nm is scaled from the nearest table by `scale()`, which applies the
Stillmaker-Baas factors for logic, the Accelergy sqrt(node/22) rule for SRAM energy and no
scaling for DRAM and wires (energy.md section 2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from .config import YAML_LOADER
from .errors import ConfigError

TABLE_DIR = Path(__file__).parent / "tables"
TABLE_NODES = (7, 16, 22)
LABELS = ("PUB", "TOOL", "EST")
COMPONENT_KINDS = ("logic", "sram", "dram", "wire")
QUANTITIES = ("energy", "area", "leakage")

#: Stillmaker & Baas (Integration 2017) factors vs 45 nm, same Vdd, as tabulated in energy.md s2
_SB_NODES = (7.0, 16.0, 22.0, 45.0)
_SB_ENERGY = (0.094, 0.174, 0.294, 1.0)
_SB_AREA = (0.059, 0.19, 0.252, 1.0)
#: Accelergy's sub-22 nm SRAM leakage factor for FinFET nodes (energy.md s1.2)
_FINFET_SRAM_LEAKAGE = 0.79

#: table entry kind -> (component kind, quantity) for its energy_pj, area_um2 and value fields
_ENTRY_SCALING = {
    "logic": {"energy_pj": ("logic", "energy"), "area_um2": ("logic", "area")},
    "sram": {"energy_pj": ("sram", "energy")},
    "sram_area": {"value": ("sram", "area")},
    "leakage_logic": {"value": ("logic", "leakage")},
    "leakage_sram": {"value": ("sram", "leakage")},
}


@dataclass(frozen=True)
class Entry:
    """One table entry: energy per action and/or area per instance, or a plain value."""
    name: str
    kind: str
    unit: str
    label: str
    source: str
    energy_pj: float | None = None
    area_um2: float | None = None
    value: float | None = None
    side: str | None = None  # for `value`: which overrides may replace it, "energy" or "area"
    note: str = ""  # how this node's number was obtained from the tables (scaling, override)

    @property
    def provenance(self) -> str:
        text = f"[{self.label}] {self.source}"
        return f"{text}; {self.note}" if self.note else text

    @property
    def energy_side(self) -> bool:
        return self.energy_pj is not None or self.side == "energy"

    @property
    def area_side(self) -> bool:
        return self.area_um2 is not None or self.side == "area"


def _loglog(x: float, xs: tuple, ys: tuple) -> float:
    """Piecewise log-log interpolation through (xs, ys), extrapolating the end segments."""
    i = 1
    while i < len(xs) - 1 and x > xs[i]:
        i += 1
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    t = math.log(x / x0) / math.log(x1 / x0)
    return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))


def _factor(kind: str, quantity: str, node: float) -> float:
    """The kind's factor at `node` on an arbitrary reference; only ratios are meaningful."""
    e45, a45 = _loglog(node, _SB_NODES, _SB_ENERGY), _loglog(node, _SB_NODES, _SB_AREA)
    if kind == "logic":
        # leakage is a density (per um^2): per-gate leakage follows energy, gates per um^2 follow 1/area
        return {"energy": e45, "area": a45, "leakage": e45 / a45}[quantity]
    if kind == "sram":
        if node >= 22:
            e22, a22 = _SB_ENERGY[2], _SB_AREA[2]
            return {"energy": e45 / e22, "area": a45 / a22, "leakage": e45 / e22}[quantity]
        ratio = node / 22.0
        return {"energy": math.sqrt(ratio), "area": ratio,
                "leakage": math.sqrt(ratio) * _FINFET_SRAM_LEAKAGE}[quantity]
    return 1.0


def scale(component_kind: str, quantity: str, from_nm: float, to_nm: float) -> float:
    """Factor that takes a `quantity` ("energy", "area", "leakage") of a component of
    `component_kind` ("logic", "sram", "dram", "wire") from `from_nm` to `to_nm`.

    logic: Stillmaker-Baas factors interpolated log-log between 7/16/22/45 nm (leakage is a
    per-um^2 density: energy factor / area factor). sram: energy x sqrt(node/22), area x
    node/22, leakage x sqrt(node/22) x 0.79 below 22 nm, logic factors above. dram, wire: 1.
    """
    if component_kind not in COMPONENT_KINDS:
        raise ConfigError(f"component_kind={component_kind!r}: allowed values are {', '.join(COMPONENT_KINDS)}")
    if quantity not in QUANTITIES:
        raise ConfigError(f"quantity={quantity!r}: allowed values are {', '.join(QUANTITIES)}")
    for name, nm in (("from_nm", from_nm), ("to_nm", to_nm)):
        if isinstance(nm, bool) or not isinstance(nm, (int, float)) or not nm > 0:
            raise ConfigError(f"{name}={nm!r}: must be a positive number of nm")
    return _factor(component_kind, quantity, float(to_nm)) / _factor(component_kind, quantity, float(from_nm))


def _read_entries(path: Path) -> dict[str, Entry]:
    data = yaml.load(path.read_text(), Loader=YAML_LOADER)
    out = {}
    for name, e in data["entries"].items():
        out[name] = Entry(name=name, kind=e["kind"], unit=e["unit"], label=e["label"], source=e["source"],
                          energy_pj=e.get("energy_pj"), area_um2=e.get("area_um2"), value=e.get("value"),
                          side=e.get("side"))
    return out


@lru_cache(maxsize=None)
def _node_table(node: int) -> dict[str, Entry]:
    return _read_entries(TABLE_DIR / f"components_{node}nm.yaml")


@lru_cache(maxsize=None)
def _common_table() -> dict[str, Entry]:
    return _read_entries(TABLE_DIR / "common.yaml")


def _scaled(e: Entry, from_nm: float, to_nm: float) -> Entry:
    changes = {}
    for field_name, (ckind, qty) in _ENTRY_SCALING.get(e.kind, {}).items():
        v = getattr(e, field_name)
        if v is not None:
            changes[field_name] = v * scale(ckind, qty, from_nm, to_nm)
    note = f"scaled from the {from_nm:g} nm table to {to_nm:g} nm by hw.tech.scale ({e.kind})"
    return replace(e, note=note, **changes)


def _interpolated(lo: Entry, hi: Entry, lo_nm: int, hi_nm: int, node: float) -> Entry:
    t = math.log(node / lo_nm) / math.log(hi_nm / lo_nm)
    changes = {}
    for f in ("energy_pj", "area_um2", "value"):
        a, b = getattr(lo, f), getattr(hi, f)
        if a is not None:
            changes[f] = a if a == b or a <= 0 or b <= 0 else math.exp(
                (1 - t) * math.log(a) + t * math.log(b))
    note = f"interpolated log-log between the {lo_nm} and {hi_nm} nm tables for {node:g} nm"
    return replace(lo, note=note, **changes)


@lru_cache(maxsize=64)
def _table_at(node: float) -> dict[str, Entry]:
    table = dict(_common_table())
    exact = [n for n in TABLE_NODES if math.isclose(node, n)]
    if exact:
        table.update(_node_table(exact[0]))
    elif TABLE_NODES[0] < node < TABLE_NODES[-1]:
        lo = max(n for n in TABLE_NODES if n < node)
        hi = min(n for n in TABLE_NODES if n > node)
        a, b = _node_table(lo), _node_table(hi)
        table.update({k: _interpolated(a[k], b[k], lo, hi, node) for k in a})
    else:
        ref = TABLE_NODES[0] if node < TABLE_NODES[0] else TABLE_NODES[-1]
        table.update({k: _scaled(e, ref, node) for k, e in _node_table(ref).items()})
    return table


def component_table(node_nm: float) -> dict[str, Entry]:
    """Every table entry at `node_nm` (a table node, interpolated, or scaled)."""
    if isinstance(node_nm, bool) or not isinstance(node_nm, (int, float)) or not node_nm > 0:
        raise ConfigError(f"tech_node_nm={node_nm!r}: must be a positive number of nm")
    return dict(_table_at(float(node_nm)))


def entries(cfg) -> dict[str, Entry]:
    """The table at cfg.tech_node_nm with cfg.energy_overrides and cfg.area_overrides applied.

    energy_overrides replace `energy_pj` (or an energy-side `value`), area_overrides replace
    `area_um2` (or an area-side `value`); an unknown key raises ConfigError listing the keys.
    """
    table = component_table(cfg.tech_node_nm)
    for field_name, side in (("energy_overrides", "energy"), ("area_overrides", "area")):
        overrides = getattr(cfg, field_name)
        allowed = sorted(k for k, e in table.items() if (e.energy_side if side == "energy" else e.area_side))
        for key, value in overrides.items():
            if key not in allowed:
                raise ConfigError(f"{field_name}[{key!r}]={value!r}: unknown {side}-table entry; "
                                  f"allowed: {', '.join(allowed)}")
            e = table[key]
            attr = ("energy_pj" if e.energy_pj is not None else "value") if side == "energy" else \
                ("area_um2" if e.area_um2 is not None else "value")
            note = f"overridden by cfg.{field_name} (table value {getattr(e, attr)!r})"
            table[key] = replace(e, note=f"{e.note}; {note}" if e.note else note, **{attr: float(value)})
    return table


def check_tables() -> list[str]:
    """Problems in the shipped tables: missing provenance, unknown labels, node files that disagree."""
    problems = []
    files = {f"components_{n}nm.yaml": _node_table(n) for n in TABLE_NODES}
    files["common.yaml"] = _common_table()
    keys = None
    for fname, table in files.items():
        for name, e in table.items():
            if e.label not in LABELS:
                problems.append(f"{fname}:{name}: label {e.label!r} not in {LABELS}")
            if not e.source.strip():
                problems.append(f"{fname}:{name}: empty source")
            if e.energy_pj is None and e.area_um2 is None and e.value is None:
                problems.append(f"{fname}:{name}: no energy_pj, area_um2 or value")
        if fname != "common.yaml":
            if keys is not None and set(table) != keys:
                problems.append(f"{fname}: entries differ from the other node tables")
            keys = set(table)
    return problems
