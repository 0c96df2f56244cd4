"""SQS event source mapping: exact facts from the trace for each behaviour of the contract."""

from tutor.sim.engine import Simulation, run
from tutor.sim.scenario import load_scenario


def build(until_s=600, **sections):
    return load_scenario({"model": "sqs", "seed": 1, "until_s": until_s, **sections})


def of_kind(trace, kind, item=None):
    return [e for e in trace if e["kind"] == kind and (item is None or item in e.get("items", ()))]


def batches(trace):
    return [(e["t"], e["items"]) for e in of_kind(trace, "invoke_start")]


def msgs(*numbers):
    return [f"msg-{n}" for n in numbers]


def test_poison_message_goes_to_the_queue_dlq_when_received_more_than_max_receive_count():
    result = run(load_scenario("sqs-poison-dlq"))
    trace = result.trace
    # Received at 0.8, then each time its 10 s visibility timeout lapses after a failure.
    assert [t for t, items in batches(trace) if items == ["msg-5"]] == [0.8, 10.8, 20.8]
    assert [(e["t"], e["reason"]) for e in of_kind(trace, "retry", "msg-5")] == [
        (0.9, "function_error"),
        (10.9, "function_error"),
        (20.9, "function_error"),
    ]
    assert [(e["t"], e["items"], e["target"], e["reason"]) for e in of_kind(trace, "destination")] == [
        (30.8, ["msg-5"], "dlq", "maxReceiveCount")
    ]
    deleted = [m for e in of_kind(trace, "delete") for m in e["items"]]
    assert sorted(deleted) == sorted(msgs(1, 2, 3, 4, 6, 7, 8, 9, 10))
    assert result.summary["destinations"]["dlq"] == 1


def test_failed_batch_comes_back_whole_at_one_instant_without_partial_responses():
    scenario = load_scenario("sqs-partial-batch", overrides={"sqs.report_batch_item_failures": False})
    result = run(scenario)
    assert batches(result.trace) == [(0.0, msgs(*range(1, 11))), (18.0, msgs(*range(1, 11)))]
    assert of_kind(result.trace, "retry")[0]["items"] == msgs(*range(1, 11))
    # Nine messages were processed successfully twice.
    assert result.summary["duplicates"] == 9


def test_partial_batch_response_returns_only_the_failed_message():
    result = run(load_scenario("sqs-partial-batch"))
    trace = result.trace
    assert batches(trace) == [(0.0, msgs(*range(1, 11))), (18.0, ["msg-4"])]
    assert of_kind(trace, "invoke_end")[0]["failed_items"] == ["msg-4"]
    # Listing batchItemFailures is a normal return; without the setting the same fault is an error.
    assert of_kind(trace, "invoke_end")[0]["outcome"] == "ok"
    whole = run(load_scenario("sqs-partial-batch", overrides={"sqs.report_batch_item_failures": False}))
    assert of_kind(whole.trace, "invoke_end")[0]["outcome"] == "error"
    assert [e["items"] for e in of_kind(trace, "delete")] == [msgs(1, 2, 3, 5, 6, 7, 8, 9, 10), ["msg-4"]]
    assert result.summary["duplicates"] == 0 and result.summary["succeeded"] == 10


def test_a_visibility_timeout_that_lapses_mid_invocation_gives_duplicates():
    # Init 1 s + handler 2.5 s outlast the 3 s visibility timeout; a warm run (2.5 s) does not.
    scenario = build(
        function={"duration_ms": 2500, "cold_start_ms": 1000, "timeout_s": 3},
        load={"count": 1},
        sqs={"batch_size": 1, "visibility_timeout_s": 3},
    )
    result = run(scenario)
    trace = result.trace
    assert [(t, e["cold"]) for e in of_kind(trace, "invoke_start") for t in [e["t"]]] == [
        (0.0, True),
        (3.0, True),
        (6.0, False),
    ]
    assert [(e["t"], e["reason"], e["at"]) for e in of_kind(trace, "retry")] == [
        (3.0, "visibility_timeout", 3.0),
        (6.0, "visibility_timeout", 6.0),
    ]
    # The first two runs finish after their receipts went stale: only the third deletes.
    assert [e["t"] for e in of_kind(trace, "delete")] == [8.5]
    assert result.summary["duplicates"] == 2 and result.summary["succeeded"] == 1


