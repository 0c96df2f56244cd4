"""The course map's bar and cursor: Continue keeps its label at every width, and the map keeps the
learner's place when they come back from a lesson, a quiz or the exercises."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import card_due, screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.course_map import CourseMapScreen, CourseTree, NodeRef

REAL = load_course()
COURSE = REAL[0]
# The longest title beside the button squeezes the bar hardest.
LONGEST = max(COURSE.lessons.values(), key=lambda lesson: len(lesson.title))


@pytest.mark.parametrize("width", [80, 100, 120, 200])
async def test_continue_keeps_its_whole_label_beside_the_longest_title_with_reviews_due(width):
    app = LambdaTutorApp(loaded=REAL)
    app.store.set_last_lesson(app.profile, LONGEST.id)
    for question in COURSE.questions[:2]:
        app.store.set_review_card(app.profile, question.id, card_due(date(2020, 1, 1)))
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        bar = screen_text(app).splitlines()[2]
        assert bar.lstrip().startswith("▶ Continue  "), f"the button's label is cut: {bar!r}"
        for place in ("z Quiz", "r Review · 2 due", "l Lab", "x Exercises", "s Services"):
            assert place in bar, f"{place!r} is cut from the bar at {width} columns: {bar!r}"


def cursor(app: LambdaTutorApp) -> NodeRef | None:
    node = app.screen.query_one(CourseTree).cursor_node
    return None if node is None else node.data


@pytest.mark.parametrize(("key", "screen"), [("enter", "lesson"), ("z", "quiz"), ("x", "exercises")])
async def test_the_map_keeps_its_cursor_when_the_learner_comes_back(key, screen):
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # A lesson of the third module, well below where the map opens.
        third = COURSE.modules[2]
        target = NodeRef("lesson", COURSE.lessons_in(third.id)[1].id)
        await pilot.press("down", "down", "space")  # fold the first module: the lines move
        for _ in range(40):
            if cursor(app) == target:
                break
            if cursor(app) == NodeRef("module", third.id):
                await pilot.press("space")
            await pilot.press("down")
        assert cursor(app) == target, f"the walk did not reach {target}: at {cursor(app)}"
        row_before = (
            screen_text(app)
            .splitlines()
            .index(
                next(
                    line
                    for line in screen_text(app).splitlines()
                    if COURSE.lesson(target.id).title[:30] in line
                )
            )
        )
        await pilot.press(key)
        await wait_until(
            pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == screen, f"the {screen} screen"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the map again")
        assert cursor(app) == target, f"back from the {screen}, the cursor is on {cursor(app)}"
        assert app.focused is app.screen.query_one(CourseTree), "the arrows no longer move the cursor"
        lines = screen_text(app).splitlines()
        assert COURSE.lesson(target.id).title[:30] in lines[row_before], "the map scrolled away"


async def test_help_over_the_map_names_search_the_glossary_and_continue_as_it_stands():
    app = LambdaTutorApp(loaded=REAL)
    app.store.set_last_lesson(app.profile, LONGEST.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "help", "help")
        await wait_for_text(pilot, "Reopen the lesson you were reading")
        shown = screen_text(app)
        assert "Reopen the lesson you were reading" in shown  # the toggle in its current state
        assert "Open the first lesson" not in shown
        assert " Glossary " in shown.splitlines()[-1]  # g, in the footer
        await pilot.press("end")  # the keys that work everywhere close the page
        await wait_for_text(pilot, "Search the course")
