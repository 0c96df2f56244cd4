"""Moving around the real course with the keyboard: lessons, next/previous, back, continue, help, palette."""

from __future__ import annotations

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.course_map import CourseMapScreen, CourseTree
from tutor.ui.screens.help import HelpScreen
from tutor.ui.screens.lesson import LessonScreen

SIZE = (100, 30)
LOADED = load_course()  # once for the module: each app below reuses it instead of reloading
COURSE = LOADED[0]
FIRST_MODULE = COURSE.modules[0]
FIRST_MODULE_LESSONS = COURSE.lessons_in(FIRST_MODULE.id)


def make_app() -> LambdaTutorApp:
    return LambdaTutorApp(loaded=LOADED)


def screen_text(app: LambdaTutorApp) -> str:
    """What the learner sees, as plain text."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return "\n".join("".join(strip.text for strip in row) for row in update.strips)


def footer_keys(app: LambdaTutorApp) -> set[str]:
    return {key for key, active in app.screen.active_bindings.items() if active.binding.show and active.enabled}


async def test_enter_opens_the_highlighted_lesson_and_b_or_escape_returns_to_the_map():
    app = LambdaTutorApp()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[0].id
        assert FIRST_MODULE_LESSONS[0].title in screen_text(app)
        await pilot.press("b")
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_next_and_previous_cross_module_boundaries_without_stacking_screens():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter", "n")
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[1].id
        await pilot.press("p")
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[0].id
        depth = len(app.screen_stack)

        await app.open_screen("lesson", lesson_id=FIRST_MODULE_LESSONS[-1].id)
        await pilot.press("n")
        second_module_first = COURSE.lessons_in(COURSE.modules[1].id)[0]
        assert app.screen.lesson.id == second_module_first.id
        assert COURSE.modules[1].title in screen_text(app)
        await pilot.press("p")
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[-1].id
        assert len(app.screen_stack) == depth, "next and previous replace the lesson, so back leads home"
        await pilot.press("b")
        assert isinstance(app.screen, CourseMapScreen)


async def test_the_footer_offers_only_the_moves_that_exist():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert {"c", "f1"} <= footer_keys(app)
        assert "n" not in footer_keys(app)
        await pilot.press("down", "enter")
        assert {"n", "b", "f1"} <= footer_keys(app)
        assert "p" not in footer_keys(app), "the first lesson has no previous one"
        assert "c" not in footer_keys(app)
        last = list(COURSE.lessons)[-1]
        await app.open_screen("lesson", lesson_id=last)
        await pilot.pause()
        assert "n" not in footer_keys(app), "the last lesson has no next one"
        await pilot.press("n")
        assert app.screen.lesson.id == last


async def test_continue_reopens_the_last_lesson_even_after_a_restart():
    third = FIRST_MODULE_LESSONS[2]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "down", "enter")
        assert app.screen.lesson.id == third.id
        await pilot.press("b", "c")
        assert app.screen.lesson.id == third.id

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "Continue" in screen_text(app) and third.title in screen_text(app)
        await pilot.click("#continue")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == third.id


async def test_before_any_lesson_the_button_starts_the_course():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "▶ Start" in screen_text(app)
        await pilot.press("c")
        assert app.screen.lesson.id == next(iter(COURSE.lessons))


async def test_f1_and_question_mark_open_help_about_the_current_screen():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Keys on this screen: Course map" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, CourseMapScreen), "? closes help again"

        await pilot.press("down", "enter", "f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Keys on this screen: Lesson" in text
        assert "Next" in text and "Back to map" in text
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_help_lists_every_screens_keys():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        markdown = app.screen.help_markdown()
        for heading in ("## Course map", "## Lesson", "## Everywhere", "How lambda-tutor works"):
            assert heading in markdown
        assert "`c`  Continue" in markdown and "`b` `esc`  Back to map" in markdown


async def test_palette_jumps_to_any_lesson_and_back_leads_home():
    target = COURSE.lessons_in(COURSE.modules[2].id)[1]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter", "ctrl+p")
        await pilot.press(*target.title)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == target.id
        await pilot.press("b")
        assert isinstance(app.screen, CourseMapScreen)


async def test_the_map_marks_every_lesson_and_module_in_words():
    app = make_app()
    async with app.run_test(size=SIZE):
        tree = app.screen.query_one(CourseTree)
        for module_node in tree.root.children:
            module_node.expand()
        text = screen_text(app)
        assert "○ not started" in text
        assert f"0 / {len(COURSE.lessons)} lessons read · 0 %" in text
        assert f"0/{len(FIRST_MODULE_LESSONS)} read" in text
