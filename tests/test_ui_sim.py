"""The simulation pane driven like a learner would: play, pause, step, step back, reset, speed, parameters.

The pane runs in the watch screen (`lambda-tutor simulate PRESET --watch`), whose app holds only
that screen. Assertions read what the screen shows: the status line, the diagram, the counters,
the event log.
"""

from __future__ import annotations

import functools
import re
import time

from textual.widgets import Input, TabbedContent

from conftest import let_player_ticks_pass, screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.sim.params import PARAMS
from tutor.sim.player import SPEEDS, Player, SimRun, clock_text, default_speed
from tutor.sim.scenario import load_scenario
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.widgets.sim_log import EventLog
from tutor.ui.widgets.sim_pane import ParamForm, SimPane

SIZE = (100, 36)
# What the stylesheet draws down the left of the parameter row that has the keyboard.
FOCUS_BAR = "▌"


def flat_text(app) -> str:
    """The screen's words with wrapping undone, for sentences that may break across lines (the bar
    that marks the focused parameter row is not a word)."""
    return " ".join(screen_text(app).replace(FOCUS_BAR, " ").split())


def shown_time(app) -> str:
    match = re.search(r"sim (\d\d:\d\d:\d\d\.\d)", screen_text(app))
    assert match, "the status line shows the simulated time"
    return match.group(1)


def pane_of(app) -> SimPane:
    return app.screen.query_one(SimPane)


def log_text(app) -> str:
    """The pane's event log, every line it holds (scrolled into view or not)."""
    return "\n".join(pane_of(app).query_one(EventLog).lines)


def watch(preset: str = "sqs-poison-dlq", speed: float | None = None) -> LambdaTutorApp:
    return LambdaTutorApp(start=Start.watch(load_scenario(preset), preset, speed=speed))


# -- the clock ---------------------------------------------------------------------------------


def long_run() -> SimRun:
    """A steady trickle for far longer than any test plays: the clock never meets the run's end."""
    return SimRun(
        load_scenario({"model": "sync", "until_s": 100_000, "load": {"count": 100_000, "rate_per_s": 1}})
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_simulated_time_follows_the_wall_clock_even_when_ticks_come_late():
    clock = FakeClock()
    player = Player([long_run()], speed=2, clock=clock)
    player.play()
    # Ten seconds of ticks, some late, some skipped: the time is read from the clock, not summed.
    for step in [0.1] * 40 + [0.35, 0.02, 1.5] + [0.1] * 10 + [0.13] * 40:
        clock.now += step
        player.tick()
    elapsed = clock.now - 100.0
    assert abs(player.time - 2 * elapsed) <= 0.05 * 2 * elapsed
    assert player.time == 2 * elapsed  # exactly, in fact


def test_a_speed_change_keeps_the_time_reached_and_goes_on_at_the_new_pace():
    clock = FakeClock()
    player = Player([long_run()], speed=60, clock=clock)
    player.play()
    clock.now += 5
    player.tick()
    assert player.time == 300
    player.change_speed(+1)
    assert player.speed == SPEEDS[SPEEDS.index(60) + 1]
    clock.now += 5
    player.tick()
    assert player.time == 300 + 5 * player.speed
    player.pause()
    clock.now += 100
    assert not player.tick(), "paused: a tick does nothing"
    assert player.time == 300 + 5 * player.speed


def test_the_speed_ladder_runs_from_half_to_3600_and_a_run_starts_at_about_a_minute():
    assert SPEEDS[0] == 0.5 and SPEEDS[-1] == 3600
    assert default_speed(60) == 1 and default_speed(300) == 5 and default_speed(21_600) == 600
    assert clock_text(192) == "00:03:12.0" and clock_text(3 * 3600 + 0.25) == "03:00:00.2"


# -- the pane ----------------------------------------------------------------------------------


async def test_step_moves_to_the_next_event_and_shows_it_in_the_log_and_counters():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown_time(app) == "00:00:00.0"
        assert "0 succeeded" in screen_text(app)
        await pilot.press("s")
        assert "msg-1 arrived" in screen_text(app)
        for _ in range(8):
            await pilot.press("s")
        assert "deleted from the queue: msg-1" in log_text(app)
        assert re.search(r"✓ [1-9]\d* succeeded", screen_text(app))
        assert shown_time(app) != "00:00:00.0"
        await pilot.press("full_stop")  # . steps too
        assert pane_of(app).player.time > 0


async def step_until(pilot, words: str, most: int = 40) -> None:
    """Step event by event until the pane's log holds `words`."""
    for _ in range(most):
        if words in log_text(pilot.app):
            return
        await pilot.press("s")
    raise AssertionError(f"{words!r} never appeared in the log")


async def test_the_log_says_which_attempt_a_retried_event_is_and_of_how_many():
    app = watch("async-retries-destination")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await step_until(pilot, "evt-2 will be tried again")
        assert "evt-2 will be tried again at 01:01.2 (after a function error; attempt 2 of 3)" in flat_text(
            app
        )
        await step_until(pilot, "with evt-2 (attempt 2 of 3)")
        assert re.search(r"invocation \d+ started \(warm\) with evt-2 \(attempt 2 of 3\)", flat_text(app))


async def test_the_log_says_how_often_a_message_was_received_of_the_redrive_maximum():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await step_until(pilot, "with msg-5 (receive 3 of 3)")
        text = flat_text(app)
        assert "with msg-5 (receive 3 of 3)" in text
        assert "(after a function error; receive count 2 of 3)" in text


async def test_step_back_shows_exactly_what_was_shown_one_event_earlier():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"s" * 12)
        before = screen_text(app)
        await pilot.press("s", "s")
        assert screen_text(app) != before
        await pilot.press("b", "comma")  # b and , both step back
        assert screen_text(app) == before


