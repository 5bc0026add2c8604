"""DPUConfig: the hardware description, as nested dataclasses loaded from YAML and validated.

Every field is checked when a config is built; a bad value raises ConfigError naming the
dotted field path, the value and what is allowed.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

#: libyaml's safe loader when PyYAML was built with it (several times faster), else the pure one
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from .errors import ConfigError

PRESET_DIR = Path(__file__).parent / "presets"

LANE_MODES = ("vxv", "mxm")
INTERCONNECTS = ("broadcast", "systolic")
PE_VARIANTS = ("int8", "strum-static", "strum-dynamic", "packed")
LOW_LANE_KINDS = ("mul8x4", "shift")
DLIQ_SHIFTS = ("lane", "block")
DRAM_TYPES = ("LPDDR4", "LPDDR4X", "LPDDR5", "DDR4", "DDR3", "GDDR5", "HBM2", "ideal")
TECH_NODES = (7, 16, 22)


def _pos(kind=int, lo=0, lo_open=True, choices=None, hi=None):
    """Field metadata: type and allowed range, checked by validate()."""
    return {"kind": kind, "lo": lo, "lo_open": lo_open, "choices": choices, "hi": hi}


@dataclass
class PEGridConfig:
    """rows x cols vector PEs, each with `lanes` MAC lanes."""
    rows: int = field(default=16, metadata=_pos())
    cols: int = field(default=16, metadata=_pos())
    lanes: int = field(default=4, metadata=_pos())
    #: vxv: lanes split the reduction (input channels); mxm: lanes split filters
    lane_mode: str = field(default="vxv", metadata=_pos(str, choices=LANE_MODES))
    #: broadcast: FlexNN multicast from SRAM, folds overlap; systolic: SCALE-Sim fold timing
    interconnect: str = field(default="broadcast", metadata=_pos(str, choices=INTERCONNECTS))
    #: PE micro-architecture (issue 4): int8 baseline or a StruM variant
    variant: str = field(default="int8", metadata=_pos(str, choices=PE_VARIANTS))
    #: strum-static: lanes that keep a full 8x8 multiplier; the others are low-precision lanes
    hp_lanes: int = field(default=2, metadata=_pos(lo=0, lo_open=False))
    #: strum-static low lanes: 8x4 multiplier + shifter (DLIQ) or shifter only (MIP2Q)
    low_lane_kind: str = field(default="mul8x4", metadata=_pos(str, choices=LOW_LANE_KINDS))
    #: StruM block length L the PE is built for (weights per block along the reduction axis):
    #: sizes the per-block exponent registers; match it to the weight scheme's L
    block_length: int = field(default=8, metadata=_pos(lo=2, lo_open=False, hi=256))
    #: strum-static DLIQ: one barrel shifter per low lane ("lane"), or one per block shared by
    #: the low lanes after a low-precision sub-tree of the VxV adder tree ("block"; VxV only)
    dliq_shift: str = field(default="lane", metadata=_pos(str, choices=DLIQ_SHIFTS))
    accumulator_bits: int = field(default=24, metadata=_pos())

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.rows * self.cols * self.lanes


@dataclass
class RegisterFileConfig:
    """Per-PE register files (bytes), FlexNN's IF / FL / OF RFs."""
    ifmap_bytes: int = field(default=32, metadata=_pos())
    weight_bytes: int = field(default=32, metadata=_pos())
    psum_bytes: int = field(default=64, metadata=_pos())


@dataclass
class SRAMConfig:
    """Software-managed on-chip SRAM shared by the PE grid (FlexNN's CMX)."""
    bytes: int = field(default=2 * 1024 * 1024, metadata=_pos())
    #: macros the SRAM is built from: sets the macro size (bytes / banks) for energy and
    #: area only; there is no bank-conflict timing
    banks: int = field(default=16, metadata=_pos())
    #: port bandwidth towards the PE grid: it bounds the grid's operand traffic (a tile's
    #: compute time = max(MAC cycles, SRAM operand bytes / bytes_per_cycle)); DMA traffic is
    #: timed by dma.* and dram.* and does not use it. Energy: each macro's port is
    #: 8 * bytes_per_cycle / banks bits wide (hw/energy.py)
    bytes_per_cycle: int = field(default=256, metadata=_pos())


