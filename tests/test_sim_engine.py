"""The engine's API: determinism, conservation, stepping in slices, snapshots, interventions."""

import json
import os
import random
import subprocess
import sys

import pytest

from tutor.errors import UserError
from tutor.sim.engine import Simulation, run
from tutor.sim.scenario import list_presets, load_scenario

PRESETS = [name for name, *_ in list_presets()]
# One preset per model and shape that slicing has to get right (windows, FIFO, bisect, retries).
SLICED = [
    "sync-cold-vs-warm",
    "sync-caller-gives-up",
    "async-retries-destination",
    "async-throttle-backoff",
    "sqs-visibility-too-short",
    "sqs-fifo-groups",
    "sqs-throttled-pollers",
    "kinesis-bisect",
    "kinesis-parallelization",
    "dynamodb-record-age",
]


def as_bytes(result):
    return json.dumps({"trace": result.trace, "summary": result.summary}, sort_keys=True).encode()


def test_every_preset_named_in_the_brief_runs():
    assert len(PRESETS) >= 19


@pytest.mark.parametrize("preset", PRESETS)
def test_same_seed_same_bytes_and_items_are_conserved(preset):
    scenario = load_scenario(preset)
    first, second = run(scenario), run(load_scenario(preset))
    assert as_bytes(first) == as_bytes(second)
    summary = first.summary
    assert summary["items"] == summary["succeeded"] + summary["failed"] + summary["unfinished"]
    assert first.trace[-1]["kind"] == "end"
    times = [e["t"] for e in first.trace]
    assert times == sorted(times)


@pytest.mark.parametrize("preset", PRESETS)
def test_items_are_conserved_when_until_cuts_the_run(preset):
    scenario = load_scenario(preset, overrides={"until_s": 3})
    result = run(scenario)
    summary = result.summary
    assert summary["items"] == summary["succeeded"] + summary["failed"] + summary["unfinished"]
    assert summary["sim_time_s"] <= 3
    if result.trace[-1]["reason"] == "until":
        assert summary["sim_time_s"] == 3


def test_a_different_seed_changes_a_random_run():
    base = {
        "model": "sqs",
        "load": {"count": 50, "rate_per_s": 20, "pattern": "poisson"},
        "function": {"duration_dist": "exponential"},
    }
    one = run(load_scenario(base, seed=1))
    two = run(load_scenario(base, seed=2))
    assert one.trace != two.trace


def test_changing_one_parameter_does_not_reshuffle_the_other_random_streams():
    base = {
        "model": "async",
        "until_s": 100,
        "load": {"count": 30, "rate_per_s": 5, "pattern": "poisson"},
        "function": {"duration_dist": "lognormal"},
    }
    calm = run(load_scenario(base)).trace
    failing = run(load_scenario(base, overrides={"function.error_rate": 0.5})).trace
    arrivals = [(e["t"], e["item"]) for e in calm if e["kind"] == "arrive"]
    assert arrivals == [(e["t"], e["item"]) for e in failing if e["kind"] == "arrive"]
    first_end = next(e["t"] for e in calm if e["kind"] == "invoke_end")
    assert first_end == next(e["t"] for e in failing if e["kind"] == "invoke_end")


@pytest.mark.parametrize("preset", SLICED)
def test_stepping_in_any_slices_gives_the_trace_of_one_full_run(preset):
    scenario = load_scenario(preset)
    whole = run(scenario)
    event_times = sorted({e["t"] for e in whole.trace})
    rng = random.Random(preset)
    slicings = [
        [k * 0.1 for k in range(1, 200)],  # a pane ticking
        sorted(rng.uniform(0, scenario.until_s) for _ in range(25)),  # uneven slices
        event_times,  # stopping exactly on event times
    ]
    for cuts in slicings:
        sim = Simulation(scenario)
        drained = []
        for cut in cuts:
            sim.advance(cut)
            drained.extend(sim.drain_events())
        sim.advance(scenario.until_s)
        drained.extend(sim.drain_events())
        assert sim.trace == whole.trace
        assert drained == whole.trace
        assert sim.summary() == whole.summary


def test_advance_stops_at_until_or_once_drained():
    scenario = load_scenario("async-retries-destination")
    sim = Simulation(scenario)
    sim.advance(100)
    assert (sim.now, sim.done) == (100, False)
    sim.advance(10_000)
    assert sim.done and sim.now == 181.6
    assert sim.trace[-1] == {"t": 181.6, "kind": "end", "reason": "drained"}
    blocked = Simulation(load_scenario("kinesis-poison-blocks-shard"))
    blocked.advance(10_000)
    assert blocked.done and blocked.now == 600
    assert blocked.trace[-1] == {"t": 600.0, "kind": "end", "reason": "until"}
    assert blocked.summary()["unfinished"] > 0


