"""archsim: discrete-event simulation of a FlexNN-style DPU running whole networks, with StruM weights.

Public API: simulate(), Result, compare(), sweep(), map_layer(), SimulationError, DATAFLOWS.
"""
from .compare import CompareResult, compare
from .errors import SimulationError
from .mapper import DATAFLOWS, Mapping, map_layer
from .simulate import Result, simulate
from .sweep import sweep

__all__ = ["simulate", "Result", "compare", "CompareResult", "sweep", "map_layer", "Mapping",
           "SimulationError", "DATAFLOWS"]
