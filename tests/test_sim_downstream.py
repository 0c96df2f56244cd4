"""The downstream: throttled writes, the SDK's retries inside the invocation, and each model's own
failure path once the SDK gives up; facts read from the trace and the summary."""

import pytest

from tutor.sim.engine import run
from tutor.sim.report import describe_event
from tutor.sim.scenario import ScenarioError, load_scenario

# One write a second, no burst: a table that throttles as soon as two writes meet.
SMALL_TABLE = {"kind": "dynamodb", "write_capacity_units": 1, "burst_s": 0}


def build(model, **sections):
    return load_scenario({"model": model, "seed": 1, **sections})


def of_kind(trace, kind):
    return [e for e in trace if e["kind"] == kind]


def gave_up(trace):
    """Invocations whose SDK ran out of attempts (a refused last attempt has no retry_at)."""
    return {e["invocation"] for e in of_kind(trace, "write_throttled") if "retry_at" not in e}


def ends_by_invocation(trace):
    return {e["invocation"]: e for e in of_kind(trace, "invoke_end")}


def starts_by_invocation(trace):
    return {e["invocation"]: e for e in of_kind(trace, "invoke_start")}


def test_sync_caller_gets_a_function_error_when_the_sdk_gives_up():
    scenario = build(
        "sync",
        function={"duration_ms": 100, "cold_start_ms": 0},
        load={"count": 10, "pattern": "burst"},
        downstream=SMALL_TABLE,
    )
    result = run(scenario)
    failed = gave_up(result.trace)
    assert failed, "ten writes at once on a 1 WCU table must exhaust some SDK retries"
    starts = starts_by_invocation(result.trace)
    failed_items = {starts[n]["items"][0] for n in failed}
    answered = {e["item"]: e for e in of_kind(result.trace, "response")}
    assert all(answered[item]["status"] == 200 and answered[item]["function_error"] for item in failed_items)
    summary = result.summary
    assert summary["failed_by_reason"] == {"FunctionError": len(failed)}
    downstream = summary["downstream"]
    assert downstream["failed_invocations"] == len(failed)
    assert downstream["writes"] == summary["succeeded"]
    assert downstream["throttled_writes"] == len(of_kind(result.trace, "write_throttled"))
    # Every retry follows a refused attempt that named it; three attempts each at most.
    assert downstream["sdk_retries"] == sum(
        1 for e in of_kind(result.trace, "write_throttled") if "retry_at" in e
    )
    assert max(e["attempt"] for e in of_kind(result.trace, "write_throttled")) == 3


def test_sdk_backoff_counts_toward_the_duration_and_the_timeout():
    scenario = build(
        "sync",
        function={"duration_ms": 200, "cold_start_ms": 0, "timeout_s": 1},
        load={"count": 6, "pattern": "burst"},
        downstream={
            **SMALL_TABLE,
            "write_capacity_units": 2,
            "sdk_backoff_base_ms": 800,
            "sdk_max_attempts": 5,
        },
    )
    trace = run(scenario).trace
    starts, ends = starts_by_invocation(trace), ends_by_invocation(trace)
    last_retry = {}
    for event in of_kind(trace, "write_throttled"):
        if "retry_at" in event:
            last_retry[event["invocation"]] = event["retry_at"]
    checked = {"ok": 0, "timeout": 0}
    for number, retry_at in last_retry.items():
        start, end = starts[number]["t"], ends[number]
        waited = retry_at - start
        if waited > 1:
            # Still backing off when the 1 s timeout hit: a timeout, at exactly 1 s.
            assert end["outcome"] == "timeout"
            assert end["t"] == pytest.approx(start + 1)
            checked["timeout"] += 1
        elif end["outcome"] == "ok":
            # The handler's 0.2 s start after the last (successful) retry.
            assert end["t"] == pytest.approx(retry_at + 0.2)
            checked["ok"] += 1
    assert checked["timeout"] and checked["ok"]


def test_async_event_whose_writes_are_throttled_is_retried_a_minute_later():
    scenario = build(
        "async",
        until_s=400,
        function={"duration_ms": 100, "cold_start_ms": 0},
        load={"count": 8, "pattern": "burst"},
        downstream=SMALL_TABLE,
    )
    trace = run(scenario).trace
    starts, ends = starts_by_invocation(trace), ends_by_invocation(trace)
    failed = sorted(gave_up(trace))
    assert failed
    retried = 0
    for number in failed:
        start, end = starts[number], ends[number]
        assert end["outcome"] == "error"
        if start["attempt"] == start["max_attempts"]:
            continue  # its last attempt: given up, not retried
        booked = [e for e in of_kind(trace, "retry") if e["items"] == start["items"] and e["t"] == end["t"]]
        assert booked[0]["reason"] == "function_error"
        assert booked[0]["at"] == pytest.approx(end["t"] + (60 if start["attempt"] == 1 else 120))
        retried += 1
    assert retried


