"""The exercise screens driven like a learner: change a parameter, run, read the verdict, get a hint."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, ProgressBar, Select

from conftest import screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.progress.store import open_store
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens import SCREENS
from tutor.ui.screens.exercise import ExerciseScreen
from tutor.ui.screens.exercise_list import ExerciseListScreen
from tutor.ui.widgets.exercise import GoalBoard, ParamField
from tutor.workshop.report import build_report
from tutor.workshop.room import read_room

LOADED = load_course()
COURSE = LOADED[0]
COURSE_EXERCISES = {exercise.id: exercise for exercise in COURSE.exercises}
SIZE = (80, 24)


@pytest.fixture(autouse=True)
def exercise_screens(monkeypatch):
    """The screens by name, as the lead registers them in tutor.ui.screens.SCREENS."""
    monkeypatch.setitem(SCREENS, "exercises", "tutor.ui.screens.exercise_list:ExerciseListScreen")
    monkeypatch.setitem(SCREENS, "exercise", "tutor.ui.screens.exercise:ExerciseScreen")


def make_app(profile: str = "ann", course=None) -> LambdaTutorApp:
    loaded = LOADED if course is None else (course, [])
    return LambdaTutorApp(profile=profile, loaded=loaded)


def work_text(screen: ExerciseScreen) -> str:
    """Everything in the work pane, scrolled or not."""
    parts = []
    for widget in screen.query("#exercise-work-pane Static"):
        if widget.display and widget.parent.display:
            parts.append(str(widget.render()))
    return "\n".join(parts)


async def open_exercise(pilot: Pilot, exercise_id: str) -> ExerciseScreen:
    await pilot.app.open_screen("exercise", exercise_id=exercise_id)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen), "the exercise screen")
    await pilot.pause()
    return pilot.app.screen


async def run_and_wait(pilot: Pilot, screen: ExerciseScreen, *keys: str) -> None:
    before = screen.last_attempt
    await pilot.press(*keys)
    await pilot.app.workers.wait_for_complete()  # the simulation runs in a worker thread
    await wait_until(
        pilot, lambda: screen.last_attempt is not before and not screen.running, "the run to finish"
    )
    await pilot.pause()


def attempts(profile: str, exercise_id: str):
    with open_store() as store:
        return store.exercise_results(profile).get(exercise_id)


async def test_a_tune_exercise_changing_a_parameter_turns_a_missed_goal_into_a_held_one():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "async-throttled-events-wait")
        assert "○ every event is done within 6 s of arriving" in work_text(screen)
        # As it starts (reserved concurrency 1) the burst waits far too long.
        await run_and_wait(pilot, screen, "ctrl+r")
        board = screen.query_one(GoalBoard)
        verdict = {result.label: (result.passed, result.measured) for result in board.results}
        assert verdict["every event is done within 6 s of arriving"] == (False, 33.0)
        text = work_text(screen)
        assert "✗ missed every event is done within 6 s of arriving" in text
        assert "measured 33, target ≤ 6" in text and "✗ Not yet: 1 of 3 goals missed." in text
        result = attempts("ann", "async-throttled-events-wait")
        assert (result.attempts, result.passed) == (1, False)

        # The learner types a new reserved concurrency and presses enter in the field.
        assert isinstance(app.focused, Input)
        await run_and_wait(pilot, screen, "3", "enter")
        text = work_text(screen)
        assert "✓ held   every event is done within 6 s of arriving" in text
        assert "✓ Passed" in text and "✗" not in text.split("Parameters")[0]
        result = attempts("ann", "async-throttled-events-wait")
        assert (result.attempts, result.failed_attempts, result.passed) == (2, 1, True)
        assert result.passing_params == {"function.reserved_concurrency": 3}
        assert "✓ passed · 2 attempts" in screen_text(app)


async def test_a_value_outside_the_exercise_range_is_refused_inline_and_nothing_runs():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "async-throttled-events-wait")
        await pilot.press("9")
        field = screen.query_one(ParamField)
        error = field.query_one(".param-error")
        assert error.display
        assert str(error.render()) == "✗ function.reserved_concurrency = 9: allowed 1..5 in this exercise"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.last_attempt is None and not screen.running
        assert "allowed 1..5 in this exercise" in str(screen.query_one("#run-status").render())
        assert attempts("ann", "async-throttled-events-wait") is None
        await pilot.press("backspace", "2")
        assert not error.display


async def test_a_choice_parameter_is_picked_from_a_list():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sqs-partial-batch")
        select = screen.query_one(Select)
        assert app.focused is select and select.value is False
        await pilot.press("enter", "up", "enter")  # open the list, move to "true", pick it
        assert select.value is True
        await run_and_wait(pilot, screen, "ctrl+r")
        assert screen.last_attempt.passed
        assert attempts("ann", "sqs-partial-batch").passing_params == {
            "sqs.report_batch_item_failures": True,
            "sqs.batch_size": 10,
        }


async def test_a_predict_exercise_needs_the_number_first_then_reveals_it():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sync-count-cold-starts")
        box = screen.query_one("#prediction", Input)
        assert app.focused is box
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Commit a prediction first" in str(screen.query_one("#run-status").render())
        assert screen.last_attempt is None and attempts("ann", "sync-count-cold-starts") is None
        assert "measured" not in work_text(screen)

        await run_and_wait(pilot, screen, "2", "enter")
        text = work_text(screen)
        assert "✗ Your prediction is off (needed exactly): you said 2, the run measured 5." in text
        result = attempts("ann", "sync-count-cold-starts")
        assert (result.attempts, result.passed) == (1, False)
        assert result.history[0].params == {"prediction": 2.0}

        await run_and_wait(pilot, screen, "backspace", "5", "enter")
        assert "✓ Your prediction holds (exactly): you said 5, the run measured 5." in work_text(screen)
        assert attempts("ann", "sync-count-cold-starts").passed


def hint_levels(screen: ExerciseScreen) -> list[str]:
    return [str(level.render()) for level in screen.query("#exercise-hint .hint-level")]


def footer_text(app: LambdaTutorApp) -> str:
    return screen_text(app).splitlines()[-1]


async def test_hints_open_one_level_per_key_press_after_a_first_run_and_stay_open():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sqs-visibility-timeout")
        assert "^t Hints 0/3" in footer_text(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert hint_levels(screen) == [] and not screen.query_one("#exercise-hint").display
        assert "Run once first" in str(screen.query_one("#run-status").render())

        await run_and_wait(pilot, screen, "ctrl+r")
        expected = COURSE_EXERCISES["sqs-visibility-timeout"].hints
        for opened, name in enumerate(("nudge", "mechanism", "answer"), start=1):
            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda n=opened: len(hint_levels(screen)) == n, f"hint {opened}")
            newest = " ".join(hint_levels(screen)[-1].split())
            assert newest.startswith(f"Hint {opened}/3 · {name}")
            assert " ".join(expected[opened - 1].split()) in newest
            await wait_until(pilot, lambda n=opened: f"Hints {n}/3" in footer_text(app), "the footer")
        assert "6 × 10 s + 5 s" in hint_levels(screen)[2]

        await pilot.press("ctrl+t")  # a fourth press opens nothing more
        await pilot.pause()
        assert len(hint_levels(screen)) == 3
        assert "Every hint is open" in str(screen.query_one("#run-status").render())
        with open_store() as store:
            assert store.hints_used("ann") == {"sqs-visibility-timeout": 3}
            [row] = build_report(store, COURSE, read_room(store).learners)
        assert row.hints_used == 3

        # Leaving and coming back: the three levels are still open, and none is counted twice.
        await pilot.press("escape")
        screen = await open_exercise(pilot, "sqs-visibility-timeout")
        assert [text.split("  ")[0] for text in hint_levels(screen)] == [
            "Hint 1/3 · nudge",
            "Hint 2/3 · mechanism",
            "Hint 3/3 · answer",
        ]
        assert "Hints 3/3" in footer_text(app)


async def test_a_pack_with_hints_off_never_offers_one():
    quiet = dataclasses.replace(COURSE, hints=False)
    app = make_app(course=quiet)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sqs-visibility-timeout")
        await run_and_wait(pilot, screen, "ctrl+r")
        assert "Hints" not in footer_text(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert hint_levels(screen) == [] and not screen.query_one("#exercise-hint").display
        with open_store() as store:
            assert store.hints_used("ann") == {}


async def test_the_list_marks_passed_exercises_and_enter_opens_one():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.open_screen("exercises")
        await wait_until(pilot, lambda: isinstance(app.screen, ExerciseListScreen), "the list")
        await pilot.pause()
        first = COURSE.exercises[0]
        assert f"○ not yet  {first.title}" in screen_text(app)
        assert f"0 / {len(COURSE.exercises)} exercises passed" in screen_text(app)
        options = app.screen.query_one(OptionList)
        assert options.highlighted_option.id == first.id
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.focused, Input), "the exercise, ready for a prediction"
        )
        assert app.screen.exercise.id == first.id
        await run_and_wait(pilot, app.screen, "2", "1", "enter")  # the concurrency estimate, within ±2
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ExerciseListScreen), "back to the list")
        await wait_for_text(pilot, f"✓ passed   {first.title}")
        assert f"1 / {len(COURSE.exercises)} exercises passed" in screen_text(app)


async def test_profiles_keep_their_exercise_attempts_apart():
    app = make_app("ann")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sync-count-cold-starts")
        await run_and_wait(pilot, screen, "5", "enter")
    assert attempts("ann", "sync-count-cold-starts").passed
    assert attempts("bob", "sync-count-cold-starts") is None
    app = make_app("bob")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sync-count-cold-starts")
        assert "○ not yet · 0 attempts" in screen_text(app)
        await app.open_screen("exercises")
        await wait_for_text(pilot, f"0 / {len(COURSE.exercises)} exercises passed")


def long_pack(tmp_path: Path) -> Path:
    """A pack whose only exercise takes seconds to run: 300,000 SQS messages."""
    pack = tmp_path / "long-pack"
    (pack / "exercises").mkdir(parents=True)
    (pack / "course.toml").write_text("format_version = 1\n")
    (pack / "exercises" / "long.toml").write_text("""
