"""A lesson's pane by keyboard: its starting pace, the full-height pane, escape, labels and the form."""

import re

from conftest import open_lesson, screen_text, wait_for_text, wait_until
from textual.widgets import Input, TabbedContent

from tutor.content.loader import load_course
from tutor.sim.player import SPEEDS, NOTICE_LEAD_S, lesson_speed
from tutor.ui.app import LambdaTutorApp
from tutor.ui.widgets.sim_pane import ParamForm, SimPane
from tutor.ui.widgets.simulation_slot import find_scenario, paced

LOADED = load_course()
COURSE = LOADED[0]
# sqs-poison-dlq: in the pane its load starts at 3 s, its first function error comes at 3.9 s.
SQS_FAILURES = "esm-sqs-failures"
LOG_ROW = re.compile(r"^\s+(\d\d:)?\d\d:\d\d(\.\d)?  \S")


def footer(app) -> str:
    return screen_text(app).splitlines()[-1]


def test_every_lesson_run_starts_slow_enough_to_see_its_first_notable_event_coming():
    # Every lesson's run, the fault presets included: a preset whose first throttle or failure
    # comes at once (no speed could hold it off) has its load start late enough in the pane.
    paced_presets = []
    for lesson in COURSE.lessons.values():
        if not lesson.scenario or lesson.scenario in COURSE.chain_files:
            continue  # a chain is paced by its whole run (tutor.ui.widgets.sim_chain)
        scenario, first = paced(find_scenario(lesson.scenario, COURSE.scenario_files))
        speed = lesson_speed(scenario.until_s, first[0] if first else None)
        assert SPEEDS[0] <= speed <= SPEEDS[-1]
        if first is None:
            continue
        at, words = first
        assert at / speed >= NOTICE_LEAD_S, f"{lesson.id}: first {words} {at / speed:.1f} s away"
        paced_presets.append(lesson.scenario)
    assert {"sync-throttled-burst", "sqs-poison-dlq", "kinesis-poison-blocks-shard"} <= set(paced_presets)
    assert len(set(paced_presets)) >= 10, "the fault presets have notable events to pace"


def test_a_late_first_event_slows_a_long_run_only_as_far_as_needed():
    # A six-hour run would start at 600x; a first retry at 100 s is 3.3 s away at 30x.
    assert lesson_speed(6 * 3600, None) == 600
    assert lesson_speed(6 * 3600, 100.0) == 30
    assert lesson_speed(6 * 3600, 1.0) == SPEEDS[0]


async def test_a_lesson_pane_starts_at_its_pace_and_names_its_first_event_and_the_step_key():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(200, 50)) as pilot:  # wide enough for the caption on one row
        await open_lesson(app, pilot, SQS_FAILURES)
        text = " ".join(screen_text(app).split())
        assert "paused · 1× · sim 00:00:00.0" in text
        assert "first function error at sim 00:00:03.9, 3.9 s after w at 1×" in text
        assert "s steps to the next event" in text
        await pilot.press("s")  # from the text, s steps the pane
        await wait_for_text(pilot, "msg-1 arrived")
        assert not app.screen.query_one(SimPane).player.playing, "one step, not play"


async def test_at_80x24_f_shows_the_pane_over_the_text_with_counters_and_six_log_lines():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, SQS_FAILURES)
        assert "f fills the screen" in screen_text(app), "the folded pane names f"
        await pilot.press("f")
        await pilot.pause()
        pane = app.screen.query_one(SimPane)
        assert app.screen.focused is pane, "the pane has the keyboard: its keys work at once"
        await pilot.press(*"s" * 12)
        await wait_until(pilot, lambda: len(pane.view.query_one(".sim-log").lines) >= 12, "a dozen events")
        await pilot.pause()
        rows = screen_text(app).splitlines()
        assert "One batch" not in screen_text(app) and "In this lesson" not in screen_text(app)
        assert any("queue ─▶ pollers" in row for row in rows), "the flow view"
        assert any("succeeded" in row for row in rows) and any("cold starts" in row for row in rows)
        log_rows = [row for row in rows if LOG_ROW.match(row)]
        assert len(log_rows) >= 6, log_rows
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.focused.id == "lesson-scroll"
        assert "queue ─▶ pollers" not in screen_text(app), "back to the text, the pane folded as before"
        await pilot.press("f", "escape")
        await pilot.pause()
        assert app.screen.focused.id == "lesson-scroll" and "queue ─▶ pollers" not in screen_text(app)
        assert getattr(app.screen, "SCREEN_NAME", None) == "lesson"


async def test_escape_in_the_pane_goes_to_the_text_and_a_second_escape_to_the_map():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, SQS_FAILURES)
        await pilot.press("tab")
        await pilot.pause()
        pane = app.screen.query_one(SimPane)
        assert pane in app.screen.focused.ancestors_with_self
        assert "esc Text" in footer(app)
        await pilot.press("escape")
        await pilot.pause()
        assert getattr(app.screen, "SCREEN_NAME", None) == "lesson"
        assert app.screen.focused.id == "lesson-scroll"
        await pilot.press("escape")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", None) == "map", "the map")


async def test_in_the_pane_b_is_labelled_step_back_not_back():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, SQS_FAILURES)
        assert "b Back to map" in footer(app)
        await pilot.press("tab")
        await wait_for_text(pilot, "b Step back", row=-1)
        assert "Back to map" not in footer(app)
        assert re.search(r"\bb Back\b(?! to)", footer(app)) is None


async def test_help_over_the_lab_lists_each_fault_once_with_its_state():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await app.open_screen("lab")
        await pilot.pause()
        assert "e Errors: off" in footer(app) and "t Throttle: off" in footer(app)
        await pilot.press("e")
        await wait_for_text(pilot, "e Errors: on", row=-1)
        assert "Errors: off" not in footer(app)
        await pilot.press("f1")
        await wait_for_text(pilot, "Keys on this screen: Lab")
        current = " ".join(screen_text(app).split())
        assert "Errors are on: e turns them off" in current and "Errors are off" not in current
        assert "Throttle is off: t turns it on" in current and "Throttle is on" not in current


async def open_form(app, pilot) -> ParamForm:
    pane = app.screen.query_one(SimPane)
    pane.query_one(TabbedContent).active = "sim-params"
    form = pane.query_one(ParamForm)
    await wait_until(pilot, lambda: form.built, "the parameter fields")
    return form


async def test_the_form_marks_the_focused_row_escape_leaves_it_and_ctrl_r_restores_the_values():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, SQS_FAILURES)
        pane = app.screen.query_one(SimPane)
        form = await open_form(app, pilot)
        field = form.query_one("#param-sqs--batch_size", Input)
        field.focus()
        await pilot.pause()
        rows = screen_text(app).splitlines()
        marked = [row for row in rows if "▌" in row]
        assert marked and "▌BatchSize" in marked[0].replace(" ", ""), "a bar marks the focused row"
        assert not any("▌MaximumBatchingWindow" in row.replace(" ", "") for row in rows)
        assert field.parent.has_pseudo_class("focus-within")

        await pilot.press("home", "ctrl+k", "4", "enter")
        await wait_until(pilot, lambda: pane.run.scenario.sqs.batch_size == 4, "the new batch size")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: field.value == "1", "the lesson's batch size back in the field")
        assert pane.run.scenario == pane.base_scenario and pane.player.time == 0

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.focused is pane, "escape leaves the field for the pane"
        assert "▌" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.focused.id == "lesson-scroll"
