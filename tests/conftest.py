import time
from collections.abc import Callable

import pytest
from textual.app import App
from textual.pilot import Pilot


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test ever touches the learner's real progress: the store lives in a temp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(home))
    return home


def pytest_collection_modifyitems(items):
    """Start the random-key walks first: they are the longest single tests (the app-wide one about
    45 s), so they run on one core from the start while the other works through the short ones."""
    items.sort(key=lambda item: "random_keys" not in item.name)


def screen_text(app: App) -> str:
    """What the learner sees, as plain text: one line per terminal row, the footer last."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return "\n".join("".join(strip.text for strip in row) for row in update.strips)


# Long enough for a slow, shared CI core; a wait that holds returns at the first frame it holds.
WAIT_TIMEOUT_S = 10.0


async def wait_until(
    pilot: Pilot,
    condition: Callable[[], object],
    what: str,
    timeout: float = WAIT_TIMEOUT_S,
    busy: bool = False,
) -> None:
    """Let the app run, a frame at a time, until `condition()` holds; fail naming `what` was awaited
    and what the screen showed instead. A fixed sleep is either too short on a busy machine or
    wasted on an idle one; this waits exactly as long as the app needs.

    `pilot.pause()` returns once the process goes idle, or after a second. While a worker thread
    computes, it never does, and a passing state (a progress bar shown mid-run) could come and go
    unseen: `busy` looks again after every round of messages instead."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"waited {timeout:g} s for {what}; the screen showed:\n{screen_text(pilot.app)}",
                pytrace=False,
            )
        await pilot.pause(0 if busy else None)


async def wait_for_text(
    pilot: Pilot, text: str, row: int | None = None, timeout: float = WAIT_TIMEOUT_S
) -> None:
    """Wait until the screen shows `text`, anywhere or on one `row` (-1 is the footer)."""

    def shown() -> bool:
        if row is None:
            return text in screen_text(pilot.app)
        rows = screen_text(pilot.app).splitlines()
        return -len(rows) <= row < len(rows) and text in rows[row]

    where = "the screen" if row is None else "the footer" if row == -1 else f"row {row}"
    await wait_until(pilot, shown, f"{text!r} on {where}", timeout)


async def let_player_ticks_pass(pilot: Pilot, ticks: int = 3) -> None:
    """Let the simulation's timer fire `ticks` times. The one wait kept on the wall clock: proving
    that a paused run stands still needs time in which a playing one would have moved."""
    from tutor.ui.widgets.sim_pane import TICKS_PER_SECOND

    await pilot.pause(ticks / TICKS_PER_SECOND)


def card_due(day, held_days: int = 1):
    """A review card due on `day`, held `held_days` since its last review (an FSRS card in Review)."""
    from datetime import timedelta

    from tutor.progress.store import ReviewCard

    held = timedelta(days=held_days)
    return ReviewCard(due=day, stability=float(held_days), difficulty=6.4133, last_review=day - held)


async def open_lesson(app, pilot, lesson_id: str) -> None:
    """Open a lesson as if its prediction had been skipped: for tests about the pane itself (the
    prediction has its own, tests/test_ui_prediction.py)."""
    from tutor.quiz.scenario_answers import prediction_answer

    await pilot.pause()
    lesson = app.course.lessons[lesson_id]
    if lesson.prediction is not None:
        actual = prediction_answer(lesson, app.course)
        app.store.record_prediction(app.profile, lesson_id, None, actual, None)
    await app.open_screen("lesson", lesson_id=lesson_id)
    await pilot.pause()
