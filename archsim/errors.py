"""The one exception type of the archsim engine (hw, workloads and quant have their own)."""


class SimulationError(ValueError):
    """A run cannot be simulated as asked (bad argument, a tile that cannot fit); the message says why."""