id = "long-run"
title = "A long run"
kind = "tune"
scenario = "sqs-lambda"
brief = "Many messages."
overrides = { "load.count" = 300000, "load.rate_per_s" = 5000, "until_s" = 600 }

[[params]]
key = "sqs.batch_size"
min = 1
max = 10

[[goals]]
field = "duplicates"
op = "=="
value = 0
""")
    return pack


async def test_a_long_run_shows_progress_keeps_the_screen_responsive_and_stops_when_left(tmp_path):
    course, problems = load_course([long_pack(tmp_path)])
    assert problems == []
    app = LambdaTutorApp(profile="ann", loaded=(course, problems))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "long-run")
        # Posted, not pressed: pressing waits for the app to go idle, which it does not while it runs.
        app.post_message(events.Key("ctrl+r", None))
        await wait_until(pilot, lambda: screen.query_one(ProgressBar).display, "the progress bar", busy=True)
        assert screen.running
        # Keys still work while it runs: the learner leaves, and the run is dropped, not stored.
        app.post_message(events.Key("escape", None))
        await wait_until(pilot, lambda: not isinstance(app.screen, ExerciseScreen), "leaving the exercise")
        await wait_until(
            pilot,
            lambda: not [w for w in app.workers if w.group == "exercise-run" and w.is_running],
            "the run to stop",
        )
    assert attempts("ann", "long-run") is None


async def test_a_broken_pack_exercise_is_marked_explained_and_never_run(tmp_path):
    pack = tmp_path / "broken-pack"
    (pack / "exercises").mkdir(parents=True)
    (pack / "course.toml").write_text("format_version = 1\n")
    (pack / "exercises" / "typo.toml").write_text("""
