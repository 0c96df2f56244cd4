"""The timeline: one lane per item (the latest ones), its attempts drawn on a shared time axis.

An async event's attempts with the minute and two minutes between them and where it went when
given up; an SQS message's receives with each visibility window and its redrive; a caller's waits
and its own retries; with a downstream, each SDK retry of a throttled write (↻) inside the attempt
that made it. The cursor is the current simulated time. Lanes are built from the trace a frame's
new events at a time (fed by `sim_flow.RunFollower`) and only the latest `LANES_KEPT` lanes are
kept, each with a bounded history, so the timeline costs the same however long the run goes.

Streams (Kinesis, DynamoDB) are read in batches, so their lanes are batches, not records: a
`BatchLane` per batch (its shard, first…last record, how many), its attempts and retries, and how
it ended: checkpointed, given up to the on-failure destination (or dropped), or split in two by
bisect, whose halves get lanes of their own, marked one `›` deeper. Records too old to send
(`RecordAgeExceeded`) when a batch is formed leave it before it is sent: a lane of their own says
so. Below the batches, a `ShardLane` for each shard a failed batch has blocked: how long it waited
behind that batch and, while it still waits, how many records are queued behind it (read from the
engine when drawn: the trace does not say).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from tutor.sim.player import TIME_EPSILON, clock_text
from tutor.ui.widgets.sim_text import TextBlock

LANES_KEPT = 100
LABEL = 10
LABEL_STREAM = 14
# An item retried for hours would grow its lane without end: past this, its oldest steps go.
STEPS_KEPT = 40
TARGET_WORDS = {"on_success": "on success", "on_failure": "on failure", "dlq": "DLQ"}
# What a span looks like, drawn in this order (later kinds over earlier ones).
SPAN_GLYPHS = (("held", "·"), ("blocked", "░"), ("vis", "─"), ("wait", "┄"), ("run", "■"), ("init", "▤"))
# Tick steps the axis may take, in milliseconds: round numbers of the clock, from a millisecond
# (a burst seen close up) to a week.
TICK_STEPS_MS = (
    *(scale * unit for scale in (1, 10, 100) for unit in (1, 2, 5)),
    *(1000 * seconds for seconds in (1, 2, 5, 10, 15, 30)),
    *(60_000 * minutes for minutes in (1, 2, 5, 10, 15, 30)),
    *(3_600_000 * hours for hours in (1, 2, 3, 6, 12, 24, 48)),
    7 * 86_400_000,
)
# Blank columns at least between two tick labels, so each reads as its own.
TICK_GAP = 4
NO_LANES = "No item has arrived yet: each item gets a lane here from its arrival on."
LEGEND = (
    "■ running  ▤ cold start  ┄ waiting to retry  ─ visibility window  ✓ done  ✗ failed  ▣ given up  ▲ now"
)
STREAM_MODELS = ("kinesis", "dynamodb")
STREAM_LEGEND = (
    "■ running  ▤ cold start  ┄ waiting to retry  · waiting its turn  ░ shard blocked  ✓ checkpointed"
    "  ✗ failed  ½ split  › a half  ▣ given up  ▲ now"
)
# Halves of halves are indented up to this depth; deeper ones say their depth in figures.
DEPTH_MARKS = 4
SDK_RETRY = "↻"
# First when a write was throttled: the legend is cut at the pane's width.
SDK_LEGEND = f"{SDK_RETRY} SDK retry of a throttled write  "


class Lane:
    """One item's history: spans of time (running, starting, waiting) and marks (✓, ✗, ▣)."""

    __slots__ = ("born", "end", "ends", "item", "marks", "notes", "spans", "starts", "throttled_writes")

    def __init__(self, item: str, born: float):
        self.item = item
        self.born = born
        self.spans: list[list[Any]] = []  # [start, end or None while open, kind]
        self.marks: list[tuple[float, str]] = []
        self.starts: list[float] = []  # when each attempt (invocation) began
        self.ends: list[float] = []  # and ended
        self.notes: list[str] = []
        self.end = ""
        self.throttled_writes = 0

    def trim(self) -> None:
        for steps in (self.spans, self.marks, self.starts, self.ends, self.notes):
            if len(steps) > STEPS_KEPT:
                del steps[: len(steps) - STEPS_KEPT]

    def summary(self, now: float = math.inf) -> str:
        outcome = self.outcome()
        return " · ".join([*self.attempts(now), outcome] if outcome else self.attempts(now))

    def outcome(self) -> str:
        """How it ended, else the latest thing that happened to it."""
        return self.end or (self.notes[-1] if self.notes else "")

    def attempts(self, now: float) -> list[str]:
        """When it was tried, the waits between, and any writes throttled in those tries."""
        parts = []
        if self.starts:
            tries = ", ".join(clock_text(t) for t in self.starts[:4])
            extra = f" +{len(self.starts) - 4}" if len(self.starts) > 4 else ""
            parts.append(
                f"{len(self.starts)} {'try' if len(self.starts) == 1 else 'tries'} at {tries}{extra}"
            )
        waits = [start - end for start, end in zip(self.starts[1:], self.ends, strict=False)]
        if waits:
            parts.append("waits " + ", ".join(f"{round(wait, 1):g} s" for wait in waits[:4]))
        if self.throttled_writes:
            retries = sum(1 for t, mark in self.marks if mark == SDK_RETRY and t <= now + TIME_EPSILON)
            parts.append(
                f"{self.throttled_writes} {'write' if self.throttled_writes == 1 else 'writes'} throttled, "
                f"{SDK_RETRY} {retries} SDK {'retry' if retries == 1 else 'retries'}"
            )
        return parts


