"""Exercise goals are judged declaratively, and learner values are bounded by the exercise."""

from pathlib import Path

import pytest

from tutor.content.course import Goal, SourceFile
from tutor.content.exercises import goal_label, parse_exercise
from tutor.errors import UserError
from tutor.workshop.exercises import check_values, judge_goal

SUMMARY = {
    "items": 100,
    "succeeded": 97,
    "failed": 3,
    "unfinished": 0,
    "duplicates": 0,
    "destinations": {"on_success": 0, "on_failure": 0, "dlq": 3},
    "latency_s": {"p50": 0.4, "p95": 2.0, "p99": 119.5, "max": 130.0},
    "max_concurrency": 20,
}


def exercise(**changes):
    data = {
        "id": "drain",
        "title": "Drain it",
        "kind": "tune",
        "scenario": "sqs-lambda",
        "brief": "Do it.",
        "params": [
            {"key": "sqs.batch_size", "min": 1, "max": 100},
            {"key": "sqs.report_batch_item_failures", "choices": [True, False]},
        ],
        "goals": [{"field": "destinations.dlq", "op": "==", "value": 0}],
    }
    data.update(changes)
    parsed, problems = parse_exercise(data, SourceFile(Path("drain.toml"), "pack/exercises/drain.toml", ""))
    if problems:
        raise ValueError("; ".join(str(problem) for problem in problems))
    return parsed


@pytest.mark.parametrize(
    ("field", "op", "value", "passes"),
    [
        ("destinations.dlq", "==", 0, False),
        ("destinations.dlq", "==", 3, True),
        ("latency_s.p99", "<=", 120, True),
        ("latency_s.p99", "<=", 119, False),
        ("max_concurrency", "<=", 20, True),
        ("max_concurrency", "<", 20, False),
        ("duplicates", "==", 0, True),
        ("succeeded", ">=", 98, False),
        ("failed", "!=", 0, True),
        ("responses.429", "==", 0, True),  # a model without 429s reads as zero
    ],
)
def test_goal_pass_and_fail_sets(field, op, value, passes):
    result = judge_goal(Goal(field=field, op=op, value=value), SUMMARY)
    assert result.passed is passes
    assert result.measured == pytest.approx(
        float(
            SUMMARY.get(field, 0)
            if "." not in field
            else SUMMARY.get(field.split(".")[0], {}).get(field.split(".")[1], 0)
        )
    )


def test_goal_labels_read_as_words():
    assert goal_label(Goal(field="latency_s.p99", op="<=", value=120)) == "latency_s.p99 ≤ 120"
    assert (
        goal_label(Goal(field="destinations.dlq", op="==", value=0, label="nothing in the DLQ"))
        == "nothing in the DLQ"
    )


def test_learner_values_outside_the_exercise_bounds_are_refused_in_one_line():
    with pytest.raises(UserError) as caught:
        check_values(exercise(), {"sqs.batch_size": 500})
    assert str(caught.value) == "sqs.batch_size = 500: allowed 1..100 in this exercise"
    with pytest.raises(UserError, match="cannot be changed in this exercise"):
        check_values(exercise(), {"function.timeout_s": 10})
    with pytest.raises(UserError, match="one of True, False"):
        check_values(exercise(), {"sqs.report_batch_item_failures": "yes"})
    check_values(exercise(), {"sqs.batch_size": 100, "sqs.report_batch_item_failures": True})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"params": []}, "at least one [[params]]"),
        ({"goals": []}, "at least one [[goals]]"),
        ({"kind": "predict"}, "needs a [predict] table"),
        ({"params": [{"key": "sqs.batch_size", "min": 5, "max": 2}]}, "min 5 is above max 2"),
        ({"goals": [{"field": "dlq", "op": "=~", "value": 0}]}, "Input should be"),
    ],
)
def test_structural_refusals(changes, message):
    with pytest.raises(ValueError) as caught:
        exercise(**changes)
    assert message in str(caught.value)