def test_reset_replays_the_same_run():
    sim = Simulation(load_scenario("sqs-poison-dlq"))
    sim.advance(15)
    first = list(sim.trace)
    sim.reset()
    assert sim.now == 0 and sim.trace == [] and not sim.done
    sim.advance(15)
    assert sim.trace == first


@pytest.mark.parametrize(
    "preset", ["api-gateway-lambda", "s3-lambda-dynamodb", "sqs-lambda", "kinesis-parallelization"]
)
def test_snapshot_counters_agree_with_the_summary(preset):
    sim = Simulation(load_scenario(preset))
    sim.advance(2)
    snap = sim.snapshot()
    summary = sim.summary()
    counters = snap["counters"]
    for key in (
        "items",
        "succeeded",
        "failed",
        "unfinished",
        "throttles",
        "cold_starts",
        "invocations",
        "max_concurrency",
        "duplicates",
        "destinations",
        "dropped",
    ):
        assert counters[key] == summary[key]
    assert snap["t"] == 2 and snap["function"]["busy"] == counters["concurrency"]
    model = sim.scenario.model
    assert ("streams" if model in ("kinesis", "dynamodb") else model) in snap
    json.dumps(snap)


def test_snapshot_shows_what_each_pane_draws():
    sync = Simulation(load_scenario("sync-caller-gives-up"))
    sync.advance(10)
    snap = sync.snapshot()
    assert snap["sync"]["callers_waiting"] == 3
    assert snap["function"] == {
        "busy": 3,
        "initializing": 0,
        "idle": 0,
        "limit": 1000,
        "reserved_concurrency": None,
        "error_rate": 0.0,
        "poison_pending": False,
    }
    cold = Simulation(load_scenario("sync-cold-vs-warm"))
    cold.advance(0.5)
    assert cold.snapshot()["function"]["initializing"] == 3
    asynchronous = Simulation(load_scenario("async-retries-destination"))
    asynchronous.advance(30)
    assert asynchronous.snapshot()["async"] == {
        "queue_depth": 1,
        "waiting_retry": 1,
        "waiting_backoff": 0,
        "in_flight": 0,
    }
    sqs = Simulation(load_scenario("sqs-partial-batch"))
    sqs.advance(5)
    assert sqs.snapshot()["sqs"]["in_flight"] == 1 and sqs.snapshot()["sqs"]["visible"] == 0
    assert sqs.snapshot()["sqs"]["deleted"] == 9


def test_drain_events_returns_only_new_events():
    sim = Simulation(load_scenario("sqs-lambda"))
    sim.advance(1)
    first = sim.drain_events()
    assert first and sim.drain_events() == []
    sim.advance(2)
    second = sim.drain_events()
    assert first + second == sim.trace


def test_error_rate_intervention_applies_from_now_and_replays_after_reset():
    scenario = load_scenario("sqs-lambda")
    sim = Simulation(scenario)
    sim.advance(2)
    sim.intervene({"function.error_rate": 1.0})
    sim.advance(300)
    ends = [(e["t"], e["outcome"]) for e in sim.trace if e["kind"] == "invoke_end"]
    assert all(outcome == "ok" for t, outcome in ends if t <= 2)
    assert all(outcome == "error" for t, outcome in ends if t > 2.5)
    live = list(sim.trace)
    assert sim.interventions == [(2, {"function.error_rate": 1.0})]
    sim.reset()
    sim.advance(1)
    sim.advance(300)
    assert sim.trace == live
    replayed = Simulation(scenario, interventions=[(2, {"function.error_rate": 1.0})])
    replayed.advance(300)
    assert replayed.trace == live


def test_reserved_concurrency_intervention_throttles_and_clearing_it_restores():
    scenario = load_scenario("api-gateway-lambda", overrides={"load.count": 40})
    sim = Simulation(scenario)
    sim.advance(1)
    sim.intervene({"function.reserved_concurrency": 0})
    sim.advance(3)
    sim.intervene({"function.reserved_concurrency": None})
    sim.advance(60)
    throttled = [e["t"] for e in sim.trace if e["kind"] == "throttle"]
    assert throttled and all(1 < t <= 3 for t in throttled)
    assert sim.summary()["responses"]["429"] == len(throttled) == 10
    live = list(sim.trace)
    sim.reset()
    sim.advance(60)
    assert sim.trace == live


