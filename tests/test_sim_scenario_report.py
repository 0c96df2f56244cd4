"""The plain report helpers: events in words, outcome rows, series and sparklines from a trace."""

from __future__ import annotations

from tutor.sim import report
from tutor.sim.scenario import load_scenario


def test_format_time():
    assert report.format_time(0) == "00:00"
    assert report.format_time(192) == "03:12"
    assert report.format_time(12.25) == "00:12.2"
    assert report.format_time(3725) == "1:02:05"


def test_item_list_folds_runs_and_truncates():
    assert report.item_list(["msg-1", "msg-2", "msg-3", "msg-7"]) == "msg-1..msg-3, msg-7"
    assert report.item_list([f"rec-{n}" for n in range(1, 20, 2)], limit=3) == "rec-1, rec-3, rec-5 (+7 more)"
    assert report.item_list([]) == "no items"


def test_describe_event_in_plain_words():
    describe = report.describe_event
    assert (
        describe({"t": 0, "kind": "arrive", "item": "rec-3", "key": "pk-3", "shard": 0})
        == "rec-3 arrived on shard 0 (key pk-3)"
    )
    assert (
        describe({"t": 0, "kind": "arrive", "item": "msg-2", "group": "g-2"}) == "msg-2 arrived in group g-2"
    )
    assert describe({"t": 0, "kind": "accepted", "item": "evt-1", "status": 202}).startswith(
        "evt-1 accepted (202)"
    )
    assert (
        describe(
            {
                "t": 29,
                "kind": "response",
                "item": "req-1",
                "status": 504,
                "function_error": False,
                "latency_s": 29.0,
            }
        )
        == "req-1 answered 504 (the caller gave up) after 29.0 s"
    )
    assert (
        describe(
            {
                "t": 1,
                "kind": "response",
                "item": "req-2",
                "status": 200,
                "function_error": True,
                "latency_s": 0.5,
            }
        )
        == "req-2 answered 200 with a function error after 0.5 s"
    )
    assert (
        describe({"t": 1, "kind": "invoke_start", "invocation": 4, "items": ["msg-1", "msg-2"], "cold": True})
        == "invocation 4 started (cold start) with msg-1..msg-2"
    )
    assert (
        describe({"t": 1, "kind": "invoke_end", "invocation": 4, "outcome": "timeout", "failed_items": []})
        == "invocation 4 timed out"
    )
    assert (
        describe({"t": 1, "kind": "invoke_end", "invocation": 4, "outcome": "ok", "failed_items": ["msg-4"]})
        == "invocation 4 returned, reporting msg-4 as failed (batchItemFailures)"
    )
    assert (
        describe(
            {
                "t": 72,
                "kind": "retry",
                "items": ["evt-3"],
                "reason": "function_error",
                "at": 192,
                "attempt": 3,
                "max_attempts": 3,
            }
        )
        == "evt-3 will be tried again at 03:12 (after a function error; attempt 3 of 3)"
    )
    assert (
        describe({"t": 72, "kind": "retry", "items": ["evt-3"], "reason": "throttle", "at": 74})
        == "evt-3 will be tried again at 01:14 (after a throttle)"
    )
    assert (
        describe(
            {"t": 9, "kind": "destination", "items": ["msg-5"], "target": "dlq", "reason": "maxReceiveCount"}
        )
        == "msg-5 sent to the dead-letter queue (maxReceiveCount)"
    )
    assert (
        describe(
            {
                "t": 9,
                "kind": "bisect",
                "items": ["rec-1", "rec-2", "rec-3", "rec-4"],
                "halves": [["rec-1", "rec-2"], ["rec-3", "rec-4"]],
            }
        )
        == "batch rec-1..rec-4 split in two: rec-1..rec-2 | rec-3..rec-4"
    )
    assert (
        describe({"t": 9, "kind": "end", "reason": "until"}) == "run ended: stopped at until_s with work left"
    )
    assert describe({"t": 9, "kind": "scale", "pollers": 6}) == "scale: pollers=6"


