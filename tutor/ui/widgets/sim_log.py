"""The event log of a simulation pane: plain-words lines, written in batches, capped, following the end.

Textual's `Log` stops following the end once a long line brings in a horizontal scrollbar, and
its render cache can show stale rows after it prunes old lines; this one keeps only what the pane
needs: lines that fit the width (the pane wraps them before writing), a cap, and a view that
stays at the end while the learner has not scrolled up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tutor.ui.widgets.sim_diagram import TIME_COLUMNS


class EventLog(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"event-log--time"}
    # Lines are cut to the width (the pane wraps them before writing): no sideways scrolling,
    # whose scrollbar would take a row and move the end of the log.
    DEFAULT_CSS = """
    EventLog {
        overflow-x: hidden;
    }
    """

    def __init__(self, max_lines: int = 200, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_lines = max_lines
        self._lines: list[str] = []

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    def clear(self) -> None:
        self._lines.clear()
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def write_lines(self, lines: Iterable[str]) -> None:
        """Add lines at the end (one repaint for the whole batch); the oldest go past the cap."""
        following = self.scroll_y >= self.max_scroll_y
        self._lines.extend(lines)
        if len(self._lines) > self.max_lines:
            del self._lines[:len(self._lines) - self.max_lines]
        # Lines never scroll sideways: the virtual width is nominal, and steady as scrollbars come and go.
        self.virtual_size = Size(1, len(self._lines))
        if following:
            self._scroll_to_end()
            # Scrollbars come and go with the next layout, moving the end: go there again after it.
            self.call_after_refresh(self._scroll_to_end)
        self.refresh()

    def _scroll_to_end(self) -> None:
        # Forced: a log that has just grown has no scrollbar yet to scroll with.
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        index = self.scroll_offset.y + y
        if index >= len(self._lines):
            return Strip.blank(width, base)
        line = self._lines[index][:width]
        time_style: Style = base + self.get_component_rich_style("event-log--time", partial=True)
        segments = [Segment(line[:TIME_COLUMNS], time_style), Segment(line[TIME_COLUMNS:], base)]
        return Strip(segments).extend_cell_length(width, base)