def test_poison_makes_the_next_arrival_fail_every_attempt_until_cleared():
    scenario = load_scenario("async-retries-destination", overrides={"function.faults": []})
    sim = Simulation(scenario)
    sim.advance(0.5)
    sim.intervene({"poison": True})
    assert sim.snapshot()["function"]["poison_pending"]
    sim.advance(600)
    ends = [(e["invocation"], e["outcome"]) for e in sim.trace if e["kind"] == "invoke_end"]
    starts = {e["invocation"]: e["items"][0] for e in sim.trace if e["kind"] == "invoke_start"}
    assert [starts[i] for i, outcome in ends if outcome == "error"] == ["evt-2"] * 3
    cured = Simulation(scenario)
    cured.advance(0.5)
    cured.intervene({"poison": True})
    cured.advance(30)
    cured.intervene({"poison": False})
    cured.advance(600)
    assert cured.summary()["succeeded"] == 3
    assert [e["t"] for e in cured.trace if e["kind"] == "invoke_start" and e["items"] == ["evt-2"]] == [
        1.0,
        61.2,
    ]


def test_intervention_before_any_event_applies_from_the_start():
    scenario = load_scenario("sqs-lambda")
    sim = Simulation(scenario)
    sim.intervene({"function.error_rate": 1.0})
    sim.advance(1)
    assert all(e["outcome"] == "error" for e in sim.trace if e["kind"] == "invoke_end")
    live = list(sim.trace)
    sim.reset()
    sim.advance(1)
    assert sim.trace == live


def test_intervening_after_stepping_back_starts_a_new_timeline():
    scenario = load_scenario("sqs-lambda")
    sim = Simulation(scenario)
    sim.advance(3)
    sim.intervene({"function.error_rate": 1.0})
    sim.reset()
    sim.advance(1)
    sim.intervene({"function.reserved_concurrency": 1})
    assert sim.interventions == [(1, {"function.reserved_concurrency": 1})]


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"function.timeout_s": 5}, "unknown"),
        ({"function.error_rate": 2}, "0..1"),
        ({"function.reserved_concurrency": 950}, "0..900"),
        ({"poison": "yes"}, "true or false"),
    ],
)
def test_bad_interventions_are_refused_in_one_line(changes, words):
    sim = Simulation(load_scenario("sqs-lambda"))
    with pytest.raises(UserError) as refused:
        sim.intervene(changes)
    message = str(refused.value)
    assert words in message and "\n" not in message and next(iter(changes)) in message


def test_run_without_a_trace_gives_the_same_summary():
    scenario = load_scenario("sqs-throttled-pollers")
    assert run(scenario, record_trace=False).summary == run(scenario).summary
    assert run(scenario, record_trace=False).trace == []


def test_latency_percentiles_use_the_nearest_rank():
    summary = run(load_scenario("sync-throttled-burst")).summary
    # 15 answers at 0 s (429) and 5 at 1.3 s: p50 is a 429, p95 and above a 200.
    assert summary["latency_s"] == {"p50": 0.0, "p95": 1.3, "p99": 1.3, "max": 1.3}
    nothing = run(load_scenario("sqs-lambda", overrides={"until_s": 1, "function.cold_start_ms": 2000}))
    assert nothing.summary["latency_s"] == {"p50": None, "p95": None, "p99": None, "max": None}


def test_same_seed_same_bytes_across_processes_with_different_hash_seeds():
    code = (
        "import json, sys\n"
        "from tutor.sim.engine import run\n"
        "from tutor.sim.scenario import load_scenario\n"
        "out = []\n"
        "for model in ('sync', 'async', 'sqs', 'kinesis'):\n"
        "    scenario = load_scenario({'model': model, 'until_s': 300,\n"
        "        'function': {'duration_dist': 'exponential', 'error_rate': 0.2, 'item_error_rate': 0.1,\n"
        "                     'reserved_concurrency': 3},\n"
        "        'load': {'count': 60, 'rate_per_s': 20, 'pattern': 'poisson'}})\n"
        "    result = run(scenario)\n"
        "    out.append({'trace': result.trace, 'summary': result.summary})\n"
        "sys.stdout.write(json.dumps(out))\n"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 10_000


def test_step_moves_to_the_next_instant_that_writes_events():
    scenario = load_scenario("async-retries-destination")
    whole = run(scenario).trace
    sim = Simulation(scenario)
    instants = []
    while not sim.done:
        assert sim.next_event_at is not None
        before = len(sim.trace)
        instants.append(sim.step())
        assert len(sim.trace) > before
    assert sim.trace == whole
    assert sim.next_event_at is None
    assert instants[:4] == [0.0, 0.5, 1.0, 1.2]
    assert instants[-1] == 181.6


def test_stream_hands_over_the_whole_trace_in_slices_and_keeps_none_of_it():
    from tutor.sim.engine import Simulation

    for preset in ("sqs-poison-dlq", "kinesis-bisect", "async-retries-destination", "api-gateway-lambda"):
        scenario = load_scenario(preset)
        whole = run(scenario)
        sim = Simulation(scenario)
        slices = list(sim.stream(chunk_rows=5))
        assert len(slices) > 2
        assert [event for events in slices for event in events] == whole.trace
        assert sim.summary() == whole.summary
        assert sim.trace == []