def test_retries_and_invocations_say_which_try_it_is_and_of_how_many():
    describe = report.describe_event
    assert (
        describe(
            {
                "t": 1,
                "kind": "invoke_start",
                "invocation": 4,
                "items": ["evt-2"],
                "cold": False,
                "attempt": 2,
                "max_attempts": 3,
            }
        )
        == "invocation 4 started (warm) with evt-2 (attempt 2 of 3)"
    )
    # A first attempt is left unnumbered, as SQS's first receive and a stream's first try are.
    assert (
        describe(
            {
                "t": 0,
                "kind": "invoke_start",
                "invocation": 1,
                "items": ["evt-1"],
                "cold": True,
                "attempt": 1,
                "max_attempts": 3,
            }
        )
        == "invocation 1 started (cold start) with evt-1"
    )
    # A throttled async event waits for the same attempt: throttles use none of its retries.
    assert (
        describe(
            {
                "t": 0,
                "kind": "retry",
                "items": ["evt-2"],
                "reason": "throttle",
                "at": 1,
                "attempt": 1,
                "max_attempts": 3,
            }
        )
        == "evt-2 will be tried again at 00:01 (after a throttle; still attempt 1 of 3)"
    )
    # The caller's retries are its own, and a 429 uses one.
    assert (
        describe(
            {
                "t": 0,
                "kind": "retry",
                "items": ["req-6"],
                "reason": "throttle",
                "at": 1,
                "client_attempt": 2,
                "client_max_attempts": 3,
            }
        )
        == "req-6 will be tried again at 00:01 (after a throttle; caller's attempt 2 of 3)"
    )
    assert (
        describe(
            {
                "t": 10.8,
                "kind": "invoke_start",
                "invocation": 11,
                "items": ["msg-7"],
                "cold": False,
                "receive_counts": [3],
                "max_receive_count": 5,
            }
        )
        == "invocation 11 started (warm) with msg-7 (receive 3 of 5)"
    )
    assert (
        describe(
            {
                "t": 10.8,
                "kind": "invoke_start",
                "invocation": 6,
                "items": ["msg-1", "msg-2"],
                "cold": True,
                "receive_counts": [1, 2],
            }
        )
        == "invocation 6 started (cold start) with msg-1..msg-2 (receive 1–2, no DLQ)"
    )
    assert (
        describe(
            {
                "t": 0.9,
                "kind": "retry",
                "items": ["msg-5"],
                "reason": "function_error",
                "at": 10.8,
                "receive_counts": [2],
                "max_receive_count": 5,
            }
        )
        == "msg-5 will be tried again at 00:10.8 (after a function error; receive count 2 of 5)"
    )
    assert (
        describe(
            {
                "t": 20.9,
                "kind": "retry",
                "items": ["msg-5", "msg-6"],
                "reason": "visibility_timeout",
                "at": 30.8,
                "receive_counts": [3, 3],
                "max_receive_count": 3,
            }
        )
        == "msg-5..msg-6 will be tried again at 00:30.8 (its visibility timeout lapsed; "
        "receive count 3 of 3: the next receive moves them to the DLQ)"
    )
    assert (
        describe(
            {
                "t": 2.2,
                "kind": "invoke_start",
                "invocation": 8,
                "items": ["rec-5"],
                "cold": False,
                "shard": 0,
                "retry": 2,
                "max_retries": 10,
            }
        )
        == "invocation 8 started (warm) on shard 0 with rec-5 (retry 2 of 10)"
    )
    assert (
        describe(
            {
                "t": 1.2,
                "kind": "retry",
                "items": ["rec-5"],
                "reason": "function_error",
                "at": 2.2,
                "retry": 3,
                "max_retries": -1,
            }
        )
        == "rec-5 will be tried again at 00:02.2 (after a function error; retry 3, no limit)"
    )
    assert (
        describe(
            {
                "t": 1.2,
                "kind": "retry",
                "items": ["rec-6", "rec-7"],
                "reason": "function_error",
                "at": 1.2,
                "retry": 0,
                "max_retries": 10,
            }
        )
        == "rec-6..rec-7 will be tried again at 00:01.2 (after a function error; from the checkpoint, "
        "retry count reset)"
    )
    assert (
        describe(
            {
                "t": 1,
                "kind": "retry",
                "items": ["rec-1"],
                "reason": "throttle",
                "at": 2,
                "retry": 0,
                "max_retries": 10,
            }
        )
        == "rec-1 will be tried again at 00:02 (after a throttle)"
    )


SQS_TRACE = [
    {"t": 0.0, "kind": "arrive", "item": "msg-1"},
    {"t": 0.0, "kind": "arrive", "item": "msg-2"},
    {"t": 0.0, "kind": "arrive", "item": "msg-3"},
    {"t": 0.1, "kind": "invoke_start", "invocation": 1, "items": ["msg-1", "msg-2"], "cold": True},
    {"t": 0.1, "kind": "throttle", "items": ["msg-3"]},
    {"t": 1.0, "kind": "invoke_end", "invocation": 1, "outcome": "ok", "failed_items": ["msg-2"]},
    {"t": 1.0, "kind": "delete", "items": ["msg-1"]},
    {"t": 2.0, "kind": "invoke_start", "invocation": 2, "items": ["msg-3"], "cold": False},
    {"t": 3.0, "kind": "invoke_end", "invocation": 2, "outcome": "ok", "failed_items": []},
    {"t": 3.0, "kind": "delete", "items": ["msg-3"]},
    {"t": 4.0, "kind": "destination", "items": ["msg-2"], "target": "dlq", "reason": "maxReceiveCount"},
    {"t": 4.0, "kind": "end", "reason": "drained"},
]


def test_backlog_counts_items_waiting_neither_running_nor_finished():
    points = report.backlog_points(SQS_TRACE)
    assert [value for _t, value in points] == [1, 2, 3, 1, 2, 2, 1, 1, 1, 0]


def test_concurrency_series_and_sparkline():
    series = report.step_series(report.concurrency_points(SQS_TRACE), end=4.0, bins=4)
    assert series == [1, 0, 1, 0]
    assert report.sparkline(series) == "█▁█▁"
    assert report.sparkline([0, 0]) == "▁▁"
    assert report.sparkline([1, 2, 4, 8]) == "▂▃▅█"


