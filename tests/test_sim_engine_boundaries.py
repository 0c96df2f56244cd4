"""Latency percentiles at their boundaries: the nearest rank, on runs small enough to work out by hand."""

import gc
import math
import random
from array import array

import pytest

from tutor.errors import UserError
from tutor.sim import engine
from tutor.sim.engine import Simulation, latency_summary, run
from tutor.sim.scenario import load_scenario


def four_distinct_latencies():
    """Four requests 10 s apart (200 ms handler, 500 ms cold start, caller waits 1 s, one retry
    after 0.5 s; the handler times out at 3 s):
    - req-1 starts the first environment: 0.5 + 0.2 = 0.7 s;
    - req-2 finds it warm: 0.2 s;
    - req-3 times out once: 504 after 1 s, retried at 1.5 s while the first try still holds the
      warm environment, so a cold one answers: 1.5 + 0.7 = 2.2 s;
    - req-4 times out on both tries: 1 + 0.5 + 1 = 2.5 s (the caller gives up).
    """
    return load_scenario(
        {
            "model": "sync",
            "until_s": 100,
            "load": {"count": 4, "rate_per_s": 0.1, "pattern": "uniform"},
            "function": {
                "duration_ms": 200,
                "duration_dist": "fixed",
                "cold_start_ms": 500,
                "timeout_s": 3,
                "faults": [
                    {"item": "req-3", "kind": "timeout", "attempts": 1},
                    {"item": "req-4", "kind": "timeout"},
                ],
            },
            "sync": {"client_timeout_s": 1, "client_retries": 1, "client_backoff_s": 0.5},
        }
    )


def test_the_median_of_four_is_the_second_fastest_and_the_tail_is_the_slowest():
    summary = run(four_distinct_latencies()).summary
    # Sorted: 0.2, 0.7, 2.2, 2.5. Nearest rank: p50 is the ceil(0.5 × 4) = 2nd, p95 and p99 the 4th.
    assert summary["latency_s"] == {"p50": 0.7, "p95": 2.5, "p99": 2.5, "max": 2.5}
    assert (summary["model"], summary["succeeded"], summary["failed"]) == ("sync", 3, 1)
    assert summary["failed_by_reason"] == {"CallerTimeout": 1}


def test_percentiles_of_a_hundred_latencies_pick_exactly_that_rank():
    latencies = [float(n) for n in range(100, 0, -1)]  # 1 s .. 100 s, in any order
    assert latency_summary(latencies) == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}


@pytest.mark.parametrize(
    ("count", "p50", "p95"),
    [
        (1, 1.0, 1.0),  # a single finished item is every percentile
        (2, 1.0, 2.0),  # ceil(0.5 × 2) = 1st, ceil(0.95 × 2) = 2nd
        (3, 2.0, 3.0),
        (20, 10.0, 19.0),  # ceil(0.95 × 20) = 19th: the slowest one is p99's, not p95's
        (21, 11.0, 20.0),
    ],
)
def test_nearest_rank_rounds_the_rank_up_never_past_the_last(count, p50, p95):
    summary = latency_summary([float(n) for n in range(1, count + 1)])
    assert (summary["p50"], summary["p95"], summary["max"]) == (p50, p95, float(count))


def test_no_finished_item_has_no_percentiles():
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None, "max": None}


# -- percentiles of runs longer than one sorting slice (ten million requests, say) ----------------