async def test_play_runs_the_clock_and_pause_stops_it():
    app = watch("sqs-poison-dlq", speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "space Play", row=-1)
        await pilot.press("space")
        assert "▶ playing" in screen_text(app)
        await wait_for_text(pilot, "space Pause", row=-1)  # the footer says what space does now
        await wait_until(pilot, lambda: "msg-1 arrived" in log_text(app), "the first arrival")
        await pilot.press("space")
        await wait_for_text(pilot, "‖ paused")
        stopped = shown_time(app)
        assert stopped != "00:00:00.0"
        assert "msg-1 arrived" in log_text(app)
        await let_player_ticks_pass(pilot)
        assert shown_time(app) == stopped, "paused: the clock stands still"


async def test_while_playing_the_simulated_time_keeps_pace_with_the_speed():
    app = watch("async-event-age-expiry", speed=20)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = pane_of(app)
        started = time.monotonic()
        await pilot.press("space")
        pressed = time.monotonic()
        # 30 simulated seconds: 1.5 s of wall time at 20×, long enough to measure the pace within 5 %.
        await wait_until(pilot, lambda: pane.player.time >= 30, "30 s of simulated time")
        before_stop = time.monotonic()
        await pilot.press("space")
        stopped = time.monotonic()
        # The run played between the two key presses: somewhere between these bounds, within 5 %.
        assert 20 * (before_stop - pressed) * 0.95 <= pane.player.time <= 20 * (stopped - started) * 1.05


async def test_reset_goes_back_to_the_start_with_an_empty_log():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"s" * 10)
        assert log_text(app)
        await pilot.press("r")
        assert shown_time(app) == "00:00:00.0"
        assert log_text(app) == ""
        assert "0 succeeded" in screen_text(app)


async def test_speed_keys_and_buttons_move_along_the_ladder_shown_in_the_status():
    app = watch("sqs-poison-dlq", speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "· 10× ·")
        await pilot.press("plus")
        assert "· 20× ·" in screen_text(app)
        await pilot.press("minus", "minus")
        assert "· 5× ·" in screen_text(app)
        await pilot.click("#sim-faster")
        assert "· 10× ·" in screen_text(app)
        for _ in range(len(SPEEDS)):
            await pilot.press("plus")
        assert "· 3,600× ·" in screen_text(app)
        await pilot.click("#sim-step")
        assert "msg-1 arrived" in log_text(app)


async def test_the_footer_shows_the_pane_keys():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {
            key
            for key, active in app.screen.active_bindings.items()
            if active.binding.show and active.enabled
        }
        assert {"space", "s", "b", "r", "minus", "plus"} <= shown


async def test_a_run_that_ends_says_so_and_step_is_no_longer_offered():
    app = watch("api-gateway-lambda", speed=3600)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("space")
        await wait_for_text(pilot, "run ended: all work done")
        text = screen_text(app)
        assert "■ ended" in text
        assert "✓ 20 succeeded" in text
        shown = {key for key, active in app.screen.active_bindings.items() if active.enabled}
        assert "s" not in shown and "space" not in shown
        await pilot.press("b")
        assert "■ ended" not in screen_text(app), "a step back from the end reopens the run"


# -- the parameter form ------------------------------------------------------------------------


async def open_form(pilot) -> ParamForm:
    app = pilot.app
    await pilot.click("#--content-tab-sim-params")
    await pilot.pause()
    assert app.screen.query_one(TabbedContent).active == "sim-params"
    return app.screen.query_one(ParamForm)


