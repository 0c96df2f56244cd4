"""Every built-in exercise is solvable and not already solved: a parameter set (or prediction) that
must pass and one that must fail, run through the same code the exercise screen uses."""

from __future__ import annotations

import dataclasses
import re
import textwrap
import time

import pytest

from tutor.content.loader import load_course
from tutor.errors import UserError
from tutor.sim.engine import run
from tutor.workshop.exercises import (
    attempt_exercise,
    check_exercises,
    exercise_model,
    form_fields,
    hint_heading,
    hint_refusal,
    parse_prediction,
    parse_value,
    prepare_attempt,
)

COURSE, PROBLEMS = load_course()
EXERCISES = {exercise.id: exercise for exercise in COURSE.exercises}

# id -> (values that pass, prediction that passes), (values that fail, prediction that fails)
CASES = {
    "sync-retry-throttled": (
        ({"sync.client_retries": 5, "sync.client_backoff_s": 0.5}, None),
        ({"sync.client_retries": 3, "sync.client_backoff_s": 1}, None),
    ),
    "sync-count-cold-starts": (({}, 5), ({}, 1)),
    "sync-estimate-concurrency": (({}, 20), ({}, 50)),
    "sync-timeout-retries": (({}, 9), ({}, 3)),
    "async-keep-failed-events": (
        ({"async.maximum_retry_attempts": 1, "async.on_failure": "sqs"}, None),
        ({"async.maximum_retry_attempts": 2, "async.on_failure": "sqs"}, None),
    ),
    "async-throttled-events-wait": (
        ({"function.reserved_concurrency": 3}, None),
        ({"function.reserved_concurrency": 2}, None),
    ),
    "async-event-age": (({}, 60), ({}, 100)),
    "async-zero-reserved": (({}, 5), ({}, 0)),
    "sqs-partial-batch": (({"sqs.report_batch_item_failures": True}, None), ({"sqs.batch_size": 1}, None)),
    "sqs-reserved-vs-maximum": (
        ({"sqs.maximum_concurrency": 10, "function.reserved_concurrency": 10}, None),
        ({"sqs.maximum_concurrency": 10, "function.reserved_concurrency": 5}, None),
    ),
    "sqs-visibility-timeout": (
        ({"sqs.visibility_timeout_s": 65}, None),
        ({"sqs.visibility_timeout_s": 120}, None),
    ),
    "sqs-drain-backlog": (
        (
            {
                "sqs.batch_size": 100,
                "sqs.maximum_batching_window_s": 1,
                "sqs.maximum_concurrency": 20,
                "sqs.report_batch_item_failures": True,
                "sqs.visibility_timeout_s": 19,
            },
            None,
        ),
        ({"sqs.maximum_concurrency": 20}, None),
    ),
    "sqs-poison-dlq-time": (({}, 30), ({}, 10)),
    "kinesis-isolate-poison": (
        (
            {
                "kinesis.maximum_retry_attempts": 2,
                "kinesis.bisect_batch_on_function_error": True,
                "kinesis.on_failure": "sqs",
            },
            None,
        ),
        ({"kinesis.maximum_retry_attempts": 2, "kinesis.on_failure": "sqs"}, None),
    ),
    "kinesis-keep-up": (
        ({"kinesis.parallelization_factor": 2}, None),
        ({"kinesis.parallelization_factor": 4}, None),
    ),
    "dynamodb-record-age": (({}, 60), ({}, 30)),
    "kinesis-stream-concurrency": (({}, 12), ({}, 1000)),
    # A table behind the function: one environment at a time keeps the writes within capacity.
    "async-protect-table": (
        ({"function.reserved_concurrency": 1}, None),
        ({"function.reserved_concurrency": 2}, None),
    ),
    "sqs-protect-table": (
        ({"sqs.maximum_concurrency": 2, "sqs.batch_size": 1}, None),
        ({"sqs.maximum_concurrency": 2, "sqs.batch_size": 10}, None),
    ),
    # Reserved concurrency alone turns refused connections into throttles the caller must retry.
    "sync-database-connections": (
        ({"function.reserved_concurrency": 10, "sync.client_retries": 3}, None),
        ({"function.reserved_concurrency": 10}, None),
    ),
}


def attempt(exercise_id: str, values: dict, predicted: float | None):
    exercise = EXERCISES[exercise_id]
    scenario = prepare_attempt(exercise, COURSE, values, predicted)
    return attempt_exercise(exercise, scenario, values, predicted)


