"""The masthead at the smallest size: a place too long for the bar is cut, and kept apart from the right."""

import re

from conftest import screen_text

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp

LOADED = load_course()
COURSE = LOADED[0]


def top_row(app: LambdaTutorApp) -> str:
    return screen_text(app).splitlines()[0]


async def test_a_long_place_is_cut_two_spaces_before_the_progress_at_80x24():
    # A lesson of the first module: its module title and lesson title are far too long for 80 columns.
    lesson = COURSE.lessons[COURSE.modules[0].lesson_ids[4]]
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.open_screen("lesson", lesson_id=lesson.id)
        await pilot.pause()
        row = top_row(app)
        assert "…" in row, "the place is cut"
        assert re.search(r"…  +lesson \d+ / \d+ · ", row), row


async def test_an_exercise_title_is_cut_two_spaces_before_its_state_at_80x24():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.open_screen("exercise", exercise_id="sync-estimate-concurrency")
        await pilot.pause()
        row = top_row(app)
        assert re.search(r"…  +○ not yet · 0 attempts *$", row), row