async def type_into(pilot, field: Input, text: str) -> None:
    field.focus()
    await pilot.press("home", "ctrl+k", *text, "enter")
    await pilot.pause()


async def test_the_form_shows_aws_names_current_values_and_ranges_for_this_model_only():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        form = await open_form(pilot)
        text = screen_text(app)
        assert "BatchSize" in text and "a whole number 1..10,000" in text
        assert form.query_one("#param-sqs--batch_size", Input).value == "1"
        assert form.query_one("#param-sqs--max_receive_count", Input).value == "3"
        keys = {param.key for param in form.params}
        assert "sqs.visibility_timeout_s" in keys and "async.maximum_retry_attempts" not in keys
        assert all("sqs" in PARAMS[key].models for key in keys)


async def test_an_out_of_range_value_is_refused_inline_with_the_aws_range_and_the_run_goes_on():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"s" * 6)
        reached = pane_of(app).player.time
        form = await open_form(pilot)
        await type_into(pilot, form.query_one("#param-sqs--batch_size", Input), "0")
        assert "✗ refused: sqs.batch_size = 0: allowed a whole number 1..10,000" in flat_text(app)
        assert pane_of(app).run.scenario.sqs.batch_size == 1
        assert pane_of(app).player.time == reached, "a refused value does not restart the run"

        await type_into(pilot, form.query_one("#param-sqs--visibility_timeout_s", Input), "2")
        assert "visibility_timeout_s = 2: must be at least function.timeout_s = 3" in flat_text(app)


async def test_a_valid_value_restarts_the_run_with_it():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"s" * 6)
        form = await open_form(pilot)
        await type_into(pilot, form.query_one("#param-sqs--batch_size", Input), "0")
        await type_into(pilot, form.query_one("#param-sqs--batch_size", Input), "5")
        pane = pane_of(app)
        assert pane.run.scenario.sqs.batch_size == 5
        assert pane.player.time == 0 and log_text(app) == ""
        assert "refused" not in screen_text(app), "the error goes once the value is accepted"
        await pilot.click("#--content-tab-sim-live")
        text = screen_text(app)
        assert "batch ≤5" in text and "sqs.batch_size = 5: run restarted" in text


# -- in a lesson -------------------------------------------------------------------------------


@functools.cache
def course():
    """The built-in course, loaded once and only by the tests that need it."""
    return load_course()


async def test_a_lesson_with_a_scenario_shows_its_pane_and_a_try_step_sets_its_parameters():
    loaded = course()
    lesson = next(lesson for lesson in loaded[0].lessons.values() if lesson.scenario and lesson.try_steps)
    step = lesson.try_steps[0]
    app = LambdaTutorApp(loaded=loaded)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # Skipped beforehand: this test is about the try steps, not the prediction that comes first.
        app.store.record_prediction(app.profile, lesson.id, None, 0, None)
        await app.open_screen("lesson", lesson_id=lesson.id)
        await pilot.pause()
        pane = app.screen.query_one(SimPane)
        assert pane.region.width > 0 and pane.region.x > 0, "beside the text from 120 columns"
        assert f"{lesson.scenario}:" in screen_text(app)
        pane.focus()
        await pilot.press("1")
        await pilot.pause()
        for key, value in step.set.items():
            assert pane.run.scenario.value(key) == value
        assert pane.player.playing, "a try step starts playing"
        assert "try 1:" in screen_text(app)
        await pilot.press("space")
        await pilot.click("#--content-tab-sim-params")
        await pilot.pause()
        form = pane.query_one(ParamForm)
        key, value = next(iter(step.set.items()))
        assert form.query_one(f"#{ParamForm.field_id(key)}").value in (str(value), str(value).lower())


async def test_the_watch_pane_has_an_about_tab_with_what_the_preset_shows():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "About")
        await pilot.press("tab", "right", "right", "right")
        await pilot.pause()
        description = " ".join(load_scenario("sqs-poison-dlq").description.split())
        assert description[:80] in flat_text(app)
        assert "maxReceiveCount 3" in flat_text(app)


async def test_f1_in_the_watch_app_explains_the_pane_keys_and_closes_again():
    app = watch("sqs-poison-dlq")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "f1 Help", row=-1)
        await pilot.press("f1")
        await pilot.pause()
        assert getattr(app.screen, "SCREEN_NAME", None) == "help"
        assert "Step to the next event" in flat_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert getattr(app.screen, "SCREEN_NAME", None) == "watch"
