"""Work-arounds for Textual bugs a learner can reach; every app of ours calls `apply()` first.

Each names the Textual version it was found in (textual is pinned below 9 in pyproject) and
what the learner would otherwise see.
"""

from __future__ import annotations

from textual import events
from textual.command import CommandList, CommandPalette
from textual.widget import Widget


def _page_only_when_laid_out() -> None:
    """Textual 8.2's option list pages by its laid-out lines; in the command palette, page up or
    down pressed before the list is first drawn (ctrl+p, then at once page down) raised KeyError
    and closed the app with a traceback. A page key then does nothing instead, as on an empty list.
    """
    move_page = CommandList._move_page

    def guarded(self: CommandList, direction) -> None:
        if self._lines and (self.highlighted or 0) in self._index_to_line:
            move_page(self, direction)

    CommandList._move_page = guarded  # type: ignore[method-assign]


def _palette_timers_only_while_its_list_is_there() -> None:
    """Textual 8.2's command palette shows "No matches found" (and its busy spinner) from timers
    that query its list. When the palette closed in the instant after such a timer fired, its
    list was already gone: NoMatches, and the app closed with a traceback (CI hit it in the
    app-wide key walk). A timer that finds the list gone now does nothing; the palette is closing.
    """
    set_timer = CommandPalette.set_timer

    def guarded(self: CommandPalette, delay, callback=None, **kwargs):
        if callback is None:
            return set_timer(self, delay, **kwargs)

        def only_while_listed():
            if self.query(CommandList):
                return callback()
            return None

        return set_timer(self, delay, only_while_listed, **kwargs)

    CommandPalette.set_timer = guarded  # type: ignore[method-assign]


def _no_mount_for_a_widget_already_leaving() -> None:
    """In Textual 8.2 a screen closed while it is still composing (opened and closed by two quick
    keys, or by a timer) loses its children first and then still runs its mount, resume, show and
    resize handlers, which look for those children: NoMatches, and the app closed with a
    traceback. A widget already being removed now skips them; there is nothing left to set up or
    draw. Unmount, and everything else, still reaches it.
    """
    dispatch = Widget._dispatch_message
    setting_up = (events.Mount, events.ScreenResume, events.Show, events.Resize)

    async def guarded(self: Widget, message):
        if self._pruning and type(message) in setting_up:
            return None
        return await dispatch(self, message)

    Widget._dispatch_message = guarded  # type: ignore[method-assign]


_applied = False


def apply() -> None:
    """Once per process, however many apps start (tests start hundreds)."""
    global _applied
    if not _applied:
        _applied = True
        _page_only_when_laid_out()
        _palette_timers_only_while_its_list_is_there()
        _no_mount_for_a_widget_already_leaving()
