"""Synchronous invocation: exact facts from the trace for each behaviour of the contract."""

from tutor.sim.engine import Simulation, run
from tutor.sim.scenario import load_scenario


def build(until_s=120, **sections):
    return load_scenario({"model": "sync", "seed": 1, "until_s": until_s, **sections})


def of_kind(trace, kind):
    return [e for e in trace if e["kind"] == kind]


def responses(trace, item):
    return [
        (e["t"], e["status"], e["function_error"])
        for e in trace
        if e["kind"] == "response" and e["item"] == item
    ]


def test_cold_starts_until_enough_environments_then_warm_reuse():
    scenario = build(function={"duration_ms": 100, "cold_start_ms": 800}, load={"count": 10, "rate_per_s": 5})
    result = run(scenario)
    starts = of_kind(result.trace, "invoke_start")
    # Requests every 0.2 s; a cold one takes 0.9 s, so the first five each need a new environment
    # and req-6 (t = 1.0) finds the one req-1 left at 0.9.
    assert [e["cold"] for e in starts] == [True] * 5 + [False] * 5
    assert responses(result.trace, "req-1") == [(0.9, 200, False)]
    assert responses(result.trace, "req-6") == [(1.1, 200, False)]
    assert result.summary["cold_starts"] == 5
    assert result.summary["max_concurrency"] == 5


def test_burst_beyond_reserved_concurrency_is_throttled_at_once_with_429():
    scenario = build(
        function={"duration_ms": 1000, "reserved_concurrency": 5}, load={"count": 20, "pattern": "burst"}
    )
    result = run(scenario)
    started = [e["items"][0] for e in of_kind(result.trace, "invoke_start")]
    throttled = [e["items"][0] for e in of_kind(result.trace, "throttle")]
    assert started == [f"req-{n}" for n in range(1, 6)]
    assert throttled == [f"req-{n}" for n in range(6, 21)]
    assert responses(result.trace, "req-6") == [(0.0, 429, False)]
    summary = result.summary
    assert summary["responses"] == {"200": 5, "429": 15}
    assert (summary["invocations"], summary["throttles"]) == (5, 15)
    assert summary["failed_by_reason"] == {"TooManyRequestsException": 15}


def test_scaling_rate_allows_1000_new_environments_at_once():
    scenario = build(
        function={"duration_ms": 5000, "timeout_s": 10, "account_concurrency": 5000},
        load={"count": 1500, "pattern": "burst"},
    )
    summary = run(scenario).summary
    assert summary["cold_starts"] == 1000
    assert summary["throttles"] == 500


def test_scaling_capacity_refills_continuously_but_is_not_banked():
    # 3,000 requests a second for 2 s, each running 5 s. Reserved concurrency 0 throttles the first
    # second without using any scaling capacity; the bucket is full (1,000) at t = 1 and refills at
    # 100 a second, so by the last request (t ~ 2) about 1,100 environments exist, not 1,200.
    scenario = build(
        function={
            "duration_ms": 5000,
            "timeout_s": 10,
            "account_concurrency": 5000,
            "reserved_concurrency": 0,
            "cold_start_ms": 0,
        },
        load={"count": 6000, "rate_per_s": 3000},
    )
    sim = Simulation(scenario, interventions=[(1.0, {"function.reserved_concurrency": None})])
    sim.advance(scenario.until_s)
    starts = [e["t"] for e in sim.trace if e["kind"] == "invoke_start"]
    assert len(starts) == 1099
    assert min(starts) == 1.000333  # the request at exactly t = 1 came before the intervention
    # Once the bucket is empty, one new environment every 10 ms (100 a second).
    assert abs((starts[-1] - starts[-51]) - 0.5) < 0.001


def test_caller_gives_up_with_504_while_the_function_runs_on():
    scenario = build(
        function={"duration_ms": 35000, "timeout_s": 60}, load={"count": 1}, sync={"client_timeout_s": 29}
    )
    trace = run(scenario).trace
    assert responses(trace, "req-1") == [(29.0, 504, False)]
    end = of_kind(trace, "invoke_end")
    assert [(e["t"], e["outcome"]) for e in end] == [(35.3, "ok")]
    assert trace[-1] == {"t": 35.3, "kind": "end", "reason": "drained"}


def test_function_error_and_timeout_still_answer_200_with_a_function_error():
    scenario = build(
        function={
            "duration_ms": 100,
            "timeout_s": 2,
            "cold_start_ms": 0,
            "faults": [{"item": "req-2", "kind": "raise"}, {"item": "req-3", "kind": "timeout"}],
        },
        load={"count": 3, "rate_per_s": 1},
    )
    result = run(scenario)
    assert responses(result.trace, "req-1") == [(0.1, 200, False)]
    assert responses(result.trace, "req-2") == [(1.1, 200, True)]
    # A timeout ends the handler at timeout_s (2 s after it started at t = 2).
    assert responses(result.trace, "req-3") == [(4.0, 200, True)]
    outcomes = [e["outcome"] for e in of_kind(result.trace, "invoke_end")]
    assert outcomes == ["ok", "error", "timeout"]
    assert result.summary["failed_by_reason"] == {"FunctionError": 2}
    assert result.summary["responses"] == {"200": 3}


def test_lambda_never_retries_but_the_caller_retries_throttles_with_doubling_backoff():
    scenario = build(
        function={"duration_ms": 2000, "cold_start_ms": 0, "reserved_concurrency": 1},
        load={"count": 3, "pattern": "burst"},
        sync={"client_retries": 3, "client_backoff_s": 1},
    )
    result = run(scenario)
    retries = [(e["t"], e["items"][0], e["reason"], e["at"]) for e in of_kind(result.trace, "retry")]
    assert retries == [
        (0.0, "req-2", "throttle", 1.0),
        (0.0, "req-3", "throttle", 1.0),
        (1.0, "req-2", "throttle", 3.0),
        (1.0, "req-3", "throttle", 3.0),
        (3.0, "req-3", "throttle", 7.0),
    ]
    # A 429 uses one of the caller's attempts (unlike Lambda's own async retries).
    assert [
        (e["client_attempt"], e["client_max_attempts"])
        for e in of_kind(result.trace, "retry")
        if e["items"] == ["req-3"]
    ] == [(2, 4), (3, 4), (4, 4)]
    assert responses(result.trace, "req-2") == [(0.0, 429, False), (1.0, 429, False), (5.0, 200, False)]
    assert responses(result.trace, "req-3")[-1] == (9.0, 200, False)
    assert result.summary["succeeded"] == 3
    assert result.summary["responses"] == {"200": 3, "429": 5}


def test_retry_after_a_caller_timeout_runs_the_work_twice():
    scenario = build(
        function={"duration_ms": 1500, "cold_start_ms": 0},
        load={"count": 1},
        sync={"client_timeout_s": 1, "client_retries": 1, "client_backoff_s": 1},
    )
    result = run(scenario)
    assert responses(result.trace, "req-1") == [(1.0, 504, False), (3.0, 504, False)]
    assert [(e["t"], e["reason"], e["at"]) for e in of_kind(result.trace, "retry")] == [
        (1.0, "client_timeout", 2.0)
    ]
    assert [e["t"] for e in of_kind(result.trace, "invoke_end")] == [1.5, 3.5]
    assert result.summary["duplicates"] == 1
    assert result.summary["failed_by_reason"] == {"CallerTimeout": 1}
