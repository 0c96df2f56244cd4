"""Asynchronous invocation: exact facts from the trace for each behaviour of the contract."""

import itertools

from tutor.sim.engine import Simulation, run
from tutor.sim.report import describe_event
from tutor.sim.scenario import load_scenario


def build(until_s=600, **sections):
    return load_scenario({"model": "async", "seed": 1, "until_s": until_s, **sections})


def of_kind(trace, kind, item=None):
    return [
        e
        for e in trace
        if e["kind"] == kind and (item is None or e.get("item") == item or item in e.get("items", ()))
    ]


def starts(trace, item):
    return [e["t"] for e in of_kind(trace, "invoke_start", item)]


def test_accepted_at_once_then_invoked_separately():
    result = run(load_scenario("s3-lambda-dynamodb"))
    trace = result.trace
    for n in range(1, 21):
        item = f"evt-{n}"
        arrive = of_kind(trace, "arrive", item)[0]
        accepted = of_kind(trace, "accepted", item)[0]
        assert accepted["t"] == arrive["t"] and accepted["status"] == 202
        assert trace.index(accepted) < trace.index(of_kind(trace, "invoke_start", item)[0])
    assert not of_kind(trace, "response")


def test_function_errors_retried_60_then_120_s_after_each_failed_attempt_then_on_failure():
    trace = run(load_scenario("async-retries-destination")).trace
    # evt-2 arrives at 1.0; each attempt runs 0.2 s.
    assert starts(trace, "evt-2") == [1.0, 61.2, 181.4]
    assert [(e["t"], e["reason"], e["at"]) for e in of_kind(trace, "retry", "evt-2")] == [
        (1.2, "function_error", 61.2),
        (61.4, "function_error", 181.4),
    ]
    assert [(e["t"], e["target"], e["reason"]) for e in of_kind(trace, "destination")] == [
        (181.6, "on_failure", "RetriesExhausted")
    ]


def test_no_retries_still_ends_with_retries_exhausted_to_both_destination_and_dlq():
    scenario = build(
        function={"faults": [{"item": "evt-1", "kind": "raise"}]},
        load={"count": 1},
        **{"async": {"maximum_retry_attempts": 0, "on_failure": "sns", "dead_letter_queue": "sqs"}},
    )
    result = run(scenario)
    assert len(of_kind(result.trace, "invoke_start")) == 1
    assert [(e["target"], e["reason"]) for e in of_kind(result.trace, "destination")] == [
        ("on_failure", "RetriesExhausted"),
        ("dlq", "RetriesExhausted"),
    ]
    assert result.summary["destinations"] == {"on_success": 0, "on_failure": 1, "dlq": 1}
    assert result.summary["failed"] == 1


def test_given_up_event_without_targets_is_dropped_and_success_goes_to_on_success():
    scenario = build(
        function={"faults": [{"item": "evt-2", "kind": "timeout"}]},
        load={"count": 2},
        **{"async": {"maximum_retry_attempts": 1, "on_success": "eventbridge"}},
    )
    result = run(scenario)
    assert [(e["items"], e["target"], e["reason"]) for e in of_kind(result.trace, "destination")] == [
        (["evt-1"], "on_success", "Success")
    ]
    assert [(e["items"], e["reason"]) for e in of_kind(result.trace, "drop")] == [
        (["evt-2"], "RetriesExhausted")
    ]
    assert result.summary["dropped"] == 1


def test_throttled_events_back_off_from_1_s_doubling_without_using_retries():
    scenario = load_scenario("async-throttle-backoff", overrides={"async.maximum_retry_attempts": 0})
    result = run(scenario)
    trace = result.trace
    assert [e["at"] for e in of_kind(trace, "retry", "evt-5")] == [1.0, 3.0, 7.0, 15.0, 31.0]
    assert {e["reason"] for e in of_kind(trace, "retry")} == {"throttle"}
    assert starts(trace, "evt-5") == [31.0]
    assert result.summary["succeeded"] == 5 and result.summary["failed"] == 0


def test_throttle_backoff_stops_growing_at_300_s():
    scenario = build(
        until_s=3000,
        function={"duration_ms": 899_000, "timeout_s": 900, "reserved_concurrency": 1},
        load={"count": 2, "pattern": "burst"},
    )
    trace = run(scenario).trace
    due = [0.0] + [e["at"] for e in of_kind(trace, "retry", "evt-2")]
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(due)]
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert starts(trace, "evt-2") == [1111.0]