def batch_label(items: list[str]) -> str:
    """First…last record of a batch, the last without the prefix they share: "rec-11…20"."""
    first, last = items[0], items[-1]
    if first == last:
        return first
    prefix, _, number = last.rpartition("-")
    return f"{first}…{number}" if first.startswith(prefix + "-") else f"{first}…{last}"


class BatchLane(Lane):
    """A stream batch: its records while it is open (for finding it again by any of them), its
    shard once sent, and how many halvings deep it is (0: read off the shard)."""

    __slots__ = ("depth", "records", "shard", "waiting_items")

    def __init__(self, items: list[str], born: float, depth: int, shard: int | None):
        marks = "›" * depth if depth <= DEPTH_MARKS else f"›{depth}"
        super().__init__(marks + batch_label(items), born)
        self.waiting_items = items
        self.records = len(items)
        self.depth = depth
        self.shard = shard

    def summary(self, now: float = math.inf) -> str:
        # How it ended first: a narrow pane cuts the words at its edge.
        parts = [f"shard {self.shard}"] if self.shard is not None else []
        parts.append(f"{self.records} {'record' if self.records == 1 else 'records'}")
        outcome = self.outcome()
        return " · ".join(
            [*parts, outcome, *self.attempts(now)] if outcome else [*parts, *self.attempts(now)]
        )


class ShardLane(Lane):
    """A shard's time blocked behind a failed batch: from its first retry until the batch is
    checkpointed or given up (with a parallelization factor, until none of its batches is)."""

    __slots__ = ("blocked_s", "blocking", "shard")

    def __init__(self, shard: int, born: float):
        super().__init__(f"shard {shard}", born)
        self.shard = shard
        self.blocking: list[BatchLane] = []
        self.blocked_s = 0.0  # blocked time before the current block

    def words(self, now: float, state: Mapping[str, Any] | None) -> str:
        """Whether it waits now, behind which batch and how many records; else how long it did."""
        since = self.spans[-1][0] if self.spans else self.born
        if not self.blocking:
            return f"blocked {round(self.blocked_s, 1):g} s in all · {self.notes[-1]}" if self.notes else ""
        batch = self.blocking[0]
        parts = [f"blocked since {clock_text(since)} behind {batch.item.lstrip('›')}"]
        if state is not None:
            behind = max(0, state["records"] - state["checkpoint"] - sum(b.records for b in self.blocking))
            parts.append(f"{behind} {'record waits' if behind == 1 else 'records wait'} behind it")
            parts.append(f"oldest record {round(state['oldest_record_age_s'], 1):g} s old")
        return " · ".join(parts)


