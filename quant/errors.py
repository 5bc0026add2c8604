"""The one exception type of the quant package."""


class QuantError(ValueError):
    """A weight-format name, parameter or tensor is invalid; the message names the field and value."""
