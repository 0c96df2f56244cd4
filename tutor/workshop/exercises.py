"""Run an exercise with the learner's values and judge every goal against the run's summary.

Sits above both `tutor.content` (the exercise as data) and `tutor.sim` (the run): goals are read
with `tutor.sim.fields.read_field`, so a goal can only name a number the simulator produces.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.content.exercises import Exercise, Goal, goal_label
from tutor.content.models import Course, Problem
from tutor.errors import UserError
from tutor.sim.fields import field_problem, read_field

_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
# Summary numbers are floats (latencies, ages); equality goals compare at this precision.
_EPSILON = 1e-9


@dataclass(frozen=True)
class GoalResult:
    goal: Goal
    measured: float
    passed: bool

    @property
    def label(self) -> str:
        return goal_label(self.goal)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    goals: list[GoalResult]
    summary: dict[str, Any]
    values: dict[str, Any]


def judge_goal(goal: Goal, summary: dict[str, Any]) -> GoalResult:
    measured = read_field(summary, goal.field)
    if goal.op in ("==", "!="):
        equal = abs(measured - goal.value) <= _EPSILON
        passed = equal if goal.op == "==" else not equal
    else:
        passed = _COMPARE[goal.op](measured, goal.value)
    return GoalResult(goal, measured, passed)


def allowed_text(exercise: Exercise, key: str) -> str:
    from tutor.sim.params import PARAMS

    spec = next(p for p in exercise.params if p.key == key)
    if spec.choices is not None:
        return "one of " + ", ".join(str(choice) for choice in spec.choices)
    param = PARAMS[key]
    low = spec.min if spec.min is not None else param.min
    high = spec.max if spec.max is not None else param.max
    return f"{low:g}..{high:g} in this exercise"


def check_values(exercise: Exercise, values: dict[str, Any]) -> None:
    """Refuse, in one line, a value the learner may not set or one outside this exercise's bounds."""
    allowed = {param.key: param for param in exercise.params}
    for key, value in values.items():
        spec = allowed.get(key)
        if spec is None:
            raise UserError(f"{key} cannot be changed in this exercise (you may change: {', '.join(allowed)})")
        if spec.choices is not None:
            if value not in spec.choices:
                raise UserError(f"{key} = {value!r}: allowed {allowed_text(exercise, key)}")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{key} = {value!r}: a number is needed ({allowed_text(exercise, key)})")
        if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
            raise UserError(f"{key} = {value:g}: allowed {allowed_text(exercise, key)}")


def build_scenario(exercise: Exercise, course: Course, values: dict[str, Any]):
    from tutor.sim.scenario import load_scenario

    check_values(exercise, values)
    path = course.scenario_files.get(exercise.scenario)
    if path is None:
        raise UserError(f"exercise {exercise.id}: unknown scenario preset {exercise.scenario!r}")
    return load_scenario(path, overrides={**exercise.overrides, **values})


def run_exercise(exercise: Exercise, course: Course, values: dict[str, Any]) -> Verdict:
    """Run the scenario to its end with the learner's values; every goal gets a measured value."""
    from tutor.sim.engine import run

    result = run(build_scenario(exercise, course, values))
    goals = [judge_goal(goal, result.summary) for goal in exercise.goals]
    return Verdict(all(g.passed for g in goals), goals, result.summary, dict(values))


def judge_prediction(exercise: Exercise, predicted: float, summary: dict[str, Any]) -> tuple[bool, float]:
    assert exercise.predict is not None
    actual = read_field(summary, exercise.predict.measure)
    return abs(actual - predicted) <= exercise.predict.tolerance + _EPSILON, actual


def check_exercises(course: Course, only_pack: Path | None = None) -> list[Problem]:
    """What the structural model cannot see: presets, parameter keys and ranges, goal fields."""
    from tutor.sim.params import PARAMS
    from tutor.sim.scenario import load_scenario

    problems: list[Problem] = []
    for exercise in course.exercises:
        file = exercise.file
        if only_pack is not None and not file.startswith(str(only_pack).rstrip("/") + "/"):
            continue
        path = course.scenario_files.get(exercise.scenario)
        if path is None:
            problems.append(Problem(file, None, "scenario", f"unknown scenario preset {exercise.scenario!r}"))
            continue
        try:
            scenario = load_scenario(path, overrides=exercise.overrides)
        except UserError as error:
            problems.append(Problem(file, None, "overrides", str(error)))
            continue
        for index, spec in enumerate(exercise.params):
            field = f"params.{index}"
            param = PARAMS.get(spec.key)
            if param is None:
                problems.append(Problem(file, None, f"{field}.key", f"unknown scenario key {spec.key!r}"))
                continue
            if scenario.model not in param.models:
                problems.append(Problem(file, None, f"{field}.key",
                                        f"{spec.key} does not apply to the {scenario.model} model"))
            for bound in ("min", "max"):
                value = getattr(spec, bound)
                if value is None:
                    continue
                try:
                    load_scenario(path, overrides={**exercise.overrides, spec.key: _as_kind(param, value)})
                except UserError as error:
                    problems.append(Problem(file, None, f"{field}.{bound}", str(error)))
        for index, goal in enumerate(exercise.goals):
            reason = field_problem(goal.field, scenario.model)
            if reason:
                problems.append(Problem(file, None, f"goals.{index}.field", reason))
        if exercise.predict is not None:
            reason = field_problem(exercise.predict.measure, scenario.model)
            if reason:
                problems.append(Problem(file, None, "predict.measure", reason))
    return problems


def _as_kind(param, value: float):
    return int(value) if param.kind == "int" and float(value).is_integer() else value
