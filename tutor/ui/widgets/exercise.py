"""Pieces of the exercise screen: a parameter row of the form, and the goals with their verdicts.

Both only show what `tutor.workshop.exercises` decides: a `ParamField` asks `parse_value` whether
what was typed is allowed (and shows its one-line refusal right under the field), `GoalBoard`
shows each goal as pending, held or missed, always with a symbol and a word, never colour alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Select, Static

from tutor.errors import UserError
from tutor.ui.marks import Mark
from tutor.workshop.exercises import (
    exercise_model,
    goal_label,
    goal_target,
    parse_value,
    show_number,
    show_value,
)

if TYPE_CHECKING:
    from tutor.content.course import Course, Exercise, Goal
    from tutor.progress.store import ExerciseResult
    from tutor.workshop.exercises import FormField, GoalResult, PredictionResult

HELD = "✓"
MISSED = "✗"
PENDING = "○"
MODEL_NAMES = {
    "sync": "synchronous",
    "async": "asynchronous",
    "sqs": "SQS",
    "kinesis": "Kinesis",
    "dynamodb": "DynamoDB Streams",
}


def exercise_mark(result: ExerciseResult | None, *, broken: bool = False) -> Mark:
    if broken:
        return Mark("⚠", "cannot run", tone="warning")
    if result is not None and result.passed:
        return Mark(HELD, "passed", tone="success")
    return Mark(PENDING, "not yet", tone="muted")


def exercise_state(result: ExerciseResult | None) -> str:
    """'○ not yet · 2 attempts' for the masthead."""
    attempts = result.attempts if result else 0
    return f"{exercise_mark(result)} · {attempts} attempt{'s' if attempts != 1 else ''}"


def exercise_meta(exercise: Exercise, course: Course) -> str:
    """'tune · SQS': what kind of exercise, on which invocation model."""
    model = MODEL_NAMES.get(exercise_model(exercise, course) or "", "")
    kind = {"tune": "tune the parameters", "predict": "predict, then run"}[exercise.kind]
    return " · ".join(part for part in (kind, model) if part)


class ParamField(Vertical):
    """One parameter: its AWS name (and our key), an entry, the range allowed here, and any refusal."""

    def __init__(self, exercise: Exercise, spec: FormField, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exercise = exercise
        self.spec = spec
        self.value: Any = spec.value
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        spec = self.spec
        name = spec.aws_name or spec.key
        head = Content.assemble(
            (name, "bold"),
            (f"  {spec.key}" if spec.aws_name else "", "$text-muted"),
            (f"  {spec.help}", "$text-muted"),
        )
        yield Static(head, classes="param-head")
        with Horizontal(classes="param-entry-row"):
            if spec.choices is not None:
                options = [(show_value(choice), choice) for choice in spec.choices]
                start = spec.value if spec.value in spec.choices else spec.choices[0]
                yield Select(options, value=start, allow_blank=False, compact=True, classes="param-entry")
            else:
                yield Input(show_value(spec.value), compact=True, classes="param-entry", select_on_focus=True)
            unit = f" {spec.unit}" if spec.unit else ""
            yield Static(
                f"{unit.strip()}  allowed {spec.allowed}".strip(), classes="param-allowed", markup=False
            )
        error = Static("", classes="param-error", markup=False)
        error.display = False
        yield error

    @property
    def entry(self) -> Input | Select:
        entry = self.query_one(".param-entry")
        assert isinstance(entry, (Input, Select)), "compose gives every field an Input or a Select"
        return entry

    def check(self, text: str) -> bool:
        """Read typed text as this parameter's value; a value not allowed shows its refusal below."""
        try:
            # Leaving the starting value alone is always allowed, even if a pack starts outside its bounds.
            unchanged = text.strip() == show_value(self.spec.value)
            self.value = self.spec.value if unchanged else parse_value(self.exercise, self.spec, text)
        except UserError as error:
            self.error = str(error)
        else:
            self.error = None
        shown = self.query_one(".param-error", Static)
        if self.error is not None:
            shown.update(f"{MISSED} {self.error}")
        shown.display = self.error is not None
        return self.error is None

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.check(event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self.value = event.value
            self.error = None
            self.query_one(".param-error", Static).display = False

    @property
    def changed(self) -> bool:
        return self.error is None and not _same(self.value, self.spec.value)


def _same(a: Any, b: Any) -> bool:
    """Equal as settings: 30 and 30.0 are the same number, but 1 is not `true`."""
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    return a == b and (numbers or type(a) is type(b))


class GoalBoard(Static):
    """The goals: pending (○) before a run; after it, held (✓) or missed (✗) with the value measured."""

    def __init__(self, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.goals = goals
        self.results: list[GoalResult] | None = None

    def on_mount(self) -> None:
        self.show_pending()

    def show_pending(self) -> None:
        self.results = None
        lines = [
            Content.assemble(
                (f"{PENDING} ", "$text-muted"),
                _goal_words(goal),
                (f"   target {goal_target(goal)}", "$text-muted"),
            )
            for goal in self.goals
        ]
        self.update(Content("\n").join(lines))

    def show_results(self, results: list[GoalResult]) -> None:
        self.results = results
        lines = []
        for result in results:
            mark, word, tone = (
                (HELD, "held", "$text-success") if result.passed else (MISSED, "missed", "$text-error")
            )
            lines.append(
                Content.assemble(
                    (f"{mark} {word:<6} ", f"bold {tone}"),
                    _goal_words(result.goal),
                    (
                        f"   measured {show_number(result.measured)}, target {goal_target(result.goal)}",
                        "$text-muted",
                    ),
                )
            )
        self.update(Content("\n").join(lines))


def _goal_words(goal: Goal) -> str:
    return goal_label(goal)


def prediction_text(result: PredictionResult) -> Content:
    """'✓ within ±2: you said 20, the run measured 21.'"""
    unit = result.unit
    tolerance = f"±{show_number(result.tolerance)}" if result.tolerance else "exactly"
    said = show_number(result.predicted, unit)
    measured = show_number(result.measured, unit)
    if result.within:
        return Content.assemble(
            (f"{HELD} Your prediction holds ", "bold $text-success"),
            f"({tolerance}): you said {said}, the run measured {measured}.",
        )
    return Content.assemble(
        (f"{MISSED} Your prediction is off ", "bold $text-error"),
        f"(needed {tolerance}): you said {said}, the run measured {measured}.",
    )
