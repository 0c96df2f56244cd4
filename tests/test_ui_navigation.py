"""Moving around with the keyboard: lessons, next/previous, back, continue, help, the palette.

The first tests walk the real course; the rest use the small frozen pack in tests/data/ui-pack,
whose lessons are quick to draw.
"""

from __future__ import annotations

import io

from pathlib import Path

import tutor.locations
from conftest import card_due, screen_text, wait_for_text, wait_until
from rich.console import Console
from textual.command import CommandList, CommandPalette

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.course_map import CourseMapScreen, CourseTree
from tutor.ui.screens.help import HelpScreen
from tutor.ui.screens.lesson import LessonScreen

SIZE = (100, 30)
UI_PACK = Path(__file__).parent / "data" / "ui-pack"

REAL = load_course()  # loaded once for the module; each app below reuses it
COURSE = REAL[0]
FIRST_MODULE_LESSONS = COURSE.lessons_in(COURSE.modules[0].id)


def load_ui_pack():
    original = tutor.locations.builtin_content_dir
    tutor.locations.builtin_content_dir = lambda: UI_PACK
    try:
        return load_course()
    finally:
        tutor.locations.builtin_content_dir = original


SMALL = load_ui_pack()
QUIZ_PACK = Path(__file__).parent / "data" / "quizpack"


def palette_prompts(app: LambdaTutorApp) -> list[str]:
    """The command palette's list, top to bottom, as plain text; empty while it is not open."""
    if not isinstance(app.screen, CommandPalette):
        return []
    commands = app.screen.query_one(CommandList)
    return [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]


async def wait_for_palette_search(pilot, first: str) -> None:
    """Wait until the palette has finished searching and lists `first` at the top, where enter picks it."""
    await pilot.app.workers.wait_for_complete()
    await wait_until(
        pilot,
        lambda: palette_prompts(pilot.app)[:1] and first in palette_prompts(pilot.app)[0],
        f"the palette to list {first!r} first",
    )


def footer_keys(app: LambdaTutorApp) -> set[str]:
    return {
        key for key, active in app.screen.active_bindings.items() if active.binding.show and active.enabled
    }


# The real course ---------------------------------------------------------------------------------


async def test_the_real_course_opens_reads_forward_and_back_and_returns_to_the_map():
    app = LambdaTutorApp()  # loads the built-in course itself, as `lambda-tutor` does
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, CourseMapScreen)
        assert f"0 / {len(COURSE.lessons)} lessons read · 0 %" in screen_text(app)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[0].id
        depth = len(app.screen_stack)
        await pilot.press("n")
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[1].id
        assert FIRST_MODULE_LESSONS[1].title in screen_text(app)
        await pilot.press("p")
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[0].id
        assert len(app.screen_stack) == depth, "next and previous replace the lesson, so back leads home"
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("c")
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[0].id, "continue reopens the last lesson"
        await pilot.press("b")
        assert isinstance(app.screen, CourseMapScreen)


async def test_next_crosses_from_one_module_into_the_next():
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=SIZE) as pilot:
        await app.open_screen("lesson", lesson_id=FIRST_MODULE_LESSONS[-1].id)
        await pilot.press("n")
        second_module = COURSE.modules[1]
        assert app.screen.lesson.id == COURSE.lessons_in(second_module.id)[0].id
        assert second_module.title in screen_text(app)


async def test_palette_jumps_to_a_lesson_of_the_real_course_and_back_leads_home():
    target = COURSE.lessons_in(COURSE.modules[2].id)[1]
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1", "ctrl+p")
        await pilot.press(*target.title)
        await wait_for_palette_search(pilot, f"Lesson: {target.title}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LessonScreen), "the lesson the palette picked")
        assert app.screen.lesson.id == target.id
        await pilot.press("b")
        assert isinstance(app.screen, CourseMapScreen), "a jump from help still returns to the map"


async def test_the_real_course_map_marks_every_lesson_and_module_in_words():
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=SIZE):
        tree = app.screen.query_one(CourseTree)
        for module_node in tree.root.children:
            module_node.expand()
        text = screen_text(app)
        assert "○ not started" in text
        assert f"0/{len(FIRST_MODULE_LESSONS)} read" in text