def test_the_built_in_exercises_load_and_validate_cleanly():
    assert [p for p in PROBLEMS if "exercises" in p.file] == []
    assert check_exercises(COURSE) == []
    assert len(EXERCISES) >= 12
    kinds = {exercise.kind for exercise in EXERCISES.values()}
    models = {exercise_model(exercise, COURSE) for exercise in EXERCISES.values()}
    assert kinds == {"tune", "predict"}
    assert {"sync", "async", "sqs"} <= models and models & {"kinesis", "dynamodb"}


def test_every_built_in_exercise_has_a_passing_and_a_failing_case():
    assert set(CASES) == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_passing_set_passes_and_failing_set_fails(exercise_id):
    (good_values, good_prediction), (bad_values, bad_prediction) = CASES[exercise_id]
    started = time.perf_counter()
    good = attempt(exercise_id, good_values, good_prediction)
    elapsed = time.perf_counter() - started
    bad = attempt(exercise_id, bad_values, bad_prediction)
    assert good.passed, [(g.label, g.measured) for g in good.verdict.goals]
    assert not bad.passed
    if good.prediction is None:
        assert all(goal.passed for goal in good.verdict.goals)
        assert any(not goal.passed for goal in bad.verdict.goals)
    else:
        assert good.prediction.within and not bad.prediction.within
        assert good.prediction.measured == bad.prediction.measured  # same run, only the guess differs
    # Quick enough for a room of learners on shared machines.
    assert elapsed < 1.0


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_a_tune_exercise_is_not_solved_before_the_learner_changes_anything(exercise_id):
    exercise = EXERCISES[exercise_id]
    if exercise.kind == "tune":
        assert not attempt(exercise_id, {}, None).verdict.passed


def test_the_stored_parameters_are_every_parameter_of_the_exercise_as_it_ran():
    result = attempt("sqs-partial-batch", {"sqs.report_batch_item_failures": True}, None)
    assert result.params == {"sqs.report_batch_item_failures": True, "sqs.batch_size": 10}


def test_a_sliced_run_gives_the_same_summary_as_one_uninterrupted_run():
    for exercise in EXERCISES.values():
        scenario = prepare_attempt(exercise, COURSE, {}, 0 if exercise.predict else None)
        seen = []
        result = attempt_exercise(
            exercise, scenario, {}, 0 if exercise.predict else None, progress=seen.append
        )
        assert result.verdict.summary == run(scenario).summary, exercise.id
        assert seen[-1] == 1.0 and seen == sorted(seen)


def test_a_cancelled_run_stops_and_reports_nothing():
    exercise = EXERCISES["sqs-drain-backlog"]
    scenario = prepare_attempt(exercise, COURSE, {}, None)
    assert attempt_exercise(exercise, scenario, {}, cancelled=lambda: True) is None


def test_a_predict_exercise_needs_the_prediction_before_the_run():
    with pytest.raises(UserError, match="commit a prediction first"):
        prepare_attempt(EXERCISES["sync-count-cold-starts"], COURSE, {}, None)


