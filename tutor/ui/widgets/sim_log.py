"""The event log of a simulation pane: plain-words lines, written in batches, capped, following the end.

Textual's `Log` stops following the end once a long line brings in a horizontal scrollbar, and
its render cache can show stale rows after it prunes old lines; this one keeps only what the pane
needs: lines wrapped to the width it has (again when the width changes, so a log filled while
hidden in a tab reads right once shown), a cap, and a view that stays at the end while the
learner has not scrolled up.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tutor.sim.report import describe_event, format_time, item_list
from tutor.ui.widgets.sim_diagram import TIME_COLUMNS

if TYPE_CHECKING:
    from tutor.sim.player import SimRun

# The lines a log keeps; a batch reads no more of a run's events than that.
LOG_LINES = 200
# Continuation rows start under the words, after the time and two spaces.
INDENT = " " * (TIME_COLUMNS + 2)
# Narrower than this, lines are cut rather than wrapped into slivers.
MIN_WRAP_WIDTH = 30

# Past this many throttled writes (or SDK retries) in one batch of the log, they are summed into
# one line: a throttled table refuses hundreds of writes a second, which would flood the log.
WRITE_LINES = 3

# An SDK retry as the player's `DownstreamWatch` records it:
# (t, invocation, items, attempt, attempts allowed, how many were refused again).
Retry = tuple[float, int, list[str], int, int, int]


def log_text(t: float, words: str, label: str = "") -> str:
    """A log line: the time, then `label` (a chain's stage) if any, then the words."""
    return f"{format_time(t):>{TIME_COLUMNS}}  {label + ' ' if label else ''}{words}"


def new_events(run: SimRun, logged: int) -> list[dict[str, Any]]:
    """The run's events since the first `logged`: it keeps its latest only, so up to the cap."""
    new = min(run.event_count - logged, len(run.recent), LOG_LINES)
    recent = run.recent
    return [recent[index] for index in range(len(recent) - new, len(recent))]


def new_retries(run: SimRun, logged: int) -> list[Retry]:
    """The SDK retries since the first `logged`. They write no event: the run's downstream watch
    records them as their time passes."""
    downstream = run.downstream
    if downstream is None:
        return []
    made = min(downstream.retried_count - logged, len(downstream.retried))
    return list(downstream.retried)[len(downstream.retried) - made :] if made > 0 else []


def retries_logged(run: SimRun) -> int:
    return run.downstream.retried_count if run.downstream is not None else 0


def retry_words(retry: Retry) -> str:
    """An SDK retry that wrote: all its writes, or some (the rest were throttled again)."""
    _t, number, items, attempt, attempts, refused = retry
    which = f"invocation {number}, attempt {attempt} of {attempts}"
    if not refused:
        return f"SDK retry of {item_list(items)} accepted ({which})"
    accepted = len(items) - refused
    return f"SDK retry of {item_list(items)} ({which}): {accepted} accepted, {refused} throttled again"


def batch_entries(
    events: Sequence[Mapping[str, Any]], retries: Sequence[Retry] = (), label: str = ""
) -> list[tuple[float, str]]:
    """(time, line) of one batch, in time order: a line per event and per SDK retry that wrote
    (one throttled again in full is the event's own "throttled write ... attempt 2" line), except
    that more than `WRITE_LINES` throttled writes, or SDK retries, are one line each for the
    batch, at the time of the last. `label` (a chain's stage) follows the time on every line."""
    throttled = [event for event in events if event["kind"] == "write_throttled"]
    summed = len(throttled) > WRITE_LINES
    # (time, a retry before the events of its time, words): an accepted retry reads before what follows it.
    timed: list[tuple[float, int, str]] = [
        (event["t"], 1, describe_event(event))
        for event in events
        if not summed or event["kind"] != "write_throttled"
    ]
    if summed:
        timed.append((throttled[-1]["t"], 1, throttled_words(throttled)))
    if len(retries) > WRITE_LINES:
        timed.append((retries[-1][0], 0, retries_words(retries)))
    else:
        timed.extend((retry[0], 0, retry_words(retry)) for retry in retries if retry[5] < len(retry[2]))
    # Stable: the events keep their order.
    timed.sort(key=lambda entry: entry[:2])
    return [(t, log_text(t, words, label)) for t, _, words in timed]


def batch_lines(events: Sequence[Mapping[str, Any]], retries: Sequence[Retry] = ()) -> list[str]:
    """The log lines of one batch of a single run (`batch_entries` without the times)."""
    return [line for _, line in batch_entries(events, retries)]


def throttled_words(events: Sequence[Mapping[str, Any]]) -> str:
    """'throttled writes: 37 in 25 invocations since 00:00.3 (…Exception): 30 to be retried by the
    SDK, 7 invocations failed (the SDK gave up)'."""
    writes = sum(len(event["items"]) for event in events)
    invocations = len({event["invocation"] for event in events})
    gave_up = sum(1 for event in events if "retry_at" not in event)
    retried = sum(len(event["items"]) for event in events if "retry_at" in event)
    head = (
        f"throttled writes: {writes:,} in {invocations:,} invocations since "
        f"{format_time(events[0]['t'])} ({events[0]['error']})"
    )
    then = [f"{retried:,} to be retried by the SDK"]
    if gave_up:
        then.append(f"{gave_up:,} invocations failed (the SDK gave up)")
    return f"{head}: {', '.join(then)}"


def retries_words(retries: Sequence[Retry]) -> str:
    """'SDK retries: 30 writes tried again since 00:00.4: 24 accepted, 6 throttled again'."""
    writes = sum(len(retry[2]) for retry in retries)
    refused = sum(retry[5] for retry in retries)
    return (
        f"SDK retries: {writes:,} writes tried again since {format_time(retries[0][0])}: "
        f"{writes - refused:,} accepted, {refused:,} throttled again"
    )


def wrap_row(line: str, width: int) -> list[str]:
    if width < MIN_WRAP_WIDTH or len(line) <= width:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent=INDENT, break_on_hyphens=False) or [line]


