"""Answer keys of scenario questions, computed by running the simulator, never typed by hand.

A scenario question names a preset, optional overrides and seed, and a `measure` (a dotted path
into the run's summary). Its answer is that number, so when the simulator or a preset changes, the
quiz follows. Runs are deterministic, so each (preset file, overrides, seed) runs once per process
and its summary is reused by every question and screen that asks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tutor.content.course import Course, Lesson, Problem, Question
from tutor.quiz.grading import format_number, within

_summaries: dict[tuple[str, str, int | None], dict[str, Any]] = {}


class ScenarioAnswerError(Exception):
    """Why a scenario question has no answer; `field` names the question field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _cache_key(path: Path, overrides: Mapping[str, Any], seed: int | None) -> tuple[str, str, int | None]:
    return str(Path(path).resolve()), json.dumps(dict(overrides), sort_keys=True, default=str), seed


def scenario_summary(path: Path, overrides: Mapping[str, Any] | None = None, seed: int | None = None) -> dict:
    """The summary of one run (cached). Raises `ScenarioError` when the scenario does not load."""
    from tutor.sim.engine import run
    from tutor.sim.scenario import load_scenario

    overrides = dict(overrides or {})
    key = _cache_key(path, overrides, seed)
    if key not in _summaries:
        scenario = load_scenario(Path(path), overrides=overrides, seed=seed)
        _summaries[key] = run(scenario).summary
    return _summaries[key]


def clear_cache() -> None:
    _summaries.clear()
    _chain_runs.clear()


def answer_for(question: Question, course: Course) -> float:
    """The computed answer of one scenario question; raises `ScenarioAnswerError` saying what is wrong."""
    from tutor.sim.fields import field_problem, read_field
    from tutor.sim.scenario import ScenarioError, load_scenario

    path = course.scenario_files.get(question.scenario or "")
    if path is None:
        raise ScenarioAnswerError("scenario", f"unknown scenario preset {question.scenario!r}")
    try:
        scenario = load_scenario(Path(path), overrides=question.overrides, seed=question.seed)
    except ScenarioError as error:
        blame = "scenario"
        if question.overrides:
            try:
                load_scenario(Path(path))
                blame = "overrides"
            except ScenarioError:
                pass
        raise ScenarioAnswerError(blame, f"preset {question.scenario!r} does not run: {error}") from None
    measure = question.measure or ""
    measure_problem = field_problem(measure, scenario.model)
    if measure_problem:
        raise ScenarioAnswerError("measure", measure_problem)
    try:
        summary = scenario_summary(Path(path), question.overrides, question.seed)
    except ScenarioError as error:
        raise ScenarioAnswerError("scenario", f"preset {question.scenario!r} does not run: {error}") from None
    except Exception as error:
        raise ScenarioAnswerError(
            "scenario", f"the simulator failed on {question.scenario!r}: {type(error).__name__}: {error}"
        ) from None
    try:
        value = read_field(summary, measure)
    except (KeyError, TypeError, ValueError):
        raise ScenarioAnswerError(
            "measure", f"the summary of {question.scenario!r} has no number at {question.measure!r}"
        ) from None
    if not math.isfinite(value):
        raise ScenarioAnswerError(
            "measure",
            f"{question.measure!r} is not a finite number in this run "
            f"(got {value}); choose another measure or preset",
        )
    if question.choices:
        matching = [choice for choice in question.choices if within(choice, value, question.tolerance)]
        if len(matching) != 1:
            shown = format_number(value)
            reason = (
                f"none of the choices equals the simulator's answer {shown}"
                if not matching
                else f"{len(matching)} choices are within the tolerance of the simulator's answer {shown}"
            )
            raise ScenarioAnswerError("choices", reason)
    return value


def compute_scenario_answers(
    course: Course, questions: Iterable[Question] | None = None
) -> tuple[dict[str, float], list[Problem]]:
    """Answers of every scenario question (of `questions`, default the course's) and a problem per
    question that has none."""
    answers: dict[str, float] = {}
    problems: list[Problem] = []
    for question in course.questions if questions is None else questions:
        if question.kind != "scenario":
            continue
        try:
            answers[question.id] = answer_for(question, course)
        except ScenarioAnswerError as error:
            problems.append(question.problem(error.field, str(error)))
    return answers, problems


