"""Latency percentiles at their boundaries: the nearest rank, on runs small enough to work out by hand."""

import pytest

from tutor.sim.engine import latency_summary, run
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