def test_throttle_backoff_starts_again_at_1_s_after_a_function_error_retry():
    """The backoff belongs to one wait for concurrency: once the event has run, a throttle of its
    function-error retry waits 1 s again, not the 8 s its earlier wait had grown to."""
    scenario = build(
        function={
            "duration_ms": 500,
            "cold_start_ms": 0,
            "timeout_s": 4,
            "reserved_concurrency": 1,
            # evt-1 holds the only slot 0-4 s and again, on its retry, 64-68 s.
            "faults": [
                {"item": "evt-1", "kind": "timeout", "attempts": 2},
                {"item": "evt-2", "kind": "error", "attempts": 1},
            ],
        },
        load={"count": 2, "pattern": "burst"},
    )
    trace = run(scenario).trace
    assert [(e["t"], e["reason"], e["at"]) for e in of_kind(trace, "retry", "evt-2")] == [
        (0.0, "throttle", 1.0),
        (1.0, "throttle", 3.0),
        (3.0, "throttle", 7.0),
        (7.5, "function_error", 67.5),
        (67.5, "throttle", 68.5),
    ]
    assert starts(trace, "evt-2") == [7.0, 68.5]
    log = [describe_event(e) for e in of_kind(trace, "retry", "evt-2")]
    assert log[-1] == "evt-2 will be tried again at 01:08.5 (after a throttle; still attempt 2 of 3)"


def test_event_given_up_as_soon_as_its_next_attempt_would_be_too_old():
    trace = run(load_scenario("async-event-age-expiry")).trace
    # Retry 1 at 61.2 (age 60.2 <= 100) runs; retry 2 would be at 181.4 (age 180.4): given up at
    # the end of attempt 2, not later.
    assert starts(trace, "evt-2") == [1.0, 61.2]
    assert [(e["t"], e["reason"]) for e in of_kind(trace, "destination", "evt-2")] == [
        (61.4, "EventAgeExceeded")
    ]


def test_an_attempt_exactly_at_the_maximum_age_still_runs():
    scenario = build(
        function={"duration_ms": 0, "cold_start_ms": 0, "faults": [{"item": "evt-1", "kind": "raise"}]},
        load={"count": 1},
        **{"async": {"maximum_event_age_s": 60}},
    )
    trace = run(scenario).trace
    assert starts(trace, "evt-1") == [0.0, 60.0]
    assert [(e["t"], e["reason"]) for e in of_kind(trace, "drop")] == [(60.0, "EventAgeExceeded")]


def test_throttled_event_given_up_when_its_next_backoff_ends_too_late():
    scenario = build(
        function={"duration_ms": 100_000, "timeout_s": 120, "reserved_concurrency": 1},
        load={"count": 2, "pattern": "burst"},
        **{"async": {"maximum_event_age_s": 60, "on_failure": "sqs"}},
    )
    trace = run(scenario).trace
    assert [e["at"] for e in of_kind(trace, "retry", "evt-2")] == [1.0, 3.0, 7.0, 15.0, 31.0]
    # At t = 31 it is throttled again; the next try would be at 63 (age 63 > 60).
    assert [(e["t"], e["reason"]) for e in of_kind(trace, "destination", "evt-2")] == [
        (31.0, "EventAgeExceeded")
    ]


def test_zero_reserved_concurrency_accepts_then_sends_on_at_once():
    result = run(load_scenario("async-zero-reserved"))
    trace = result.trace
    assert not of_kind(trace, "invoke_start")
    for n in range(1, 6):
        item = f"evt-{n}"
        t = of_kind(trace, "arrive", item)[0]["t"]
        assert of_kind(trace, "accepted", item)[0]["status"] == 202
        assert [(e["t"], e["reason"]) for e in of_kind(trace, "destination", item)] == [
            (t, "ZeroReservedConcurrency")
        ]
    assert result.summary["failed_by_reason"] == {"ZeroReservedConcurrency": 5}


def test_event_waiting_for_a_retry_goes_on_once_reserved_concurrency_is_set_to_zero():
    scenario = build(
        function={"faults": [{"item": "evt-1", "kind": "raise"}]},
        load={"count": 1},
        **{"async": {"dead_letter_queue": "sqs"}},
    )
    sim = Simulation(scenario)
    sim.advance(30)
    sim.intervene({"function.reserved_concurrency": 0})
    sim.advance(600)
    assert starts(sim.trace, "evt-1") == [0.0]
    assert [(e["t"], e["target"], e["reason"]) for e in of_kind(sim.trace, "destination")] == [
        (60.5, "dlq", "ZeroReservedConcurrency")
    ]