def prediction_answer(lesson: Lesson, course: Course) -> float:
    """What the lesson's preset gives for its prediction's measure (as the pane plays it, unchanged);
    raises `ScenarioAnswerError` naming the `prediction.*` field to blame."""
    from tutor.sim.fields import field_problem, read_field
    from tutor.sim.scenario import ScenarioError, load_scenario

    prediction = lesson.prediction
    if prediction is None:
        raise ValueError(f"lesson {lesson.id!r} asks no prediction")
    chain_path = course.chain_files.get(lesson.scenario or "")
    if chain_path is not None:
        return _chain_prediction(lesson.scenario or "", chain_path, prediction.measure)
    path = course.scenario_files.get(lesson.scenario or "")
    if path is None:
        raise ScenarioAnswerError("scenario", f"unknown scenario preset {lesson.scenario!r}")
    try:
        problem = field_problem(prediction.measure, load_scenario(Path(path)).model)
        if problem:
            raise ScenarioAnswerError("prediction.measure", problem)
        value = read_field(scenario_summary(Path(path)), prediction.measure)
    except ScenarioError as error:
        raise ScenarioAnswerError("scenario", f"preset {lesson.scenario!r} does not run: {error}") from None
    except (KeyError, TypeError, ValueError):
        raise ScenarioAnswerError(
            "prediction.measure",
            f"the summary of {lesson.scenario!r} has no number at {prediction.measure!r}",
        ) from None
    if not math.isfinite(value):
        raise ScenarioAnswerError(
            "prediction.measure", f"{prediction.measure!r} is not a finite number in this run (got {value})"
        )
    return value


# What a chain reports end to end (`end_to_end` of `simulate --json` on a chain).
END_TO_END_FIELDS = (
    "items",
    "delivered",
    "lost",
    "latency_s.p50",
    "latency_s.p95",
    "latency_s.p99",
    "latency_s.max",
)
_chain_runs: dict[str, dict[str, Any]] = {}


def _chain_prediction(name: str, path: Path, measure: str) -> float:
    """A chain lesson's prediction: `end_to_end.FIELD`, or `STAGE.FIELD` of one stage's summary."""
    from tutor.sim.chain import load_chain, run_chain
    from tutor.sim.fields import field_problem, read_field
    from tutor.sim.scenario import ScenarioError

    try:
        chain = load_chain(path)
    except ScenarioError as error:
        raise ScenarioAnswerError("scenario", f"chain {name!r} does not run: {error}") from None
    head, _, rest = measure.partition(".")
    models = {stage.name: stage.scenario.model for stage in chain.stages}
    if head == "end_to_end":
        if rest not in END_TO_END_FIELDS:
            known = ", ".join(f"end_to_end.{field}" for field in END_TO_END_FIELDS)
            raise ScenarioAnswerError(
                "prediction.measure", f"unknown end-to-end field {measure!r}; known: {known}"
            )
    elif head in models:
        problem = field_problem(rest, models[head])
        if problem:
            raise ScenarioAnswerError("prediction.measure", f"stage {head}: {problem}")
    else:
        raise ScenarioAnswerError(
            "prediction.measure",
            f"a chain's prediction measures end_to_end.FIELD or STAGE.FIELD with STAGE one of "
            f"{', '.join(models)}; not {measure!r}",
        )
    key = str(Path(path).resolve())
    if key not in _chain_runs:
        result = run_chain(chain)
        _chain_runs[key] = {"end_to_end": result.end_to_end, **{s.name: s.summary for s in result.stages}}
    value = read_field(_chain_runs[key], measure)
    if not math.isfinite(value):
        raise ScenarioAnswerError(
            "prediction.measure", f"{measure!r} is not a finite number in this run (got {value})"
        )
    return value


def check_predictions(course: Course) -> list[Problem]:
    """A problem for every lesson prediction the simulator cannot answer."""
    problems = []
    for lesson in course.lessons.values():
        if lesson.prediction is None or not lesson.scenario:
            continue
        try:
            prediction_answer(lesson, course)
        except ScenarioAnswerError as error:
            problems.append(Problem(lesson.source_display, None, error.field, str(error)))
    return problems
