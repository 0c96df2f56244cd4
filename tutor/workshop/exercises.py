"""Run an exercise with the learner's values and judge every goal against the run's summary.

Sits above both `tutor.content` (the exercise as data) and `tutor.sim` (the run): goals are read
with `tutor.sim.fields.read_field`, so a goal can only name a number the simulator produces.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.content.course import Course, Problem
from tutor.content.exercises import Exercise, Goal, goal_label
from tutor.errors import UserError
from tutor.sim.fields import field_problem, read_field

_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Summary numbers are floats (latencies, ages); equality goals compare at this precision.
_EPSILON = 1e-9
# A run reports progress this many times at most (slices of simulated time).
_PROGRESS_SLICES = 50
# What each hint level is, in the order a learner opens them.
HINT_LEVEL_NAMES = ("nudge", "mechanism", "answer")
# How many settings of the other parameters `check_exercises` tries before refusing a bound.
_MAX_COMBINATIONS = 256


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


def allowed_choices(exercise: Exercise, key: str) -> list[Any] | None:
    """The values a choice or true/false setting may take here; None for a number."""
    from tutor.sim.params import PARAMS

    spec = next(p for p in exercise.params if p.key == key)
    if spec.choices is not None:
        return list(spec.choices)
    param = PARAMS.get(key)
    if param is not None and param.kind == "bool":
        return [True, False]
    if param is not None and param.kind == "choice":
        return list(param.choices)
    return None


def allowed_text(exercise: Exercise, key: str) -> str:
    from tutor.sim.params import PARAMS

    spec = next(p for p in exercise.params if p.key == key)
    choices = allowed_choices(exercise, key)
    if choices is not None:
        return "one of " + ", ".join(str(choice) for choice in choices)
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
            raise UserError(
                f"{key} cannot be changed in this exercise (you may change: {', '.join(allowed)})"
            )
        choices = allowed_choices(exercise, key)
        if choices is not None:
            # `True == 1` in Python: a choice must match in type too, so 1 is not taken for true.
            if not any(value == choice and type(value) is type(choice) for choice in choices):
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


def simulate_summary(
    scenario, *, progress: Callable[[float], None] | None = None, cancelled: Callable[[], bool] | None = None
) -> dict[str, Any] | None:
    """Run a scenario to its end in slices of simulated time, reporting how far it got.

    Slicing gives a worker thread a place to report progress and to stop when the learner
    leaves; the summary is the same as one uninterrupted run. None when cancelled.
    """
    from tutor.sim.engine import Simulation

    simulation = Simulation(scenario, record_trace=False)
    step = simulation.until_s / _PROGRESS_SLICES
    while not simulation.done:
        if cancelled is not None and cancelled():
            return None
        simulation.advance(simulation.now + step)
        if progress is not None:
            progress(1.0 if simulation.done else simulation.now / simulation.until_s)
    return simulation.summary()


def judge_run(exercise: Exercise, summary: dict[str, Any], values: dict[str, Any]) -> Verdict:
    goals = [judge_goal(goal, summary) for goal in exercise.goals]
    return Verdict(all(g.passed for g in goals), goals, summary, dict(values))


def judge_prediction(exercise: Exercise, predicted: float, summary: dict[str, Any]) -> tuple[bool, float]:
    assert exercise.predict is not None
    actual = read_field(summary, exercise.predict.measure)
    return abs(actual - predicted) <= exercise.predict.tolerance + _EPSILON, actual


# -- one attempt, as the exercise screen makes it ---------------------------------------------------


@dataclass(frozen=True)
class PredictionResult:
    predicted: float
    measured: float
    within: bool
    tolerance: float
    unit: str


@dataclass(frozen=True)
class Attempt:
    """One run of an exercise: goals judged, the prediction (if any) judged, what to store."""

    verdict: Verdict
    prediction: PredictionResult | None
    params: dict[str, Any]  # every parameter of the exercise as it was in the run

    @property
    def passed(self) -> bool:
        return self.verdict.passed and (self.prediction is None or self.prediction.within)


def prepare_attempt(
    exercise: Exercise, course: Course, values: dict[str, Any], predicted: float | None = None
):
    """Check everything the learner gave before any time is spent running; returns the scenario.

    Raises UserError with one line: a value outside the exercise's bounds or AWS's range, or a
    predict exercise started without a prediction.
    """
    if exercise.predict is not None and predicted is None:
        raise UserError(f"commit a prediction first: {exercise.predict.prompt}")
    return build_scenario(exercise, course, values)


def attempt_exercise(
    exercise: Exercise,
    scenario,
    values: dict[str, Any],
    predicted: float | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Attempt | None:
    """Run a scenario from `prepare_attempt` and judge it; None when cancelled part-way."""
    summary = simulate_summary(scenario, progress=progress, cancelled=cancelled)
    if summary is None:
        return None
    verdict = judge_run(exercise, summary, values)
    prediction = None
    if exercise.predict is not None and predicted is not None:
        within, measured = judge_prediction(exercise, predicted, summary)
        prediction = PredictionResult(
            predicted, measured, within, exercise.predict.tolerance, exercise.predict.unit
        )
    params = {spec.key: scenario.value(spec.key) for spec in exercise.params}
    return Attempt(verdict, prediction, params)


def offered_hints(exercise: Exercise, course: Course) -> list[str]:
    """The hint levels a learner may open: none when the course (a pack's course.toml) turned hints off."""
    return list(exercise.hints) if course.hints else []


def hint_refusal(exercise: Exercise, course: Course, attempts: int, opened: int) -> str | None:
    """Why the next hint level cannot be opened now, in one line; None when it can.

    Hints open only after a run, so that the learner has first tried the exercise on their own.
    """
    offered = offered_hints(exercise, course)
    if not offered:
        return "this exercise has no hints here"
    if opened >= len(offered):
        return f"every hint is open ({len(offered)} of {len(offered)}, above)"
    if attempts < 1:
        return "run once first: hints open after your first attempt"
    return None


def hint_heading(level: int, total: int) -> str:
    """'Hint 2/3 · mechanism'; a pack's single hint is just 'Hint'."""
    if total == 1:
        return "Hint"
    return f"Hint {level}/{total} · {HINT_LEVEL_NAMES[level - 1]}"


# -- what the exercise screen shows ---------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One parameter the learner may change, described for a form."""

    key: str
    aws_name: str | None
    help: str
    unit: str
    kind: str  # int | float | bool | choice
    choices: list[Any] | None  # None: a number typed in
    value: Any  # where the learner starts: the exercise's base scenario
    allowed: str  # "1..100 in this exercise", "one of none, sqs"


def form_fields(exercise: Exercise, course: Course) -> list[FormField]:
    from tutor.sim.params import PARAMS

    base = base_scenario(exercise, course)
    fields = []
    for spec in exercise.params:
        param = PARAMS[spec.key]
        choices = allowed_choices(exercise, spec.key)
        # On a form, choices read as the learner picks them (true, sqs), not as Python values.
        allowed = (
            "one of " + ", ".join(show_value(choice) for choice in choices)
            if choices is not None
            else allowed_text(exercise, spec.key)
        )
        fields.append(
            FormField(
                key=spec.key,
                aws_name=param.aws_name,
                help=param.help,
                unit=param.unit,
                kind=param.kind,
                choices=choices,
                value=base.value(spec.key),
                allowed=allowed,
            )
        )
    return fields


def base_scenario(exercise: Exercise, course: Course):
    """The scenario before the learner changes anything (the preset with the exercise's overrides)."""
    return build_scenario(exercise, course, {})


def parse_value(exercise: Exercise, field: FormField, text: str) -> Any:
    """A typed form entry as the value it stands for, or UserError naming the key and what is allowed."""
    if field.choices is not None:
        for choice in field.choices:
            if text.strip().lower() == show_value(choice).lower():
                return choice
        raise UserError(f"{field.key} = {text.strip()!r}: allowed {field.allowed}")
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        raise UserError(f"{field.key}: enter a number ({field.allowed})")
    try:
        number = float(cleaned)
    except ValueError:
        raise UserError(f"{field.key} = {text.strip()!r}: a number is needed ({field.allowed})") from None
    if not math.isfinite(number):
        raise UserError(f"{field.key} = {text.strip()!r}: a number is needed ({field.allowed})")
    if field.kind == "int":
        if not number.is_integer():
            raise UserError(f"{field.key} = {text.strip()}: a whole number is needed ({field.allowed})")
        value: Any = int(number)
    else:
        value = number
    check_values(exercise, {field.key: value})
    return value


def parse_prediction(exercise: Exercise, text: str) -> float:
    assert exercise.predict is not None
    cleaned = text.strip().replace(",", "").replace("_", "")
    unit = exercise.predict.unit
    if unit and cleaned.endswith(unit):
        cleaned = cleaned[: -len(unit)].strip()
    try:
        number = float(cleaned)
    except ValueError:
        raise UserError(f"your prediction {text.strip()!r} is not a number; type one, e.g. 12") from None
    if not math.isfinite(number):
        raise UserError(f"your prediction {text.strip()!r} is not a number; type one, e.g. 12")
    return number


def show_value(value: Any) -> str:
    """A parameter value as a learner types it: true/false, none, 1000, 0.5."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if value.is_integer() or abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def show_number(value: float, unit: str = "") -> str:
    """A measured number: whole numbers without decimals, others with at most two."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


def goal_target(goal: Goal) -> str:
    words = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}
    return f"{words[goal.op]} {show_number(goal.value)}"