class Timeline:
    """The latest items' lanes and the markers of changes made to the run."""

    def __init__(self) -> None:
        self.lanes: OrderedDict[str, Lane] = OrderedDict()
        self.running: dict[int, list[str]] = {}
        self.markers: list[tuple[float, str]] = []
        self.model = ""
        self.cold_start_s = 0.0
        self.sdk_retries = False  # any write throttled: the legend names the SDK's retries
        # Streams: the batches not done with yet, by their first record (a record is in one at a
        # time), the running ones by invocation, and the shards ever blocked, by number.
        self.batches: dict[str, BatchLane] = {}
        self.sent: dict[int, BatchLane] = {}
        self.shards: dict[int, ShardLane] = {}
        self.lanes_made = 0
        # What the engine says of each shard now (records put, checkpoint, oldest record's age).
        self.shard_state: Callable[[], list[Mapping[str, Any]]] | None = None
        self._handlers = {
            "arrive": self._arrive,
            "invoke_start": self._start,
            "invoke_end": self._end,
            "retry": self._retry,
            "response": self._response,
            "throttle": self._throttle,
            "destination": self._given_up,
            "drop": self._given_up,
            "delete": self._delete,
            "write_throttled": self._write_throttled,
        }
        self._stream_handlers = {
            "invoke_start": self._batch_sent,
            "invoke_end": self._batch_ended,
            "retry": self._batch_retry,
            "throttle": self._batch_throttled,
            "destination": self._batch_given_up,
            "drop": self._batch_given_up,
            "bisect": self._batch_split,
            "write_throttled": self._write_throttled,
        }

    @property
    def streams(self) -> bool:
        return self.model in STREAM_MODELS

    def clear(self) -> None:
        self.sdk_retries = False
        self.lanes.clear()
        self.running.clear()
        self.markers.clear()
        self.batches.clear()
        self.sent.clear()
        self.shards.clear()

    def _lanes(self, items: Sequence[str]) -> list[Lane]:
        if self.streams:
            batch = self._batch_of(items[0]) if items else None
            return [batch] if batch is not None else []
        lanes = self.lanes
        return [lanes[item] for item in items if item in lanes]

    def _keep(self, lane: Lane) -> None:
        self.lanes_made += 1
        self.lanes[f"#{self.lanes_made}"] = lane
        if len(self.lanes) > LANES_KEPT:
            self.lanes.popitem(last=False)

    def feed(self, events: Iterable[Mapping[str, Any]], cold_start_s: float, model: str = "") -> None:
        self.model = model or self.model
        self.cold_start_s = cold_start_s
        handlers = self._stream_handlers if self.streams else self._handlers
        for event in events:
            handler = handlers.get(event["kind"])
            if handler is not None:
                handler(event, event["t"])

    def _arrive(self, event: Mapping[str, Any], t: float) -> None:
        self.lanes[event["item"]] = Lane(event["item"], t)
        if len(self.lanes) > LANES_KEPT:
            self.lanes.popitem(last=False)

    def _start(self, event: Mapping[str, Any], t: float) -> None:
        items = event["items"]
        self.running[event["invocation"]] = items
        for lane in self._lanes(items):
            lane.spans.append([t, None, "run"])
            if event["cold"] and self.cold_start_s:
                lane.spans.append([t, t + self.cold_start_s, "init"])
            lane.starts.append(t)
            lane.trim()

    def _end(self, event: Mapping[str, Any], t: float) -> None:
        failed = set(event["failed_items"])
        for lane in self._lanes(self.running.pop(event["invocation"], ())):
            if self.sdk_retries:
                # An SDK retry due after the invocation ended (its timeout) was never made.
                lane.marks = [(at, mark) for at, mark in lane.marks if mark != SDK_RETRY or at <= t]
            for span in reversed(lane.spans):
                if span[2] == "run" and span[1] is None:
                    span[1] = t
                    break
            lane.marks.append((t, "✗" if lane.item in failed else "✓"))
            lane.ends.append(t)

    def _response(self, event: Mapping[str, Any], t: float) -> None:
        good = event["status"] == 200 and not event.get("function_error")
        for lane in self._lanes([event["item"]]):
            lane.marks.append((t, "✓" if good else "✗"))
            lane.notes.append(f"answered {event['status']} after {event['latency_s']:g} s")
            lane.trim()

    def _throttle(self, event: Mapping[str, Any], t: float) -> None:
        for lane in self._lanes(event["items"]):
            lane.marks.append((t, "✗"))
            lane.notes.append(f"throttled at {clock_text(t)}")
            lane.trim()

    def _given_up(self, event: Mapping[str, Any], t: float) -> None:
        target = event.get("target", "") if event["kind"] == "destination" else ""
        where = TARGET_WORDS.get(target, "dropped")
        for lane in self._lanes(event["items"]):
            lane.marks.append((t, "▣"))
            lane.end = f"▶ {where} ({event['reason']}) at {clock_text(t)}"

    def _delete(self, event: Mapping[str, Any], t: float) -> None:
        for lane in self._lanes(event["items"]):
            lane.end = f"deleted at {clock_text(t)}"

    def _write_throttled(self, event: Mapping[str, Any], t: float) -> None:
        """A refused write: its SDK retry is marked at the time it is due, inside the attempt."""
        self.sdk_retries = True
        retry_at = event.get("retry_at")
        for lane in self._lanes(event["items"]):
            lane.throttled_writes += 1
            if retry_at is not None:
                lane.marks.append((retry_at, SDK_RETRY))
            else:
                lane.notes.append(f"write throttled {event['attempt']} times: the SDK gave up")
            lane.trim()

    def _retry(self, event: Mapping[str, Any], t: float) -> None:
        at = event["at"]
        reason = event["reason"]
        for lane in self._lanes(event["items"]):
            if self.model == "sqs" and reason != "throttle":
                received = lane.starts[-1] if lane.starts else t
                lane.spans.append([received, at, "vis"])
                counts = event.get("receive_counts")
                received_times = f", received {max(counts)}×" if counts else ""
                lane.notes.append(f"visible again at {clock_text(at)}{received_times}")
            else:
                lane.spans.append([t, at, "wait"])
                words = {"throttle": "throttled", "function_error": "failed"}.get(
                    reason, reason.replace("_", " ")
                )
                lane.notes.append(f"{words}, next try at {clock_text(at)}")
            lane.trim()

    # -- streams: one lane per batch ----------------------------------------------------------

    def _batch_of(self, record: str) -> BatchLane | None:
        """The open batch holding `record`: found by its first record, else (the records after
        a checkpoint, a batch's too old records) by looking through the few open batches."""
        batch = self.batches.get(record)
        if batch is not None:
            return batch
        return next((b for b in self.batches.values() if record in b.waiting_items), None)

    def _new_batch(self, items: list[str], t: float, depth: int, shard: int | None) -> BatchLane:
        batch = BatchLane(items, t, depth, shard)
        self.batches[items[0]] = batch
        self._keep(batch)
        return batch

    def _queued(self, items: list[str], t: float, depth: int, shard: int | None) -> BatchLane:
        """A batch formed but not sent yet (a half, the records after a checkpoint): it waits its turn."""
        batch = self._new_batch(items, t, depth, shard)
        batch.spans.append([t, None, "held"])
        return batch

    def _done_with(self, batch: BatchLane, t: float, words: str, *, frees_shard: bool = True) -> None:
        batch.end = words
        if self.batches.get(batch.waiting_items[0]) is batch:
            del self.batches[batch.waiting_items[0]]
        batch.waiting_items = []
        shard = self.shards.get(batch.shard) if batch.shard is not None else None
        if shard is not None and batch in shard.blocking:
            shard.blocking.remove(batch)
            if frees_shard and not shard.blocking:
                shard.spans[-1][1] = t
                shard.blocked_s += t - shard.spans[-1][0]
                shard.notes.append(
                    f"moved on at {clock_text(t)}: {batch.item.lstrip('›')} {words.partition(' at ')[0]}"
                )
                shard.trim()

    def _batch_sent(self, event: Mapping[str, Any], t: float) -> None:
        items = event["items"]
        batch = self.batches.get(items[0])
        if batch is None or batch.records != len(items):
            batch = self._new_batch(items, t, 0, event.get("shard"))
        batch.shard = event.get("shard", batch.shard)
        for span in batch.spans:
            if span[2] == "held" and span[1] is None:
                span[1] = t
        batch.spans.append([t, None, "run"])
        if event["cold"] and self.cold_start_s:
            batch.spans.append([t, t + self.cold_start_s, "init"])
        batch.starts.append(t)
        batch.trim()
        self.sent[event["invocation"]] = batch

    def _batch_ended(self, event: Mapping[str, Any], t: float) -> None:
        batch = self.sent.pop(event["invocation"], None)
        if batch is None:
            return
        if self.sdk_retries:
            batch.marks = [(at, mark) for at, mark in batch.marks if mark != SDK_RETRY or at <= t]
        for span in reversed(batch.spans):
            if span[2] == "run" and span[1] is None:
                span[1] = t
                break
        batch.ends.append(t)
        failed = event["failed_items"]
        if not failed:
            batch.marks.append((t, "✓"))
            self._done_with(batch, t, f"✓ checkpointed at {clock_text(t)}")
            return
        batch.marks.append((t, "✗"))
        if len(failed) == batch.records:
            return
        # The handler reported some records failed: the shard checkpoints before the first one.
        position = {record: index for index, record in enumerate(batch.waiting_items)}
        first = min(position.get(record, 0) for record in failed)
        batch.notes.append(f"{len(failed)} of {batch.records} reported failed")
        if first:
            rest = batch.waiting_items[first:]
            shard = self.shards.get(batch.shard) if batch.shard is not None else None
            blocking = shard is not None and batch in shard.blocking
            self._done_with(
                batch,
                t,
                f"✓ checkpointed {first} at {clock_text(t)}, {batch_label(rest)} goes on as a new batch",
                frees_shard=False,
            )
            later = self._queued(rest, t, batch.depth, batch.shard)
            later.notes.append(f"after the checkpoint in {batch.item.lstrip('›')}")
            if shard is not None and blocking:
                shard.blocking.append(later)

    def _batch_split(self, event: Mapping[str, Any], t: float) -> None:
        batch = self.batches.get(event["items"][0])
        if batch is None:
            return
        first, second = event["halves"]
        batch.marks.append((t, "½"))
        halves = f"{batch_label(first)} and {batch_label(second)}"
        self._done_with(batch, t, f"½ split at {clock_text(t)} into {halves}")
        self._queued(first, t, batch.depth + 1, batch.shard)
        second_half = self._queued(second, t, batch.depth + 1, batch.shard)
        second_half.notes.append(f"waits for {batch_label(first)}, the first half")

    def _batch_retry(self, event: Mapping[str, Any], t: float) -> None:
        batch = self._batch_of(event["items"][0])
        if batch is None:
            return
        at = event["at"]
        if at <= t + TIME_EPSILON:
            return  # the records after a checkpoint, sent at once: their lane waits its turn
        batch.spans.append([t, at, "wait"])
        words = "throttled" if event["reason"] == "throttle" else "failed"
        retry = event.get("retry")
        number = f"retry {retry} of {'∞' if event.get('max_retries') == -1 else event.get('max_retries')}"
        batch.notes.append(f"{words}, {number + ' ' if retry else 'next try '}at {clock_text(at)}")
        batch.trim()
        if batch.shard is None:
            return
        shard = self.shards.get(batch.shard)
        if shard is None:
            shard = self.shards[batch.shard] = ShardLane(batch.shard, t)
        if batch not in shard.blocking:
            if not shard.blocking:
                shard.spans.append([t, None, "blocked"])
                shard.trim()
            shard.blocking.append(batch)

    def _batch_throttled(self, event: Mapping[str, Any], t: float) -> None:
        items = event["items"]
        batch = self.batches.get(items[0])
        if batch is None or batch.records != len(items):
            batch = self._new_batch(items, t, 0, None)
        batch.marks.append((t, "✗"))

    def _batch_given_up(self, event: Mapping[str, Any], t: float) -> None:
        items = event["items"]
        target = event.get("target", "") if event["kind"] == "destination" else ""
        where = f"▶ {TARGET_WORDS.get(target, 'dropped')} ({event['reason']}) at {clock_text(t)}"
        batch = self._batch_of(items[0])
        if batch is not None and batch.records == len(items) and batch.waiting_items[0] == items[0]:
            batch.marks.append((t, "▣"))
            self._done_with(batch, t, where)
            return
        # Records too old to send when their batch was formed: they leave it before it is sent.
        depth, shard = (batch.depth, batch.shard) if batch is not None else (0, None)
        if batch is not None and batch.waiting_items[0] == items[0]:
            del self.batches[items[0]]
            batch.waiting_items = batch.waiting_items[len(items) :]
            batch.records = len(batch.waiting_items)
            batch.notes.append(f"{batch_label(items)} too old, left it")
            self.batches[batch.waiting_items[0]] = batch
        skipped = self._new_batch(items, t, depth, shard)
        skipped.marks.append((t, "▣"))
        self._done_with(skipped, t, f"too old to send {where}")