def test_throttled_batches_are_retried_while_invisible_and_throttling_alone_reaches_the_dlq():
    result = run(load_scenario("sqs-throttled-pollers"))
    trace = result.trace
    assert batches(trace)[:2] == [(0.0, msgs(1, 2)), (0.0, msgs(3, 4))]
    # The third poller's batch: throttled at 0, 1 and 3; the next retry (7) would come after its
    # visibility timeout (6), so the poller lets it go and the messages return at 6.
    assert [(e["t"], e["reason"], e["at"]) for e in of_kind(trace, "retry", "msg-5")][:3] == [
        (0.0, "throttle", 1.0),
        (1.0, "throttle", 3.0),
        (3.0, "visibility_timeout", 6.0),
    ]
    invoked = {m for _, items in batches(trace) for m in items}
    to_dlq = [m for e in of_kind(trace, "destination") for m in e["items"]]
    assert to_dlq and not set(to_dlq) & invoked  # never ran, yet redriven
    assert result.summary["failed_by_reason"] == {"maxReceiveCount": len(to_dlq)}
    assert result.summary["max_concurrency"] == 2


def test_pollers_start_at_five_and_add_300_a_minute_while_messages_wait():
    scenario = build(
        until_s=2,
        function={"duration_ms": 10_000, "timeout_s": 20},
        load={"count": 100, "pattern": "burst"},
        sqs={"batch_size": 1},
    )
    trace = run(scenario).trace
    times = [t for t, _ in batches(trace)]
    assert times[:5] == [0.0] * 5
    assert times[5:10] == [0.2, 0.4, 0.6, 0.8, 1.0]


def test_pollers_are_capped_by_maximum_concurrency_not_by_function_concurrency():
    scenario = build(
        until_s=20,
        function={"duration_ms": 10_000, "timeout_s": 20, "reserved_concurrency": 3},
        load={"count": 100, "pattern": "burst"},
        sqs={"batch_size": 1, "maximum_concurrency": 7, "visibility_timeout_s": 60},
    )
    sim = Simulation(scenario)
    sim.advance(1.0)
    snap = sim.snapshot()
    assert snap["sqs"]["pollers"] == 7
    assert snap["counters"]["concurrency"] == 3
    assert snap["sqs"]["batches_backing_off"] == 4


def test_pollers_stop_at_1250():
    scenario = build(
        until_s=300,
        function={"duration_ms": 600_000, "timeout_s": 900, "account_concurrency": 5000, "cold_start_ms": 0},
        load={"count": 1300, "pattern": "burst"},
        sqs={"batch_size": 1, "visibility_timeout_s": 900},
    )
    summary = run(scenario).summary
    assert summary["max_concurrency"] == 1250
    assert summary["unfinished"] == 1300


def test_batching_window_starts_when_the_pollers_previous_invocation_ends():
    scenario = build(
        function={"duration_ms": 200, "cold_start_ms": 300},
        load={"count": 5, "rate_per_s": 1},
        sqs={"batch_size": 10, "maximum_batching_window_s": 2, "maximum_concurrency": 2},
    )
    trace = run(scenario).trace
    # Poller 1 gathers msg-1 and msg-2 until its window ends at 2; poller 2's window also ended
    # at 2 with nothing, so it sends msg-3 at once; poller 1's next window runs 2.5 -> 4.5.
    assert batches(trace) == [(2.0, msgs(1, 2)), (2.0, msgs(3)), (4.5, msgs(4, 5))]


def test_batch_is_sent_as_soon_as_it_is_full():
    scenario = build(
        load={"count": 6, "rate_per_s": 1},
        sqs={"batch_size": 3, "maximum_batching_window_s": 60, "maximum_concurrency": 2},
    )
    assert batches(run(scenario).trace)[0] == (2.0, msgs(1, 2, 3))


