"""archsim: discrete-event simulation of a FlexNN-style DPU running whole networks, with StruM weights.

Public API: simulate(), Result, map_layer(), SimulationError, DATAFLOWS.
"""
from .errors import SimulationError
from .mapper import DATAFLOWS, Mapping, map_layer
from .simulate import Result, simulate

__all__ = ["simulate", "Result", "map_layer", "Mapping", "SimulationError", "DATAFLOWS"]