class EventLog(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"event-log--time", "event-log--placeholder"}
    # Rows are cut to the width: no sideways scrolling, whose scrollbar would take a row and
    # move the end of the log. The vertical scrollbar's column is kept from the start: rows are
    # wrapped at the width they draw in, which would otherwise narrow, cutting letters off the
    # rows already wrapped, when the log grows past its height.
    DEFAULT_CSS = """
    EventLog {
        overflow-x: hidden;
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, max_lines: int = 200, placeholder: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_lines = max_lines
        # Shown while the log is empty, so a paused pane says how to start it.
        self.placeholder = placeholder
        self._lines: list[str] = []
        self._wrapped: list[list[str]] = []  # the rows of each line at `_wrap_width`
        self._rows: list[str] = []
        self._wrap_width = 0
        self._strips: dict[tuple[str, int], Strip] = {}
        self._styles: tuple[Style, Style] | None = None

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    def clear(self) -> None:
        self._lines.clear()
        self._wrapped.clear()
        self._rows.clear()
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def write_lines(self, lines: Iterable[str]) -> None:
        """Add lines at the end (one repaint for the whole batch); the oldest go past the cap."""
        following = self.scroll_y >= self.max_scroll_y
        new = list(lines)
        width = self._wrap_width
        self._lines.extend(new)
        self._wrapped.extend(wrap_row(line, width) for line in new)
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
            del self._wrapped[:excess]
        self._rows = [row for rows in self._wrapped for row in rows]
        self._resize_and_follow(following)

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._wrap_width:
            following = self.scroll_y >= self.max_scroll_y
            self._wrap_width = width
            self._wrapped = [wrap_row(line, width) for line in self._lines]
            self._rows = [row for rows in self._wrapped for row in rows]
            self._resize_and_follow(following)

    def _resize_and_follow(self, following: bool) -> None:
        # Rows never scroll sideways: the virtual width is nominal, and steady as scrollbars come and go.
        self.virtual_size = Size(1, len(self._rows))
        if following:
            self._scroll_to_end()
            # Scrollbars come and go with the next layout, moving the end: go there again after it.
            self.call_after_refresh(self._scroll_to_end)
        self.refresh()

    def _scroll_to_end(self) -> None:
        # Forced: a log that has just grown has no scrollbar yet to scroll with.
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._styles is None:
            base = self.rich_style
            self._styles = (base, base + self.get_component_rich_style("event-log--time", partial=True))
        base, time_style = self._styles
        index = self.scroll_offset.y + y
        if index >= len(self._rows):
            if index == 0 and self.placeholder:
                muted = base + self.get_component_rich_style("event-log--placeholder", partial=True)
                return Strip([Segment(self.placeholder[:width], muted)]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        row = self._rows[index]
        # Rows never change once written and the log scrolls by a few rows a batch: most were
        # drawn before, so their strips are kept (per width; cleared when the style changes).
        key = (row, width)
        strip = self._strips.get(key)
        if strip is None:
            cut = row[:width]
            segments = [Segment(cut[:TIME_COLUMNS], time_style), Segment(cut[TIME_COLUMNS:], base)]
            strip = Strip(segments).extend_cell_length(width, base)
            if len(self._strips) > 4 * self.max_lines:
                self._strips.clear()
            self._strips[key] = strip
        return strip