def test_fifo_keeps_one_batch_in_flight_per_group_in_order():
    result = run(load_scenario("sqs-fifo-groups"))
    trace = result.trace
    group_of = {e["item"]: e["group"] for e in of_kind(trace, "arrive")}
    running = {}
    seen = {}
    for e in trace:
        if e["kind"] == "invoke_start":
            groups = {group_of[m] for m in e["items"]}
            assert not groups & set(running.values()), "two batches of one group in flight"
            for group in groups:
                running[e["invocation"], group] = group
            for m in e["items"]:
                seen.setdefault(group_of[m], []).append(int(m.split("-")[1]))
        elif e["kind"] == "invoke_end":
            running = {k: g for k, g in running.items() if k[0] != e["invocation"]}
    assert all(numbers == sorted(numbers) for numbers in seen.values())
    assert result.summary["max_concurrency"] == 3


def test_fifo_failure_holds_its_group_until_the_retry_and_returns_the_rest_of_the_batch():
    scenario = build(
        function={"faults": [{"item": "msg-2", "kind": "error", "attempts": 1}]},
        load={"count": 4, "pattern": "burst"},
        sqs={"fifo": True, "batch_size": 3, "visibility_timeout_s": 5, "report_batch_item_failures": True},
    )
    result = run(scenario)
    trace = result.trace
    assert batches(trace) == [(0.0, msgs(1, 2, 3)), (5.0, msgs(2, 3, 4))]
    assert of_kind(trace, "invoke_end")[0]["failed_items"] == msgs(2, 3)
    assert [e["items"] for e in of_kind(trace, "delete")] == [msgs(1), msgs(2, 3, 4)]


def test_same_instant_arrivals_are_received_together():
    scenario = build(load={"count": 25, "pattern": "burst"}, sqs={"batch_size": 10})
    assert [items for _, items in batches(run(scenario).trace)] == [
        msgs(*range(1, 11)),
        msgs(*range(11, 21)),
        msgs(*range(21, 26)),
    ]


def test_max_queue_depth_counts_visible_messages():
    scenario = build(load={"count": 25, "pattern": "burst"}, sqs={"batch_size": 10})
    assert run(scenario).summary["max_queue_depth"] == 25


def test_random_item_errors_are_reported_one_by_one_with_partial_batch_responses():
    scenario = build(
        function={"item_error_rate": 0.3},
        load={"count": 40, "pattern": "burst"},
        sqs={"batch_size": 10, "report_batch_item_failures": True, "visibility_timeout_s": 5},
    )
    trace = run(scenario).trace
    first_round = of_kind(trace, "invoke_end")[:4]
    failed = [m for e in first_round for m in e["failed_items"]]
    assert 0 < len(failed) < 40
    returned = [m for e in of_kind(trace, "retry") if e["t"] < 1 for m in e["items"]]
    assert sorted(returned) == sorted(failed)


def test_a_timeout_fails_the_whole_batch_at_the_function_timeout():
    scenario = build(
        function={
            "duration_ms": 200,
            "timeout_s": 3,
            "faults": [{"item": "msg-2", "kind": "timeout", "attempts": 1}],
        },
        load={"count": 3, "pattern": "burst"},
        sqs={"visibility_timeout_s": 20},
    )
    trace = run(scenario).trace
    assert [(e["t"], e["outcome"], e["failed_items"]) for e in of_kind(trace, "invoke_end")] == [
        (3.3, "timeout", msgs(1, 2, 3)),
        (20.2, "ok", []),
    ]
    assert [(e["t"], e["items"], e["reason"], e["at"]) for e in of_kind(trace, "retry")] == [
        (3.3, msgs(1, 2, 3), "function_error", 20.0)
    ]


def test_receive_counts_rise_with_each_receive_up_to_max_receive_count():
    trace = run(load_scenario("sqs-poison-dlq")).trace
    # A first receive says nothing new; the second and third carry their count.
    assert [e.get("receive_counts") for e in of_kind(trace, "invoke_start", "msg-5")] == [None, [2], [3]]
    assert [e["items"] for e in of_kind(trace, "invoke_start") if "receive_counts" in e] == [["msg-5"]] * 2
    assert [
        (e["t"], e["receive_counts"], e["max_receive_count"]) for e in of_kind(trace, "retry", "msg-5")
    ] == [(0.9, [1], 3), (10.9, [2], 3), (20.9, [3], 3)]