def exercise_model(exercise: Exercise, course: Course) -> str | None:
    """Which invocation model the exercise's scenario uses (None if its preset is missing or broken)."""
    try:
        return base_scenario(exercise, course).model
    except UserError:
        return None


def check_exercises(course: Course, only_pack: Path | None = None) -> list[Problem]:
    """What the structural model cannot see: presets, parameter keys and ranges, goal fields."""
    problems: list[Problem] = []
    for exercise in course.exercises:
        if only_pack is not None and not exercise.file.startswith(str(only_pack).rstrip("/") + "/"):
            continue
        problems += exercise_problems(exercise, course)
    return problems


def exercise_problems(exercise: Exercise, course: Course) -> list[Problem]:
    """Everything that stops one exercise from running as written (empty when it can run)."""
    from tutor.sim.params import PARAMS
    from tutor.sim.scenario import load_scenario

    problems: list[Problem] = []
    file = exercise.file
    path = course.scenario_files.get(exercise.scenario)
    if path is None:
        return [Problem(file, None, "scenario", f"unknown scenario preset {exercise.scenario!r}")]
    try:
        scenario = load_scenario(path, overrides=exercise.overrides)
    except UserError as error:
        return [Problem(file, None, "overrides", str(error))]
    for index, spec in enumerate(exercise.params):
        field = f"params.{index}"
        param = PARAMS.get(spec.key)
        if param is None:
            problems.append(Problem(file, None, f"{field}.key", f"unknown scenario key {spec.key!r}"))
            continue
        if scenario.model not in param.models:
            problems.append(
                Problem(
                    file, None, f"{field}.key", f"{spec.key} does not apply to the {scenario.model} model"
                )
            )
        for position, choice in enumerate(spec.choices or []):
            refusal = _refusal(path, exercise, spec.key, choice)
            if refusal:
                problems.append(Problem(file, None, f"{field}.choices.{position}", refusal))
        for bound in ("min", "max"):
            value = getattr(spec, bound)
            if value is None:
                continue
            if param.kind in ("bool", "choice"):
                problems.append(
                    Problem(
                        file,
                        None,
                        f"{field}.{bound}",
                        f"{spec.key} is not a number ({param.allowed()}); "
                        "list the values the learner may pick in choices",
                    )
                )
                continue
            refusal = _refusal(path, exercise, spec.key, _as_kind(param, value))
            if refusal:
                problems.append(Problem(file, None, f"{field}.{bound}", refusal))
    for index, goal in enumerate(exercise.goals):
        reason = field_problem(goal.field, scenario.model)
        if reason:
            problems.append(Problem(file, None, f"goals.{index}.field", reason))
    if exercise.predict is not None:
        reason = field_problem(exercise.predict.measure, scenario.model)
        if reason:
            problems.append(Problem(file, None, "predict.measure", reason))
    return problems