id = "typo"
title = "A typo in a key"
kind = "tune"
scenario = "sqs-lambda"
brief = "Change the batch size."

[[params]]
key = "sqs.batchsize"
min = 1
max = 10

[[goals]]
field = "duplicates"
op = "=="
value = 0
""")
    course, problems = load_course([pack])
    app = LambdaTutorApp(profile="ann", loaded=(course, problems))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.open_screen("exercises")
        await pilot.pause()
        option = app.screen.query_one(OptionList).get_option("typo")
        assert str(option.prompt) == "⚠ cannot run  A typo in a key"
        screen = await open_exercise(pilot, "typo")
        text = str(screen.query_one("#exercise-problems").render())
        assert "params.0.key: unknown scenario key 'sqs.batchsize'" in text
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.last_attempt is None and attempts("ann", "typo") is None


def brief_ending(exercise) -> str:
    """The last words of an exercise's brief as the screen shows them (no Markdown marks)."""
    words = " ".join(exercise.brief.replace("**", "").replace("`", "").split())
    return words[-30:]


def flat(text: str) -> str:
    """The screen's rows as one line, so that a sentence wrapped over two rows can be found."""
    return " ".join(text.split())


@pytest.mark.parametrize("exercise", COURSE.exercises, ids=lambda exercise: exercise.id)
async def test_at_80x24_the_whole_brief_shows_or_the_screen_says_there_is_more(exercise):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_exercise(pilot, exercise.id)
        await pilot.pause()
        shown = screen_text(app)
        if exercise.kind == "predict":
            # The numbers to predict from are in the brief's last paragraphs: all of it is on screen.
            assert brief_ending(exercise) in flat(shown)
            assert "more below" not in shown
        else:
            assert brief_ending(exercise) in flat(shown) or "↓ more below: pgdn" in shown


