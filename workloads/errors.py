"""The one exception type of the workloads package."""


class WorkloadError(ValueError):
    """A workload, layer or topology file is malformed; the message names the field and value."""
