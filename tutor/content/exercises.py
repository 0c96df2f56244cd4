"""Workshop exercises as data: a base scenario, what the learner may change, and goals to meet.

Goals are declarative (a summary field, a comparison, a value): nothing in an exercise is ever
evaluated as code. Structural checks live here; whether a goal's field exists for the scenario's
model and whether a parameter's bounds sit inside AWS's range are checked by
`tutor.workshop.exercises`, which can see the simulator. Checked exercises become the plain
dataclasses of `tutor.content.course`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from tutor.content.course import Exercise, ExerciseParam, Goal, Predict, Problem, SourceFile
from tutor.content.models import ID_PATTERN, Strict, report_validation_error

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class ExerciseParamSpec(Strict):
    key: str = Field(min_length=1)
    min: float | None = None
    max: float | None = None
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> ExerciseParamSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class GoalSpec(Strict):
    field: str = Field(min_length=1)
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    value: float
    label: str | None = None  # the goal in the learner's words; generated when absent


class PredictSpec(Strict):
    prompt: str = Field(min_length=1)
    measure: str = Field(min_length=1)
    tolerance: float = Field(default=0, ge=0)
    unit: str = ""


class HintsSpec(Strict):
    """Graduated hints, opened one at a time: which parameter matters, why, then values that pass."""

    nudge: str = Field(min_length=1)
    mechanism: str = Field(min_length=1)
    answer: str = Field(min_length=1)


class ExerciseSpec(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    title: str = Field(min_length=1, max_length=120)
    kind: Literal["tune", "predict"]
    scenario: str = Field(min_length=1)
    brief: str = Field(min_length=1)
    # A pack's single hint from before graduated hints; it is read as the nudge.
    hint: str | None = Field(default=None, min_length=1)
    hints: HintsSpec | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    params: list[ExerciseParamSpec] = Field(default_factory=list)
    goals: list[GoalSpec] = Field(default_factory=list)
    predict: PredictSpec | None = None

    @model_validator(mode="after")
    def _kind_has_what_it_needs(self) -> ExerciseSpec:
        if self.kind == "tune":
            if not self.params:
                raise ValueError("a tune exercise needs at least one [[params]] entry the learner may change")
            if not self.goals:
                raise ValueError("a tune exercise needs at least one [[goals]] entry")
            if self.predict is not None:
                raise ValueError("[predict] belongs to predict exercises only")
        elif self.predict is None:
            raise ValueError("a predict exercise needs a [predict] table (prompt, measure)")
        keys = [param.key for param in self.params]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"parameter {duplicates[0]!r} is listed twice")
        return self

    @field_validator("hints")
    @classmethod
    def _one_way_to_give_hints(cls, hints: HintsSpec | None, info: ValidationInfo) -> HintsSpec | None:
        if hints is not None and info.data.get("hint") is not None:
            raise ValueError("give either one hint or a [hints] table (nudge, mechanism, answer), not both")
        return hints

    def hint_levels(self) -> list[str]:
        if self.hints is not None:
            return [self.hints.nudge, self.hints.mechanism, self.hints.answer]
        return [self.hint] if self.hint is not None else []


class BuiltInExerciseSpec(ExerciseSpec):
    """The course's own exercises give all three hint levels; the single hint is for older packs."""

    hints: HintsSpec

    @field_validator("hint")
    @classmethod
    def _no_single_hint(cls, hint: str | None) -> str | None:
        if hint is not None:
            raise ValueError("a built-in exercise gives a [hints] table (nudge, mechanism, answer) instead")
        return hint


def goal_label(goal: Goal) -> str:
    if goal.label:
        return goal.label
    words = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}
    return f"{goal.field} {words[goal.op]} {goal.value:g}"


def parse_exercise(
    data: dict[str, Any], source: SourceFile, *, built_in: bool = False
) -> tuple[Exercise | None, list[Problem]]:
    problems: list[Problem] = []
    model = BuiltInExerciseSpec if built_in else ExerciseSpec
    try:
        spec = model.model_validate(data)
    except ValidationError as error:
        report_validation_error(error, source, problems)
        return None, problems
    fields = spec.model_dump(exclude={"params", "goals", "predict", "hint", "hints"})
    exercise = Exercise(
        **fields,
        hints=spec.hint_levels(),
        params=[ExerciseParam(**param.model_dump()) for param in spec.params],
        goals=[Goal(**goal.model_dump()) for goal in spec.goals],
        predict=Predict(**spec.predict.model_dump()) if spec.predict is not None else None,
        file=source.display,
    )
    return exercise, problems
