"""Billed units on hand-computed runs, prices set by the learner, and idle environments reclaimed."""

import pytest

from tutor.sim.engine import run
from tutor.sim.scenario import ScenarioError, load_scenario


def build(model, **sections):
    return load_scenario({"model": model, "seed": 1, **sections})


def test_gb_seconds_bill_init_and_duration_rounded_up_to_the_millisecond():
    # req-1 cold: 300 ms Init + 150.4 ms -> 451 ms; req-2 and req-3 warm: 151 ms each. 753 ms at 1 GB.
    scenario = build(
        "sync",
        function={"duration_ms": 150.4, "cold_start_ms": 300, "memory_mb": 1024},
        load={"count": 3, "rate_per_s": 1},
    )
    billed = run(scenario).summary["billed"]
    assert billed["requests"] == 3
    assert billed["gb_seconds"] == pytest.approx(0.753)
    assert billed["memory_mb"] == 1024
    doubled = run(scenario.with_overrides({"function.memory_mb": 2048})).summary["billed"]
    assert doubled["gb_seconds"] == pytest.approx(1.506)


def test_a_throttled_request_is_not_billed():
    scenario = build(
        "sync",
        function={"duration_ms": 1000, "reserved_concurrency": 2, "cold_start_ms": 0},
        load={"count": 5, "pattern": "burst"},
    )
    billed = run(scenario).summary["billed"]
    assert billed["requests"] == 2
    assert billed["gb_seconds"] == pytest.approx(2 * 1.0 * 128 / 1024)


def test_sqs_requests_count_sends_receives_deletes_and_empty_long_polls():
    # msg-1 at 0 s, msg-2 at 110 s. The five pollers wait 110 s each: five empty 20 s polls apiece.
    scenario = build(
        "sqs",
        function={"duration_ms": 200, "cold_start_ms": 0},
        load={"count": 2, "rate_per_s": 1 / 110},
    )
    billed = run(scenario).summary["billed"]
    assert billed["sqs_requests_by_action"] == {"send": 2, "receive": 2, "empty_receive": 25, "delete": 2}
    assert billed["sqs_requests"] == 31


def test_one_delete_request_per_ten_messages_of_a_batch():
    scenario = build(
        "sqs",
        function={"duration_ms": 200, "cold_start_ms": 0},
        load={"count": 25, "pattern": "burst"},
        sqs={"batch_size": 25, "maximum_batching_window_s": 1, "maximum_concurrency": 2},
    )
    summary = run(scenario).summary
    assert summary["invocations"] == 1
    assert summary["billed"]["sqs_requests_by_action"]["delete"] == 3


def test_other_models_make_no_sqs_requests_and_no_write_units_without_a_table():
    billed = run(build("async", load={"count": 5})).summary["billed"]
    assert billed["sqs_requests"] == 0 and billed["write_units"] == 0
    assert "sqs_requests_by_action" not in billed


def test_provisioned_table_bills_its_capacity_for_the_run_length():
    scenario = build(
        "sync",
        until_s=60,
        load={"count": 1},
        downstream={"kind": "dynamodb", "write_capacity_units": 10},
    )
    summary = run(scenario).summary
    hours = summary["sim_time_s"] / 3600
    assert summary["billed"]["write_capacity_unit_hours"] == pytest.approx(10 * hours, abs=1e-6)
    assert summary["billed"]["write_units"] == 1


def test_prices_are_the_learners_and_multiply_the_units():
    scenario = build(
        "sync",
        function={"duration_ms": 1000, "cold_start_ms": 0, "memory_mb": 1024},
        load={"count": 4, "rate_per_s": 1},
        prices={"request": 0.5, "gb_second": 2.0},
    )
    billed = run(scenario).summary["billed"]
    assert billed["cost"] == {"requests": 2.0, "gb_seconds": 8.0, "total": 10.0}
    assert "cost" not in run(build("sync", load={"count": 4})).summary["billed"]


def test_memory_outside_lambdas_range_is_refused():
    with pytest.raises(
        ScenarioError, match=r"function.memory_mb = 10241: allowed a whole number 128..10,240"
    ):
        build("sync", function={"memory_mb": 10241})


def test_idle_environments_are_reclaimed_after_the_configured_idle_time():
    # Requests 100 s apart: with a 60 s idle limit each one finds its environment gone.
    base = {"function": {"duration_ms": 100}, "load": {"count": 3, "rate_per_s": 0.01}}
    kept = run(build("sync", **base)).summary
    assert kept["cold_starts"] == 1
    assert "reclaimed_environments" not in kept
    reclaimed = run(build("sync", **{**base, "function": {"duration_ms": 100, "idle_reclaim_s": 60}})).summary
    assert reclaimed["cold_starts"] == 3
    assert reclaimed["reclaimed_environments"] == 2
    longer = run(build("sync", **{**base, "function": {"duration_ms": 100, "idle_reclaim_s": 150}})).summary
    assert longer["cold_starts"] == 1
