"""Grading: one point per question, partial credit where the format says so, never below zero.

The rule (docs/content-format.md, "Scoring"):
- `multiple`: (right picks - wrong picks) / number of right answers, floored at 0;
- `ordering`: the fraction of steps in their right place;
- `matching`: the fraction of left items matched to the right option;
- every other kind is all or nothing (`numeric` and `scenario` within their `tolerance`).
A question counts as answered correctly only with full marks; anything less sends it to review.

Responses use the learner's words, not screen positions: the choice text for `single`, a set of
choice texts for `multiple`, `True`/`False`, a number (or the text typed) for `numeric`, the steps
in the learner's order for `ordering`, and a {left item: option} mapping for `matching`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutor.content.course import Question
from tutor.quiz.scoring import PASS_PERCENT, PERFECT_PERCENT, format_percent

POINTS_PER_QUESTION = 1.0
# Shown on the results screen and in help, so the learner knows how partial credit works.
SCORING_RULE = (
    "One point per question. Multiple choice: (right picks − wrong picks) ÷ number of right answers, "
    "never below 0. Ordering: the share of steps in their right place. Matching: the share of pairs "
    "matched right. Other questions: all or nothing (numbers within the stated tolerance). "
    f"A quiz is passed at {format_percent(PASS_PERCENT)}, perfect at {format_percent(PERFECT_PERCENT)}."
)
# Floats from the simulator (latencies) and from typed text must not miss by a rounding error.
_EPSILON = 1e-9
_GROUPED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class AnswerError(ValueError):
    """The response cannot be graded as it stands (not a number, not one of the choices, ...)."""


@dataclass(frozen=True)
class Grade:
    points: float
    max_points: float = POINTS_PER_QUESTION

    @property
    def correct(self) -> bool:
        return self.points >= self.max_points

    @property
    def fraction(self) -> float:
        return self.points / self.max_points


def grade(question: Question, response: Any, computed: float | None = None) -> Grade:
    """Score one response; `computed` is the simulator's answer for a scenario question."""
    grader = _GRADERS[question.kind]
    fraction = grader(question, response, computed)
    # Keep stored points tidy (2/3 -> 0.6667) and never outside 0..1.
    fraction = min(1.0, max(0.0, round(fraction, 4)))
    return Grade(points=fraction * POINTS_PER_QUESTION)


def _single(question: Question, response: Any, computed: float | None) -> float:
    _check_choice(question, response)
    return 1.0 if response == question.answer else 0.0


def _multiple(question: Question, response: Any, computed: float | None) -> float:
    if isinstance(response, str) or not isinstance(response, Iterable):
        raise AnswerError("pick one or more of the choices")
    picked = set(response)
    for choice in picked:
        _check_choice(question, choice)
    right_answers = set(question.answer)
    right = len(picked & right_answers)
    wrong = len(picked - right_answers)
    return max(0.0, (right - wrong) / len(right_answers))


def _truefalse(question: Question, response: Any, computed: float | None) -> float:
    if not isinstance(response, bool):
        raise AnswerError("answer true or false")
    return 1.0 if response is question.answer else 0.0


def _numeric(question: Question, response: Any, computed: float | None) -> float:
    value = parse_number(response, question.unit)
    return 1.0 if within(value, question.answer, question.tolerance) else 0.0


def _ordering(question: Question, response: Any, computed: float | None) -> float:
    if isinstance(response, str) or not isinstance(response, Sequence):
        raise AnswerError("put every step in an order")
    if sorted(response) != sorted(question.choices):
        raise AnswerError("the order must hold each step exactly once")
    # strict: the check above guarantees one given step per right step.
    in_place = sum(1 for given, right in zip(response, question.choices, strict=True) if given == right)
    return in_place / len(question.choices)


def _matching(question: Question, response: Any, computed: float | None) -> float:
    if not isinstance(response, Mapping):
        raise AnswerError("match each item to an option")
    for left, option in response.items():
        if left not in question.answer:
            raise AnswerError(f"{left!r} is not one of the items to match")
        if option is not None:
            _check_choice(question, option)
    matched = sum(1 for left, right in question.answer.items() if response.get(left) == right)
    return matched / len(question.answer)


def _scenario(question: Question, response: Any, computed: float | None) -> float:
    if computed is None:
        raise ValueError(f"scenario question {question.id!r} needs its computed answer to be graded")
    if question.choices:
        if isinstance(response, bool) or not isinstance(response, (int, float)):
            raise AnswerError("pick one of the choices")
        if not any(math.isclose(response, choice) for choice in question.choices):
            raise AnswerError(f"{format_number(response)} is not one of the choices")
        value = float(response)
    else:
        value = parse_number(response, question.unit)
    return 1.0 if within(value, computed, question.tolerance) else 0.0


_GRADERS = {
    "single": _single,
    "multiple": _multiple,
    "truefalse": _truefalse,
    "numeric": _numeric,
    "ordering": _ordering,
    "matching": _matching,
    "scenario": _scenario,
}


def _check_choice(question: Question, response: Any) -> None:
    if response not in question.choices:
        raise AnswerError(f"{response!r} is not one of the choices")


def within(value: float, expected: float, tolerance: float) -> bool:
    return abs(value - expected) <= tolerance + _EPSILON * max(1.0, abs(expected))


def parse_number(response: Any, unit: str | None = None) -> float:
    """A number from what the learner typed: `15`, `0.5`, `1,000`, `15 s` (the question's unit)."""
    if isinstance(response, bool):
        raise AnswerError("type a number, e.g. 15 or 0.5")
    if isinstance(response, (int, float)):
        value = float(response)
    else:
        text = str(response).strip()
        if unit and text.lower().endswith(unit.lower()):
            text = text[: -len(unit)].strip()
        if _GROUPED_THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            value = float(text)
        except ValueError:
            shown = repr(str(response).strip()) if str(response).strip() else "nothing"
            raise AnswerError(f"{shown} is not a number: type digits, e.g. 15 or 0.5") from None
    if not math.isfinite(value):
        raise AnswerError("type a finite number, e.g. 15 or 0.5")
    return value


def format_number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:.6g}"


def format_points(points: float) -> str:
    """Points for people: 3, 2.5, 0.67."""
    rounded = round(points, 2)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:g}"


def right_answer_text(question: Question, computed: float | None = None) -> str:
    """The answer key in words, for "Not quite: the answer is ..."."""
    kind = question.kind
    if kind == "single":
        return question.answer
    if kind == "multiple":
        return "; ".join(choice for choice in question.choices if choice in question.answer)
    if kind == "truefalse":
        return "true" if question.answer else "false"
    if kind == "numeric":
        return _with_unit(question.answer, question)
    if kind == "ordering":
        return " → ".join(question.choices)
    if kind == "matching":
        return "; ".join(f"{left} → {right}" for left, right in question.answer.items())
    if computed is None:
        return "unknown (the simulator could not run this scenario)"
    return _with_unit(computed, question)


def _with_unit(value: float, question: Question) -> str:
    text = format_number(value)
    if question.unit:
        text += f" {question.unit}"
    if question.tolerance:
        text += f" (± {format_number(question.tolerance)})"
    return text
