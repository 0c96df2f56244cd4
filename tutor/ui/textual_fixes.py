"""Work-arounds for Textual bugs a learner can reach; every app of ours calls `apply()` first.

Each names the Textual version it was found in (pyproject pins Textual exactly, and
tests/test_textual_patches.py checks that what is patched here still has the shape it had) and
what the learner would otherwise see. Each replacement wraps Textual's own function with
`functools.wraps`, so `inspect.unwrap` finds the original.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, cast

from textual import events, work
from textual._widget_navigation import Direction
from textual.command import CommandList, CommandPalette
from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer, TimerCallback
from textual.widget import Widget
from textual.widgets import OptionList


def _page_only_when_laid_out() -> None:
    """Textual 8.2's option list pages by its laid-out lines; in the command palette, page up or
    down pressed before the list is first drawn (ctrl+p, then at once page down) raised KeyError
    and closed the app with a traceback. A page key then does nothing instead, as on an empty list.
    """
    move_page = CommandList._move_page

    @functools.wraps(move_page)
    def guarded(self: OptionList, direction: Direction) -> None:
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

    @functools.wraps(set_timer)
    def guarded(
        self: MessagePump,
        delay: float,
        callback: TimerCallback | None = None,
        *,
        name: str | None = None,
        pause: bool = False,
    ) -> Timer:
        if callback is None:
            return set_timer(self, delay, name=name, pause=pause)
        call = callback

        palette = cast(CommandPalette, self)  # patched on CommandPalette only

        def only_while_listed() -> Any:
            if palette.query(CommandList):
                return call()
            return None

        return set_timer(self, delay, only_while_listed, name=name, pause=pause)

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

    @functools.wraps(dispatch)
    async def guarded(self: MessagePump, message: Message) -> None:
        if cast(Widget, self)._pruning and type(message) in setting_up:
            return
        await dispatch(self, message)

    Widget._dispatch_message = guarded  # type: ignore[method-assign]


def _palette_still_open(palette: CommandPalette) -> bool:
    """A closing palette leaves the screen stack first and loses its children next, while its
    worker, watchers and queued messages go on until it is unmounted."""
    return not palette._pruning and palette in palette.app.screen_stack and bool(palette.query(CommandList))


def _palette_still_in_front(palette: CommandPalette) -> bool:
    # `Screen.dismiss` pops whichever screen is in front, so a palette behind another may not.
    return palette.app.screen is palette and _palette_still_open(palette)


def _only_while(still: Callable[[CommandPalette], bool], method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def guarded_coroutine(self: CommandPalette, *args: Any, **kwargs: Any) -> Any:
            if still(self):
                return await method(self, *args, **kwargs)
            return None

        return guarded_coroutine

    @functools.wraps(method)
    def guarded(self: CommandPalette, *args: Any, **kwargs: Any) -> Any:
        if still(self):
            return method(self, *args, **kwargs)
        return None

    return guarded


# Every CommandPalette method of Textual 8.2 that looks up the palette's children or the screen
# under it, bar the timers (guarded above), with what must still hold when it runs.
PALETTE_GUARDS: dict[str, Callable[[CommandPalette], bool]] = {
    "_on_mount": _palette_still_open,
    "_watch__list_visible": _palette_still_open,
    "_watch__show_busy": _palette_still_open,
    "_action_command_list": _palette_still_open,
    "_action_cursor_down": _palette_still_open,
    "_select_command": _palette_still_in_front,
    "_select_or_command": _palette_still_in_front,
}


def _palette_acts_only_while_open() -> None:
    """Textual 8.2's command palette keeps working after it starts to close: its search worker
    runs until the palette is unmounted, which comes after its children are removed, and a result
    that arrives in between shows the list through the `_list_visible` watcher, which queries the
    list: NoMatches, and the app closed with a traceback (the lab's key walk hit it about half the
    time, with the palette opened and closed within a frame). Likewise a palette closed before its
    Mount ran took a wrong screen as the one it was opened over (IndexError on the last screen),
    and an Enter still queued when it closed dismissed the screen in front instead of the palette
    (ScreenStackError on the last screen). The worker, the watchers and the key and message
    handlers now do nothing once the palette has left the screen stack or lost its children.
    """
    replaced: dict[Callable[..., Any], Callable[..., Any]] = {}
    for name, still in PALETTE_GUARDS.items():
        original = CommandPalette.__dict__[name]
        replaced[original] = _only_while(still, original)
        setattr(CommandPalette, name, replaced[original])
    # Dispatch calls `@on` handlers from this table, filled when the class was made.
    for entries in CommandPalette.__dict__["_decorated_handlers"].values():
        entries[:] = [(replaced.get(method, method), selectors) for method, selectors in entries]

    # Guarded inside `@work`, so the check runs when the worker starts, not when it is asked for.
    search = CommandPalette._gather_commands.__wrapped__  # type: ignore[attr-defined]
    CommandPalette._gather_commands = work(  # type: ignore[method-assign]
        exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP
    )(_only_while(_palette_still_open, search))


class _Applied:
    """Whether `apply` has run in this process."""

    done = False


def apply() -> None:
    """Once per process, however many apps start (tests start hundreds)."""
    if not _Applied.done:
        _Applied.done = True
        _page_only_when_laid_out()
        _palette_timers_only_while_its_list_is_there()
        _no_mount_for_a_widget_already_leaving()
        _palette_acts_only_while_open()
