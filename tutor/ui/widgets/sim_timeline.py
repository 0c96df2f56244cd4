"""The timeline: one lane per item (the latest ones), its attempts drawn on a shared time axis.

An async event's attempts with the minute and two minutes between them and where it went when
given up; an SQS message's receives with each visibility window and its redrive; a stream
record's batch retries and halves; a caller's waits and its own retries; with a downstream, each
SDK retry of a throttled write (↻) inside the attempt that made it. The cursor is the
current simulated time. Lanes are built from the trace a frame's new events at a time (fed by
`sim_flow.RunFollower`) and only the latest `LANES_KEPT` items are kept, each with a bounded
history, so the timeline costs the same however long the run goes.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from tutor.sim.player import TIME_EPSILON, clock_text
from tutor.ui.widgets.sim_text import TextBlock

LANES_KEPT = 100
# An item retried for hours would grow its lane without end: past this, its oldest steps go.
STEPS_KEPT = 40
TARGET_WORDS = {"on_success": "on success", "on_failure": "on failure", "dlq": "DLQ"}
# What a span looks like, drawn in this order (later kinds over earlier ones).
SPAN_GLYPHS = (("vis", "─"), ("wait", "┄"), ("run", "■"), ("init", "▤"))
TICK_EVERY = 14
NO_LANES = "No item has arrived yet: each item gets a lane here from its arrival on."
LEGEND = (
    "■ running  ▤ cold start  ┄ waiting to retry  ─ visibility window  ✓ done  ✗ failed  ▣ given up  ▲ now"
)
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
        if self.end:
            parts.append(self.end)
        elif self.notes:
            parts.append(self.notes[-1])
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

    def clear(self) -> None:
        self.sdk_retries = False
        self.lanes.clear()
        self.running.clear()
        self.markers.clear()

    def _lanes(self, items: Iterable[str]) -> list[Lane]:
        lanes = self.lanes
        return [lanes[item] for item in items if item in lanes]

    def feed(self, events: Iterable[Mapping[str, Any]], cold_start_s: float, model: str = "") -> None:
        self.model = model or self.model
        self.cold_start_s = cold_start_s
        handlers = {
            "arrive": self._arrive,
            "invoke_start": self._start,
            "invoke_end": self._end,
            "retry": self._retry,
            "response": self._response,
            "throttle": self._throttle,
            "destination": self._given_up,
            "drop": self._given_up,
            "delete": self._delete,
            "bisect": self._bisect,
            "write_throttled": self._write_throttled,
        }
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

    def _bisect(self, event: Mapping[str, Any], t: float) -> None:
        for lane in self._lanes(event["items"]):
            lane.marks.append((t, "½"))
            lane.notes.append(f"batch split in two at {clock_text(t)}")

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


def _short(seconds: float) -> str:
    text = clock_text(seconds)
    return text[3:8] if text.startswith("00:") else text[:8]


def timeline_lines(timeline: Timeline, now: float, width: int) -> list[str]:
    """The axis, the cursor at `now`, the markers, then two rows per lane (its drawing, its words)."""
    lanes = list(timeline.lanes.values())
    if not lanes:
        return [NO_LANES]
    width = max(width, 40)
    label = min(10, max(len(lane.item) for lane in lanes) + 1)
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
    for start in range(0, cols - 5, TICK_EVERY):
        tick = _short(low + start / scale)
        axis[start : start + len(tick)] = list(tick)
    cursor = [" "] * cols
    here = column(now)
    words = f"▲ now {clock_text(now)}"
    if here + len(words) <= cols:
        cursor[here : here + len(words)] = list(words)
    else:
        words = f"now {clock_text(now)} ▲"
        begin = max(0, here - len(words) + 1)
        cursor[begin : here + 1] = list(words[-(here + 1 - begin) :])
    legend = SDK_LEGEND + LEGEND if timeline.sdk_retries else LEGEND
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
        lines.append(f"{lane.item:<{label}}" + _lane_row(lane, cols, column, now, here, marker_columns))
        summary = lane.summary(now)
        lines.append((" " * label + summary)[:width] if summary else "")
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