@dataclass
class DMAConfig:
    channels: int = field(default=2, metadata=_pos())
    setup_cycles: int = field(default=32, metadata=_pos(lo=0, lo_open=False))
    #: per-channel bytes per cycle on the on-chip side
    bytes_per_cycle: int = field(default=32, metadata=_pos())


@dataclass
class DRAMConfig:
    type: str = field(default="LPDDR4", metadata=_pos(str, choices=DRAM_TYPES))
    bytes_per_cycle: float = field(default=16.0, metadata=_pos(float))
    latency_cycles: int = field(default=100, metadata=_pos(lo=0, lo_open=False))
    burst_bytes: int = field(default=64, metadata=_pos())


@dataclass
class PPUConfig:
    """Post-processing / vector unit: pooling, eltwise, activation, requantization."""
    ops_per_cycle: int = field(default=64, metadata=_pos())


@dataclass
class DPUConfig:
    name: str = "custom"
    clock_ghz: float = field(default=1.0, metadata=_pos(float))
    tech_node_nm: float = field(default=16, metadata=_pos(float, lo=3, hi=180))
    pe: PEGridConfig = field(default_factory=PEGridConfig)
    rf: RegisterFileConfig = field(default_factory=RegisterFileConfig)
    sram: SRAMConfig = field(default_factory=SRAMConfig)
    dma: DMAConfig = field(default_factory=DMAConfig)
    dram: DRAMConfig = field(default_factory=DRAMConfig)
    ppu: PPUConfig = field(default_factory=PPUConfig)
    #: overrides of energy-table entries (pJ), e.g. {"mul_8x8": 0.05}; see hw/tables
    energy_overrides: dict = field(default_factory=dict)
    #: overrides of area-table entries (um^2)
    area_overrides: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def replace(self, **dotted: Any) -> "DPUConfig":
        """A copy with dotted fields changed: cfg.replace(**{"pe.rows": 32})."""
        d = self.to_dict()
        for key, value in dotted.items():
            set_dotted(d, key, value)
        return from_dict(d)


#: dict-valued fields whose keys are free-form (table entry names, checked by hw/tech.py when
#: the tables are built): a dotted key may add an entry, e.g. "energy_overrides.mul_8x8"
OPEN_MAPPINGS = ("energy_overrides", "area_overrides")


def set_dotted(d: dict, key: str, value: Any) -> None:
    """Set the dotted field `key` of the nested config mapping `d` (as from DPUConfig.to_dict)."""
    head, _, entry = key.partition(".")
    if head in OPEN_MAPPINGS and entry:
        if not isinstance(d.get(head), dict):
            d[head] = {}
        d[head][entry] = value
        return
    parts = key.split(".")
    node = d
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            raise ConfigError(f"config field {key!r}: {p!r} is not a section")
        node = node[p]
    if parts[-1] not in node:
        raise ConfigError(f"config field {key!r}: unknown field {parts[-1]!r}; allowed: {sorted(node)}")
    node[parts[-1]] = value


def _check_value(path: str, value: Any, meta: dict) -> Any:
    kind = meta["kind"]
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}={value!r}: must be a string")
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}={value!r}: must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{path}={value!r}: must be a finite number")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{path}={value!r}: must be a whole number")
        try:
            value = kind(value)
        except OverflowError:  # an int too large for a float
            raise ConfigError(f"{path}={value!r}: must be a finite number") from None
        lo = meta["lo"]
        if (meta["lo_open"] and value <= lo) or (not meta["lo_open"] and value < lo):
            raise ConfigError(f"{path}={value!r}: must be {'>' if meta['lo_open'] else '>='} {lo}")
        if meta["hi"] is not None and value > meta["hi"]:
            raise ConfigError(f"{path}={value!r}: must be <= {meta['hi']}")
    if meta["choices"] is not None and value not in meta["choices"]:
        raise ConfigError(f"{path}={value!r}: allowed values are {', '.join(map(str, meta['choices']))}")
    return value


