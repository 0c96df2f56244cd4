"""An invocation's outcomes and the trace's time rounding: what `_common` and the downstream
both need, kept apart so that neither imports the other at run time."""

OK, ERROR, TIMEOUT = "ok", "error", "timeout"


def t6(value: float) -> float:
    """Times in the trace and summary: rounded so that the same run prints the same bytes."""
    return round(value, 6)
