"""Pictures of the exercise screens: the list, a tune exercise's verdict and its hints, a predict
exercise revealed.

Regenerate after a deliberate change with
`python -m pytest tests/test_ui_exercise_snapshots.py --snapshot-update`, then look at the pictures.
"""

from __future__ import annotations

from conftest import wait_until
from test_ui_exercise import LOADED, exercise_screens, run_and_wait  # noqa: F401 - fixture
from textual.widgets import Input

from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.exercise import ExerciseScreen


def app() -> LambdaTutorApp:
    return LambdaTutorApp(profile="ann", loaded=LOADED)


def opening(exercise_id: str, *keys: str):
    async def run_before(pilot) -> None:
        await pilot.app.open_screen("exercise", exercise_id=exercise_id)
        await wait_until(
            pilot,
            lambda: isinstance(pilot.app.screen, ExerciseScreen) and pilot.app.focused is not None,
            "the exercise, its first field focused",
        )
        screen = pilot.app.screen
        for box in screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        if keys:
            await run_and_wait(pilot, screen, *keys)
        await pilot.pause()

    return run_before


def test_the_exercise_list_80x24(snap_compare):
    async def run_before(pilot) -> None:
        await pilot.app.open_screen("exercises")
        await pilot.pause()
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(80, 24), run_before=run_before)


def test_a_tune_exercise_after_a_run_that_missed_80x24(snap_compare):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=opening("sqs-partial-batch", "ctrl+r"))


def test_a_predict_exercise_revealed_120x40(snap_compare):
    assert snap_compare(
        app(), terminal_size=(120, 40), run_before=opening("async-event-age", "5", "5", "enter")
    )


def test_a_tune_exercise_with_every_hint_open_120x40(snap_compare):
    opened = opening("sqs-partial-batch", "ctrl+r")

    async def run_before(pilot) -> None:
        await opened(pilot)
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")
        await wait_until(
            pilot, lambda: len(pilot.app.screen.query(".hint-level")) == 3, "the three hint levels"
        )
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(120, 40), run_before=run_before)
