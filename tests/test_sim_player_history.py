"""A played run keeps only what the panes show, however long it plays, and shows the same as the whole trace.

Pure: no Textual. The player runs on a fake clock; what it keeps (the log's latest events, the
event times a step back walks through, the charts' points) is compared with a fresh run of the
deterministic engine to the same time, which reads the whole trace.
"""

from __future__ import annotations

from tutor.sim.engine import Simulation
from tutor.sim.player import KEPT_TIMES, RECENT_EVENTS, Player, SimRun
from tutor.sim.scenario import load_scenario
from tutor.ui.widgets.sim_diagram import chart_lines, digest_chart_lines, log_line

# A steady trickle: each item writes events at several distinct times, so a few thousand simulated
# seconds hold many more event times than a run keeps.
TRICKLE = {"model": "sqs", "until_s": 50_000, "load": {"count": 40_000, "rate_per_s": 1}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def played(scenario, seconds: float, ticks: int) -> Player:
    """A player that played `seconds` of simulated time in `ticks` timer ticks at 100x."""
    clock = FakeClock()
    player = Player([SimRun(scenario)], speed=100, clock=clock)
    player.play()
    for _ in range(ticks):
        clock.now += seconds / 100 / ticks
        player.tick()
    player.pause()
    return player


def fresh(scenario, to_s: float) -> Simulation:
    sim = Simulation(scenario)
    sim.advance(to_s)
    return sim


def state(sim: Simulation) -> dict:
    """The live state a pane draws (its clock comes from the player, not the engine)."""
    return {key: value for key, value in sim.snapshot().items() if key != "t"}


def shown(run: SimRun, time: float, width: int = 80) -> tuple:
    """What a pane draws from a run: its live state, its log's lines and its charts."""
    return (
        state(run.sim),
        [log_line(event) for event in run.recent],
        digest_chart_lines(run.scenario.model, run.digest, time, width),
    )


def test_a_long_played_run_keeps_a_bounded_history_and_not_its_trace():
    scenario = load_scenario(TRICKLE)
    player = played(scenario, 6_000, ticks=600)
    run = player.runs[0]
    assert run.event_count > 20_000, "the run wrote far more events than it keeps"
    assert len(run.recent) == RECENT_EVENTS
    assert KEPT_TIMES <= len(run.times) <= 2 * KEPT_TIMES
    assert run.sim.trace == [], "the engine handed its events over and kept none"
    # The log's latest events are the whole trace's latest.
    whole = fresh(scenario, player.time).trace
    assert list(run.recent) == whole[-RECENT_EVENTS:]


def test_stepping_back_past_the_kept_times_lands_where_a_fresh_run_to_that_time_does():
    scenario = load_scenario(TRICKLE)
    kept = 20
    clock = FakeClock()
    run = SimRun(scenario, kept_times=kept)
    player = Player([run], speed=100, clock=clock)
    player.play()
    for _ in range(100):
        clock.now += 0.1
        player.tick()
    assert len(run.times) <= 2 * kept
    seen = []
    for _ in range(3):
        player.step()
        seen.append((player.time, shown(run, player.time)))
    # Back through what was seen going forward, then further back than the run ever kept at once.
    for time, picture in reversed(seen[:-1]):
        player.step_back()
        assert player.time == time
        assert shown(run, player.time) == picture
    event_times = sorted({event["t"] for event in fresh(scenario, player.time).trace})
    for _ in range(2 * kept + 5):
        player.step_back()
    expected_time = event_times[-1 - (2 * kept + 5)]
    assert player.time == expected_time
    again = fresh(scenario, expected_time + 5e-7)
    assert state(run.sim) == state(again)
    assert list(run.recent) == again.trace[-RECENT_EVENTS:]


def test_charts_built_slice_by_slice_equal_charts_drawn_from_the_whole_trace():
    for preset in ("sqs-poison-dlq", "async-retries-destination", "kinesis-bisect", "sync-throttled-burst"):
        scenario = load_scenario(preset)
        clock = FakeClock()
        player = Player([SimRun(scenario)], speed=10, clock=clock)
        run = player.runs[0]
        player.play()
        moments = 0
        while not player.finished:
            clock.now += 0.03
            player.tick()
            whole = fresh(scenario, player.time).trace
            for width in (60, 120):
                assert digest_chart_lines(scenario.model, run.digest, player.time, width) == chart_lines(
                    scenario.model, whole, player.time, width
                ), f"{preset} at {player.time} s, {width} columns"
            moments += 1
        assert moments >= 5, f"{preset} was checked at several moments"
