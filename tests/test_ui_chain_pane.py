"""A chain lesson's live pane: the stages in order, items crossing the hop as the learner steps,
and at the end the same end to end as `simulate --json`."""

import json
import re
import subprocess
import sys

from conftest import open_lesson, screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.sim import report
from tutor.sim.chain import load_chain
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.widgets.sim_chain import ChainPane, ChainView
from tutor.ui.widgets.sim_log import EventLog
from tutor.ui.widgets.sim_text import TextBlock

LOADED = load_course()
API_CHAIN_LESSON = "choosing-chain-api-sqs-dynamodb"
SNS_CHAIN_LESSON = "choosing-chain-s3-sns"


def simulate_json(name: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "simulate", name, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


async def test_a_chain_lesson_shows_its_stages_in_order_with_the_hop_between_them():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, API_CHAIN_LESSON)
        await wait_for_text(pilot, "A (sync) ─▶ SQS queue ─▶ B (sqs) ─▶ DynamoDB table")
        text = screen_text(app)
        assert text.index("▌A · synchronous invoke") < text.index("▼ 0 handed on ─▶ SQS queue ─▶ B")
        assert text.index("▼ 0 handed on") < text.index("▌B · SQS event source mapping")
        assert "end to end: ✓ 0 of 60 delivered" in text


async def test_stepping_moves_an_item_from_a_across_the_hop_into_b():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, API_CHAIN_LESSON)
        pane = app.screen.query_one(ChainPane)
        await pilot.press("s")  # the lesson's key steps its pane
        await wait_for_text(pilot, "A req-1 arrived")
        assert "▼ 0 handed on" in screen_text(app), "A has the request; nothing has crossed yet"
        # A answers req-1 at 0.33 s (its cold start and duration): step until it is handed on.
        for _ in range(20):
            if pane.chain_run.handed_on(0, pane.player.time):
                break
            await pilot.press("s")
            await pilot.pause()
        await wait_for_text(pilot, "▼ 1 handed on ─▶ SQS queue ─▶ B")
        text = screen_text(app)
        assert "req-1 ▶ msg-1" in text, "the hop names the item it handed on and what it became"
        assert "A req-1 answered 200" in text and "B msg-1 arrived" in text, "the log shows the hand-off"
        assert "B invocation 1 started (cold start)" in text, "B takes it at once"


async def test_at_the_end_the_pane_shows_the_end_to_end_and_stage_counters_of_simulate_json():
    expected = simulate_json("s3-sns-fanout")
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_lesson(app, pilot, SNS_CHAIN_LESSON)
        pane = app.screen.query_one(ChainPane)
        pane.focus()
        await pilot.press(*["plus"] * 12, "space")
        await wait_until(pilot, lambda: pane.player.finished, "the chain to end", timeout=30)
        end = expected["end_to_end"]
        latency = dict(report.latency_row(end))
        await wait_for_text(
            pilot, f"end to end: ✓ {end['delivered']} of {end['items']} delivered · {end['lost']} lost"
        )
        text = screen_text(app)
        # The percentiles' line wraps beside the text: read it as the pane drew it.
        drawn = " ".join(app.screen.query_one(".chain-end-to-end", TextBlock).lines)
        assert f"p50 {latency['p50']} · p95 {latency['p95']} · p99 {latency['p99']}" in drawn
        for stage, run in zip(expected["stages"], pane.chain_run.runs, strict=True):
            summary = stage["summary"]
            counters = run.snapshot()["counters"]
            assert (counters["succeeded"], counters["failed"]) == (summary["succeeded"], summary["failed"])
        b = expected["stages"][1]["summary"]
        assert f"✓ {b['succeeded']} succeeded   ✗ {b['failed']} failed" in text
        assert f"▼ {expected['stages'][0]['handed_on']} handed on ─▶ SNS topic ─▶ B" in text


# At 3 write capacity units B's pairs of writes are throttled from about 1.5 s on; its first SDK
# retry that writes (one of its two items) comes at 1.9 s. The preset's own 5 units throttle nothing.
THROTTLED_CHAIN = ["B.downstream.write_capacity_units=3"]


def watch_chain(overrides: list[str], speed: float | None = None) -> LambdaTutorApp:
    chain = load_chain("api-sqs-dynamodb", overrides=overrides)
    return LambdaTutorApp(start=Start.watch(chain, "api-sqs-dynamodb", speed=speed))


def chain_log(app) -> list[str]:
    return app.screen.query_one(ChainView).query_one(".sim-log", EventLog).lines