@pytest.mark.parametrize("slice_size", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_sorted_in_slices_are_those_of_the_whole_run(monkeypatch, slice_size, seed):
    """The real slice is a million latencies; a small one walks the same merge on a hand-sized run."""
    monkeypatch.setattr(engine, "SORT_SLICE", slice_size)
    draw = random.Random(seed)
    latencies = [float(draw.randint(1, 9)) for _ in range(draw.randint(2, 30))]  # ties across slices
    ordered = sorted(latencies)

    def nearest_rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    assert latency_summary(array("d", latencies)) == {
        "p50": nearest_rank(0.50),
        "p95": nearest_rank(0.95),
        "p99": nearest_rank(0.99),
        "max": ordered[-1],
    }


# -- the lab's interventions, as the lab and a replay make them -----------------------------------


def two_per_second(**function):
    """Requests at 0, 0.5, 1.0 and 1.5 s, each answered 0.1 s later (the first after a cold start)."""
    return load_scenario(
        {
            "model": "sync",
            "until_s": 100,
            "load": {"count": 4, "rate_per_s": 2, "pattern": "uniform"},
            "function": {"duration_ms": 100, "duration_dist": "fixed", **function},
        }
    )


def outcomes(sim: Simulation) -> dict[str, str]:
    items = {e["invocation"]: e["items"][0] for e in sim.trace if e["kind"] == "invoke_start"}
    return {items[e["invocation"]]: e["outcome"] for e in sim.trace if e["kind"] == "invoke_end"}


def test_an_intervention_at_zero_applies_before_the_first_request():
    sim = Simulation(two_per_second(), interventions=[(0, {"function.error_rate": 1.0})])
    sim.advance(100)
    assert set(outcomes(sim).values()) == {"error"}


def test_an_intervention_at_a_request_time_applies_after_that_request_started():
    sim = Simulation(two_per_second(), interventions=[(0.5, {"function.error_rate": 1.0})])
    sim.advance(100)
    assert outcomes(sim) == {"req-1": "ok", "req-2": "ok", "req-3": "error", "req-4": "error"}


def test_interventions_given_out_of_order_apply_at_their_own_times():
    later_first = [(1.2, {"function.error_rate": 0.0}), (0.2, {"function.error_rate": 1.0})]
    sim = Simulation(two_per_second(), interventions=later_first)
    sim.advance(100)
    assert outcomes(sim) == {"req-1": "ok", "req-2": "error", "req-3": "error", "req-4": "ok"}


def test_two_interventions_at_the_same_time_both_apply():
    same_time = [(0.2, {"function.error_rate": 1.0}), (0.2, {"function.reserved_concurrency": 5})]
    sim = Simulation(two_per_second(), interventions=same_time)
    sim.advance(0.2)
    function = sim.snapshot()["function"]
    assert (function["error_rate"], function["reserved_concurrency"], function["limit"]) == (1.0, 5, 5)


def test_a_replayed_reservation_of_zero_throttles_every_later_request():
    sim = Simulation(two_per_second(), interventions=[(0.2, {"function.reserved_concurrency": 0})])
    sim.advance(100)
    assert outcomes(sim) == {"req-1": "ok"}
    assert sim.summary()["throttles"] == 3


def test_the_lab_may_set_rates_anywhere_from_0_to_1_and_reserve_up_to_the_account_limit():
    scenario = two_per_second()
    highest = scenario.function.account_concurrency - 100
    sim = Simulation(scenario)
    for changes in (
        {"function.error_rate": 0},
        {"function.error_rate": 0.5},
        {"function.item_error_rate": 0.25},
        {"function.reserved_concurrency": highest},
    ):
        sim.intervene(changes)
    function = sim.snapshot()["function"]
    assert (function["error_rate"], function["reserved_concurrency"], function["limit"]) == (
        0.5,
        highest,
        highest,
    )
    with pytest.raises(UserError) as caught:
        sim.intervene({"function.reserved_concurrency": highest + 1})
    assert str(caught.value) == (
        f"intervention function.reserved_concurrency = {highest + 1}: allowed a whole number "
        f"0..{highest:,} or None to remove the reservation"
    )
    with pytest.raises(
        UserError, match=r"^intervention function.item_error_rate = 1.5: allowed a number 0..1$"
    ):
        sim.intervene({"function.item_error_rate": 1.5})


def test_an_item_error_rate_intervention_fails_the_items_from_then_on():
    sim = Simulation(load_scenario("sqs-lambda"))
    sim.advance(2)
    sim.intervene({"function.item_error_rate": 1.0})
    sim.advance(300)
    ends = [(e["t"], e["outcome"]) for e in sim.trace if e["kind"] == "invoke_end"]
    assert all(outcome == "ok" for t, outcome in ends if t <= 2)
    assert [outcome for t, outcome in ends if t > 2.5] and all(
        outcome != "ok" for t, outcome in ends if t > 2.5
    )


def test_poison_cancelled_before_the_next_request_harms_nothing():
    sim = Simulation(two_per_second())
    sim.advance(0.2)
    sim.intervene({"poison": True})
    sim.intervene({"poison": False})
    assert sim.snapshot()["function"]["poison_pending"] is False
    sim.advance(100)
    assert set(outcomes(sim).values()) == {"ok"}


def test_a_cured_item_stays_cured_when_the_lab_poisons_another():
    scenario = load_scenario(
        "async-retries-destination", overrides={"function.faults": [], "load.count": 40}
    )  # one event a second; a failed one is retried a minute later
    sim = Simulation(scenario)
    sim.advance(0.5)
    sim.intervene({"poison": True})  # evt-2, arriving at 1 s
    sim.advance(30)
    sim.intervene({"poison": False})
    sim.intervene({"poison": True})  # evt-32, arriving at 31 s
    sim.advance(600)
    starts = {e["invocation"]: e["items"][0] for e in sim.trace if e["kind"] == "invoke_start"}
    failed = [
        starts[e["invocation"]] for e in sim.trace if e["kind"] == "invoke_end" and e["outcome"] == "error"
    ]
    assert sorted(failed) == ["evt-2"] + ["evt-32"] * 3
    assert sim.summary()["succeeded"] == 39


def test_a_replayed_change_is_in_effect_once_its_time_is_reached():
    sim = Simulation(two_per_second(), interventions=[(0.25, {"function.error_rate": 0.5})])
    sim.advance(0.25)
    assert sim.snapshot()["function"]["error_rate"] == 0.5
    assert sim.now == 0.25


def test_a_run_that_drains_before_a_replayed_change_still_ends_drained():
    sim = Simulation(two_per_second(), interventions=[(50, {"function.error_rate": 1.0})])
    sim.advance(100)
    assert (sim.done, sim.end_reason, sim.trace[-1]["reason"]) == (True, "drained", "drained")
    assert set(outcomes(sim).values()) == {"ok"}


# -- how a run ends, as the pane says it ----------------------------------------------------------


def test_the_end_reason_says_whether_the_work_was_done_or_time_ran_out():
    drained = Simulation(two_per_second())
    drained.advance(100)
    cut = Simulation(load_scenario("sqs-lambda", overrides={"until_s": 1}))
    cut.advance(1)
    assert (drained.end_reason, cut.end_reason) == ("drained", "until")


def test_stepping_past_the_last_event_before_until_ends_the_run_at_until():
    every_two_seconds = {
        "model": "sync",
        "until_s": 1.5,  # after req-1's answer at 0.4 s, before req-2 arrives at 2 s
        "load": {"count": 2, "rate_per_s": 0.5, "pattern": "uniform"},
        "function": {"duration_ms": 100, "duration_dist": "fixed"},
    }
    sim = Simulation(load_scenario(every_two_seconds))
    while not sim.done:
        sim.step()
    assert (sim.now, sim.end_reason) == (1.5, "until")
    assert sim.trace[-1] == {"t": 1.5, "kind": "end", "reason": "until"}


def test_snapshots_name_the_model_the_time_limit_and_whether_the_run_is_over():
    sim = Simulation(load_scenario("dynamodb-record-age"))
    before = sim.snapshot()
    assert (before["model"], before["done"], before["until_s"]) == ("dynamodb", False, sim.until_s)
    assert before["streams"]["shards"], "a DynamoDB stream draws its shards like Kinesis"
    sim.advance(sim.until_s)
    assert sim.snapshot()["done"] is True


def test_running_leaves_the_garbage_collector_as_it_found_it():
    assert gc.isenabled()
    Simulation(two_per_second()).advance(100)
    assert gc.isenabled()
