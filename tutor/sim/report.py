"""Plain functions that turn a trace and a summary into words, rows and sparklines.

`lambda-tutor simulate` prints these with Rich and the UI panes reuse them (above all
`describe_event`), so nothing here imports Rich, Textual or pydantic: inputs are the engine's
plain dicts and a scenario's `resolved()` dict.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tutor.sim.params import PARAMS

SPARK_BARS = "▁▂▃▄▅▆▇█"
STATUS_WORDS = {200: "OK", 202: "accepted", 429: "throttled", 504: "the caller gave up"}
TARGET_WORDS = {
    "on_success": "the on-success destination",
    "on_failure": "the on-failure destination",
    "dlq": "the dead-letter queue",
}
RETRY_WORDS = {
    "function_error": "after a function error",
    "throttle": "after a throttle",
    "visibility_timeout": "its visibility timeout lapsed",
    "client_timeout": "the caller timed out",
}
END_WORDS = {"drained": "all work done", "until": "stopped at until_s with work left"}


# -- words -------------------------------------------------------------------------------------


def format_time(seconds: float) -> str:
    """Simulated time as mm:ss (h:mm:ss past an hour), with tenths when they are not zero."""
    tenths = round(float(seconds) * 10)
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return f"{text}.{tenth}" if tenth else text


def _split_id(item: str) -> tuple[str, int] | None:
    match = re.fullmatch(r"(.*?)(\d+)", item)
    return (match.group(1), int(match.group(2))) if match else None


def item_list(items: Iterable[str], limit: int = 6) -> str:
    """Item ids in words, runs folded: msg-1..msg-10, msg-14 (+3 more)."""
    runs: list[list[str]] = []
    previous: tuple[str, int] | None = None
    for item in items:
        parts = _split_id(str(item))
        if runs and parts and previous and parts[0] == previous[0] and parts[1] == previous[1] + 1:
            runs[-1].append(str(item))
        else:
            runs.append([str(item)])
        previous = parts
    shown = [run[0] if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs]
    if not shown:
        return "no items"
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + f" (+{len(shown) - limit} more)"
    return ", ".join(shown)


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value < 10 else f"{value:.1f} s"


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one}" if n == 1 else f"{n} {many}"


def tried_words(event: Mapping[str, Any]) -> str:
    """How often what a `destination` or `drop` gives up was tried ("" if the model doesn't say)."""
    if "invocations" in event:
        ran = event["invocations"]
        return f"after {plural(ran, 'invocation', 'invocations')}" if ran else "never invoked"
    if "receive_counts" in event:
        counts = event["receive_counts"] or [0]
        low, high = min(counts), max(counts)
        if low != high:
            return f"received {low}–{high} times"
        return "received once" if high == 1 else f"received {high} times"
    if "retry" in event:
        retries = event["retry"]
        return f"after {plural(retries, 'retry', 'retries')}" if retries else "before any retry"
    return ""


def given_up_words(event: Mapping[str, Any]) -> str:
    """A `destination`'s or `drop`'s condition, and how often the work was tried when known."""
    tried = tried_words(event)
    return f"({event.get('reason')}{', ' + tried if tried else ''})"


def count_words(event: Mapping[str, Any]) -> str:
    """Which attempt, receive or retry an `invoke_start` or a `retry` is, of how many ("" if unknown).

    On an `invoke_start` the numbers are this invocation's; on a `retry` they are the attempt or
    retry it waits for (a throttle uses none, so it waits for the same one "still"), or, for SQS,
    how often the messages were received so far.
    """
    kind = event.get("kind")
    throttled = kind == "retry" and event.get("reason") == "throttle"
    still = "still " if throttled else ""
    if "client_attempt" in event:
        # The caller's own retries: a throttle uses one of them.
        of = f" of {event['client_max_attempts']}" if event.get("client_max_attempts") is not None else ""
        return f"caller's attempt {event['client_attempt']}{of}"
    if "attempt" in event:
        of = f" of {event['max_attempts']}" if event.get("max_attempts") is not None else ""
        return f"{still}attempt {event['attempt']}{of}"
    if "retry" in event:
        retry, limit = event["retry"], event.get("max_retries")
        if not retry:
            # Waiting for its first try: thrown back by a throttle, or the rest after a checkpoint.
            return "" if throttled else "from the checkpoint, retry count reset"
        of = ", no limit" if limit in (None, -1) else f" of {limit}"
        return f"{still}retry {retry}{of}"
    counts = event.get("receive_counts")
    if not counts:
        return ""
    low, high = min(counts), max(counts)
    number = f"{high}" if low == high else f"{low}–{high}"
    limit = event.get("max_receive_count")
    if kind != "retry":
        return f"receive {number} of {limit}" if limit is not None else f"receive {number}, no DLQ"
    if limit is None:
        return f"receive count {number}, no DLQ"
    words = f"receive count {number} of {limit}"
    # A throttled batch is retried without a new receive: only a return to the queue leads to one.
    if high >= limit and not throttled:
        which = ("it" if len(counts) == 1 else "them") if low == high else f"those at {limit}"
        words += f": the next receive moves {which} to the DLQ"
    return words


def _describe_response(event: Mapping[str, Any]) -> str:
    status = event.get("status")
    after = f" after {_seconds(event['latency_s'])}" if "latency_s" in event else ""
    if status == 200 and event.get("function_error"):
        return f"{event.get('item')} answered 200 with a function error{after}"
    words = STATUS_WORDS.get(status, "status") if status is not None else "status"
    return f"{event.get('item')} answered {status} ({words}){after}"


def _describe_invoke_end(event: Mapping[str, Any]) -> str:
    outcome = event.get("outcome")
    failed = event.get("failed_items") or []
    if outcome == "ok" and not failed:
        return f"invocation {event.get('invocation')} succeeded"
    if outcome == "ok":
        return (
            f"invocation {event.get('invocation')} returned, reporting {item_list(failed)} "
            "as failed (batchItemFailures)"
        )
    what = "timed out" if outcome == "timeout" else "failed (function error)"
    return f"invocation {event.get('invocation')} {what}"


def describe_event(event: Mapping[str, Any]) -> str:
    """One trace event in plain words, e.g. "evt-3 will be tried again at 03:12 (after a function
    error; attempt 3 of 3)"."""
    kind = event.get("kind")
    items = item_list(event.get("items", ()))
    if kind == "arrive":
        where = ""
        if "shard" in event:
            where = f" on shard {event['shard']}" + (f" (key {event['key']})" if "key" in event else "")
        elif "group" in event:
            where = f" in group {event['group']}"
        return f"{event.get('item')} arrived{where}"
    if kind == "accepted":
        return f"{event.get('item')} accepted ({event.get('status', 202)}): queued inside Lambda"
    if kind == "response":
        return _describe_response(event)
    if kind == "throttle":
        return f"throttled (no concurrency free): {items}"
    if kind == "invoke_start":
        cold = "cold start" if event.get("cold") else "warm"
        shard = f" on shard {event['shard']}" if "shard" in event else ""
        # A first attempt is the common case and says nothing new: SQS and streams leave their
        # first try unnumbered too, and a busy async log stays one line per start.
        counts = count_words(event) if event.get("attempt", 2) > 1 else ""
        counts = f" ({counts})" if counts else ""
        return f"invocation {event.get('invocation')} started ({cold}){shard} with {items}{counts}"
    if kind == "invoke_end":
        return _describe_invoke_end(event)
    if kind == "retry":
        at = format_time(event["at"]) if "at" in event else "later"
        reason = RETRY_WORDS.get(event.get("reason", ""), str(event.get("reason", "")))
        counts = count_words(event)
        return f"{items} will be tried again at {at} ({reason}{'; ' + counts if counts else ''})"
    if kind == "delete":
        return f"deleted from the queue: {items}"
    if kind == "bisect":
        halves = event.get("halves") or []
        return f"batch {items} split in two: " + " | ".join(item_list(half, limit=3) for half in halves)
    if kind == "destination":
        target = TARGET_WORDS.get(event.get("target", ""), str(event.get("target")))
        return f"{items} sent to {target} {given_up_words(event)}"
    if kind == "drop":
        return f"{items} dropped with nowhere to go {given_up_words(event)}"
    if kind == "end":
        return f"run ended: {END_WORDS.get(event.get('reason', ''), event.get('reason'))}"
    if kind == "write_throttled":
        return _describe_write_throttled(event)
    extra = ", ".join(f"{key}={value}" for key, value in event.items() if key not in ("t", "kind"))
    return f"{kind}: {extra}"


def timeline(trace: Iterable[Mapping[str, Any]], head: int = 5, tail: int = 5) -> list[tuple[str, str]]:
    """(time, words) for the first and last events; a ("", "… N more events …") row marks the gap."""
    return TraceDigest(head, tail).feed(trace).timeline()


# -- rows --------------------------------------------------------------------------------------


def changed_params(resolved: Mapping[str, Any]) -> list[tuple[str, Any, Any, str]]:
    """(key, value, default, AWS name) for every parameter of this model that differs from its default."""
    model = resolved.get("model")
    rows = []
    for key, param in PARAMS.items():
        if model not in param.models:
            continue
        node: Any = resolved
        for part in key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node != param.default:
            rows.append((key, node, param.default, param.aws_name or ""))
    return rows


def failure_reasons(trace: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many items failed for each reason (AWS's condition names; sync: the final answer)."""
    reason_of: dict[str, str] = {}
    last_response: dict[str, Mapping[str, Any]] = {}
    for event in trace:
        kind = event.get("kind")
        if (kind == "destination" and event.get("target") != "on_success") or kind == "drop":
            for item in event.get("items", ()):
                reason_of.setdefault(item, str(event.get("reason")))
        elif kind == "response":
            last_response[event["item"]] = event
    for item, response in last_response.items():
        if response.get("status") == 429:
            reason_of.setdefault(item, "throttled (429)")
        elif response.get("status") == 504:
            reason_of.setdefault(item, "caller gave up (504)")
        elif response.get("function_error"):
            reason_of.setdefault(item, "function error (200)")
    return Counter(reason_of.values())


def outcome_rows(summary: Mapping[str, Any], trace: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """Succeeded, failed with a row per reason, unfinished.

    The engine's own `failed_by_reason` wins where the summary has it; otherwise the reasons are
    read back from the trace.
    """
    rows = [("succeeded", int(summary.get("succeeded", 0))), ("failed", int(summary.get("failed", 0)))]
    by_reason = summary.get("failed_by_reason")
    reasons = Counter(by_reason) if isinstance(by_reason, Mapping) else failure_reasons(trace)
    for reason, count in sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0])):
        rows.append((f"  {reason}", count))
    other = int(summary.get("failed", 0)) - sum(reasons.values())
    if reasons and other > 0:
        rows.append(("  other", other))
    rows.append(("unfinished", int(summary.get("unfinished", 0))))
    return rows


def latency_row(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    latency = summary.get("latency_s") or {}
    return [
        (name, "-" if latency.get(name) is None else _seconds(float(latency[name])))
        for name in ("p50", "p95", "p99", "max")
    ]


# -- series and sparklines ---------------------------------------------------------------------


def step_series(points: Sequence[tuple[float, float]], end: float, bins: int) -> list[float]:
    """Highest value of a step function in each of `bins` equal slices of [0, end].

    `points` are (time, new value) in time order; the value is 0 before the first point.
    """
    width = max(end, 1e-9) / bins
    values = [0.0] * bins
    current, index = 0.0, 0
    for slot in range(bins):
        # Changes at the very start of a slot (several at one instant) count only by their result.
        while index < len(points) and points[index][0] <= slot * width:
            current = points[index][1]
            index += 1
        peak = current
        while index < len(points) and (points[index][0] < (slot + 1) * width or slot == bins - 1):
            current = points[index][1]
            peak = max(peak, current)
            index += 1
        values[slot] = peak
    return values


class Points:
    """(time, value) points in time order, kept within a bounded size for a run of any length.

    Up to `limit` points are kept exactly. Past that, the points are merged within cells of
    time: a cell keeps its first time with the highest value seen in it and its last time with
    its last value (`merge = "max"`: what a chart of peaks needs), or its first time with the
    total (`merge = "sum"`: for counts). A chart of 40 bars over thousands of cells loses
    nothing a reader could see; a short run is never merged at all.
    """

    def __init__(self, merge: str = "max", limit: int = 100_000):
        self.merge = merge
        self.limit = limit
        self.times = array("d")
        self.values = array("d")

    def add(self, t: float, value: float) -> None:
        self.times.append(t)
        self.values.append(value)
        if len(self.times) > self.limit:
            self._merge()

    def _merge(self) -> None:
        times, values = self.times, self.values
        # Cells are a power of two long, so a later, coarser merge nests the earlier cells and a
        # peak never drifts out of the cell that holds its true time.
        cell = 2.0 ** math.ceil(math.log2(max(times[-1], 1e-9) / (self.limit // 8)))
        merged_t, merged_v = array("d"), array("d")
        index, size = 0, len(times)
        while index < size:
            first = index
            number = int(times[index] / cell)
            while index < size and int(times[index] / cell) == number:
                index += 1
            group = values[first:index]
            if self.merge == "sum":
                merged_t.append(times[first])
                merged_v.append(sum(group))
            elif index - first == 1:
                merged_t.append(times[first])
                merged_v.append(group[0])
            else:
                merged_t.extend((times[first], times[index - 1]))
                merged_v.extend((max(group), group[-1]))
        self.times, self.values = merged_t, merged_v

    def pairs(self) -> list[tuple[float, float]]:
        return list(zip(self.times, self.values, strict=True))


class TraceDigest:
    """What the report's charts and timeline need from a trace, read event by event.

    Memory does not grow with the number of events: the timeline keeps its first and last
    events, the charts keep bounded `Points`, and per item only a byte of state (and a double
    for its arrival time) when ids are numbered as the engine numbers them.
    """

    WAITING, RUNNING, DONE = 1, 2, 3

    def __init__(self, head: int = 5, tail: int = 5, points: int = 100_000):
        """`points`: the most each chart keeps exactly (see `Points`); a pane, which redraws its
        charts as it plays, keeps fewer than a report drawn once."""
        self.head_size = head
        self.head: list[Mapping[str, Any]] = []
        self.tail: deque[Mapping[str, Any]] = deque(maxlen=tail)
        self.events = 0
        self.concurrency = Points(limit=points)
        self.backlog = Points(limit=points)
        self.iterator_ages = Points(limit=points)
        self.throttles = Points("sum", limit=points)
        self._running = 0
        self._waiting = 0
        self._state = bytearray()  # item number -> WAITING, RUNNING or DONE (0: not seen)
        self._named_state: dict[str, int] = {}  # the same for ids without a number
        self._batches: dict[Any, list[str]] = {}
        self._arrived = array("d")  # item number -> arrival time (NaN: not seen)
        self._named_arrived: dict[str, float] = {}

    def feed(self, events: Iterable[Mapping[str, Any]]) -> TraceDigest:
        for event in events:
            self.read(event)
        return self

    def read(self, event: Mapping[str, Any]) -> None:
        """One event, in trace order."""
        self.events += 1
        if len(self.head) < self.head_size:
            self.head.append(event)
        else:
            self.tail.append(event)
        kind = event.get("kind")
        if kind == "arrive":
            t = float(event["t"])
            self._arrive(event["item"], t)
            self._move(event["item"], self.WAITING)
        elif kind == "invoke_start":
            t = float(event["t"])
            items = list(event.get("items", ()))
            self._running += 1
            self.concurrency.add(t, self._running)
            self._batches[event.get("invocation")] = items
            for item in items:
                self._move(item, self.RUNNING)
            age = event.get("iterator_age_s")
            if age is None:
                times = [a for a in map(self._arrival, items) if a is not None]
                age = t - max(times) if times else 0.0
            self.iterator_ages.add(t, float(age))
        elif kind == "invoke_end":
            t = float(event["t"])
            self._running -= 1
            self.concurrency.add(t, self._running)
            failed = set(event.get("failed_items") or ())
            ok = event.get("outcome") == "ok"
            for item in self._batches.pop(event.get("invocation"), []):
                self._move(item, self.WAITING if item in failed or not ok else self.DONE)
        elif kind in ("delete", "destination", "drop"):
            t = float(event["t"])
            for item in event.get("items", ()):
                self._move(item, self.DONE)
        elif kind == "throttle":
            self.throttles.add(float(event["t"]), 1.0)
            return
        else:
            return
        self.backlog.add(t, self._waiting)

    @staticmethod
    def _number(item: str) -> int | None:
        digits = item.rpartition("-")[2]
        return int(digits) if digits.isdigit() else None

    def _move(self, item: str, new: int) -> None:
        number = self._number(item)
        if number is None:
            old = self._named_state.get(item, 0)
        else:
            state = self._state
            if number >= len(state):
                state.extend(bytes(max(number + 1 - len(state), len(state))))
            old = state[number]
        if old in (self.DONE, new):
            return
        self._waiting += (new == self.WAITING) - (old == self.WAITING)
        if number is None:
            self._named_state[item] = new
        else:
            self._state[number] = new

    def _arrive(self, item: str, t: float) -> None:
        number = self._number(item)
        if number is None:
            self._named_arrived[item] = t
            return
        arrived = self._arrived
        if number >= len(arrived):
            arrived.extend(array("d", [math.nan]) * max(number + 1 - len(arrived), len(arrived)))
        arrived[number] = t

    def _arrival(self, item: str) -> float | None:
        number = self._number(item)
        if number is None:
            return self._named_arrived.get(item)
        if number < len(self._arrived) and not math.isnan(self._arrived[number]):
            return self._arrived[number]
        return None

    def timeline(self) -> list[tuple[str, str]]:
        """(time, words) for the first and last events; a ("", "… N more events …") row marks the gap."""
        hidden = self.events - len(self.head) - len(self.tail)
        rows = [(format_time(event["t"]), describe_event(event)) for event in self.head]
        if hidden > 0:
            rows.append(("", f"… {hidden} more events …"))
        rows += [(format_time(event["t"]), describe_event(event)) for event in self.tail]
        return rows

    def charts(self, model: str, end: float, width: int = 40) -> list[tuple[str, str, float]]:
        """(label, sparkline, peak) rows: concurrency, then backlog or iterator age, throttles."""
        rows = []
        concurrency = step_series(self.concurrency.pairs(), end, width)
        rows.append(("concurrency", sparkline(concurrency), max(concurrency, default=0)))
        if model in ("kinesis", "dynamodb"):
            ages = _held_peaks(self.iterator_ages.pairs(), end, width)
            rows.append(("iterator age (s)", sparkline(ages), max(ages, default=0)))
        elif model in ("async", "sqs"):
            backlog = step_series(self.backlog.pairs(), end, width)
            rows.append(("waiting items", sparkline(backlog), max(backlog, default=0)))
        counts = [0.0] * width
        bin_width = max(end, 1e-9) / width
        for t, count in self.throttles.pairs():
            counts[min(width - 1, int(t / bin_width))] += count
        if any(counts):
            rows.append(("throttles", sparkline(counts), max(counts)))
        return rows


def concurrency_points(trace: Iterable[Mapping[str, Any]]) -> list[tuple[float, float]]:
    return TraceDigest().feed(trace).concurrency.pairs()


def backlog_points(trace: Iterable[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """Items that arrived and wait: neither running nor finished (queued, backing off or invisible)."""
    return TraceDigest().feed(trace).backlog.pairs()


def iterator_age_points(trace: Iterable[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """Streams: the iterator age of each batch when it is sent (time since its newest record arrived)."""
    return TraceDigest().feed(trace).iterator_ages.pairs()


def sparkline(values: Sequence[float]) -> str:
    """Eight-level bars scaled to the highest value; zero is always the lowest bar."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK_BARS[0] * len(values)
    last = len(SPARK_BARS) - 1
    return "".join(SPARK_BARS[0 if v <= 0 else max(1, math.ceil(v / top * last))] for v in values)


def charts(
    model: str, trace: Iterable[Mapping[str, Any]], end: float, width: int = 40
) -> list[tuple[str, str, float]]:
    """(label, sparkline, peak) rows for the report: concurrency, then backlog or iterator age, throttles."""
    return TraceDigest().feed(trace).charts(model, end, width)


def _held_peaks(points: Sequence[tuple[float, float]], end: float, bins: int) -> list[float]:
    # Iterator age is only measured when a batch is sent; between sends the last measure holds.
    width = max(end, 1e-9) / bins
    values: list[float] = []
    index, last = 0, 0.0
    for slot in range(bins):
        peak = None
        while index < len(points) and (points[index][0] < (slot + 1) * width or slot == bins - 1):
            peak = points[index][1] if peak is None else max(peak, points[index][1])
            index += 1
        last = peak if peak is not None else last
        values.append(last)
    return values


# -- downstream and billed units ---------------------------------------------------------------


def _describe_write_throttled(event: Mapping[str, Any]) -> str:
    """A refused write: which attempt, and whether the SDK retries or gives up (the invocation fails)."""
    attempt = f"attempt {event.get('attempt')} of {event.get('max_attempts')}"
    head = f"throttled write of {item_list(event.get('items', ()))} ({event.get('error')}; {attempt})"
    if "retry_at" in event:
        return f"{head}: SDK retry at {format_time(event['retry_at'])}"
    return f"{head}: the SDK gives up, invocation {event.get('invocation')} fails"


def _units(value: Any) -> str:
    return show_number(float(value)) if isinstance(value, (int, float)) else str(value)


def show_number(value: float) -> str:
    """A count or an amount without a pointless .0, with thousands separators."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6f}".rstrip("0")


def downstream_and_billed_lines(summary: Mapping[str, Any]) -> list[str]:
    """The report's lines for the downstream (writes, throttled writes, SDK retries) and billed units."""
    lines = []
    downstream = summary.get("downstream")
    if isinstance(downstream, Mapping):
        parts = [
            f"{_units(downstream.get('writes', 0))} writes",
            f"{_units(downstream.get('throttled_writes', 0))} throttled writes",
            f"{_units(downstream.get('sdk_retries', 0))} SDK retries",
            f"{_units(downstream.get('failed_invocations', 0))} invocations failed when the SDK gave up",
        ]
        lines.append(f"downstream ({downstream.get('kind')})  " + " · ".join(parts))
    billed = summary.get("billed")
    if isinstance(billed, Mapping):
        parts = [
            f"{_units(billed.get('requests', 0))} requests",
            f"{_units(billed.get('gb_seconds', 0))} GB-s at {_units(billed.get('memory_mb', 0))} MB",
        ]
        if billed.get("sqs_requests"):
            parts.append(f"{_units(billed['sqs_requests'])} SQS requests")
            actions = billed.get("sqs_requests_by_action") or {}
            if actions.get("empty_receive"):
                parts[-1] += f" ({_units(actions['empty_receive'])} empty receives)"
        if billed.get("write_units"):
            parts.append(f"{_units(billed['write_units'])} write units")
        if "write_capacity_unit_hours" in billed:
            parts.append(f"{_units(billed['write_capacity_unit_hours'])} WCU-hours provisioned")
        cost = billed.get("cost")
        if isinstance(cost, Mapping):
            parts.append(f"at your prices {_units(cost.get('total', 0))}")
        lines.append("billed  " + " · ".join(parts))
    return lines
