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


def message(size: Size) -> str:
    return f"terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT} (now {size.width}x{size.height})"


class TooSmallScreen(Screen):
    def __init__(self, size: Size) -> None:
        super().__init__()
        self._size = size

    def compose(self) -> ComposeResult:
        yield Static(message(self._size), id="too-small-message", markup=False)

    def show_size(self, size: Size) -> None:
        self._size = size
        if self.is_mounted:
            self.query_one("#too-small-message", Static).update(message(size))