async def test_a_predict_brief_shows_its_numbers_next_to_the_prediction_box_at_80x24():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_exercise(pilot, "sync-estimate-concurrency")
        rows = screen_text(app).splitlines()
        assert isinstance(app.focused, Input)
        numbers = next(i for i, row in enumerate(rows) if "Here 200 requests arrive at 50 per second" in row)
        last = next(i for i, row in enumerate(rows) if "within 2 of the measured value" in row)
        box = next(i for i, row in enumerate(rows) if "counts if within ±2" in row)
        assert numbers < last < box


async def test_pgdn_in_a_field_scrolls_a_brief_that_does_not_fit_and_the_hint_follows():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exercise(pilot, "sync-retry-throttled")
        exercise = screen.exercise
        field = app.focused
        assert isinstance(field, Input)
        assert "↓ more below: pgdn" in screen_text(app)
        assert brief_ending(exercise) not in flat(screen_text(app))
        await pilot.press("pagedown", "pagedown", "pagedown")
        await pilot.pause()
        shown = screen_text(app)
        assert brief_ending(exercise) in flat(shown)
        assert "more below" not in shown and "↑ pgup" in shown
        assert app.focused is field and field.value == "0"
        await pilot.press("pageup", "pageup", "pageup")
        await wait_for_text(pilot, "Twenty requests reach your function")
        assert "↓ more below: pgdn" in screen_text(app)


@pytest.mark.parametrize("size", [SIZE, (120, 40)])
async def test_after_a_run_the_status_points_to_a_verdict_that_is_really_above_it(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_exercise(pilot, "sync-estimate-concurrency")
        await run_and_wait(pilot, screen, "3", "0", "enter")
        rows = screen_text(app).splitlines()
        verdict = next(i for i, row in enumerate(rows) if "✗ Not yet: the prediction is off." in row)
        status = next(i for i, row in enumerate(rows) if "Done: verdict above." in row)
        assert verdict < status
        assert "at the top" not in screen_text(app)