# The small pack ------------------------------------------------------------------------------------


async def test_the_footer_offers_only_the_moves_that_exist():
    app = LambdaTutorApp(loaded=SMALL)
    async with app.run_test(size=SIZE) as pilot:
        assert {"enter", "c", "f1"} <= footer_keys(app)
        assert "n" not in footer_keys(app)
        await pilot.press("down", "enter")
        assert app.screen.lesson.id == "ui-short"
        assert {"n", "b", "f1"} <= footer_keys(app)
        assert "p" not in footer_keys(app), "the first lesson has no previous one"
        assert "c" not in footer_keys(app)
        await app.open_screen("lesson", lesson_id="ui-queue")
        await pilot.pause()
        assert "p" in footer_keys(app)
        assert "n" not in footer_keys(app), "the last lesson has no next one"
        await pilot.press("n")
        assert app.screen.lesson.id == "ui-queue"


async def test_continue_reopens_the_last_lesson_after_a_restart():
    app = LambdaTutorApp(loaded=SMALL)
    async with app.run_test(size=SIZE) as pilot:
        assert "▶ Start" in screen_text(app), "before any lesson the button starts the course"
        assert "c Start" in screen_text(app).splitlines()[-1], "and the footer says the same"
        await app.open_screen("lesson", lesson_id="ui-queue")
        await pilot.press("b")
        await wait_for_text(pilot, "c Continue", row=-1)  # the footer is rebuilt once the map is redrawn

    app = LambdaTutorApp(loaded=SMALL)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "▶ Continue" in text and "Pollers read the queue" in text
        await pilot.click("#continue")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "ui-queue"


