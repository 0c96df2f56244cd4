"""Lines of a simulation pane (diagram, counters, charts) drawn cheaply enough to redraw ten times a second.

A `Static` re-lays out and re-renders its whole text on every update. Here a tick changes a few
numbers in a few lines: only the lines that changed are redrawn, each line is styled once (box
lines in the theme's primary colour, sparklines in its secondary colour, numbers in bold, "✗ 3
failed" and "✓ 5 succeeded" in the error and success colours) and the height changes only when
the number of lines does. Lines are wrapped by the caller; anything wider is cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

# (pattern, component class): later patterns win where they overlap.
SPANS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[╭╮╰╯─│▶▼░]+"), "text-block--frame"),
    (re.compile(r"[▁▂▃▄▅▆▇█]+"), "text-block--bars"),
    (re.compile(r"\d[\d,.]*"), "text-block--number"),
    (re.compile(r"✗ (?:[1-9][\d,]* (?:failed|throttled writes)|blocked[^·\n]*)"), "text-block--bad"),
    (re.compile(r"✓ (?:[1-9][\d,]* succeeded|moving)"), "text-block--good"),
)


class TextBlock(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {name for _, name in SPANS}
    DEFAULT_CSS = """
    TextBlock {
        height: auto;
    }
    TextBlock > .text-block--frame { color: $primary; }
    TextBlock > .text-block--bars { color: $secondary; }
    TextBlock > .text-block--number { text-style: bold; }
    TextBlock > .text-block--bad { color: $text-error; }
    TextBlock > .text-block--good { color: $text-success; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lines: list[str] = []
        self._strips: dict[tuple[str, int], Strip] = {}
        self._styles: tuple[Style, dict[str, Style]] | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def set_lines(self, lines: Sequence[str]) -> None:
        """Show these lines; only the ones that changed are redrawn."""
        lines = list(lines)
        old = self.lines
        if lines == old:
            return
        self.lines = lines
        if len(lines) != len(old):
            self.refresh(layout=True)
            return
        width = self.size.width
        changed = [
            Region(0, y, width, 1) for y, (new, was) in enumerate(zip(lines, old, strict=True)) if new != was
        ]
        self.refresh(*changed)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((len(line) for line in self.lines), default=0)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._styles is None:
            base = self.rich_style
            self._styles = (
                base,
                {name: base + self.get_component_rich_style(name, partial=True) for _, name in SPANS},
            )
        base, styles = self._styles
        if y >= len(self.lines):
            return Strip.blank(width, base)
        line = self.lines[y][:width]
        key = (line, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = Strip(self._segments(line, base, styles)).extend_cell_length(width, base)
            if len(self._strips) > 200:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    @staticmethod
    def _segments(line: str, base: Style, styles: dict[str, Style]) -> list[Segment]:
        owner: list[str | None] = [None] * len(line)
        for pattern, name in SPANS:
            for match in pattern.finditer(line):
                owner[match.start() : match.end()] = [name] * (match.end() - match.start())
        segments: list[Segment] = []
        start = 0
        for index in range(1, len(line) + 1):
            if index == len(line) or owner[index] != owner[start]:
                span = owner[start]
                segments.append(Segment(line[start:index], styles[span] if span else base))
                start = index
        return segments