def test_form_fields_carry_aws_names_the_starting_value_and_the_range_of_this_exercise():
    fields = {field.key: field for field in form_fields(EXERCISES["sqs-drain-backlog"], COURSE)}
    batch = fields["sqs.batch_size"]
    assert (batch.aws_name, batch.value, batch.allowed) == ("BatchSize", 10, "1..10000 in this exercise")
    assert fields["sqs.report_batch_item_failures"].choices == [True, False]
    assert fields["sqs.report_batch_item_failures"].value is False


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("sqs.batch_size", "250", 250),
        ("sqs.batch_size", " 1,000 ", 1000),
        ("sqs.maximum_batching_window_s", "0", 0),
        ("sqs.report_batch_item_failures", "true", True),
        ("sqs.report_batch_item_failures", "False", False),
    ],
)
def test_typed_values_are_read_as_the_setting_they_stand_for(key, text, expected):
    exercise = EXERCISES["sqs-drain-backlog"]
    field = next(f for f in form_fields(exercise, COURSE) if f.key == key)
    value = parse_value(exercise, field, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("sqs.batch_size", "20000", "sqs.batch_size = 20000: allowed 1..10000 in this exercise"),
        ("sqs.batch_size", "0", "sqs.batch_size = 0: allowed 1..10000 in this exercise"),
        (
            "sqs.batch_size",
            "2.5",
            "sqs.batch_size = 2.5: a whole number is needed (1..10000 in this exercise)",
        ),
        ("sqs.batch_size", "lots", "sqs.batch_size = 'lots': a number is needed (1..10000 in this exercise)"),
        ("sqs.batch_size", "", "sqs.batch_size: enter a number (1..10000 in this exercise)"),
        ("sqs.batch_size", "nan", "a number is needed"),
        ("sqs.report_batch_item_failures", "yes", "allowed one of true, false"),
    ],
)
def test_bad_entries_are_refused_in_one_line_naming_the_range(key, text, message):
    exercise = EXERCISES["sqs-drain-backlog"]
    field = next(f for f in form_fields(exercise, COURSE) if f.key == key)
    with pytest.raises(UserError) as caught:
        parse_value(exercise, field, text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_value_inside_the_exercise_bounds_but_refused_by_aws_names_aws_range():
    exercise = EXERCISES["kinesis-isolate-poison"]
    with pytest.raises(
        UserError, match=r"kinesis.maximum_record_age_s = 30: allowed a whole number -1 or 60..604,800"
    ):
        prepare_attempt(exercise, COURSE, {"kinesis.maximum_record_age_s": 30})


def test_predictions_accept_plain_numbers_and_the_unit():
    exercise = EXERCISES["async-event-age"]
    assert parse_prediction(exercise, " 60 ") == 60
    assert parse_prediction(exercise, "60.5 s") == 60.5
    with pytest.raises(UserError, match="is not a number"):
        parse_prediction(exercise, "about a minute")


def test_hints_open_after_a_run_one_level_at_a_time_unless_the_course_turns_hints_off():
    exercise = EXERCISES["sqs-partial-batch"]
    assert "run once first" in hint_refusal(exercise, COURSE, attempts=0, opened=0)
    assert hint_refusal(exercise, COURSE, attempts=1, opened=0) is None
    assert hint_refusal(exercise, COURSE, attempts=1, opened=2) is None
    assert "every hint is open" in hint_refusal(exercise, COURSE, attempts=1, opened=3)
    quiet = dataclasses.replace(COURSE, hints=False)
    assert "no hints" in hint_refusal(exercise, quiet, attempts=5, opened=0)


# The answer level names each setting as the form shows it (`key = value`), or starts with the
# number to predict; the learner types exactly that.
SETTING = re.compile(r"\b([a-z_]+\.[a-z_]+) = ([^\s,:;)]+)")
PREDICTION = re.compile(r"^Predict ([\d.,]+):")


def answer_level(exercise_id: str) -> tuple[dict, float | None]:
    exercise = EXERCISES[exercise_id]
    answer = " ".join(exercise.hints[2].split())
    if exercise.kind == "predict":
        found = PREDICTION.match(answer)
        assert found, f"{exercise_id}: the answer should start 'Predict N:', got {answer!r}"
        return {}, parse_prediction(exercise, found.group(1))
    fields = {field.key: field for field in form_fields(exercise, COURSE)}
    settings = SETTING.findall(answer)
    assert settings, f"{exercise_id}: the answer names no setting as 'key = value': {answer!r}"
    return {key: parse_value(exercise, fields[key], text) for key, text in settings}, None


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_the_answer_hint_passes_the_exercise(exercise_id):
    values, predicted = answer_level(exercise_id)
    result = attempt(exercise_id, values, predicted)
    assert result.passed, [(goal.label, goal.measured) for goal in result.verdict.goals]


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_every_built_in_exercise_has_three_short_hint_levels_and_the_nudge_names_a_setting(exercise_id):
    exercise = EXERCISES[exercise_id]
    assert len(exercise.hints) == 3
    for number, level in enumerate(exercise.hints, start=1):
        # The hint box is about 72 columns wide at 80: a few lines each, so a level fits in view.
        shown = f"{hint_heading(number, 3)}  {' '.join(level.split())}"
        assert len(textwrap.wrap(shown, 72)) <= 5, shown
    if exercise.kind == "tune":
        values, _ = answer_level(exercise_id)
        names = {field.key: field.aws_name for field in form_fields(exercise, COURSE)}
        nudge = " ".join(exercise.hints[0].split())
        assert any(key in nudge or (names[key] or key) in nudge for key in values), nudge