def test_max_event_age_is_the_oldest_age_at_an_attempt():
    summary = run(load_scenario("async-retries-destination")).summary
    assert summary["max_event_age_s"] == 180.4


def test_attempts_are_numbered_from_1_and_a_retry_names_the_attempt_it_waits_for():
    trace = run(load_scenario("async-retries-destination")).trace
    assert [(e["t"], e["attempt"], e["max_attempts"]) for e in of_kind(trace, "invoke_start", "evt-2")] == [
        (1.0, 1, 3),
        (61.2, 2, 3),
        (181.4, 3, 3),
    ]
    assert [(e["at"], e["attempt"], e["max_attempts"]) for e in of_kind(trace, "retry", "evt-2")] == [
        (61.2, 2, 3),
        (181.4, 3, 3),
    ]


def test_random_failures_count_attempts_1_2_3_and_never_past_the_maximum():
    for retries in (0, 1, 2):
        scenario = build(
            until_s=3600,
            function={"error_rate": 0.5},
            load={"count": 40},
            **{"async": {"maximum_retry_attempts": retries}},
        )
        trace = run(scenario).trace
        given_up = {item for e in of_kind(trace, "drop") for item in e["items"]}
        assert given_up  # the seed gives some events every failure
        for n in range(1, 41):
            item = f"evt-{n}"
            attempts = [e["attempt"] for e in of_kind(trace, "invoke_start", item)]
            assert attempts == list(range(1, len(attempts) + 1))
            assert len(attempts) <= retries + 1
            if item in given_up:  # RetriesExhausted: every attempt was used
                assert len(attempts) == retries + 1
            assert {e["max_attempts"] for e in of_kind(trace, "invoke_start", item)} == {retries + 1}
        assert all(e["attempt"] <= retries + 1 for e in of_kind(trace, "retry"))


def test_a_throttled_event_waits_for_the_same_attempt():
    trace = run(load_scenario("async-throttle-backoff")).trace
    assert [(e["reason"], e["attempt"]) for e in of_kind(trace, "retry", "evt-5")] == [("throttle", 1)] * 5
    assert [e["attempt"] for e in of_kind(trace, "invoke_start", "evt-5")] == [1]


def test_a_given_up_event_says_how_many_of_its_attempts_ran():
    """Only attempts that ran count: a throttled attempt never ran."""
    from tutor.sim.report import describe_event

    exhausted = of_kind(run(load_scenario("async-retries-destination")).trace, "destination")[0]
    assert exhausted["invocations"] == 3
    assert (
        describe_event(exhausted)
        == "evt-2 sent to the on-failure destination (RetriesExhausted, after 3 invocations)"
    )

    never_ran = build(
        function={"duration_ms": 100_000, "timeout_s": 120, "reserved_concurrency": 1},
        load={"count": 2, "pattern": "burst"},
        **{"async": {"maximum_event_age_s": 60, "on_failure": "sqs"}},
    )
    too_old = of_kind(run(never_ran).trace, "destination", "evt-2")[0]
    assert too_old["invocations"] == 0 and describe_event(too_old).endswith(
        "(EventAgeExceeded, never invoked)"
    )

    once = build(
        function={"faults": [{"item": "evt-1", "kind": "raise"}]},
        load={"count": 1},
        **{"async": {"maximum_retry_attempts": 0}},
    )
    dropped = of_kind(run(once).trace, "drop")[0]
    assert (
        describe_event(dropped) == "evt-1 dropped with nowhere to go (RetriesExhausted, after 1 invocation)"
    )


def test_a_late_start_counts_a_throttled_events_age_from_its_own_arrival():
    scenario = build(
        function={"duration_ms": 100_000, "timeout_s": 120, "reserved_concurrency": 1, "cold_start_ms": 0},
        load={"count": 2, "rate_per_s": 1, "start_s": 50},
        **{"async": {"maximum_event_age_s": 60, "on_failure": "sqs"}},
    )
    result = run(scenario)
    # evt-2 arrives at 51 behind evt-1's 100 s run: backoffs end at 52, 54, 58, 66, 82; the next
    # would end at 114, 63 s after its arrival, so it is given up at 82 (31 s after arriving).
    assert [e["at"] for e in of_kind(result.trace, "retry", "evt-2")] == [52.0, 54.0, 58.0, 66.0, 82.0]
    assert [(e["t"], e["reason"]) for e in of_kind(result.trace, "destination", "evt-2")] == [
        (82.0, "EventAgeExceeded")
    ]
    assert result.summary["latency_s"]["p50"] == 31.0