def tick_text(ms: int, decimals: int, hours: bool) -> str:
    """A tick as the clock reads ("01:30", "00:00.35", "02:00:00"): hours only on an axis that
    reaches an hour, as many decimals as the step needs."""
    whole, fraction = divmod(ms, 1000)
    hour, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hour:02d}:{minutes:02d}:{seconds:02d}" if hours else f"{hour * 60 + minutes:02d}:{seconds:02d}"
    return text + (f".{fraction:03d}"[: decimals + 1] if decimals else "")


def axis_ticks(low: float, high: float, cols: int) -> list[tuple[int, str]]:
    """(column, label) of the time axis over `cols` columns from `low` to `high` seconds (as
    `timeline_lines` places times): the finest round step whose labels keep `TICK_GAP` apart,
    labelled as precisely as the step (milliseconds under a hundredth), so no two labels read alike."""
    scale = (cols - 1) / max(high - low, 1e-9)
    hours = high >= 3600
    for step_ms in TICK_STEPS_MS:
        decimals = 3 if step_ms % 10 else 2 if step_ms % 100 else 1 if step_ms % 1000 else 0
        width = len(tick_text(step_ms, decimals, hours))
        if step_ms / 1000 * scale >= width + TICK_GAP:
            break
    ticks = []
    k = math.ceil(low * 1000 / step_ms - 1e-6)
    while True:
        column = round((k * step_ms / 1000 - low) * scale)
        if column + width > cols:
            break
        ticks.append((max(0, column), tick_text(k * step_ms, decimals, hours)))
        k += 1
    # Seen closer than the finest step: the one time in view, to the millisecond.
    return ticks or [(0, tick_text(round(low * 1000), 3, hours))]


