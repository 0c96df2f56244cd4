"""Predict, then watch: a lesson asks its prediction before its pane first plays, then says how it did."""

from pathlib import Path

from conftest import screen_text, wait_for_text, wait_until
from textual.widgets import Input

from tutor.content.loader import load_course
from tutor.progress.store import open_store
from tutor.quiz.scenario_answers import prediction_answer
from tutor.sim.player import SPEEDS
from tutor.ui.app import LambdaTutorApp
from tutor.ui.widgets.prediction import PredictionPrompt
from tutor.ui.widgets.sim_pane import SimPane

LOADED = load_course()
COURSE = LOADED[0]
LESSON = COURSE.lessons["async-retries"]  # evt-2 fails: 5 invocations in all


async def open_lesson(app: LambdaTutorApp, pilot, lesson_id: str = LESSON.id) -> None:
    await pilot.pause()
    await app.open_screen("lesson", lesson_id=lesson_id)
    await wait_until(pilot, lambda: app.screen.query(PredictionPrompt), "the prediction prompt")


async def play_to_the_end(pilot, pane: SimPane) -> None:
    while pane.player.speed < SPEEDS[-1]:
        await pilot.press("plus")
    await wait_until(pilot, lambda: pane.run.done, "the end of the run")


def test_every_lesson_with_a_scenario_asks_a_prediction_the_simulator_answers():
    with_scenario = [lesson for lesson in COURSE.lessons.values() if lesson.scenario]
    assert with_scenario and all(lesson.prediction for lesson in with_scenario)
    assert prediction_answer(LESSON, COURSE) == 5


async def test_the_prediction_comes_before_the_pane_plays_and_the_pane_then_says_how_it_did():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot)
        pane = app.screen.query_one(SimPane)
        assert "Predict first: " + LESSON.prediction.prompt[:40] in screen_text(app)
        pane.focus()
        await pilot.press("space")
        assert not pane.player.playing, "the pane waits for the prediction: its keys do nothing yet"
        await pilot.press("w")
        assert isinstance(app.focused, Input), "w leads to the prediction"
        assert not pane.player.playing
        await pilot.press("3", "enter")
        await wait_until(pilot, lambda: pane.player.playing, "the run playing once predicted")
        await wait_for_text(pilot, "You predicted 3. Watch the run")
        await play_to_the_end(pilot, pane)
        await wait_for_text(pilot, "✗ You predicted 3, it ran 5 times.")
        assert "Look at the event log: evt-2 runs" in screen_text(app)
        [stored] = app.store.predictions(app.profile).values()
        assert (stored.lesson_id, stored.predicted, stored.actual, stored.within) == (LESSON.id, 3, 5, False)


async def test_enter_on_an_empty_box_skips_and_the_run_still_tells_the_answer():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot)
        await pilot.press("w", "enter")
        pane = app.screen.query_one(SimPane)
        await wait_until(pilot, lambda: pane.player.playing, "the run playing after a skip")
        await play_to_the_end(pilot, pane)
        await wait_for_text(pilot, "You skipped the prediction: it ran 5 times.")
        assert app.store.predictions(app.profile)[LESSON.id].predicted is None


async def test_a_word_is_refused_in_one_line_and_nothing_is_stored():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot)
        await pilot.press("w", *"many", "enter")
        await wait_for_text(pilot, "'many' is not a number")
        assert not app.screen.query_one(SimPane).player.playing
        assert app.store.predictions(app.profile) == {}


async def test_a_lesson_answered_before_asks_nothing_and_w_plays_at_once():
    with open_store() as store:
        store.record_prediction("default", LESSON.id, 5, 5, within=True)
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.open_screen("lesson", lesson_id=LESSON.id)
        await wait_for_text(pilot, "Nothing yet: w plays")
        assert "Predict first" not in screen_text(app) and not app.screen.query(PredictionPrompt)
        await pilot.press("w")
        pane = app.screen.query_one(SimPane)
        await wait_until(pilot, lambda: pane.player.playing, "w playing the pane at once")


def test_a_prediction_that_cannot_be_answered_names_its_file_and_field(tmp_path):
    from tutor.commands.validate import validate

    lesson = """+++
id = "pack-predict"
title = "A lesson"
module = "sync"
objectives = ["Know a thing"]
sources = ["https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html"]
scenario = "sync-throttled-burst"

[prediction]
prompt = "How many?"
measure = "max_event_age_s"
outcome = "it ran {answer} times"
look = "the counters"

+++
# A lesson
"""
    broken_outcome = lesson.replace('"it ran {answer} times"', '"it ran"').replace("pack-predict", "pack-two")
    pack = tmp_path / "pack"
    (pack / "sync").mkdir(parents=True)
    (pack / "course.toml").write_text("format_version = 1\n")
    (pack / "sync" / "01-predict.md").write_text(lesson)
    (pack / "sync" / "02-outcome.md").write_text(broken_outcome)
    ok, _, problems = validate(str(pack))
    found = {(Path(problem.file).name, problem.field) for problem in problems}
    assert not ok
    assert ("01-predict.md", "prediction.measure") in found, problems
    assert ("02-outcome.md", "prediction.outcome") in found, problems
