"""The one exception type of the hw package."""


class ConfigError(ValueError):
    """A hardware configuration field is invalid; the message names the field, the value and what is allowed."""
