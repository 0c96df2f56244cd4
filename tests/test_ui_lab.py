"""The lab: three models on one load, faults injected into all three at once, tabs when narrow.

Time is moved with the lab's own player (`seek`, as a learner who waits would see it), so each
test looks at a fixed simulated moment without waiting in real time.
"""

from __future__ import annotations

import re

import pytest

from textual.screen import Screen
from textual.widgets import TabbedContent

from conftest import LabOnlyApp, let_player_ticks_pass, screen_text, wait_until

from tutor.content.loader import load_course
from tutor.sim.scenario import ScenarioError, load_scenario
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.screens.course_map import CourseMapScreen
from tutor.ui.screens.lab import LAB_SEED, LAB_SPEED, LabScreen, lab_scenarios
from tutor.ui.widgets.sim_log import EventLog
from tutor.ui.widgets.sim_pane import SimView
from tutor.ui.widgets.sim_text import TextBlock

WIDE = (200, 50)
NARROW = (80, 24)


def part(view: SimView, name: str) -> str:
    """What one part of a view shows: "diagram", "counters" or "charts"."""
    return view.query_one(f".sim-{name}", TextBlock).text


def log(view: SimView) -> str:
    return "\n".join(view.query_one(EventLog).lines)


def counters(app) -> dict[str, str]:
    """Each model's counters, as its view shows them."""
    return {view.run.scenario.model: part(view, "counters") for view in app.screen.query(SimView)}


def picture(app) -> list[str]:
    """The status and, for each model, its diagram, counters and event log."""
    shown = [app.screen.query_one(".sim-status").render().plain]
    for view in app.screen.query(SimView):
        shown += [part(view, "diagram"), part(view, "counters"), log(view)]
    return shown


def failed(text: str) -> int:
    return int(re.search(r"✗ ([\d,]+) failed", text).group(1).replace(",", ""))


def throttles(text: str) -> int:
    return int(re.search(r"([\d,]+) throttles?\b", text).group(1).replace(",", ""))


async def at(pilot, seconds: float) -> LabScreen:
    lab = pilot.app.screen
    lab.player.seek(seconds)
    lab.player_changed()
    await pilot.pause()
    return lab


def test_the_three_models_share_one_load_seed_and_function():
    sync, asynchronous, sqs = lab_scenarios()
    assert [s.model for s in (sync, asynchronous, sqs)] == ["sync", "async", "sqs"]
    for scenario in (asynchronous, sqs):
        assert (
            scenario.load == sync.load and scenario.seed == sync.seed and scenario.function == sync.function
        )


def test_the_labs_own_scenarios_are_what_the_validator_makes_of_them():
    # The lab builds them without the validator (its import is paid by no lab start); this is
    # the check that its constants are valid, and that they hold the values it would give.
    own = lab_scenarios()
    checked = lab_scenarios(load={}, seed=LAB_SEED)  # a load given, even empty: validated
    assert own == checked
    for model, scenario in zip(("sync", "async", "sqs"), own, strict=True):
        assert scenario.resolved() == load_scenario(scenario.resolved()).resolved(), model


def test_a_load_the_validator_refuses_is_one_line():
    with pytest.raises(ScenarioError, match=r"^load\.count = 0: allowed a whole number 1\.\."):
        lab_scenarios(load={"count": 0})


async def test_side_by_side_when_wide_in_tabs_when_narrow():
    app = LabOnlyApp()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        views = list(app.screen.query(SimView))
        assert len(views) == 3 and len({view.region.x for view in views}) == 3, "three columns"
        assert not app.screen.query(TabbedContent)
        await at(pilot, 30)
        text = screen_text(app)
        for title in ("Synchronous: callers -> Lambda", "Asynchronous: S3 event", "Poll-based: SQS"):
            assert title in text
        assert "Watch:" in text and f"{LAB_SPEED:g}× · sim 00:00:30.0" in text

        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "lab-tab-sync"
        assert "Synchronous: callers -> Lambda" in screen_text(app)
        assert "Poll-based: SQS -> Lambda" not in screen_text(app)
        await pilot.press("3")
        assert tabs.active == "lab-tab-sqs"
        assert "Poll-based: SQS -> Lambda" in screen_text(app)
        assert "sim 00:00:30.0" in screen_text(app), "the runs go on where they were"


async def test_at_80x24_the_tab_shows_its_counters_and_several_log_lines_under_the_summary():
    app = LabOnlyApp()
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        await at(pilot, 45)
        await pilot.press("3")
        await wait_until(pilot, lambda: app.screen.board.active_model == "sqs", "the SQS tab")
        rows = screen_text(app).splitlines()
        counted = next(i for i, row in enumerate(rows) if "succeeded" in row and "failed" in row)
        assert "throttles" in rows[counted + 1] and "billed:" in rows[counted + 2]
        log = [row for row in rows[counted + 3 : -1] if re.match(r"\s+\d\d:\d\d", row)]
        assert len(log) >= 4, rows
        # The summary above is the tab's flow view: its SQS cell shows the queue as it stands.
        assert any("visible" in row and "Poll-based" not in row for row in rows[:counted])
        await pilot.resize_terminal(*WIDE)
        await wait_until(pilot, lambda: "queue ─▶ pollers" in screen_text(app), "the flow view in a column")