async def test_stepping_a_chain_into_a_throttled_table_logs_bs_throttled_writes_and_sdk_retries():
    app = watch_chain(THROTTLED_CHAIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, "Nothing has happened yet")
        for _ in range(400):
            await pilot.press("s")
            if any(" B SDK retry of " in line for line in chain_log(app)):
                break
        # The line the single pane writes for such a retry, named by the stage.
        retry = "B SDK retry of msg-11..msg-12 (invocation 7, attempt 2 of 3): 1 accepted, 1 throttled again"
        await wait_for_text(pilot, retry)
        log = "\n".join(chain_log(app))
        assert (
            "B throttled write of msg-11..msg-12 (ProvisionedThroughputExceededException; attempt 1 of 3)"
            in log
        )
        assert "A throttled write" not in log and "A SDK retry" not in log, "A writes to no table"


async def test_a_chain_log_batch_sums_a_stages_many_throttled_writes_and_retries_into_a_line_each():
    app = watch_chain(THROTTLED_CHAIN, speed=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, "Nothing has happened yet")
        await pilot.press("space")
        # At 10 simulated seconds a second a batch covers 2 s: dozens of refused writes.
        await wait_until(
            pilot, lambda: any(" B SDK retries: " in line for line in chain_log(app)), "summed retries"
        )
        await pilot.press("space")
        summed = [line for line in chain_log(app) if " B throttled writes: " in line]
        assert summed, chain_log(app)
        writes, invocations = (
            int(n) for n in re.search(r"B throttled writes: (\d+) in (\d+) invocations", summed[0]).groups()
        )
        assert writes >= invocations > 1


def screen_row(app, words: str) -> str:
    return next((row for row in screen_text(app).splitlines() if words in row), "")


async def page_down_to(pilot, words: str) -> str:
    """Page the focused tab down until a row with `words` is in view; that row."""
    for _ in range(30):
        if row := screen_row(pilot.app, words):
            return row
        await pilot.press("pagedown")
    raise AssertionError(f"{words!r} not found paging down:\n{screen_text(pilot.app)}")


async def test_the_parameters_tab_shows_each_stages_values_and_marks_those_the_chain_sets():
    app = watch_chain(THROTTLED_CHAIN)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, "Nothing has happened yet")
        await pilot.press("tab", "right")  # the tabs, then the one after Live
        await wait_for_text(pilot, "Each stage's parameters as this run uses them (read-only)")
        assert "ctrl+r" not in screen_text(app), "no form to restore: the chain's tab is read-only"
        await pilot.press("tab")  # into the tab, whose rows the page keys scroll
        assert "◆ 80" in await page_down_to(pilot, "function.duration_ms"), (
            "A's duration, as the chain sets it"
        )
        await page_down_to(pilot, "▌B · SQS event source mapping, fed by the SQS queue")
        assert "◆ 3" in await page_down_to(pilot, "WriteCapacityUnits"), "B's table, as overridden"
        assert "◆" not in screen_row(app, "max_attempts"), "the SDK's attempts are the default"
        assert "load.count" not in screen_text(app), "B's load is what A hands on, not a parameter"


async def test_a_try_step_shows_its_value_in_the_chain_parameters_tab():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, API_CHAIN_LESSON)
        pane = app.screen.query_one(ChainPane)
        pane.focus()
        await pilot.press("1")  # B.sqs.maximum_concurrency = 10
        await wait_for_text(pilot, "try 1: B.sqs.maximum_concurrency = 10")
        await pilot.press("space")  # paused: the tab is read, not the run
        await pilot.click("#--content-tab-sim-params")
        await wait_for_text(pilot, "The whole chain")
        await pilot.click(".chain-params")
        assert "◆ 10" in await page_down_to(pilot, "ScalingConfig.MaximumConcurrency")


async def test_the_palette_finds_a_chain_by_its_title_and_opens_it_full_screen():
    from tutor.ui.screens.course_map import CourseMapScreen

    title = load_chain("s3-sns-fanout").title
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"two asynchronous hops")
        await wait_for_text(pilot, f"Chain: {title}")
        await wait_for_text(pilot, "s3-sns-fanout · chain async -> async")
        await pilot.press("enter")
        await wait_for_text(pilot, "A (async) ─▶ SNS topic ─▶ B (async)")
        assert "Simulation › s3-sns-fanout" in screen_text(app)
        await pilot.press("s")
        await wait_for_text(pilot, "A evt-1 arrived")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")


async def test_a_broken_chain_opened_from_the_palette_says_why_instead_of_crashing(tmp_path):
    pack = tmp_path / "pack"
    (pack / "scenarios" / "chains").mkdir(parents=True)
    (pack / "course.toml").write_text("format_version = 1\n")
    (pack / "scenarios" / "chains" / "one-stage.toml").write_text(
        'title = "Only one"\n[[stages]]\nname = "A"\nmodel = "sync"\n'
    )
    app = LambdaTutorApp(extra_packs=[pack])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"only one")
        await wait_for_text(pilot, "Chain: Only one")
        await pilot.press("enter")
        await wait_for_text(pilot, "✗ The chain 'one-stage' cannot run: ")
        # The reason wraps under the line's start (the file's path is long): read it as words.
        assert "stages: allowed 2..5 [[stages]] tables" in " ".join(screen_text(app).split())
