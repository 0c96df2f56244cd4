"""The command palette closed at any instant while it opens, searches or runs a command leaves the
app running on the screen it was opened over.

Textual 8.2's palette goes on working after it leaves the screen stack (tutor/ui/textual_fixes.py
says how); each test closes it from outside, as a screen change does, after every tick count up to
where its work is done, since the crash needs the close to land inside a window a few ticks wide.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets import Static

from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.course_map import CourseMapScreen
from tutor.ui.textual_fixes import apply as apply_textual_fixes

UI_PACK = Path(__file__).parent / "data" / "ui-pack"
# Each sweep reaches past the ticks the palette needs to finish what the close interrupts.
TICKS = range(40)


@pytest.fixture(autouse=True)
def ui_pack(monkeypatch):
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)


class HeldSearch(Provider):
    """A search whose one result arrives when the test opens the gate: a slow provider."""

    gate: ClassVar[asyncio.Event]

    async def discover(self) -> Hits:
        await self.gate.wait()
        yield DiscoveryHit("Ring the bell", self.app.bell)

    async def search(self, query: str) -> Hits:
        await self.gate.wait()
        yield Hit(1.0, "Ring the bell", self.app.bell)


class HeldSearchApp(LambdaTutorApp):
    COMMANDS: ClassVar[set] = {HeldSearch}


async def ticks(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def settle_on_the_map(pilot, when: str) -> None:
    await pilot.pause(0.1)
    assert pilot.app.is_running, f"the app closed: palette closed {when}"
    assert isinstance(pilot.app.screen, CourseMapScreen), when


async def test_a_search_result_arriving_as_the_palette_closes_leaves_the_app_on_the_map():
    """The crash of the lab's key walk: the result shows the list of a palette already emptied."""
    app = HeldSearchApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for count in TICKS:
            HeldSearch.gate = asyncio.Event()
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            app.pop_screen()
            await ticks(count)
            HeldSearch.gate.set()
            await settle_on_the_map(pilot, f"{count} ticks before its search found something")


class OneScreenApp(App[None]):
    """Our apps keep a screen under theirs, where Textual's own first screen is the only one."""

    def __init__(self) -> None:
        apply_textual_fixes()
        super().__init__()

    def compose(self) -> ComposeResult:
        yield Static("The only screen")


async def test_a_palette_closed_before_it_has_opened_leaves_the_app_on_its_screen():
    """Closed before its set-up ran, the palette looked under itself for a screen (IndexError)."""
    app = OneScreenApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for count in TICKS:
            app.post_message(events.Key("ctrl+p", None))
            await ticks(count)
            if isinstance(app.screen, CommandPalette):
                app.pop_screen()
            await pilot.pause(0.1)
            if isinstance(app.screen, CommandPalette):  # too soon: the key opened it after
                await pilot.press("escape")
            assert app.is_running, f"the app closed: palette closed {count} ticks after ctrl+p"
            assert app.screen is app.screen_stack[0], f"{count} ticks after ctrl+p"
            assert "The only screen" in str(app.screen.query_one(Static).render())


async def test_enter_in_a_palette_closing_under_it_leaves_the_app_on_the_map():
    """Enter picks a command and closes the palette; closed already, it must not close the map."""
    app = LambdaTutorApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for count in TICKS:
            await pilot.press("ctrl+p")
            await pilot.pause(0.3)  # the list is drawn: Enter picks its first command
            app.post_message(events.Key("enter", "\r"))
            await ticks(count)
            if isinstance(app.screen, CommandPalette):
                app.pop_screen()
            await pilot.pause(0.1)
            assert app.is_running, f"the app closed: palette closed {count} ticks after enter"
            # The first command opens a lesson; going home is the learner's next step.
            await app.go_home()
            await settle_on_the_map(pilot, f"{count} ticks after enter")
