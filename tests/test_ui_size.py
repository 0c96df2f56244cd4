"""Below 80x24 the app shows one clear message instead of a broken layout, and recovers when it grows."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import screen_text, wait_for_text

from tutor.sim.scenario import load_scenario
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.screens.course_map import CourseMapScreen
from tutor.ui.screens.lab import LabScreen
from tutor.ui.screens.lesson import LessonScreen
from tutor.ui.screens.too_small import TooSmallScreen
from tutor.ui.screens.watch import WatchScreen

UI_PACK = Path(__file__).parent / "data" / "ui-pack"


@pytest.fixture(autouse=True)
def ui_pack(monkeypatch):
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)


async def test_starting_too_small_shows_only_the_message_until_the_terminal_grows():
    app = LambdaTutorApp()
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        text = screen_text(app)
        assert "terminal too small: need 80x24 (now 70x20)" in text
        assert "lessons read" not in text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(app.screen, CourseMapScreen)
        assert "lessons read" in screen_text(app)


async def test_shrinking_a_lesson_shows_the_message_blocks_keys_and_growing_returns_to_it():
    app = LambdaTutorApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-long")
        await pilot.pause()
        await pilot.resize_terminal(100, 23)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "terminal too small: need 80x24 (now 100x23)" in screen_text(app)

        await pilot.resize_terminal(79, 40)
        # the message follows the size
        await wait_for_text(pilot, "(now 79x40)")

        await pilot.press("f1", "question_mark", "ctrl+p", "n", "b", "escape")
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen), "nothing opens behind the message"

        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "ui-long"
        assert "A lesson longer than the screen" in screen_text(app)


async def test_the_lab_started_below_the_floor_opens_once_the_terminal_grows_and_leads_back_to_the_map():
    app = LambdaTutorApp(start=Start.lab())
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "terminal too small: need 80x24 (now 70x20)" in screen_text(app)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_simulate_watch_has_the_same_floor_and_only_quitting_works_below_it():
    app = LambdaTutorApp(start=Start.watch(load_scenario("sqs-lambda"), "sqs-lambda"))
    async with app.run_test(size=(100, 23)) as pilot:
        await wait_for_text(pilot, "terminal too small: need 80x24 (now 100x23)")
        await pilot.press("f1", "ctrl+p", "escape")
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen) and app.is_running
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert isinstance(app.screen, WatchScreen)
        assert "sqs-lambda" in screen_text(app)


async def test_the_simulation_sits_beside_the_text_when_wide_and_below_when_narrow():
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-queue")
        await pilot.pause()
        slot = app.screen.query_one("#simulation-slot")
        text = app.screen.query_one("#lesson-scroll")
        assert slot.region.width > 0 and slot.region.x >= text.region.right
        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        assert slot.region.width > 0 and slot.region.y >= text.region.bottom


async def test_a_lesson_without_a_scenario_gives_the_text_the_whole_width():
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-short")
        await pilot.pause()
        assert not app.screen.query("#simulation-slot")
        assert app.screen.query_one("#lesson-scroll").region.width == 120


async def test_in_a_browser_the_message_speaks_of_the_window_and_how_to_make_room():
    # A learner in a browser has no terminal to resize: they widen the window or zoom out.
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(75, 18)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        text = " ".join(screen_text(app).split())
        assert "terminal" not in text
        assert "window too small: need 80x24 characters (now 75x18)" in text
        assert "zoom out" in text
