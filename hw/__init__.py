"""hw: the DPU description (validated config and presets), its SimPy actors, and the energy,
area and PE micro-architecture models with the provenance of every number."""
from .area import AreaRecord, area_breakdown, area_summary, compare_area
from .config import DPUConfig, from_dict, load_config, presets
from .energy import EnergyTable, energy_table, leakage_mw
from .errors import ConfigError
from .pe import PEComponent, PEModel, pe_model
from .tech import scale

__all__ = [
    "DPUConfig", "ConfigError", "load_config", "from_dict", "presets",
    "EnergyTable", "energy_table", "leakage_mw",
    "PEModel", "PEComponent", "pe_model",
    "AreaRecord", "area_breakdown", "area_summary", "compare_area", "scale",
]
