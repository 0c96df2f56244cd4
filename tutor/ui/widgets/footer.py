"""Textual's Footer, rebuilt once per burst of binding changes instead of once per change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """Textual's Footer queues a full rebuild of its keys for every binding change.

    Opening the course map changes bindings a dozen times before the first frame (focus, the tree's
    cursor, the progress refresh), and each rebuild restyles every key: about a fifth of the time
    to first frame here. One rebuild after the burst shows the same keys.
    """

    _rebuild_queued = False

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's own method, but queuing at most one rebuild (`_bindings_ready` is Textual's
        # flag that lets compose show keys at all; textual is pinned below 9 in pyproject).
        self._bindings_ready = True
        if self._rebuild_queued or not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        await self.recompose()