async def test_errors_key_makes_all_three_fail_each_in_its_own_way():
    app = LabOnlyApp()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await at(pilot, 20)
        assert all(failed(text) == 0 for text in counters(app).values())
        await pilot.press("e")
        text = screen_text(app)
        assert "faults on: every invocation fails" in text
        assert "Every answer is 200 with a function error" in text, "the captions say what to watch"
        await at(pilot, 400)
        shown = counters(app)
        assert all(failed(text) > 0 for text in shown.values()), shown
        assert "FunctionError" in shown["sync"]
        assert "RetriesExhausted" in shown["async"]
        assert "maxReceiveCount" in shown["sqs"]
        footer = screen_text(app).splitlines()[-1]
        assert "e Errors: on" in footer and "Errors: off" not in footer, (
            "the footer shows the toggle once, on"
        )


async def test_throttle_key_and_clear():
    app = LabOnlyApp()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await at(pilot, 20)
        await pilot.press("t")
        assert "faults on: reserved concurrency 1" in screen_text(app)
        await at(pilot, 80)
        shown = counters(app)
        assert all(throttles(text) > 0 for text in shown.values()), shown
        assert "TooManyRequestsException" in shown["sync"]
        assert "concurrency 1 of 1 (reserved concurrency)" in screen_text(app)

        await pilot.press("c")
        assert "faults: none" in screen_text(app)
        await at(pilot, 400)
        settled = {model: throttles(text) for model, text in counters(app).items()}
        await at(pilot, 600)
        assert {model: throttles(text) for model, text in counters(app).items()} == settled, (
            "cleared: no more throttles"
        )


async def test_poison_key_fails_one_item_in_every_model():
    app = LabOnlyApp()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await at(pilot, 20)
        await pilot.press("p")
        assert "poison: the next item" in screen_text(app)
        await at(pilot, 25)
        assert "poison: item 42 always fails" in screen_text(app)
        await at(pilot, 500)
        shown = counters(app)
        assert all(failed(text) == 1 for text in shown.values()), shown


async def test_reset_keeps_the_faults_that_are_on_and_step_back_replays_them():
    app = LabOnlyApp()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await at(pilot, 10)
        await pilot.press("e", "r")
        assert "sim 00:00:00.0" in screen_text(app)
        assert "faults on: every invocation fails" in screen_text(app)
        await at(pilot, 5)
        assert failed(counters(app)["sync"]) > 0, "errors from the first request on"
        before = picture(app)
        await pilot.press("s", "s")
        assert picture(app) != before
        await pilot.press("b", "b")
        assert picture(app) == before


async def test_a_screen_over_the_lab_pauses_it_and_closing_that_screen_plays_on():
    app = LabOnlyApp()
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        lab = app.screen
        await pilot.press("space")
        assert lab.player.playing
        await app.push_screen(Screen())
        await pilot.pause()
        assert not lab.player.playing, "nothing to watch: no work"
        reached = lab.player.time
        await let_player_ticks_pass(pilot)
        assert lab.player.time == reached
        app.pop_screen()
        await pilot.pause()
        assert lab.player.playing


async def test_lambda_tutor_lab_opens_over_the_map_and_escape_returns_to_it():
    app = LambdaTutorApp(loaded=load_course(), start=Start.lab())
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_narrow_lab_keeps_all_three_flows_in_view_marks_faults_and_zeroes_counts():
    app = LabOnlyApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await at(pilot, 20)
        summary = {cell.id: cell.text for cell in app.screen.query(".lab-summary-cell").results(TextBlock)}
        assert "waiting" in summary["lab-summary-sync"] and "200:" in summary["lab-summary-sync"]
        assert "queued" in summary["lab-summary-async"] and "to retry" in summary["lab-summary-async"]
        assert "visible" in summary["lab-summary-sqs"] and "in DLQ" in summary["lab-summary-sqs"]
        await pilot.press("e")
        await at(pilot, 25)
        sync_view = app.screen.query_one("#lab-view-sync", SimView)
        assert "00:20  ── changed: error rate 100% ──" in log(sync_view), "a marker where the fault began"
        await at(pilot, 120)
        assert failed(part(sync_view, "counters")) > 0
        assert "Zero counts" in screen_text(app), "the footer offers the key"
        await pilot.press("z")
        counted = part(sync_view, "counters")
        assert "counted from 00:02:00.0 on" in counted and failed(counted) == 0
        await at(pilot, 130)
        assert failed(part(sync_view, "counters")) > 0, "failures since the reset are counted"


async def test_a_tab_key_pressed_as_the_lab_narrows_opens_that_tab_once_the_tabs_are_built():
    """A resize across the breakpoint rebuilds the board; a digit in the same burst is kept and
    its tab opens once the tabs are there (a random walk once crashed on such a half-built board)."""
    import asyncio

    for ticks in range(6):
        app = LabOnlyApp()
        async with app.run_test(size=WIDE) as pilot:
            await pilot.pause()
            await pilot.resize_terminal(*NARROW)
            for _ in range(ticks):
                await asyncio.sleep(0)
            app.screen.action_show("async")
            await wait_until(pilot, lambda app=app: bool(app.screen.query(TabbedContent)), "the tabs")
            await pilot.pause()
            assert app.is_running
            assert app.screen.query_one(TabbedContent).active == "lab-tab-async", f"after {ticks} ticks"
