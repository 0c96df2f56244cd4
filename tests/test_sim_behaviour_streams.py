"""Kinesis and DynamoDB stream mappings: exact facts from the trace for each behaviour of the contract."""

import itertools

import pytest

from tutor.sim.engine import Simulation, run
from tutor.sim.scenario import load_scenario


def build(model="kinesis", until_s=600, **sections):
    return load_scenario({"model": model, "seed": 1, "until_s": until_s, **sections})


def of_kind(trace, kind, item=None):
    return [e for e in trace if e["kind"] == kind and (item is None or item in e.get("items", ()))]


def batches(trace):
    return [(e["t"], e["items"]) for e in of_kind(trace, "invoke_start")]


def recs(*numbers):
    return [f"rec-{n}" for n in numbers]


def test_keys_map_to_shards_and_slots_by_the_contract_formula():
    scenario = build(
        load={"count": 12, "pattern": "burst", "partition_keys": 12},
        kinesis={"shards": 2, "parallelization_factor": 3},
    )
    arrivals = of_kind(run(scenario).trace, "arrive")
    for e in arrivals:
        j = int(e["key"].split("-")[1])
        assert (e["shard"], e["slot"]) == ((j - 1) % 2, ((j - 1) // 2) % 3)
    assert [e["key"] for e in arrivals[:5]] == ["pk-1", "pk-2", "pk-3", "pk-4", "pk-5"]


def test_parallelization_factor_runs_slots_side_by_side_and_keeps_each_keys_order():
    result = run(load_scenario("kinesis-parallelization"))
    trace = result.trace
    key_of = {e["item"]: e["key"] for e in of_kind(trace, "arrive")}
    order = {}
    for _, items in batches(trace):
        for r in items:
            order.setdefault(key_of[r], []).append(int(r.split("-")[1]))
    assert len(order) == 8
    assert all(numbers == sorted(numbers) and len(numbers) == 10 for numbers in order.values())
    assert result.summary["max_concurrency"] == 4


def test_a_poison_record_blocks_its_shard_and_its_iterator_age_climbs():
    scenario = load_scenario("kinesis-poison-blocks-shard")
    sim = Simulation(scenario)
    sim.advance(300)
    shards = sim.snapshot()["streams"]["shards"]
    assert [s["blocked"] for s in shards] == [True, False]
    # Shard 0 holds pk-1 and pk-3: 20 records; its checkpoint sits before rec-5's batch.
    assert shards[0]["records"] == 20 and shards[0]["checkpoint"] == 2
    assert shards[1]["checkpoint"] == shards[1]["records"] == 20
    age_at_300 = shards[0]["iterator_age_s"]
    sim.advance(600)
    assert sim.snapshot()["streams"]["shards"][0]["iterator_age_s"] > age_at_300 > 200
    summary = sim.summary()
    assert summary["unfinished"] == 18 and summary["failed"] == 0
    retries = [e["at"] for e in of_kind(sim.trace, "retry", "rec-5")]
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(retries)]
    assert gaps[:8] == [2.2, 4.2, 8.2, 16.2, 32.2, 64.2, 128.2, 256.2]  # backoff + 0.2 s run


def test_bisect_isolates_the_poison_record_without_using_retries():
    trace = run(load_scenario("kinesis-bisect")).trace
    assert [e["halves"] for e in of_kind(trace, "bisect")] == [
        [recs(1, 2, 3, 4, 5), recs(6, 7, 8, 9, 10)],
        [recs(6, 7, 8), recs(9, 10)],
        [recs(6, 7), recs(8)],
        [recs(6), recs(7)],
    ]
    assert [t for t, items in batches(trace) if items == ["rec-7"]] == [1.5, 2.7, 4.9]
    assert [(e["t"], e["at"]) for e in of_kind(trace, "retry")] == [(1.7, 2.7), (2.9, 4.9)]
    assert [(e["t"], e["items"], e["reason"]) for e in of_kind(trace, "destination")] == [
        (5.1, ["rec-7"], "RetryAttemptsExhausted")
    ]
    # The shard then moves on in order.
    assert [items for _, items in batches(trace)][-3:] == [recs(8), recs(9, 10), recs(*range(11, 21))]


def test_bisect_with_zero_retries_still_splits_down_to_the_poison_record():
    scenario = load_scenario("kinesis-bisect", overrides={"kinesis.maximum_retry_attempts": 0})
    result = run(scenario)
    assert not of_kind(result.trace, "retry")
    assert [e["items"] for e in of_kind(result.trace, "destination")] == [["rec-7"]]
    assert result.summary["succeeded"] == 19


def checkpointing_scenario():
    """Five records in one batch, partial batch responses on: rec-2 fails once, rec-4 always."""
    return build(
        function={
            "duration_ms": 100,
            "cold_start_ms": 0,
            "faults": [{"item": "rec-2", "kind": "error", "attempts": 1}, {"item": "rec-4", "kind": "error"}],
        },
        load={"count": 5, "pattern": "burst", "partition_keys": 1},
        kinesis={
            "batch_size": 5,
            "report_batch_item_failures": True,
            "maximum_retry_attempts": 1,
            "on_failure": "sqs",
        },
    )


def test_checkpoint_before_the_first_failed_record_and_a_fresh_count_for_the_shorter_batch():
    scenario = checkpointing_scenario()
    result = run(scenario)
    trace = result.trace
    assert batches(trace) == [
        (0.0, recs(1, 2, 3, 4, 5)),
        (0.1, recs(2, 3, 4, 5)),
        (0.2, recs(4, 5)),
        (1.3, recs(4, 5)),
    ]
    assert [e["failed_items"] for e in of_kind(trace, "invoke_end")] == [
        recs(2, 4),
        recs(4),
        recs(4),
        recs(4),
    ]
    assert [(e["t"], e["items"], e["reason"]) for e in of_kind(trace, "destination")] == [
        (1.4, recs(4, 5), "RetryAttemptsExhausted")
    ]
    assert result.summary["succeeded"] == 3
    # rec-3 was processed in the first two batches, rec-5 in all four.
    assert result.summary["duplicates"] == 1 + 3


def test_retried_until_record_age_exceeded_then_too_old_records_skip_the_handler():
    trace = run(load_scenario("dynamodb-record-age")).trace
    assert [t for t, items in batches(trace) if items == ["rec-3"]] == [1.0, 2.2, 4.4, 8.6, 16.8, 33.0]
    destinations = [(e["t"], e["items"], e["reason"]) for e in of_kind(trace, "destination")]
    assert destinations == [
        (65.2, recs(3), "RecordAgeExceeded"),
        (65.2, recs(4, 5, 6, 7, 8), "RecordAgeExceeded"),
        (65.2, recs(9, 10, 11), "RecordAgeExceeded"),
    ]
    invoked = {r for _, items in batches(trace) for r in items}
    assert not invoked & set(recs(*range(4, 12)))
    assert batches(trace)[-3][1] == recs(12, 13)


def test_given_up_records_without_a_destination_are_dropped():
    scenario = load_scenario("kinesis-bisect", overrides={"kinesis.on_failure": "none"})
    result = run(scenario)
    assert [(e["items"], e["reason"]) for e in of_kind(result.trace, "drop")] == [
        (["rec-7"], "RetryAttemptsExhausted")
    ]
    assert result.summary["dropped"] == 1


def test_throttled_stream_batches_do_not_use_retry_attempts():
    scenario = build(
        function={"duration_ms": 2000, "reserved_concurrency": 1},
        load={"count": 2, "pattern": "burst", "partition_keys": 2},
        kinesis={"shards": 2, "maximum_retry_attempts": 0},
    )
    result = run(scenario)
    assert [(e["t"], e["reason"]) for e in of_kind(result.trace, "retry")] == [
        (0.0, "throttle"),
        (1.0, "throttle"),
    ]
    assert batches(result.trace) == [(0.0, ["rec-1"]), (3.0, ["rec-2"])]
    assert result.summary["succeeded"] == 2 and result.summary["throttles"] == 2


@pytest.mark.parametrize(
    "preset", ["kinesis-poison-blocks-shard", "dynamodb-record-age", "kinesis-parallelization"]
)
def test_max_iterator_age_is_the_largest_age_of_a_batchs_last_record_when_sent(preset):
    result = run(load_scenario(preset))
    arrived = {e["item"]: e["t"] for e in of_kind(result.trace, "arrive")}
    expected = max(round(t - arrived[items[-1]], 6) for t, items in batches(result.trace))
    assert result.summary["max_iterator_age_s"] == pytest.approx(expected, abs=1e-6)


def test_window_gathers_records_until_the_window_after_the_previous_invocation_ends():
    scenario = build(
        function={"duration_ms": 200, "cold_start_ms": 0},
        load={"count": 6, "rate_per_s": 1, "partition_keys": 1},
        kinesis={"batch_size": 10, "maximum_batching_window_s": 3},
    )
    # The first window (0..3) closes just before rec-4 arrives at 3.0; the invocation ends at 3.2,
    # so the next window gathers rec-4 to rec-6 until 6.2.
    assert batches(run(scenario).trace) == [(3.0, recs(1, 2, 3)), (6.2, recs(4, 5, 6))]


def test_dynamodb_uses_the_same_stream_semantics():
    kinesis = run(load_scenario("kinesis-bisect")).trace
    dynamodb = run(load_scenario("kinesis-bisect", overrides={"model": "dynamodb"})).trace
    assert kinesis == dynamodb


def test_stream_retry_backoff_stops_growing_at_300_s():
    scenario = load_scenario("kinesis-poison-blocks-shard", overrides={"until_s": 1500})
    retries = [e["at"] for e in of_kind(run(scenario).trace, "retry", "rec-5")]
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(retries)]
    assert gaps[7:10] == [256.2, 300.2, 300.2]