def timeline_lines(timeline: Timeline, now: float, width: int) -> list[str]:
    """The axis, the cursor at `now`, the markers, then two rows per lane (its drawing, its words)."""
    lanes = list(timeline.lanes.values())
    if not lanes:
        return [NO_LANES]
    width = max(width, 40)
    # A batch's label is longer than a record's ("››rec-101…105"): streams give it more room.
    label = min(
        LABEL_STREAM if timeline.streams else LABEL,
        max(len(lane.item) for lane in [*lanes, *timeline.shards.values()]) + 1,
    )
    cols = width - label
    low = min(lane.born for lane in lanes)
    high = now
    for lane in lanes:
        for span in lane.spans:
            if span[1] is not None:
                high = max(high, span[1])
    for t, _ in timeline.markers:
        if t >= low:
            high = max(high, t)
    scale = (cols - 1) / max(high - low, 1e-9)

    def column(t: float) -> int:
        return max(0, min(cols - 1, round((t - low) * scale)))

    axis = [" "] * cols
    for at, tick in axis_ticks(low, high, cols):
        axis[at : at + len(tick)] = list(tick)
    cursor = [" "] * cols
    here = column(now)
    words = f"▲ now {clock_text(now)}"
    if here + len(words) <= cols:
        cursor[here : here + len(words)] = list(words)
    else:
        words = f"now {clock_text(now)} ▲"
        begin = max(0, here - len(words) + 1)
        cursor[begin : here + 1] = list(words[-(here + 1 - begin) :])
    legend = STREAM_LEGEND if timeline.streams else LEGEND
    if timeline.sdk_retries:
        legend = SDK_LEGEND + legend
    lines = [legend[:width], " " * label + "".join(axis), " " * label + "".join(cursor)]
    shown_markers = [(t, words) for t, words in timeline.markers if t >= low]
    for t, marker_words in shown_markers[-3:]:
        row = [" "] * cols
        row[column(t)] = "┃"
        text = f" {clock_text(t)} {marker_words}"
        at = column(t) + 1 if column(t) + len(text) < cols else max(0, column(t) - len(text))
        row[at : at + len(text)] = list(text[: cols - at])
        lines.append(" " * label + "".join(row))
    marker_columns = [column(t) for t, _ in shown_markers]
    for lane in lanes:
        lines.append(
            f"{lane.item[: label - 1]:<{label}}" + _lane_row(lane, cols, column, now, here, marker_columns)
        )
        summary = lane.summary(now)
        lines.append((" " * label + summary)[:width] if summary else "")
    if timeline.shards:
        # Below the latest batches, where the timeline scrolls to while it follows the run.
        blocked = any(shard.blocking for shard in timeline.shards.values())
        states = timeline.shard_state() if blocked and timeline.shard_state is not None else []
        state_of = {state["shard"]: state for state in states}
        for number in sorted(timeline.shards):
            shard = timeline.shards[number]
            lines.append(f"{shard.item:<{label}}" + _lane_row(shard, cols, column, now, here, marker_columns))
            lines.append((" " * label + shard.words(now, state_of.get(number)))[:width])
    return lines


