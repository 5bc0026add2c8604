"""The exception types of the reports package."""


class ReportError(ValueError):
    """Input records or frames are malformed; the message names the field, the value and what is allowed."""


class MissingDependencyError(ReportError, ImportError):
    """An optional extra (matplotlib, pyarrow) is needed for this output but is not installed."""
