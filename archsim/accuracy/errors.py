"""The one exception type of archsim.accuracy."""


class AccuracyError(ValueError):
    """A model, dataset or scheme name (or a tensor shape) is invalid; the message names it."""