def test_sqs_batch_whose_writes_are_throttled_returns_to_the_queue():
    scenario = build(
        "sqs",
        until_s=600,
        function={"duration_ms": 100, "cold_start_ms": 0},
        load={"count": 40, "pattern": "burst"},
        sqs={"batch_size": 5, "visibility_timeout_s": 30},
        downstream={**SMALL_TABLE, "write_capacity_units": 5},
    )
    result = run(scenario)
    trace = result.trace
    starts, ends = starts_by_invocation(trace), ends_by_invocation(trace)
    failed = sorted(gave_up(trace))
    assert failed
    for number in failed:
        batch, end = starts[number]["items"], ends[number]
        assert end["outcome"] == "error"
        back = [e for e in of_kind(trace, "retry") if e["items"] == batch and e["t"] == end["t"]]
        # The whole batch, successful writes included, is visible again when its receive lapses.
        assert back[0]["reason"] == "function_error"
        assert back[0]["at"] == pytest.approx(starts[number]["t"] + 30)
    assert result.summary["succeeded"] == 40


def test_stream_batch_whose_writes_are_throttled_blocks_its_shard():
    scenario = build(
        "kinesis",
        until_s=300,
        function={"duration_ms": 100, "cold_start_ms": 0},
        load={"count": 20, "pattern": "burst", "partition_keys": 1},
        kinesis={"batch_size": 5},
        downstream={**SMALL_TABLE, "write_capacity_units": 5},
    )
    result = run(scenario)
    trace = result.trace
    starts = of_kind(trace, "invoke_start")
    failed = min(gave_up(trace))
    blocked = next(e for e in starts if e["invocation"] == failed)["items"]
    # The next invocation on the shard is the same batch again: nothing behind it went first.
    after = [e for e in starts if e["invocation"] > failed]
    assert after[0]["items"] == blocked
    assert after[0]["retry"] == 1
    assert result.summary["succeeded"] == 20


def test_a_connection_limit_refuses_writes_beyond_the_open_connections():
    scenario = build(
        "sync",
        function={"duration_ms": 500, "cold_start_ms": 0},
        load={"count": 5, "pattern": "burst"},
        downstream={
            "kind": "connection_limited",
            "max_connections": 2,
            "write_ms": 500,
            "sdk_backoff_base_ms": 0,
        },
    )
    summary = run(scenario).summary
    # Two writes get a connection; with no backoff the other three try again at once and give up.
    assert summary["downstream"]["writes"] == 2
    assert summary["downstream"]["failed_invocations"] == 3
    assert summary["downstream"]["throttled_writes"] == 9
    assert summary["downstream"]["sdk_retries"] == 6


def test_a_rate_limit_lets_one_second_of_requests_through_then_its_rate():
    scenario = build(
        "sync",
        function={"duration_ms": 50, "cold_start_ms": 0},
        load={"count": 40, "rate_per_s": 20},
        downstream={"kind": "rate_limited", "max_requests_per_s": 10, "sdk_max_attempts": 1},
    )
    summary = run(scenario).summary
    # 2 s of arrivals at 20/s against 10/s with 10 in hand: 10 + about 10 x 1.95 s accepted.
    assert 28 <= summary["downstream"]["writes"] <= 30
    assert summary["succeeded"] == summary["downstream"]["writes"]


def test_dynamodb_items_over_1_kb_take_a_write_unit_per_started_kb():
    scenario = build(
        "sync",
        load={"count": 3, "rate_per_s": 1},
        downstream={"kind": "dynamodb", "write_capacity_units": 100, "item_size_kb": 2.5},
    )
    summary = run(scenario).summary
    assert summary["downstream"]["write_units"] == 9
    assert summary["billed"]["write_units"] == 9


def test_burst_capacity_absorbs_what_the_provisioned_rate_alone_would_throttle():
    base = {
        "function": {"duration_ms": 100, "cold_start_ms": 0},
        "load": {"count": 50, "pattern": "burst"},
    }
    with_burst = run(build("sync", **base, downstream={"kind": "dynamodb", "write_capacity_units": 1}))
    without = run(build("sync", **base, downstream={**SMALL_TABLE}))
    assert with_burst.summary["downstream"]["throttled_writes"] == 0
    assert without.summary["downstream"]["throttled_writes"] > 0


def test_on_demand_accommodates_twice_the_previous_peak():
    def throttled(peak):
        scenario = build(
            "sync",
            function={"duration_ms": 100, "cold_start_ms": 0},
            load={"count": 20, "pattern": "burst"},
            downstream={"kind": "dynamodb", "capacity_mode": "on_demand", "previous_peak_units_per_s": peak},
        )
        return run(scenario).summary["downstream"]["throttled_writes"]

    assert throttled(10) == 0
    assert throttled(5) > 0


def test_the_log_names_throttled_writes_and_sdk_retries():
    retried = {
        "t": 1.0,
        "kind": "write_throttled",
        "invocation": 4,
        "items": ["msg-1", "msg-2"],
        "error": "ProvisionedThroughputExceededException",
        "attempt": 1,
        "max_attempts": 3,
        "retry_at": 1.25,
    }
    words = describe_event(retried)
    assert "throttled write of msg-1..msg-2" in words and "SDK retry at 00:01.2" in words
    assert "ProvisionedThroughputExceededException; attempt 1 of 3" in words
    final = {k: v for k, v in retried.items() if k != "retry_at"} | {"attempt": 3}
    assert describe_event(final).endswith("the SDK gives up, invocation 4 fails")


def test_an_unknown_downstream_kind_is_refused_in_one_line():
    with pytest.raises(ScenarioError, match=r"downstream.kind = \"table\": allowed one of none, dynamodb"):
        build("sync", downstream={"kind": "table"})
