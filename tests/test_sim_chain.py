"""Chains of functions: explicit arrivals, items conserved across stages, end-to-end latency, and
one-line refusals naming the file, the stage and the key."""

from __future__ import annotations

import pytest

from tutor.sim.chain import list_chains, load_chain, run_chain
from tutor.sim.engine import run
from tutor.sim.scenario import ScenarioError, load_scenario


def chain(first: dict, second: dict, via: str = "sqs", **top) -> dict:
    return {"until_s": 600, **top, "stages": [{"name": "A", **first}, {"name": "B", "via": via, **second}]}


def inline_toml(value) -> str:
    """A value as TOML inline text (enough for these tests' tables, lists, strings and numbers)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {inline_toml(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inline_toml(item) for item in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def traced(data: dict):
    events: dict[str, list[dict]] = {"A": [], "B": []}
    result = run_chain(load_chain(data), lambda stage, event: events[stage].append(event))
    return result, events


# -- the explicit load ----------------------------------------------------------------------------


def test_an_explicit_load_puts_each_item_at_its_time():
    scenario = load_scenario(
        {"model": "sqs", "load": {"pattern": "explicit", "arrival_times_s": [0, 0, 1.5, 9]}}
    )
    assert scenario.load.count == 4
    trace = run(scenario).trace
    arrivals = [(event["t"], event["item"]) for event in trace if event["kind"] == "arrive"]
    assert arrivals == [(0.0, "msg-1"), (0.0, "msg-2"), (1.5, "msg-3"), (9.0, "msg-4")]


def test_an_explicit_load_counts_a_throttled_events_age_from_its_own_arrival():
    scenario = load_scenario(
        {
            "model": "async",
            "function": {
                "duration_ms": 10_000,
                "timeout_s": 30,
                "cold_start_ms": 0,
                "reserved_concurrency": 1,
            },
            "load": {"pattern": "explicit", "arrival_times_s": [5, 5.5]},
        }
    )
    result = run(scenario)
    # evt-1 runs 5..15; evt-2 (5.5) is throttled until its backoff ends at 20.5, then runs to 30.5.
    starts = [(event["t"], event["items"]) for event in result.trace if event["kind"] == "invoke_start"]
    assert starts == [(5.0, ["evt-1"]), (20.5, ["evt-2"])]
    assert result.summary["max_event_age_s"] == 15.0
    assert result.summary["latency_s"]["max"] == 25.0


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        (
            {"pattern": "explicit", "arrival_times_s": [0, 2, 1]},
            "load.arrival_times_s[2] = 1: allowed finite",
        ),
        ({"pattern": "explicit", "arrival_times_s": [float("nan")]}, "load.arrival_times_s[0] = nan"),
        ({"pattern": "explicit", "arrival_times_s": [-1]}, "load.arrival_times_s[0] = -1"),
        ({"pattern": "explicit"}, 'load.pattern = "explicit": needs load.arrival_times_s'),
        ({"arrival_times_s": [1, 2]}, 'only with load.pattern = "explicit"'),
        (
            {"pattern": "explicit", "count": 3, "arrival_times_s": [1]},
            "load.count = 3: must equal the 1 times",
        ),
    ],
)
def test_a_bad_explicit_load_is_refused_in_one_line(load, expected):
    with pytest.raises(ScenarioError) as refusal:
        load_scenario({"model": "sync", "load": load})
    assert expected in str(refusal.value)
    assert "\n" not in str(refusal.value)


# -- conservation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [row[0] for row in list_chains()])
def test_every_chain_preset_conserves_items_across_its_stages(name):
    result = run_chain(load_chain(name))
    first, *later = result.stages
    assert first.summary["items"] == load_chain(name).stages[0].scenario.load.count
    for stage in result.stages:
        summary = stage.summary
        assert summary["items"] == summary["succeeded"] + summary["failed"] + summary["unfinished"]
    for before, after in zip(result.stages, later, strict=False):
        assert after.summary["items"] == before.handed_on
    end = result.end_to_end
    assert end["items"] == first.summary["items"]
    assert end["delivered"] + end["lost"] == end["items"]
    assert end["delivered"] <= result.stages[-1].summary["succeeded"]


def test_a_stage_hands_on_each_success_at_the_moment_its_invocation_ends():
    result, events = traced(
        chain(
            {"model": "async", "load": {"count": 12, "rate_per_s": 4}, "function": {"error_rate": 0.3}},
            {"model": "sqs"},
        )
    )
    ok_ends = {
        event["invocation"]: event["t"]
        for event in events["A"]
        if event["kind"] == "invoke_end" and event["outcome"] == "ok"
    }
    handed = sorted(ok_ends.values())
    arrivals = [event["t"] for event in events["B"] if event["kind"] == "arrive"]
    assert arrivals == handed
    a = result.stages[0]
    assert a.handed_on == a.summary["succeeded"] + a.summary["duplicates"] == len(arrivals)
    assert result.stages[1].summary["items"] == len(arrivals)


def test_a_message_processed_twice_upstream_arrives_twice_downstream():
    # Without partial batch responses the failing message returns its whole batch, so the other
    # nine are processed again: each processing sends once.
    result = run_chain(
        load_chain(
            chain(
                {
                    "model": "sqs",
                    "load": {"count": 10, "pattern": "burst"},
                    "function": {"faults": [{"item": "msg-3", "kind": "error", "attempts": 1}]},
                    "sqs": {"batch_size": 10, "visibility_timeout_s": 5},
                },
                {"model": "async"},
                via="lambda",
            )
        )
    )
    a, b = result.stages
    assert a.summary["duplicates"] == 9
    assert a.handed_on == 19 == a.summary["succeeded"] + a.summary["duplicates"]
    assert b.summary["items"] == 19
    assert result.end_to_end["delivered"] == 10


def test_a_caller_that_gave_up_does_not_stop_the_function_handing_on():
    result = run_chain(
        load_chain(
            chain(
                {
                    "model": "sync",
                    "load": {"count": 5},
                    "function": {"duration_ms": 4000, "timeout_s": 10},
                    "sync": {"client_timeout_s": 1},
                },
                {"model": "sqs"},
            )
        )
    )
    a, b = result.stages
    assert a.summary["responses"] == {"504": 5}
    assert a.summary["failed"] == 5
    assert a.handed_on == 5 and b.summary["items"] == 5
    assert result.end_to_end["delivered"] == 5


def test_a_first_stage_that_always_fails_hands_nothing_on_and_the_next_stage_ends_drained():
    result, events = traced(
        chain(
            {
                "model": "async",
                "load": {"count": 4},
                "async": {"maximum_retry_attempts": 0},
                "function": {"error_rate": 1.0},
            },
            {"model": "async"},
            via="sns",
        )
    )
    a, b = result.stages
    assert a.handed_on == 0
    assert b.summary["items"] == 0 and b.summary["invocations"] == 0
    assert events["B"] == [{"t": 0.0, "kind": "end", "reason": "drained"}]
    assert result.end_to_end == {
        "items": 4,
        "delivered": 0,
        "lost": 4,
        "latency_s": {"p50": None, "p95": None, "p99": None, "max": None},
    }


# -- end to end -----------------------------------------------------------------------------------


def test_end_to_end_latency_adds_both_stages_by_hand():
    # A answers at 0.1 s (no cold start); B, invoked asynchronously then, runs 0.2 s: 0.3 s.
    result = run_chain(
        load_chain(
            chain(
                {"model": "sync", "load": {"count": 1}, "function": {"duration_ms": 100, "cold_start_ms": 0}},
                {"model": "async", "function": {"duration_ms": 200, "cold_start_ms": 0}},
                via="lambda",
            )
        )
    )
    assert result.stages[0].summary["latency_s"]["p50"] == 0.1
    assert result.stages[1].summary["latency_s"]["p50"] == 0.2
    assert result.end_to_end["latency_s"] == {"p50": 0.3, "p95": 0.3, "p99": 0.3, "max": 0.3}


def test_an_async_retry_in_the_second_stage_shows_in_end_to_end_latency():
    result = run_chain(
        load_chain(
            chain(
                {
                    "model": "async",
                    "load": {"count": 1},
                    "function": {"duration_ms": 100, "cold_start_ms": 0},
                },
                {
                    "model": "async",
                    "function": {
                        "duration_ms": 100,
                        "cold_start_ms": 0,
                        "faults": [{"item": "evt-1", "attempts": 1}],
                    },
                },
                via="sns",
            )
        )
    )
    # B fails at 0.2 s and is retried 60 s after that attempt ended: done at 60.3 s.
    assert result.end_to_end["latency_s"]["p50"] == 60.3
    assert result.stages[1].summary["invocations"] == 2


def test_the_same_chain_and_seed_give_the_same_result():
    first = run_chain(load_chain("s3-sns-fanout"))
    second = run_chain(load_chain("s3-sns-fanout"))
    assert [stage.summary for stage in first.stages] == [stage.summary for stage in second.stages]
    assert first.end_to_end == second.end_to_end
    other = run_chain(load_chain("s3-sns-fanout", seed=9))
    assert [stage.summary for stage in other.stages] != [stage.summary for stage in first.stages]


def test_overrides_reach_one_stage_by_its_name():
    changed = load_chain("api-sqs-dynamodb", overrides=["B.sqs.maximum_concurrency=5", "until_s=100"])
    assert changed.stages[1].scenario.sqs.maximum_concurrency == 5
    assert changed.stages[0].scenario.until_s == changed.stages[1].scenario.until_s == 100
    assert changed.stages[0].scenario.sqs.maximum_concurrency is None


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({"model": "sync"}, 'stages[1] (B).model = "sync": via sqs invokes the function as model = "sqs"'),
        (
            {"model": "sqs", "via": "kinesis"},
            'stages[1] (B).via = "kinesis": allowed one of sqs, sns, lambda',
        ),
        ({"model": "sqs", "load": {"count": 5}}, "stages[1] (B).load: a later stage's items are what"),
        ({"model": "sqs", "seed": 4}, "stages[1] (B).seed: set it once at the top of the chain"),
        (
            {"model": "sqs", "sqs": {"batch_size": 0}},
            "stages[1] (B).sqs.batch_size = 0: allowed a whole number",
        ),
        ({"model": "sqs", "function": {"timeout_s": 0}}, "stages[1] (B).function.timeout_s = 0"),
    ],
)
def test_a_bad_chain_file_is_refused_naming_the_file_the_stage_and_the_key(tmp_path, second, expected):
    path = tmp_path / "pipeline.toml"
    data = chain({"model": "sync"}, second)
    path.write_text("\n".join(f"{key} = {inline_toml(value)}" for key, value in data.items()) + "\n")
    with pytest.raises(ScenarioError) as refusal:
        load_chain(str(path))
    message = str(refusal.value)
    assert message.startswith(f"scenario file {str(path)!r}: ")
    assert expected in message
    assert "\n" not in message


def test_a_chain_needs_two_stages_and_known_top_level_keys():
    with pytest.raises(ScenarioError, match=r"stages: allowed 2\.\.5"):
        load_chain({"stages": [{"model": "sync"}]})
    with pytest.raises(ScenarioError, match=r"modle = .*unknown key; keys allowed at the top of a chain"):
        load_chain({"modle": "sync", "stages": [{"model": "sync"}, {"model": "sqs", "via": "sqs"}]})
    with pytest.raises(ScenarioError, match=r"unknown key; a chain takes seed, until_s or STAGE\.key"):
        load_chain("api-sqs-dynamodb", overrides=["C.function.duration_ms=5"])
