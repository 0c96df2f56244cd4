"""What the app remembers and shows: lessons read at their end, quiz marks, theme, store and content
trouble."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.events import MouseScrollDown

from conftest import screen_text, wait_for_text

from tutor.locations import database_path
from tutor.progress.store import QuestionResult, open_store
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.course_map import CourseMapScreen, CourseTree
from tutor.ui.screens.lesson import LessonScreen
from tutor.ui.screens.problems import ProblemsScreen

UI_PACK = Path(__file__).parent / "data" / "ui-pack"


@pytest.fixture(autouse=True)
def ui_pack(monkeypatch):
    """A small frozen course, so these checks do not move with the real lessons."""
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)


def tree_line(app: LambdaTutorApp, title: str) -> str:
    region = app.screen.query_one(CourseTree).region
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    lines = [row[region.x : region.right] for row in rows if title in row[region.x : region.right]]
    assert lines, f"{title!r} is not on the course map"
    return lines[0]


def read_ids(profile: str = "default") -> set[str]:
    with open_store() as store:
        return store.read_lessons(profile)


async def test_a_long_lesson_counts_as_read_only_when_the_learner_reaches_its_end():
    app = LambdaTutorApp()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await app.open_screen("lesson", lesson_id="ui-long")
        await wait_for_text(pilot, "○ not started")
        await pilot.press("pagedown")
        assert "ui-long" not in read_ids()
        await pilot.press("end")
        await pilot.pause()
        assert "ui-long" in read_ids()
        text = screen_text(app)
        assert "✓ read" in text
        assert "Counted as read" in text
        await pilot.press("b")
        assert isinstance(app.screen, CourseMapScreen)
        assert "✓ read" in tree_line(app, "A lesson longer than the screen")
        assert "○ not started" in tree_line(app, "A lesson that fits on one screen")
        assert "1 / 3 lessons read · 33 %" in screen_text(app)


async def test_scrolling_to_the_bottom_with_the_mouse_wheel_also_counts():
    app = LambdaTutorApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-long")
        await pilot.pause()
        scroll = app.screen.query_one("#lesson-scroll")
        for _ in range(200):
            if scroll.scroll_y >= scroll.max_scroll_y:
                break
            assert "ui-long" not in read_ids()
            scroll.post_message(MouseScrollDown(scroll, 5, 5, 0, 1, 0, False, False, False))
            await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y > 0
        assert "ui-long" in read_ids()


async def test_a_lesson_that_fits_on_screen_counts_at_once():
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-short")
        await pilot.pause()
        assert "ui-short" in read_ids()
        assert app.screen.query_one("#lesson-scroll").max_scroll_y == 0


async def test_objectives_and_sources_are_shown_unless_the_lesson_lists_them_itself():
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-short")
        await wait_for_text(pilot, "In this lesson you learn to")
        assert "invocation-sync.html" in screen_text(app)
        await app.open_screen("lesson", lesson_id="ui-long")
        await pilot.pause()
        # ui-long ends with its own "## Sources": that list is shown once, one URL a line, and
        # not also in the text.
        assert len(app.screen.query("#lesson-sources")) == 1
        assert "## Sources" not in app.screen.query_one("#lesson-body").source


async def test_modules_show_their_quiz_state_in_words():
    with open_store() as store:
        passed = [QuestionResult(f"q{n}", 1, 1, True) for n in range(4)] + [QuestionResult("q9", 0, 1, False)]
        store.record_quiz_attempt("default", "basics", passed, datetime(2026, 1, 1, tzinfo=UTC))
        store.record_quiz_attempt(
            "default", "scaling", [QuestionResult("q3", 1, 1, True)], datetime(2026, 1, 1, tzinfo=UTC)
        )
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "✓ quiz passed" in tree_line(app, "Basics: who waits for whom")
        assert "★ perfect" in tree_line(app, "Scaling with a queue")


async def test_a_failed_quiz_is_marked_as_not_passed():
    with open_store() as store:
        store.record_quiz_attempt(
            "default", "basics", [QuestionResult("q1", 1, 2, False)], datetime(2026, 1, 1, tzinfo=UTC)
        )
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "✗ quiz 50 %, pass at 80 %" in tree_line(app, "Basics: who waits for whom")


async def test_the_theme_is_remembered_per_profile_across_restarts():
    app = LambdaTutorApp(profile="ann")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme != "nord"
        app.theme = "nord"
        await pilot.pause()

    app = LambdaTutorApp(profile="ann")
    async with app.run_test(size=(80, 24)):
        assert app.theme == "nord"

    app = LambdaTutorApp(profile="bob")
    async with app.run_test(size=(80, 24)):
        assert app.theme != "nord"


async def test_progress_is_per_profile():
    app = LambdaTutorApp(profile="ann")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_screen("lesson", lesson_id="ui-short")
        await pilot.pause()
    assert read_ids("ann") == {"ui-short"}
    assert read_ids("bob") == set()


async def test_a_damaged_store_is_reported_and_the_app_carries_on():
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CourseMapScreen)
        assert "moved to" in screen_text(app)


async def test_problems_in_a_pack_are_listed_and_the_course_still_opens(tmp_path):
    pack = tmp_path / "broken-pack"
    pack.mkdir()
    (pack / "course.toml").write_text("format_version = 1\n[[modules]]\nid = 'Bad Id'\ntitle = 'x'\n")
    app = LambdaTutorApp(extra_packs=[pack])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)
        text = screen_text(app)
        assert "course.toml" in text and "id" in text
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)
        assert "A lesson that fits on one screen" in screen_text(app)


async def test_a_failed_write_is_shown_not_swallowed(monkeypatch):
    from tutor.progress.store import ProgressError

    app = LambdaTutorApp()

    def refuse(*args):
        raise ProgressError("could not save progress (lesson read) to progress.sqlite3: disk I/O error")

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        monkeypatch.setattr(app.store, "mark_read", refuse)
        await app.open_screen("lesson", lesson_id="ui-short")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert "disk I/O error" in screen_text(app)
        assert "○ not started" in screen_text(app)