def test_retries_are_numbered_against_maximum_retry_attempts():
    trace = run(load_scenario("kinesis-bisect")).trace
    assert [(e["retry"], e["max_retries"]) for e in of_kind(trace, "retry", "rec-7")] == [(1, 2), (2, 2)]
    assert [e.get("retry") for e in of_kind(trace, "invoke_start", "rec-7")][-3:] == [None, 1, 2]


def test_retries_without_a_limit_count_on_and_say_minus_1():
    trace = run(load_scenario("kinesis-poison-blocks-shard")).trace
    retries = [e for e in of_kind(trace, "retry", "rec-5") if e["reason"] == "function_error"]
    assert [e["retry"] for e in retries] == list(range(1, len(retries) + 1)) and len(retries) > 3
    assert {e["max_retries"] for e in retries} == {-1}


def test_throttles_and_checkpoints_leave_the_retry_count_at_0():
    scenario = build(
        function={"duration_ms": 2000, "reserved_concurrency": 1},
        load={"count": 2, "pattern": "burst", "partition_keys": 2},
        kinesis={"shards": 2, "maximum_retry_attempts": 0},
    )
    assert [(e["reason"], e["retry"]) for e in of_kind(run(scenario).trace, "retry")] == [
        ("throttle", 0),
        ("throttle", 0),
    ]
    scenario = checkpointing_scenario()
    trace = run(scenario).trace
    assert [(e["items"], e["retry"], e["max_retries"]) for e in of_kind(trace, "retry")] == [
        (recs(2, 3, 4, 5), 0, 1),
        (recs(4, 5), 0, 1),
        (recs(4, 5), 1, 1),
    ]
    assert [e.get("retry") for e in of_kind(trace, "invoke_start")] == [None, None, None, 1]


def test_a_batch_given_up_says_how_many_retries_it_had():
    from tutor.sim.report import describe_event

    given_up = of_kind(run(load_scenario("kinesis-bisect")).trace, "destination")[0]
    # Sent at 1.5, retried at 2.7 and 4.9: the limit of 2 used up.
    assert (given_up["retry"], given_up["max_retries"]) == (2, 2)
    assert (
        describe_event(given_up)
        == "rec-7 sent to the on-failure destination (RetryAttemptsExhausted, after 2 retries)"
    )