def _lane_row(
    lane: Lane, cols: int, column: Callable[[float], int], now: float, here: int, marker_columns: list[int]
) -> str:
    """One lane drawn on the axis: spans, then marks over them, then the cursor and markers where blank."""
    row = [" "] * cols
    for kind, glyph in SPAN_GLYPHS:
        for start, end, span_kind in lane.spans:
            if span_kind != kind:
                continue
            stop = now if end is None else end
            for index in range(column(start), column(max(start, stop)) + 1):
                row[index] = glyph
    for t, mark in lane.marks:
        # An SDK retry is known ahead, when the write before it is refused: drawn once it is made.
        if t <= now + TIME_EPSILON:
            row[column(t)] = mark
    for index in marker_columns:
        if row[index] == " ":
            row[index] = "┃"
    if row[here] == " ":
        row[here] = "┆"
    return "".join(row)


class TimelineView(VerticalScroll, can_focus=False):
    """The timeline tab: drawn only while it is shown; it follows the latest lanes unless scrolled up."""

    DEFAULT_CSS: ClassVar[str] = """
    TimelineView { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield TextBlock(classes="sim-timeline")

    _shown: tuple[Timeline, float] | None = None

    def on_resize(self) -> None:
        # First shown (or resized): the width is known only now.
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, timeline: Timeline, now: float) -> None:
        self._shown = (timeline, now)
        if not self.children:
            return
        width = self.content_size.width or 80
        following = self.scroll_y >= self.max_scroll_y
        self.query_one(TextBlock).set_lines(timeline_lines(timeline, now, width - 1))
        if following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