def test_iterator_age_is_time_since_the_newest_record_of_the_batch():
    trace = [
        {"t": 0.0, "kind": "arrive", "item": "rec-1"},
        {"t": 1.0, "kind": "arrive", "item": "rec-2"},
        {"t": 1.5, "kind": "invoke_start", "invocation": 1, "items": ["rec-1", "rec-2"], "cold": True},
        {"t": 9.0, "kind": "invoke_start", "invocation": 2, "items": ["rec-1", "rec-2"], "cold": False},
    ]
    assert report.iterator_age_points(trace) == [(1.5, 0.5), (9.0, 8.0)]


def test_failure_reasons_count_each_item_once():
    trace = [
        {
            "t": 1,
            "kind": "destination",
            "items": ["evt-1"],
            "target": "on_failure",
            "reason": "RetriesExhausted",
        },
        {"t": 1, "kind": "destination", "items": ["evt-1"], "target": "dlq", "reason": "RetriesExhausted"},
        {"t": 2, "kind": "drop", "items": ["evt-2"], "reason": "EventAgeExceeded"},
        {"t": 3, "kind": "destination", "items": ["evt-3"], "target": "on_success", "reason": "Success"},
        {"t": 4, "kind": "response", "item": "req-1", "status": 429, "function_error": False},
        {"t": 5, "kind": "response", "item": "req-2", "status": 429, "function_error": False},
        {"t": 6, "kind": "response", "item": "req-2", "status": 200, "function_error": False},
    ]
    assert report.failure_reasons(trace) == {
        "RetriesExhausted": 1,
        "EventAgeExceeded": 1,
        "throttled (429)": 1,
    }


def test_outcome_rows_break_failures_down_by_reason():
    rows = report.outcome_rows({"succeeded": 2, "failed": 1, "unfinished": 0}, SQS_TRACE)
    assert rows == [("succeeded", 2), ("failed", 1), ("  maxReceiveCount", 1), ("unfinished", 0)]


def test_outcome_rows_prefer_the_engines_reasons():
    summary = {
        "succeeded": 5,
        "failed": 15,
        "unfinished": 0,
        "failed_by_reason": {"TooManyRequestsException": 15},
    }
    assert report.outcome_rows(summary, []) == [
        ("succeeded", 5),
        ("failed", 15),
        ("  TooManyRequestsException", 15),
        ("unfinished", 0),
    ]


def test_latency_row():
    row = report.latency_row({"latency_s": {"p50": 0.2, "p95": 1.5, "p99": 12.0, "max": 61.25}})
    assert row == [("p50", "0.2 s"), ("p95", "1.5 s"), ("p99", "12.0 s"), ("max", "61.2 s")]


def test_changed_params_lists_only_this_models_differences():
    resolved = load_scenario("sqs-poison-dlq").resolved()
    keys = {key for key, *_ in report.changed_params(resolved)}
    assert keys == {
        "function.duration_ms",
        "sqs.batch_size",
        "sqs.visibility_timeout_s",
        "sqs.max_receive_count",
        "until_s",
        "load.count",
        "load.rate_per_s",
    }
    row = next(row for row in report.changed_params(resolved) if row[0] == "sqs.batch_size")
    assert row == ("sqs.batch_size", 1, 10, "BatchSize")


def test_charts_pick_backlog_for_queues_and_iterator_age_for_streams():
    labels = [label for label, *_ in report.charts("sqs", SQS_TRACE, 4.0, width=8)]
    assert labels == ["concurrency", "waiting items", "throttles"]
    labels = [label for label, *_ in report.charts("kinesis", SQS_TRACE[:4], 4.0, width=8)]
    assert labels == ["concurrency", "iterator age (s)"]


def test_timeline_shows_first_and_last_events_with_a_gap_row():
    rows = report.timeline(SQS_TRACE, head=2, tail=2)
    assert rows[0] == ("00:00", "msg-1 arrived")
    assert rows[2] == ("", "… 8 more events …")
    assert rows[-1] == ("00:04", "run ended: all work done")


def test_chart_points_stay_bounded_on_a_long_run_and_keep_its_peaks():
    points = report.Points(limit=1_000)
    for n in range(50_000):
        points.add(n * 0.01, 100.0 if n == 31_337 else float(n % 7))
    pairs = points.pairs()
    assert len(pairs) <= 1_000
    assert [t for t, _ in pairs] == sorted(t for t, _ in pairs)
    series = report.step_series(pairs, end=500.0, bins=40)
    # The peak at 313.37 s (bar 25 of 40 over 500 s) stays within one merged cell, 4 s here.
    assert max(series) == 100.0 and series.index(100.0) in (24, 25)
    assert min(series) == 6.0


def test_digest_timeline_counts_the_events_it_skips():
    digest = report.TraceDigest(head=2, tail=2).feed(SQS_TRACE)
    assert digest.timeline() == report.timeline(SQS_TRACE, head=2, tail=2)
    assert ("", "… 8 more events …") in digest.timeline()