def table_text(table) -> str:
    """A key table as help prints it, wide enough that no description wraps."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


async def test_f1_and_question_mark_open_help_about_the_current_screen_and_close_it():
    app = LambdaTutorApp(loaded=SMALL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Keys on this screen: Course map" in screen_text(app)
        assert "f1 Help" not in screen_text(app).splitlines()[-1], "help's footer offers closing, not help"
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
        assert "Next lesson" in text and "Back to map" in text
        sections = {title: table_text(keys) for title, keys in app.screen.all_keys()}
        await pilot.press("f1")
        assert isinstance(app.screen, LessonScreen)

        assert {"Course map", "Lesson", "Everywhere"} <= set(sections)
        assert "Reopen the lesson you were reading" in sections["Course map"]
        assert any(
            line.strip().startswith("b, esc") and line.strip().endswith("Back to map")
            for line in sections["Lesson"].splitlines()
        )
        assert "Command palette" in sections["Everywhere"]


async def test_the_map_opens_the_quiz_of_the_highlighted_module_the_lab_and_the_exercises(monkeypatch):
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)
    app = LambdaTutorApp(extra_packs=[QUIZ_PACK])
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(CourseTree)
        # The pack's module (with the quiz) comes first on the map: move to a built-in one.
        without_quiz = next(node for node in tree.root.children if node.data.id == "basics")
        tree.move_cursor(without_quiz)
        await pilot.pause()
        assert "z" not in footer_keys(app), "the highlighted module has no questions"
        assert "no quiz in this module" in screen_text(app)
        quiz_module = next(node for node in tree.root.children if node.data.id == "quizpack")
        tree.move_cursor(quiz_module)
        await pilot.pause()
        assert "z" in footer_keys(app)
        await pilot.press("z")
        assert app.screen.SCREEN_NAME == "quiz" and app.screen.module_id == "quizpack"
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("x")
        assert app.screen.SCREEN_NAME == "exercises"
        await app.go_home()
        await pilot.press("l")
        assert app.screen.SCREEN_NAME == "lab"


async def test_the_palette_offers_lessons_quizzes_exercises_and_the_lab(monkeypatch):
    from tutor.ui.palette import JumpProvider

    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)
    app = LambdaTutorApp(extra_packs=[QUIZ_PACK])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        provider = JumpProvider(app.screen)
        titles = {place.title: place.screen for place in provider._destinations()}
        assert titles["Lesson: Pollers read the queue"] == "lesson"
        assert titles["Exercise: Drain twenty messages"] == "exercise"
        assert titles["Lab: the three models side by side"] == "lab"
        assert "quiz" in set(titles.values())


async def test_a_title_too_long_for_the_tree_is_cut_with_an_ellipsis_and_whole_when_there_is_room():
    longest = max(FIRST_MODULE_LESSONS, key=lambda lesson: len(lesson.title)).title
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(CourseTree)
        rows = [row for row in screen_text(app).splitlines() if longest[:20] in row]
        assert rows and longest not in rows[0] and "…" in rows[0], "cut, and says so"
        tree_edge = tree.region.right
        assert rows[0][:tree_edge].rstrip().endswith("…"), "the cut ends inside the tree, not under the pane"
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert any(longest in row for row in screen_text(app).splitlines()), "whole on a wide terminal"


async def test_every_place_on_the_map_bar_is_whole_at_80_columns_when_reviews_are_due():
    from datetime import date

    from tutor.progress.store import open_store

    store = open_store()
    for question in COURSE.questions[:2]:
        store.set_review_card("default", question.id, card_due(date(2020, 1, 1)))
    store.close()
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = screen_text(app).splitlines()[2]
        for place in ("z Quiz", "r Review · 2 due", "l Lab", "x Exercises", "s Services"):
            assert place in bar, f"{place!r} is cut from the bar: {bar!r}"
        assert "Start" in bar


async def test_after_a_click_on_the_places_bar_the_keys_still_move_through_the_map():
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#place-catalogue")
        await pilot.pause()
        assert app.screen.SCREEN_NAME == "catalogue"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen), (
            "enter opened the highlighted lesson, not the catalogue again"
        )
        assert app.screen.lesson.id == FIRST_MODULE_LESSONS[0].id


async def test_the_palette_jumps_to_a_scenario_and_escape_leads_home():
    from tutor.sim.scenario import load_scenario

    title = load_scenario("sqs-poison-dlq").title
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"poison message redriven")
        await wait_for_palette_search(pilot, f"Scenario: {title}")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: getattr(app.screen, "SCREEN_NAME", None) == "watch", "the watch screen"
        )
        await wait_for_text(pilot, "▶")
        text = screen_text(app)
        assert "sqs-poison-dlq" in text and title[:30] in text and "▶" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CourseMapScreen)


async def test_a_broken_preset_opened_from_the_palette_says_why_instead_of_crashing(tmp_path):
    pack = tmp_path / "pack"
    (pack / "scenarios").mkdir(parents=True)
    (pack / "course.toml").write_text("format_version = 1\n")
    (pack / "scenarios" / "broken-one.toml").write_text(
        'title = "Broken"\nmodel = "sqs"\n[sqs]\nbatch_size = 0\n'
    )
    app = LambdaTutorApp(extra_packs=[pack])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.jump_to("watch", preset="broken-one")
        await pilot.pause()
        text = screen_text(app)
        assert "cannot run" in text and "batch_size" in text.lower().replace("batchsize", "batch_size")
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_page_keys_in_the_palette_before_its_list_is_drawn_do_nothing_and_page_after():
    from textual import events

    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # As fast as a learner's fingers: the page key arrives before the palette's first frame.
        app.post_message(events.Key("ctrl+p", None))
        app.post_message(events.Key("pagedown", None))
        await wait_until(pilot, lambda: len(palette_prompts(app)) > 30, "the palette to list the course")
        assert app.is_running
        await pilot.press("down")
        commands = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: commands.highlighted is not None, "a highlighted command")
        before = commands.highlighted
        await pilot.press("pagedown")
        await wait_until(
            pilot, lambda: (commands.highlighted or 0) > before + 1, "paging once the list is drawn"
        )


async def test_the_palette_closing_just_as_it_finds_no_matches_leaves_the_app_running():
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"zqzq")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await app.workers.wait_for_complete()  # the search has ended and found nothing
        # A closing palette loses its list before its own timers stop; "No matches found" is
        # due 0.5 s after the last key, and must find the list gone without a crash.
        no_matches = palette._no_matches_timer
        assert no_matches is not None, "an empty search counts down to 'No matches found'"
        await palette.query_one(CommandList).remove()
        await wait_until(
            pilot, lambda: no_matches._task is None or no_matches._task.done(), "the timer to fire"
        )
        await pilot.pause()  # and its callback to run
        assert app.is_running
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_an_empty_palette_lists_the_course_first_and_textuals_own_commands_after():
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await app.workers.wait_for_complete()
        await wait_until(
            pilot, lambda: any(p.startswith("Theme") for p in palette_prompts(app)), "the whole list"
        )
        prompts = palette_prompts(app)
        first_lesson = COURSE.lessons_in(COURSE.modules[0].id)[0].title
        assert prompts[0].startswith(f"Lesson: {first_lesson}"), prompts[:3]
        theme = next(i for i, prompt in enumerate(prompts) if prompt.startswith("Theme"))
        assert all(not prompt.startswith("Theme") for prompt in prompts[:theme]) and theme > 30
        await pilot.press(*"theme")
        await wait_for_palette_search(pilot, "Theme")  # still found by name
        assert palette_prompts(app)[0].startswith("Theme")


async def test_a_screen_closed_while_it_is_still_opening_leaves_the_app_running_on_the_map():
    """Two quick keys (open, escape) can close a screen before it has drawn its children; every
    screen of the app then used to crash looking for them."""
    import asyncio

    from tutor.ui.screens import SCREENS, screen_class

    course = COURSE
    params = {
        "lesson": {"lesson_id": FIRST_MODULE_LESSONS[0].id},
        "quiz": {"module_id": course.modules[0].id},
        "exercise": {"exercise_id": course.exercises[0].id},
        "watch": {"preset": "sqs-poison-dlq"},
    }
    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for name in SCREENS:
            if name == "map":
                continue
            for ticks in (1, 3):
                opened = screen_class(name)(**params.get(name, {}))
                app.push_screen(opened)
                for _ in range(ticks):
                    await asyncio.sleep(0)
                app.pop_screen()
                # The crash came from the closed screen's own queue, so it must have been emptied.
                await wait_until(pilot, lambda closing=opened: closing._closed, f"{name} to finish closing")
                assert app.is_running, f"closing {name} after {ticks} ticks"
                assert isinstance(app.screen, CourseMapScreen)


async def test_a_player_key_that_reaches_a_closing_screen_does_nothing():
    """A key queued just before escape can run on a lab or watch screen whose controls are already
    being removed (or not yet mounted); its repaint used to look for the buttons and crash."""
    import asyncio

    from tutor.ui.screens import screen_class

    app = LambdaTutorApp(loaded=REAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for name, params in (("lab", {}), ("watch", {"preset": "sqs-poison-dlq"})):
            for ticks in (0, 1, 3, 6):
                opened = screen_class(name)(**params)
                app.push_screen(opened)
                for _ in range(ticks):
                    await asyncio.sleep(0)
                app.pop_screen()
                for action in ("reset", "step", "step_back", "faster", "play_pause"):
                    await opened.run_action(action)
                await wait_until(pilot, lambda closing=opened: closing._closed, f"{name} to finish closing")
                assert app.is_running, f"{name}: a key after {ticks} ticks"
                assert isinstance(app.screen, CourseMapScreen)