def validate(obj: Any, prefix: str = "") -> None:
    """Check every annotated field of a (nested) config dataclass; coerce numeric types."""
    for f in fields(obj):
        path = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            validate(value, path + ".")
        elif f.metadata:
            object.__setattr__(obj, f.name, _check_value(path, value, f.metadata))
    # only the strum-static PE has hp_lanes (hw/pe.py); the other variants ignore the field
    if isinstance(obj, PEGridConfig) and obj.variant == "strum-static" and obj.hp_lanes > obj.lanes:
        raise ConfigError(f"{prefix}hp_lanes={obj.hp_lanes}: must be <= {prefix}lanes={obj.lanes} "
                          f"with {prefix}variant='strum-static'")
    if (isinstance(obj, PEGridConfig) and obj.dliq_shift == "block" and obj.variant == "strum-static"
            and obj.low_lane_kind == "mul8x4" and obj.lane_mode != "vxv"):
        raise ConfigError(f"{prefix}dliq_shift='block' with {prefix}lane_mode={obj.lane_mode!r}: a shifter shared "
                          f"per block needs the VxV adder tree; allowed: dliq_shift='lane', or lane_mode='vxv'")
    if isinstance(obj, DPUConfig):
        for name in ("energy_overrides", "area_overrides"):
            d = getattr(obj, name)
            if not isinstance(d, dict):
                raise ConfigError(f"{name}={d!r}: must map table entry names to non-negative numbers")
            for key, v in d.items():
                if (isinstance(v, bool) or not isinstance(v, (int, float))
                        or (isinstance(v, float) and not math.isfinite(v)) or v < 0):
                    raise ConfigError(f"{name}[{key!r}]={v!r}: must be a finite non-negative number "
                                      f"(a table entry's pJ or um^2)")


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}={data!r}: must be a mapping")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"{prefix}{sorted(unknown)[0]}: unknown field; allowed: {', '.join(known)}")
    kwargs = {}
    for name, value in data.items():
        ftype = known[name].default_factory if known[name].default_factory is not dataclasses.MISSING else None
        if ftype is not None and dataclasses.is_dataclass(ftype):
            kwargs[name] = _build(ftype, value, f"{prefix}{name}.")
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except TypeError as e:  # pragma: no cover - guarded by the unknown-field check
        raise ConfigError(f"{prefix}: {e}") from e


def from_dict(data: dict) -> DPUConfig:
    """Build and validate a DPUConfig from a (possibly partial) nested mapping."""
    return _build(DPUConfig, copy.deepcopy(data), "")


def presets() -> list[str]:
    """Names of the hardware presets shipped inside the hw package."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_config(hw: "str | Path | dict | DPUConfig", **overrides: Any) -> DPUConfig:
    """A DPUConfig from a preset name, a YAML path, a mapping or a DPUConfig, with dotted overrides."""
    if isinstance(hw, DPUConfig):
        cfg = hw
    elif isinstance(hw, dict):
        cfg = from_dict(hw)
    else:
        text = str(hw)
        path = Path(text)
        if text in presets():
            path = PRESET_DIR / f"{text}.yaml"
        elif not (path.suffix in (".yaml", ".yml") and path.exists()):
            raise ConfigError(f"hw={text!r}: not a preset ({', '.join(presets())}) nor an existing YAML file")
        try:
            data = yaml.load(path.read_text(), Loader=YAML_LOADER) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"hw={text!r}: YAML does not parse: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"hw={text!r}: the file's top level is a {type(data).__name__}; a hardware "
                              f"config must be a mapping of fields, e.g. 'pe: {{rows: 16}}'")
        data.setdefault("name", path.stem)
        cfg = from_dict(data)
    return cfg.replace(**overrides) if overrides else cfg
