"""The flow view and the environment grid: every item is a glyph in the stage it is in now.

The glyph count test walks every preset event by event and reads the drawn lines back: the
glyphs of each stage (with "+N more") must add up to what the engine's snapshot says is there.
The pilot tests press the pane's keys and follow an item through the stages on screen.
"""

from __future__ import annotations

import re

import pytest

from conftest import screen_text

from tutor.sim.player import Player, SimRun, clock_text
from tutor.sim.scenario import list_presets, load_scenario
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.widgets.sim_flow import RunFollower, flow_lines
from tutor.ui.widgets.sim_pane import SimView
from tutor.ui.widgets.sim_text import TextBlock

PRESETS = [name for name, _title, _description, _model in list_presets()]
# A preset with thousands of events is checked at its first steps and at its end.
STEPS_CHECKED = 250
STAGE_ROW = re.compile(
    r"^ *([\d,]+) (waiting|backing off|queued|to retry|throttled|running|visible|in batches|returning"
    r"|in DLQ|shard \d+|written|SDK backoff) *([●◌⟳■◐▣▪✓◆↻]*)(?: \+([\d,]+) more)?$"
)
CELL_ROW = re.compile(r"^[■▤□\d ]+(?: \+([\d,]+) more)?$")


def drawn_stages(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Each stage row's number and its glyphs plus "+N more", as drawn."""
    stages = {}
    for line in lines:
        match = STAGE_ROW.match(line)
        if match:
            number, word, glyphs, more = match.groups()
            stages[word] = (int(number.replace(",", "")), len(glyphs) + int((more or "0").replace(",", "")))
    return stages


def drawn_environments(lines: list[str]) -> dict[str, int]:
    """The cells under the 'environments' line, by state, with any "+N more" counted apart."""
    start = next(index for index, line in enumerate(lines) if line.startswith("environments "))
    cells = {"busy": 0, "starting": 0, "idle": 0, "more": 0}
    for line in lines[start + 1 :]:
        match = CELL_ROW.match(line)
        if not match or not line.strip():
            break
        cells["busy"] += line.count("■")
        cells["starting"] += line.count("▤")
        cells["idle"] += line.count("□")
        cells["more"] += int((match.group(1) or "0").replace(",", ""))
    return cells


def expected_stages(snapshot: dict) -> dict[str, int]:
    model = snapshot["model"]
    if model == "sync":
        sync = snapshot["sync"]
        return {"waiting": sync["callers_waiting"], "backing off": sync["callers_backing_off"]}
    if model == "async":
        state = snapshot["async"]
        retry, throttled = state["waiting_retry"], state["waiting_backoff"]
        return {
            "queued": state["queue_depth"] - retry - throttled,
            "to retry": retry,
            "throttled": throttled,
            "running": state["in_flight"],
        }
    if model == "sqs":
        state = snapshot["sqs"]
        return {"visible": state["visible"], "in flight": state["in_flight"], "in DLQ": state["dlq"]}
    return {f"shard {s['shard']}": s["records"] - s["checkpoint"] for s in snapshot["streams"]["shards"][:6]}


def expected_downstream(snapshot: dict) -> dict[str, int]:
    """The downstream's stages: the writes of this second, the items waiting for an SDK retry."""
    downstream = snapshot.get("downstream")
    if downstream is None:
        return {}
    return {"written": downstream["written_this_s"], "SDK backoff": downstream["sdk_waiting"]}


DOWNSTREAM_COUNTS = re.compile(r"✗ ([\d,]+) throttled writes · ↻ ([\d,]+) SDK retries")


def drawn_downstream_counts(lines: list[str]) -> tuple[int, int] | None:
    for line in lines:
        match = DOWNSTREAM_COUNTS.search(line)
        if match:
            return tuple(int(number.replace(",", "")) for number in match.groups())
    return None


COMPACT_GRID = re.compile(r"^environments ([\d,]+) ([■▤□]*)(?: \+([\d,]+) more)? · ")


def check_compact(run: SimRun, follower: RunFollower, width: int) -> None:
    """A short pane's flow view: the same glyphs per stage, the grid on one line, seven lines."""
    sim = run.sim
    snapshot = run.snapshot()
    lines = flow_lines(snapshot, run.scenario, follower, sim.stage_items(), width, compact=True)
    downstream = snapshot.get("downstream")
    assert len(lines) <= (8 if downstream else 7) and all(len(line) <= width for line in lines), lines
    if downstream:
        # The throttled writes and SDK retries go first on the downstream's one line.
        counts = (downstream["throttled_writes"], downstream["sdk_retries"])
        assert drawn_downstream_counts(lines) in (counts, None), (sim.now, lines)
        assert width < 80 or drawn_downstream_counts(lines) == counts, lines
    drawn = drawn_stages(lines)
    for stage, count in expected_stages(snapshot).items():
        if stage == "in flight" and "in batches" in drawn:
            drawn[stage] = tuple(map(sum, zip(drawn.pop("in batches"), drawn.pop("returning"), strict=True)))
        unshown = (
            (stage == "backing off" and not run.scenario.sync.client_retries)
            or (stage == "in DLQ" and run.scenario.sqs.max_receive_count is None)
            or (stage.startswith("shard ") and int(stage.split()[1]) >= 3)  # "+N more shards"
        )
        if not unshown:
            assert drawn[stage] == (count, count), (sim.now, stage, lines)
    grid_line = lines[-2] if downstream else lines[-1]
    total, cells, more = COMPACT_GRID.match(grid_line).groups()
    function = snapshot["function"]
    assert int(total.replace(",", "")) == len(cells) + int((more or "0").replace(",", ""))
    assert int(total.replace(",", "")) == function["busy"] + function["idle"], (sim.now, lines)


def check_frame(run: SimRun, follower: RunFollower, width: int) -> None:
    sim = run.sim
    follower.update()
    check_compact(run, follower, width)
    snapshot = run.snapshot()
    lines = flow_lines(snapshot, run.scenario, follower, sim.stage_items(), width)
    drawn = drawn_stages(lines)
    for stage, count in expected_downstream(snapshot).items():
        assert drawn[stage] == (count, count), (sim.now, stage, lines)
    if "downstream" in snapshot:
        downstream = snapshot["downstream"]
        counts = (downstream["throttled_writes"], downstream["sdk_retries"])
        assert drawn_downstream_counts(lines) == counts, (sim.now, lines)
    if "in batches" in drawn:
        batches, returning = drawn.pop("in batches"), drawn.pop("returning")
        drawn["in flight"] = (batches[0] + returning[0], batches[1] + returning[1])
    for stage, count in expected_stages(snapshot).items():
        if stage == "backing off" and not run.scenario.sync.client_retries:
            assert count == 0 and stage not in drawn
            continue
        if stage == "in DLQ" and run.scenario.sqs.max_receive_count is None:
            continue
        assert drawn[stage] == (count, count), (sim.now, stage, lines)
    function = snapshot["function"]
    cells = drawn_environments(lines)
    starting = function["initializing"]
    total = function["busy"] + function["idle"]
    assert cells["busy"] + cells["starting"] + cells["idle"] + cells["more"] == total, (sim.now, lines)
    if not cells["more"]:
        assert (cells["busy"], cells["starting"], cells["idle"]) == (
            function["busy"] - starting,
            starting,
            function["idle"],
        ), (sim.now, lines)


@pytest.mark.parametrize("name", PRESETS)
def test_each_stage_draws_one_glyph_per_item_the_engine_holds(name):
    run = SimRun(load_scenario(name))
    follower = RunFollower.of(run)
    player = Player([run])
    for step in range(STEPS_CHECKED):
        if not player.step():
            break
        check_frame(run, follower, 100 if step % 2 else 50)
    run.advance(run.sim.until_s)
    check_frame(run, follower, 80)


# -- on screen --------------------------------------------------------------------------------


def flow(app) -> str:
    return app.screen.query_one(SimView).query_one(".sim-diagram", TextBlock).text


def where_is(text: str, item: str) -> str | None:
    """The stage the flow view draws `item` in: a poller's batch, returning, the DLQ."""
    for line in text.splitlines():
        if re.match(rf" +p\d+ \w+ {item}\b", line):
            return "batch"
        if re.match(rf" +{item} visible again at", line):
            return "returning"
        if re.match(rf" +{item} ▶ DLQ", line):
            return "DLQ"
    return None


def squeeze(stages: list[str | None]) -> list[str]:
    out: list[str] = []
    for stage in stages:
        if stage and (not out or out[-1] != stage):
            out.append(stage)
    return out


async def test_a_poison_message_goes_from_batch_to_returning_and_back_then_to_the_dlq():
    app = LambdaTutorApp(start=Start.watch(load_scenario("sqs-poison-dlq"), "sqs-poison-dlq"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        seen = []
        moves = []
        for _ in range(40):
            await pilot.press("s")
            text = flow(app)
            seen.append(where_is(text, "msg-5"))
            moves.append(text)
            if seen[-1] == "DLQ":
                break
        path = squeeze(seen)
        assert path == ["batch", "returning", "batch", "returning", "batch", "returning", "DLQ"], path
        assert any("msg-5 visible again ▶ env" in text for text in moves), "it leaves the queue again"
        assert "1 in DLQ       ▣" in flow(app)


def grid(app) -> list[str]:
    lines = flow(app).splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("environments "))
    return lines[start : start + 4]


async def test_a_burst_fills_the_grid_and_the_throttled_requests_bounce():
    app = LambdaTutorApp(start=Start.watch(load_scenario("sync-throttled-burst"), "sync-throttled-burst"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert grid(app)[0].startswith("environments 0 ")
        await pilot.press("s")
        shown = "\n".join(grid(app))
        assert shown.startswith("environments 5 · ■ 0 busy · ▤ 5 starting"), shown
        assert "✗ 15 throttled" in shown and "bounced: " in shown and "✗ 429" in shown
        assert grid(app)[1].count("▤") == 5


async def test_warm_environments_are_reused_not_added():
    app = LambdaTutorApp(start=Start.watch(load_scenario("sync-cold-vs-warm"), "sync-cold-vs-warm"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        counts = []
        for _ in range(60):
            await pilot.press("s")
            counts.append(int(re.match(r"environments (\d+)", grid(app)[0]).group(1)))
        assert max(counts) == counts[-1] == 5, counts
        assert "(warm)" in screen_text(app) or "(warm)" in flow(app)
        assert "□" in grid(app)[1], "idle environments wait for the next request"


# -- the timeline -----------------------------------------------------------------------------


def timeline(app) -> list[str]:
    from tutor.ui.widgets.sim_timeline import TimelineView

    return app.screen.query_one(TimelineView).query_one(TextBlock).lines


async def test_the_timeline_shows_async_attempts_a_minute_then_two_minutes_apart():
    app = LambdaTutorApp(
        start=Start.watch(load_scenario("async-retries-destination"), "async-retries-destination")
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.pane
        pane.player.seek(200)
        pane.player_changed()
        await pilot.press("tab", "right")
        await pilot.pause()
        lines = timeline(app)
        lane = next(index for index, line in enumerate(lines) if line.startswith("evt-2 "))
        drawn, words = lines[lane], lines[lane + 1]
        assert "waits 60 s, 120 s" in words and "▶ on failure (RetriesExhausted)" in words, words
        # The third failure is also the give-up: its ▣ is drawn over its ✗.
        failures = [index for index, glyph in enumerate(drawn) if glyph in "✗▣"]
        assert len(failures) == 3 and drawn[failures[2]] == "▣", drawn
        first_gap, second_gap = failures[1] - failures[0], failures[2] - failures[1]
        assert abs(second_gap - 2 * first_gap) <= 2, (first_gap, second_gap)
        ended = clock_text(pane.player.time)  # the run drained when evt-2 was given up
        assert f"now {ended} ▲" in lines[2] or f"▲ now {ended}" in lines[2], lines[2]

        await pilot.press("b")
        lines = timeline(app)
        assert ended not in lines[2] and "now 00:03:01.4" in lines[2], "stepping back moves the cursor"
        evt_2 = next(line for line in lines if line.startswith("evt-2 "))
        assert evt_2.count("✗") == 2 and "▣" not in evt_2, "the third attempt is running again"


def open_timeline_at(pane, seconds: float) -> None:
    pane.player.seek(seconds)
    pane.player_changed()


def lane(lines: list[str], label: str) -> tuple[str, str]:
    """A lane's drawing and its words, found by its label."""
    index = next(index for index, line in enumerate(lines) if line.split(" ", 1)[0] == label)
    return lines[index], lines[index + 1]


async def test_a_stream_timeline_draws_batches_and_their_bisected_halves():
    app = LambdaTutorApp(start=Start.watch(load_scenario("kinesis-bisect"), "kinesis-bisect"))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        open_timeline_at(app.screen.pane, 3)
        await pilot.press("tab", "right")
        await pilot.pause()
        lines = timeline(app)
        labels = [line.split(" ", 1)[0] for line in lines[3::2]]
        assert labels[:9] == [
            "rec-1…10",
            "›rec-1…5",
            "›rec-6…10",
            "››rec-6…8",
            "››rec-9…10",
            "›››rec-6…7",
            "›››rec-8",
            "››››rec-6",
            "››››rec-7",
        ], "one lane per batch, each half one › deeper than the batch it came from"
        drawn, words = lane(lines, "rec-1…10")
        assert "shard 0 · 10 records" in words and "½ split at 00:00:00.5 into rec-1…5 and rec-6…10" in words
        assert "½" in drawn and "✓" not in drawn
        assert "✓ checkpointed at 00:00:00.7" in lane(lines, "›rec-1…5")[1]
        drawn, words = lane(lines, "››rec-9…10")
        assert "·" in drawn and "■" not in drawn and "waits for rec-6…8, the first half" in words
        drawn, words = lane(lines, "››››rec-7")
        assert drawn.count("✗") == 2 and "┄" in drawn and "waits 1 s" in words, (drawn, words)
        assert "retry 2 of 2 at 00:00:04.9" in words
        drawn, words = lane(lines, "shard")
        assert "░" in drawn and "blocked since 00:00:01.7 behind rec-7" in words
        assert "13 records wait behind it" in words, words

        open_timeline_at(app.screen.pane, 6)
        await pilot.pause()
        lines = timeline(app)
        words = lane(lines, "››››rec-7")[1]
        assert "▶ on failure (RetryAttemptsExhausted) at 00:00:05.1" in words, words
        assert "✓ checkpointed at 00:00:05.5" in lane(lines, "››rec-9…10")[1]
        assert "shard 0 · 10 records" in lane(lines, "rec-11…20")[1]
        assert "moved on at 00:00:05.1: rec-7 ▶ on failure" in lane(lines, "shard")[1]


async def test_a_poison_record_blocks_its_shard_on_the_timeline_while_the_other_drains():
    name = "kinesis-poison-blocks-shard"
    app = LambdaTutorApp(start=Start.watch(load_scenario(name), name))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        open_timeline_at(app.screen.pane, 120)
        await pilot.press("tab", "right")
        await pilot.pause()
        lines = timeline(app)
        drawn, words = lane(lines, "rec-5")
        assert words.strip().startswith("shard 0 · 1 record · failed, retry 7 of ∞ at 00:02:09.4"), words
        assert "7 tries" in words and "waits 1 s, 2 s, 4 s, 8 s" in words, words
        assert drawn.count("✗") + drawn.count("■") >= 4 and "▣" not in drawn
        assert "shard 1 · 1 record" in lane(lines, "rec-40")[1], "shard 1 drained"
        shard_rows = [line for line in lines if line.startswith("shard ")]
        assert len(shard_rows) == 1 and shard_rows[0].startswith("shard 0"), "only shard 0 was blocked"
        words = lane(lines, "shard")[1]
        assert "blocked since 00:00:01.2 behind rec-5" in words and "17 records wait behind it" in words
        assert "oldest record 119 s old" in words, words

        failures = drawn.count("✗")
        await pilot.press("b")  # back to the 7th try's start: the engine re-runs, the lanes are rebuilt
        lines = timeline(app)
        drawn, words = lane(lines, "rec-5")
        assert drawn.count("✗") == failures - 1 and "retry 6 of ∞ at 00:01:05.2 · 7 tries" in words, words
        words = lane(lines, "shard")[1]
        assert "17 records wait behind it · oldest record 64.2 s old" in words, "read from the re-run engine"
