"""The downstream in the pane: its stage on the flow view, throttled writes and SDK retries in the
log and on the timeline, and the billed-units meter.

The numbers the pane shows come from the player's `SimRun.snapshot()`, counted from the trace as
the run reaches each event; the checks here hold them to the engine's own summary and to what a
step back shows, then press the pane's keys and read the screen.
"""

from __future__ import annotations

import re

import pytest

from conftest import screen_text, wait_for_text, wait_until

from tutor.sim.player import Player, SimRun
from tutor.sim.scenario import list_presets, load_scenario
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.widgets.sim_flow import compact_lines
from tutor.ui.widgets.sim_log import EventLog
from tutor.ui.widgets.sim_pane import SimView
from tutor.ui.widgets.sim_text import TextBlock
from tutor.ui.widgets.sim_timeline import TimelineView

THROTTLED_TABLE = "async-throttled-table"
DOWNSTREAM_PRESETS = [name for name, *_ in list_presets() if load_scenario(name).downstream.kind != "none"]
COUNTS = re.compile(r"✗ ([\d,]+) throttled writes · ↻ ([\d,]+) SDK retries")
BILLED = re.compile(r"billed: ([\d,]+) requests")


def test_the_presets_with_a_downstream_include_a_throttled_table_and_a_connection_pool():
    kinds = {load_scenario(name).downstream.kind for name in DOWNSTREAM_PRESETS}
    assert THROTTLED_TABLE in DOWNSTREAM_PRESETS and {"dynamodb", "connection_limited"} <= kinds


@pytest.mark.parametrize("name", DOWNSTREAM_PRESETS)
def test_at_the_end_the_pane_counts_what_the_summary_counts(name):
    run = SimRun(load_scenario(name))
    run.advance(run.sim.until_s)
    assert run.sim.end_reason == "drained"
    shown = run.snapshot()["downstream"]
    summary = run.sim.summary()["downstream"]
    for key in ("writes", "throttled_writes", "sdk_retries", "failed_invocations"):
        assert shown[key] == summary[key], key
    assert shown["sdk_waiting"] == 0


@pytest.mark.parametrize("name", DOWNSTREAM_PRESETS)
def test_stepping_back_shows_the_downstream_as_it_was_going_forward(name):
    run = SimRun(load_scenario(name))
    player = Player([run])
    seen = []
    for _ in range(80):
        if not player.step():
            break
        seen.append((player.time, run.snapshot()["downstream"]))
    # Counted as the run reaches each event, never ahead: the counts only grow.
    for key in ("throttled_writes", "sdk_retries", "writes"):
        counts = [state[key] for _, state in seen]
        assert counts == sorted(counts), key
    # A step back re-runs the engine to an event's time: it shows what the last step forward to
    # that time showed.
    for _ in range(12):
        player.step_back()
        shown = [state for time, state in seen if round(time, 6) == round(player.time, 6)]
        assert run.snapshot()["downstream"] == shown[-1], player.time


def test_the_lab_summary_of_a_run_with_a_table_shows_its_writes_and_throttled_writes():
    run = SimRun(load_scenario(THROTTLED_TABLE))
    run.advance(3.0)
    rows = compact_lines(run.snapshot(), 40)
    state = run.snapshot()["downstream"]
    assert any(row.strip().startswith(f"{state['written_this_s']} writes/s") for row in rows), rows
    assert f"✗ {state['throttled_writes']} throttled writes" in rows[-1], rows


# -- on screen --------------------------------------------------------------------------------


def watch(name: str) -> LambdaTutorApp:
    return LambdaTutorApp(start=Start.watch(load_scenario(name), name))


def log_lines(app) -> list[str]:
    return app.screen.query_one(SimView).query_one(".sim-log", EventLog).lines


async def test_stepping_a_throttled_table_shows_throttled_writes_sdk_retries_and_the_meter():
    app = watch(THROTTLED_TABLE)
    async with app.run_test(size=(120, 50)) as pilot:
        await wait_for_text(pilot, "function ─▶ DynamoDB table · provisioned 10 WCU/s · no burst")
        requests = []
        for _ in range(60):
            await pilot.press("s")
            text = screen_text(app)
            requests.append(int(BILLED.search(text).group(1)))
            throttled, retries = (int(n) for n in COUNTS.search(text).groups())
            if "SDK retry of evt-" in "\n".join(log_lines(app)):
                break
        assert throttled > 0 and retries > 0, text
        # One billed request per invocation that ran, counted as they start.
        invocations = int(re.search(r"cold starts? · ([\d,]+) invocations?", text).group(1))
        assert requests[-1] == invocations > requests[0], requests
        assert re.search(r"\d+ SDK backoff +↻", text) or "SDK backoff" in text
        log = "\n".join(log_lines(app))
        assert "throttled write of evt-" in log and "SDK retry at" in log
        assert "SDK retry of evt-" in log, "a retry that wrote is a line of its own"


async def test_a_log_batch_sums_many_throttled_writes_into_one_line():
    app = watch(THROTTLED_TABLE)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        pane = app.screen.pane
        pane.player.seek(2.5)  # one batch: a hundred writes refused in two and a half seconds
        pane.player_changed()
        await pilot.pause()
        log = log_lines(app)
        summed = [line for line in log if "throttled writes: " in line]
        assert len(summed) == 1, log
        writes, invocations = (
            int(n) for n in re.search(r"throttled writes: (\d+) in (\d+) invocations", summed[0]).groups()
        )
        assert writes >= invocations > 3
        assert not any("throttled write of" in line for line in log), "not one line per write"
        assert any(re.search(r"SDK retries: \d+ writes tried again since", line) for line in log), log


async def test_the_timeline_marks_an_items_sdk_retries_inside_its_attempt():
    app = watch(THROTTLED_TABLE)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        pane = app.screen.pane
        pane.player.seek(0.45)  # the first SDK retries, before any event is given up
        pane.player_changed()
        await pilot.press("tab", "right")
        await wait_until(
            pilot, lambda: app.screen.query_one(TimelineView).query_one(TextBlock).lines, "lanes"
        )
        lines = app.screen.query_one(TimelineView).query_one(TextBlock).lines
        assert "↻ SDK retry of a throttled write" in lines[0]
        retried = [
            (lines[index], lines[index + 1])
            for index, line in enumerate(lines[:-1])
            if line.startswith("evt-") and "↻" in line
        ]
        assert retried, lines
        drawn, words = retried[0]
        # Inside its attempt: the handler runs on both sides of the retry.
        at = drawn.index("↻")
        assert drawn[at - 1] == "■" == drawn[at + 1], drawn
        assert re.search(r"writes? throttled, ↻ [1-9]\d* SDK retr", words), words
