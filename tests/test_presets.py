"""Each preset shows what its description promises: its headline fact, read from the summary and trace."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import pytest

from tutor.sim.engine import run
from tutor.sim.scenario import list_presets, load_scenario


@cache
def result(name: str):
    return run(load_scenario(name))


def events(name: str, kind: str) -> list[dict]:
    return [event for event in result(name).trace if event["kind"] == kind]


def starts_of(name: str, item: str) -> list[float]:
    return [event["t"] for event in events(name, "invoke_start") if item in event["items"]]


def arrival(name: str, item: str) -> float:
    return next(event["t"] for event in events(name, "arrive") if event["item"] == item)


@pytest.mark.parametrize("name", [row[0] for row in list_presets()])
def test_every_preset_conserves_items_and_ends(name):
    summary = result(name).summary
    assert summary["items"] == summary["succeeded"] + summary["failed"] + summary["unfinished"]
    assert summary["items"] == load_scenario(name).load.count
    assert result(name).trace[-1]["kind"] == "end"


def test_api_gateway_lambda_answers_every_request_200_with_cold_starts_only_at_first():
    summary = result("api-gateway-lambda").summary
    assert summary["responses"] == {"200": 20} or summary["responses"] == {200: 20}
    assert summary["succeeded"] == 20
    assert summary["cold_starts"] in range(1, 5)
    assert events("api-gateway-lambda", "invoke_start")[0]["cold"] is True
    assert events("api-gateway-lambda", "invoke_start")[-1]["cold"] is False


def test_s3_lambda_dynamodb_accepts_each_event_202_before_it_runs():
    accepted = {event["item"]: event["t"] for event in events("s3-lambda-dynamodb", "accepted")}
    assert len(accepted) == 20
    assert {event["status"] for event in events("s3-lambda-dynamodb", "accepted")} == {202}
    for item, t in accepted.items():
        assert t == arrival("s3-lambda-dynamodb", item)
        assert starts_of("s3-lambda-dynamodb", item)[0] >= t
    assert result("s3-lambda-dynamodb").summary["succeeded"] == 20


def test_sqs_lambda_deletes_every_message_exactly_once():
    deleted = [item for event in events("sqs-lambda", "delete") for item in event["items"]]
    assert sorted(deleted) == sorted(f"msg-{n}" for n in range(1, 51))
    summary = result("sqs-lambda").summary
    assert summary["succeeded"] == 50 and summary["duplicates"] == 0
    assert all(len(event["items"]) <= 10 for event in events("sqs-lambda", "invoke_start"))


def test_sync_throttled_burst_runs_five_and_throttles_fifteen():
    summary = result("sync-throttled-burst").summary
    responses = {int(status): count for status, count in summary["responses"].items()}
    assert responses == {200: 5, 429: 15}
    assert summary["invocations"] == 5
    assert summary["throttles"] == 15


def test_sync_caller_gives_up_at_29_s_while_the_function_runs_on():
    for response in events("sync-caller-gives-up", "response"):
        item = response["item"]
        assert response["status"] == 504
        assert response["t"] == pytest.approx(arrival("sync-caller-gives-up", item) + 29)
        start = next(e for e in events("sync-caller-gives-up", "invoke_start") if item in e["items"])
        end = next(
            e for e in events("sync-caller-gives-up", "invoke_end") if e["invocation"] == start["invocation"]
        )
        assert end["outcome"] == "ok"
        assert end["t"] > response["t"]
    assert len(events("sync-caller-gives-up", "response")) == 3


def test_sync_cold_vs_warm_cold_starts_first_then_warm_reuse():
    starts = events("sync-cold-vs-warm", "invoke_start")
    cold = [index for index, event in enumerate(starts) if event["cold"]]
    assert cold and cold == list(range(len(cold)))  # every cold start comes before every warm one
    assert len(cold) <= 6 and len(starts) == 30
    latencies = [event["latency_s"] for event in events("sync-cold-vs-warm", "response")]
    assert latencies[0] > 0.8 and latencies[-1] < 0.2


def test_async_retries_destination_retries_at_60_and_120_then_retries_exhausted():
    starts = starts_of("async-retries-destination", "evt-2")
    assert len(starts) == 3
    ends = [
        e["t"]
        for e in events("async-retries-destination", "invoke_end")
        if e["invocation"]
        in {
            s["invocation"]
            for s in events("async-retries-destination", "invoke_start")
            if "evt-2" in s["items"]
        }
    ]
    assert starts[1] == pytest.approx(ends[0] + 60)
    assert starts[2] == pytest.approx(ends[1] + 120)
    (destination,) = events("async-retries-destination", "destination")
    assert destination["items"] == ["evt-2"]
    assert destination["target"] == "on_failure" and destination["reason"] == "RetriesExhausted"
    assert result("async-retries-destination").summary["succeeded"] == 2


def test_async_throttle_backoff_waits_without_using_retries():
    retries = events("async-throttle-backoff", "retry")
    assert retries and {event["reason"] for event in retries} == {"throttle"}
    summary = result("async-throttle-backoff").summary
    assert summary["throttles"] > 0
    assert summary["succeeded"] == 5 and summary["failed"] == 0
    assert summary["max_concurrency"] == 1
    gaps = [event["at"] - event["t"] for event in retries if "evt-5" in event["items"]]
    assert gaps[0] == pytest.approx(1) and gaps == sorted(gaps) and gaps[1] == pytest.approx(2)


def test_async_event_age_expiry_gives_up_before_the_second_retry():
    starts = starts_of("async-event-age-expiry", "evt-2")
    assert len(starts) == 2
    (destination,) = events("async-event-age-expiry", "destination")
    assert destination["items"] == ["evt-2"] and destination["reason"] == "EventAgeExceeded"
    # Given up when the second attempt fails, not 100 s after arrival and not at the next retry.
    assert destination["t"] - arrival("async-event-age-expiry", "evt-2") < 100


def test_async_zero_reserved_accepts_and_sends_on_without_running():
    assert len(events("async-zero-reserved", "accepted")) == 5
    assert events("async-zero-reserved", "invoke_start") == []
    sent = [
        item
        for event in events("async-zero-reserved", "destination")
        if event["reason"] == "ZeroReservedConcurrency" and event["target"] == "on_failure"
        for item in event["items"]
    ]
    assert sorted(sent) == [f"evt-{n}" for n in range(1, 6)]
    for event in events("async-zero-reserved", "destination"):
        assert event["t"] == arrival("async-zero-reserved", event["items"][0])


def test_sqs_poison_dlq_redrives_exactly_the_poison_message():
    (dlq,) = [event for event in events("sqs-poison-dlq", "destination") if event["target"] == "dlq"]
    assert dlq["items"] == ["msg-5"] and dlq["reason"] == "maxReceiveCount"
    assert len(starts_of("sqs-poison-dlq", "msg-5")) == 3
    summary = result("sqs-poison-dlq").summary
    assert summary["succeeded"] == 9 and summary["destinations"]["dlq"] == 1


def test_sqs_partial_batch_returns_only_the_failed_message():
    starts = events("sqs-partial-batch", "invoke_start")
    assert len(starts) == 2
    assert len(starts[0]["items"]) == 10 and starts[1]["items"] == ["msg-4"]
    first_end = events("sqs-partial-batch", "invoke_end")[0]
    assert first_end["failed_items"] == ["msg-4"]
    summary = result("sqs-partial-batch").summary
    assert summary["succeeded"] == 10 and summary["duplicates"] == 0


def test_sqs_visibility_too_short_processes_messages_twice():
    summary = result("sqs-visibility-too-short").summary
    assert summary["duplicates"] > 0
    assert summary["failed"] == 0
    assert any(
        event["reason"] == "visibility_timeout" for event in events("sqs-visibility-too-short", "retry")
    )


def test_sqs_throttled_pollers_push_healthy_messages_to_the_dlq():
    summary = result("sqs-throttled-pollers").summary
    assert summary["throttles"] > 0
    assert summary["max_concurrency"] <= 2
    assert all(event["outcome"] == "ok" for event in events("sqs-throttled-pollers", "invoke_end"))
    redriven = [e for e in events("sqs-throttled-pollers", "destination") if e["reason"] == "maxReceiveCount"]
    assert redriven


def test_sqs_fifo_groups_keep_order_with_one_batch_per_group():
    group_of = {event["item"]: event["group"] for event in events("sqs-fifo-groups", "arrive")}
    in_flight: dict[str, int] = defaultdict(int)
    batch_groups: dict[int, str] = {}
    seen: dict[str, list[int]] = defaultdict(list)
    for event in result("sqs-fifo-groups").trace:
        if event["kind"] == "invoke_start":
            (group,) = {group_of[item] for item in event["items"]}
            in_flight[group] += 1
            assert in_flight[group] == 1
            batch_groups[event["invocation"]] = group
            seen[group] += [int(item.split("-")[1]) for item in event["items"]]
        elif event["kind"] == "invoke_end":
            in_flight[batch_groups[event["invocation"]]] -= 1
    assert len(seen) == 3
    assert all(numbers == sorted(numbers) for numbers in seen.values())
    assert result("sqs-fifo-groups").summary["max_concurrency"] <= 3


def test_kinesis_poison_blocks_its_shard_and_iterator_age_climbs():
    shard_of = {event["item"]: event["shard"] for event in events("kinesis-poison-blocks-shard", "arrive")}
    blocked = shard_of["rec-5"]
    summary = result("kinesis-poison-blocks-shard").summary
    assert result("kinesis-poison-blocks-shard").trace[-1]["reason"] == "until"
    assert summary["unfinished"] > 0 and summary["failed"] == 0
    later_on_blocked = [item for item, shard in shard_of.items() if shard == blocked and int(item[4:]) > 5]
    succeeded_items = set()
    for event in events("kinesis-poison-blocks-shard", "invoke_end"):
        if event["outcome"] == "ok":
            start = next(
                s
                for s in events("kinesis-poison-blocks-shard", "invoke_start")
                if s["invocation"] == event["invocation"]
            )
            succeeded_items.update(start["items"])
    assert not succeeded_items & set(later_on_blocked)
    other_shard = [item for item, shard in shard_of.items() if shard != blocked]
    assert set(other_shard) <= succeeded_items
    assert summary["max_iterator_age_s"] > 300


def test_kinesis_bisect_isolates_the_poison_record():
    assert events("kinesis-bisect", "bisect")
    (destination,) = events("kinesis-bisect", "destination")
    assert destination["items"] == ["rec-7"]
    assert destination["target"] == "on_failure" and destination["reason"] == "RetryAttemptsExhausted"
    assert result("kinesis-bisect").summary["succeeded"] == 19


def test_kinesis_parallelization_runs_four_batches_of_one_shard_in_key_order():
    key_of = {event["item"]: event["key"] for event in events("kinesis-parallelization", "arrive")}
    order: dict[str, list[int]] = defaultdict(list)
    for event in events("kinesis-parallelization", "invoke_start"):
        for item in event["items"]:
            order[key_of[item]].append(int(item.split("-")[1]))
    assert len(order) == 8
    assert all(numbers == sorted(numbers) for numbers in order.values())
    assert result("kinesis-parallelization").summary["max_concurrency"] == 4


def test_dynamodb_record_age_gives_up_old_records_and_moves_on():
    given_up = [event for event in events("dynamodb-record-age", "destination")]
    assert given_up and {event["reason"] for event in given_up} == {"RecordAgeExceeded"}
    assert "rec-3" in [item for event in given_up for item in event["items"]]
    summary = result("dynamodb-record-age").summary
    assert summary["unfinished"] == 0 and summary["succeeded"] > 0
    assert starts_of("dynamodb-record-age", "rec-20")
