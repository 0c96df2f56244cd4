"""Shown instead of any layout while the terminal is below the app's floor."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 24


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def message(size: Size, *, in_browser: bool = False) -> str:
    if in_browser:
        # A browser's learner has no terminal to resize; the page's font is already at its smallest.
        return (
            f"window too small: need {MIN_WIDTH}x{MIN_HEIGHT} characters (now {size.width}x{size.height}). "
            "Widen the browser window or zoom out (ctrl and minus)."
        )
    return f"terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT} (now {size.width}x{size.height})"


class TooSmallScreen(Screen):
    def __init__(self, size: Size, *, in_browser: bool = False) -> None:
        super().__init__()
        self._size = size
        self._in_browser = in_browser

    def compose(self) -> ComposeResult:
        yield Static(message(self._size, in_browser=self._in_browser), id="too-small-message", markup=False)

    def show_size(self, size: Size) -> None:
        self._size = size
        if self.is_mounted:
            self.query_one("#too-small-message", Static).update(message(size, in_browser=self._in_browser))
