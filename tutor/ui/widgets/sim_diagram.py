"""The words a simulation pane shows, as plain text lines: the counters, the charts, the log lines
(the flow view with its stages and environments is `sim_flow`).

Everything here is a pure function of the engine's `snapshot()` (and the trace, for the charts),
so the same state always draws the same picture and tests can read it without a screen. Styling
(colours of borders and numbers) is added by the widget; every state is also said in words, never
by colour alone. Charts and event words come from `tutor.sim.report`, shared with
`lambda-tutor simulate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tutor.sim import report


def concurrency_note(function: Mapping[str, Any]) -> str:
    reserved = function.get("reserved_concurrency")
    limit = f"{function['limit']:,}"
    where = "reserved concurrency" if reserved is not None else "account limit"
    return f"concurrency {function['busy']} of {limit} ({where})"


# -- counters and charts -----------------------------------------------------------------------


def counted(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def counter_lines(snapshot: Mapping[str, Any]) -> list[str]:
    counters = snapshot["counters"]
    outcome = (
        f"✓ {counters['succeeded']:,} succeeded   ✗ {counters['failed']:,} failed   "
        f"… {counters['unfinished']:,} unfinished"
    )
    lines = [outcome]
    reasons = counters["failed_by_reason"]
    if reasons:
        lines.append("  failed: " + " · ".join(f"{reason} {count:,}" for reason, count in reasons.items()))
    lines.append(
        " · ".join(
            [
                counted(counters["throttles"], "throttle"),
                counted(counters["cold_starts"], "cold start"),
                counted(counters["invocations"], "invocation"),
                counted(counters["duplicates"], "duplicate"),
            ]
        )
    )
    return lines


CHART_LABEL_WIDTH = 14


def chart_lines(model: str, trace: Sequence[Mapping[str, Any]], end: float, width: int) -> list[str]:
    """Sparklines of the run so far (0 to `end`): concurrency, then waiting items or iterator age."""
    return digest_chart_lines(model, report.TraceDigest().feed(trace), end, width)


def digest_chart_lines(model: str, digest: report.TraceDigest, end: float, width: int) -> list[str]:
    """`chart_lines` from a digest fed as the run goes (a pane's), so drawing never reads the trace."""
    label = CHART_LABEL_WIDTH
    bars = max(8, width - label - 10)
    lines = []
    for name, line, peak in digest.charts(model, max(end, 1e-9), bars):
        if name == "throttles":
            continue  # counted in words above; two charts keep the pane short
        short = {"waiting items": "waiting", "iterator age (s)": "iterator age"}.get(name, name)
        lines.append(f"{short:<{label}}{line} max {peak:g}")
    return lines


# Log lines begin with the simulated time, right-aligned in this many columns.
TIME_COLUMNS = 9


def log_line(event: Mapping[str, Any]) -> str:
    return f"{report.format_time(event['t']):>{TIME_COLUMNS}}  {report.describe_event(event)}"
