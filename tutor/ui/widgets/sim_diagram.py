"""The words a simulation pane shows, as plain text lines: the flow diagram, the counters, the charts.

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

ARROW = "─▶"
# Shards drawn one by one; the rest are summed up in one line.
MAX_SHARDS_SHOWN = 6
SHARD_BAR = 10


# -- boxes -------------------------------------------------------------------------------------


def box(title: str, lines: Sequence[str]) -> list[str]:
    """A rounded box with its title in the top border: '╭ queue ──╮'."""
    inner = max(len(title) + 1, *(len(line) for line in lines))
    top = f"╭ {title} " + "─" * (inner - len(title)) + "╮"
    body = [f"│ {line.ljust(inner)} │" for line in lines]
    return [top, *body, "╰" + "─" * (inner + 2) + "╯"]


def beside(boxes: Sequence[list[str]], arrow: str = ARROW, row: int = 1) -> list[str]:
    """Boxes left to right, joined by an arrow on their first line of content."""
    height = max(len(part) for part in boxes)
    lines = [""] * height
    for index, part in enumerate(boxes):
        width = len(part[0])
        for y in range(height):
            if index:
                lines[y] += arrow if y == row else " " * len(arrow)
            lines[y] += part[y] if y < len(part) else " " * width
    return [line.rstrip() for line in lines]


def stacked(boxes: Sequence[list[str]]) -> list[str]:
    """Boxes top to bottom with a down arrow between them, for panes too narrow for `beside`."""
    lines: list[str] = []
    for index, part in enumerate(boxes):
        if index:
            lines.append("  ▼")
        lines.extend(part)
    return lines


def fit(boxes: Sequence[list[str]], width: int) -> list[str]:
    across = beside(boxes)
    return across if max(len(line) for line in across) <= width else stacked(boxes)


# -- the flow of each model --------------------------------------------------------------------


def function_box(function: Mapping[str, Any]) -> list[str]:
    starting = function["initializing"]
    return box(
        "function",
        [f"{function['busy'] - starting} running", f"{starting} starting", f"{function['idle']} idle"],
    )


def concurrency_note(function: Mapping[str, Any]) -> str:
    reserved = function.get("reserved_concurrency")
    limit = f"{function['limit']:,}"
    where = "reserved concurrency" if reserved is not None else "account limit"
    return f"concurrency {function['busy']} of {limit} ({where})"


def _sync(snapshot: Mapping[str, Any], scenario: Any, width: int) -> list[str]:
    sync, function = snapshot["sync"], snapshot["function"]
    caller_lines = [f"{sync['callers_waiting']} waiting"]
    if scenario.sync.client_retries:
        caller_lines.append(f"{sync['callers_backing_off']} backing off")
    responses = sync["responses"]
    # What the callers got back: Invoke's 200 (function errors included) and 429, and the
    # simulator's 504 for a caller that stopped waiting. Not "API Gateway": a caller may be any
    # client, and API Gateway would answer its own clients 502 and 500 instead of 200-with-error
    # and 429 (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
    answers = [f"{status}: {responses.get(str(status), 0)}" for status in (200, 429, 504)]
    lines = fit([box("callers", caller_lines), box("answers", answers), function_box(function)], width)
    lines.append(f"callers give up after {scenario.sync.client_timeout_s:g} s")
    lines.append(concurrency_note(function))
    return lines


def _async(snapshot: Mapping[str, Any], scenario: Any, width: int) -> list[str]:
    state, function, counters = snapshot["async"], snapshot["function"], snapshot["counters"]
    retry, throttled = state["waiting_retry"], state["waiting_backoff"]
    queued = state["queue_depth"] - retry - throttled
    producer = box("producer", [f"{counters['items']} sent", f"{counters['items']} × 202"])
    queue = box("event queue", [f"{queued} queued", f"{retry} to retry", f"{throttled} throttled"])
    lines = fit([producer, queue, function_box(function)], width)
    settings = scenario.async_
    destinations = counters["destinations"]
    targets = [
        ("on success", settings.on_success, "on_success"),
        ("on failure", settings.on_failure, "on_failure"),
        ("DLQ", settings.dead_letter_queue, "dlq"),
    ]
    parts = [
        f"{label} ({kind}): {destinations.get(key, 0)}" for label, kind, key in targets if kind != "none"
    ]
    parts.append(f"dropped: {counters['dropped']}")
    lines.append("then ▶ " + " · ".join(parts))
    lines.append(concurrency_note(function))
    return lines


def _sqs(snapshot: Mapping[str, Any], scenario: Any, width: int) -> list[str]:
    state, function = snapshot["sqs"], snapshot["function"]
    settings = scenario.sqs
    title = "FIFO queue" if settings.fifo else "queue"
    queue = box(title, [f"{state['visible']} visible", f"{state['in_flight']} in flight"])
    pollers = box("pollers", [f"{state['pollers']} active", f"batch ≤{settings.batch_size}"])
    lines = fit([queue, pollers, function_box(function)], width)
    if settings.max_receive_count is None:
        dlq = "no DLQ (no redrive policy)"
    else:
        dlq = f"DLQ after {settings.max_receive_count} receives: {state['dlq']}"
    lines.append(f"deleted: {state['deleted']} · {dlq}")
    lines.append(f"batches throttled, backing off: {state['batches_backing_off']}")
    lines.append(concurrency_note(function))
    return lines


def _shard_bar(done: int, total: int) -> str:
    filled = 0 if total <= 0 else round(SHARD_BAR * done / total)
    return "█" * filled + "░" * (SHARD_BAR - filled)


def _streams(snapshot: Mapping[str, Any], scenario: Any, width: int) -> list[str]:
    shards, function = snapshot["streams"]["shards"], snapshot["function"]
    lines = []
    for shard in shards[:MAX_SHARDS_SHOWN]:
        state = "✗ blocked (a failed batch waits)" if shard["blocked"] else "✓ moving"
        lines.append(
            f"shard {shard['shard']} {_shard_bar(shard['checkpoint'], shard['records'])} "
            f"{shard['checkpoint']} of {shard['records']} done · {shard['busy_slots']} of "
            f"{shard['slots']} batches"
        )
        lines.append(f"   iterator age {shard['iterator_age_s']:.1f} s · {state}")
    hidden = shards[MAX_SHARDS_SHOWN:]
    if hidden:
        blocked = sum(1 for shard in hidden if shard["blocked"])
        lines.append(f"+ {len(hidden)} more shards ({blocked} blocked)")
    starting = function["initializing"]
    lines.append(
        f"  ▼ function: {function['busy'] - starting} running · {starting} starting · {function['idle']} idle"
    )
    counters = snapshot["counters"]
    target = scenario.kinesis.on_failure
    failed_to = (
        f"on failure ({target}): {counters['destinations'].get('on_failure', 0)}"
        if target != "none"
        else "no on-failure destination"
    )
    lines.append(f"{failed_to} · dropped: {counters['dropped']}")
    lines.append(concurrency_note(function))
    return lines


DIAGRAMS = {"sync": _sync, "async": _async, "sqs": _sqs, "kinesis": _streams, "dynamodb": _streams}


def diagram(snapshot: Mapping[str, Any], scenario: Any, width: int = 48) -> list[str]:
    """The model's flow with its live numbers, at most `width` columns where the layout allows."""
    return DIAGRAMS[snapshot["model"]](snapshot, scenario, width)


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
