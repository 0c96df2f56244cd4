"""Textual's Footer, rebuilt only when the keys on show change, and cut to fit with Help always in it."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

# Whatever else is cut, the key that explains all the others stays, and so does the way out.
KEPT_ACTIONS = {"help", "app.help"}
KEPT_KEYS = {"escape"}


def key_width(key: FooterKey) -> int:
    """Cells a key takes in the footer: ' k ' then 'description ' (Textual's non-compact style)."""
    width = cell_len(key.key_display) + 2
    return width + cell_len(key.description) + 1 if key.description else width


def fitting(keys: list[FooterKey], room: int) -> list[FooterKey]:
    """The keys that fit in `room` cells, dropping from the end (the outermost screen's keys go
    first, the focused widget's stay) but never the help key or escape."""
    kept = list(keys)
    while kept and sum(key_width(key) for key in kept) > room:
        droppable = [
            index
            for index, key in enumerate(kept)
            if key.action not in KEPT_ACTIONS and key.key not in KEPT_KEYS
        ]
        if not droppable:
            break
        del kept[droppable[-1]]
    return kept


class Footer(TextualFooter):
    """Textual's Footer rebuilds all its keys on every binding change, and lets keys that do not
    fit fall off the right edge, Help (the last, app-wide key) first.

    Opening the course map changes bindings a dozen times before the first frame (focus, the tree's
    cursor, the progress refresh), and each rebuild restyles every key: about a fifth of the time
    to first frame here. Here a change that leaves the keys on show as they were rebuilds nothing.
    At 80 columns a lesson whose pane has the keyboard, or the lab with a fault on, has more keys
    than room; the ones that do not fit are left out whole, so F1 (which lists them all) always
    shows.
    """

    _composed_for: tuple | None = None  # what the keys on show were built from

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's own method (`_bindings_ready` is its flag that lets compose show keys at all;
        # textual is pinned below 9 in pyproject), but the rebuild it queues is skipped when the
        # keys would come out the same: most of a burst's changes change nothing on show.
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._rebuild)

    def _shown(self) -> tuple:
        """What decides the keys on show: the width, and each binding's key, words and state."""
        return (
            self.app.size.width,
            tuple(
                (key, active.binding.description, active.binding.show, active.enabled)
                for key, active in self.screen.active_bindings.items()
            ),
        )

    async def _rebuild(self) -> None:
        if self.is_attached and self._shown() != self._composed_for:
            await self.recompose()

    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
        keys = [
            widget
            for widget in widgets
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette")
        ]
        others = [widget for widget in widgets if widget not in keys]
        # The footer spans the screen; its own size is not known before the first layout.
        self._composed_for = self._shown() if self._bindings_ready else None
        width = self.app.size.width
        palette = sum(key_width(widget) + 1 for widget in others if isinstance(widget, FooterKey))
        kept = set(map(id, fitting(keys, width - palette)))
        yield from (widget for widget in widgets if widget in others or id(widget) in kept)

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self._rebuild)