def _refusal(path: Path, exercise: Exercise, key: str, value: Any) -> str | None:
    """Why the learner could never run with `key = value`, or None when some setting allows it.

    A bound may need another parameter of the same exercise to be valid (a standard queue takes a
    batch above 10 only with a batching window), so the other parameters' bounds and choices are
    tried too before the bound is refused.
    """
    from tutor.sim.params import PARAMS
    from tutor.sim.scenario import load_scenario

    others = [spec for spec in exercise.params if spec.key != key and spec.key in PARAMS]
    candidates = []
    for spec in others:
        values = (
            list(spec.choices)
            if spec.choices is not None
            else [_as_kind(PARAMS[spec.key], bound) for bound in (spec.min, spec.max) if bound is not None]
        )
        candidates.append([None, *values])  # None: leave the base scenario's value
    first_error = None
    for combination in itertools.islice(itertools.product(*candidates), _MAX_COMBINATIONS):
        overrides = {
            spec.key: choice for spec, choice in zip(others, combination, strict=True) if choice is not None
        }
        try:
            load_scenario(path, overrides={**exercise.overrides, **overrides, key: value})
        except UserError as error:
            first_error = first_error or str(error)
            continue
        return None
    return first_error


def _as_kind(param, value: float):
    return int(value) if param.kind == "int" and float(value).is_integer() else value