def test_receive_counts_follow_each_message_of_a_batch_and_omit_the_maximum_without_a_dlq():
    trace = run(load_scenario("sqs-visibility-too-short")).trace
    received: dict[str, int] = {}
    mixed = False
    for event in of_kind(trace, "invoke_start"):
        for m in event["items"]:
            received[m] = received.get(m, 0) + 1
        expected = [received[m] for m in event["items"]]
        assert event.get("receive_counts", [1] * len(expected)) == expected
        mixed = mixed or len(set(expected)) > 1
    assert mixed and max(received.values()) > 1
    assert not any("max_receive_count" in e for e in trace)


def test_a_message_moved_to_the_dlq_says_how_often_it_was_received():
    from tutor.sim.report import describe_event

    moved = of_kind(run(load_scenario("sqs-poison-dlq")).trace, "destination")[0]
    assert moved["receive_counts"] == [3] and moved["max_receive_count"] == 3
    assert describe_event(moved) == "msg-5 sent to the dead-letter queue (maxReceiveCount, received 3 times)"


def test_run_drains_when_the_last_invocation_ends_after_its_message_went_to_the_dlq():
    # The message's 3 s visibility timeout lapses during the cold start + 2.9 s handler, and with
    # max_receive_count 1 it is redriven at 3.0; the invocation still runs to 3.2. Nothing is
    # left once it ends, so the run ends there, drained, not at until_s.
    scenario = build(
        until_s=100,
        load={"count": 1},
        function={"timeout_s": 3, "duration_ms": 2900, "cold_start_ms": 300},
        sqs={"visibility_timeout_s": 3, "max_receive_count": 1},
    )
    result = run(scenario)
    assert [(e["t"], e["kind"]) for e in result.trace[-3:]] == [
        (3.0, "destination"),
        (3.2, "invoke_end"),
        (3.2, "end"),
    ]
    assert result.trace[-1]["reason"] == "drained"
    assert result.summary["sim_time_s"] == 3.2 and result.summary["unfinished"] == 0


def test_fifo_partial_batch_stops_at_the_first_failure_so_later_messages_are_not_duplicates():
    # msg-2 fails once; the handler stops there, so msg-3 and msg-4 come back unprocessed and are
    # processed once, in the retry: no duplicates.
    scenario = build(
        function={"faults": [{"item": "msg-2", "kind": "error", "attempts": 1}]},
        load={"count": 4, "pattern": "burst"},
        sqs={"fifo": True, "batch_size": 4, "visibility_timeout_s": 5, "report_batch_item_failures": True},
    )
    result = run(scenario)
    assert batches(result.trace) == [(0.0, msgs(1, 2, 3, 4)), (5.0, msgs(2, 3, 4))]
    assert of_kind(result.trace, "invoke_end")[0]["failed_items"] == msgs(2, 3, 4)
    assert result.summary["duplicates"] == 0
    assert result.summary["succeeded"] == 4


def test_a_throttled_poller_keeps_its_batch_until_the_visibility_timeout_and_takes_no_other():
    # One batch can run at a time; the other four pollers' batches are throttled, and their next
    # retry (1 s) would already come at the 1 s visibility timeout. They still hold them until then,
    # so at t = 0 the five pollers hold 5 batches (15 messages), not the whole queue.
    scenario = build(
        load={"count": 24, "pattern": "burst"},
        function={"timeout_s": 1, "duration_ms": 500, "reserved_concurrency": 1},
        sqs={"batch_size": 3, "visibility_timeout_s": 1, "max_receive_count": 3},
    )
    trace = run(scenario).trace
    at_zero = [e for e in trace if e["kind"] in ("invoke_start", "throttle") and e["t"] == 0.0]
    assert len(at_zero) == 5
    assert {m for e in at_zero for m in e["items"]} == set(msgs(*range(1, 16)))
    # The rest wait for the pollers added every 0.2 s while messages wait.
    assert min(e["t"] for e in of_kind(trace, "throttle", "msg-16")) == 0.2
