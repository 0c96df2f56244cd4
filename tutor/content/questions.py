"""Question banks (`quizzes/*.toml`): one pydantic model per kind, then the checks pydantic cannot do.

Every refusal is a `Problem` naming the file, the line and the field (`questions.3.answer`), so a
content writer can fix a whole bank in one pass. A question with any problem is left out of the
course: the app never shows a question whose answer key might be wrong.

A bank may declare `[groups]`: near-duplicates (one fact, asked twice) share a declared group, so a
drawn quiz takes at most one of them. `check_true_false_balance` is `lambda-tutor validate`'s check
that a bank's true/false answers are not mostly one way (answering blind must not pay).

Scenario questions carry no answer: `tutor.quiz.scenario_answers` computes it by running the
simulator, so a lesson and the simulator cannot drift apart.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, ValidationError, field_validator

from tutor.content.course import MAX_CHOICES, Course, Problem, Question, SourceFile
from tutor.content.models import ID_PATTERN, URL_PATTERN, Strict, report_validation_error
from tutor.sim.fields import field_problem

KINDS = ("single", "multiple", "truefalse", "numeric", "ordering", "matching", "scenario")
MIN_CHOICES = 2
# A bank's true/false answers: between these shares True, or as near half as the count allows.
TRUE_SHARE_MIN = 0.4
TRUE_SHARE_MAX = 0.6

Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Tolerance = Annotated[StrictFloat, Field(ge=0, allow_inf_nan=False)]
ChoiceText = Annotated[str, Field(min_length=1, max_length=200)]
Choices = Annotated[list[ChoiceText], Field(min_length=MIN_CHOICES, max_length=MAX_CHOICES)]


class _Common(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    lesson: str = Field(min_length=1)
    difficulty: Literal[1, 2, 3]
    kind: str
    prompt: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    source: str
    group: str | None = Field(default=None, pattern=ID_PATTERN, max_length=64)

    @field_validator("source")
    @classmethod
    def _source_is_url(cls, value: str) -> str:
        if not URL_PATTERN.match(value):
            raise ValueError("source must be an http(s) URL")
        return value


class SingleSpec(_Common):
    choices: Choices
    answer: str


class MultipleSpec(_Common):
    choices: Choices
    answer: list[str] = Field(min_length=1)


class TrueFalseSpec(_Common):
    answer: StrictBool


class NumericSpec(_Common):
    answer: Number
    tolerance: Tolerance = 0.0
    unit: str | None = Field(default=None, min_length=1, max_length=20)


class OrderingSpec(_Common):
    choices: Choices


class MatchingSpec(_Common):
    choices: Choices
    answer: dict[str, str] = Field(min_length=1, max_length=MAX_CHOICES)


class ScenarioSpec(_Common):
    scenario: str = Field(min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict)
    seed: StrictInt | None = Field(default=None, ge=0)
    measure: str = Field(min_length=1)
    tolerance: Tolerance = 0.0
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    choices: list[Number] | None = Field(default=None, min_length=MIN_CHOICES, max_length=MAX_CHOICES)


SPECS: dict[str, type[_Common]] = {
    "single": SingleSpec,
    "multiple": MultipleSpec,
    "truefalse": TrueFalseSpec,
    "numeric": NumericSpec,
    "ordering": OrderingSpec,
    "matching": MatchingSpec,
    "scenario": ScenarioSpec,
}

# Fields a writer may reasonably try on the wrong kind: say why they do not belong there.
_WRONG_FIELD_REASONS = {
    ("scenario", "answer"): "scenario questions have no answer key: the simulator computes it from `measure`",
    ("ordering", "answer"): "ordering questions have no answer key: write `choices` in the correct order",
    ("truefalse", "choices"): "true/false questions have no choices: set answer = true or false",
    ("numeric", "choices"): "numeric questions have no choices: the learner types a number",
}


def parse_questions(data: dict, source: SourceFile, course: Course) -> tuple[list[Question], list[Problem]]:
    """The questions of one bank file that pass every check, and a problem for each that does not."""
    problems: list[Problem] = []
    questions: list[Question] = []
    for key in data:
        if key not in ("questions", "groups"):
            problems.append(
                Problem(
                    source.display,
                    source.line_of((key,)),
                    key,
                    "unknown top-level key; a bank holds [[questions]] tables and one [groups] table",
                )
            )
    groups = _declared_groups(data.get("groups", {}), source, problems)
    entries = data.get("questions")
    if entries is None:
        problems.append(
            Problem(
                source.display,
                None,
                "questions",
                "no questions: add [[questions]] tables (see docs/content-format.md)",
            )
        )
        return questions, problems
    if not isinstance(entries, list):
        problems.append(
            Problem(
                source.display,
                source.line_of(("questions",)),
                "questions",
                "must be a list of [[questions]] tables",
            )
        )
        return questions, problems
    for index, entry in enumerate(entries):
        prefix = ("questions", index)
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    source.display,
                    source.line_of(prefix),
                    f"questions.{index}",
                    "each question must be a [[questions]] table",
                )
            )
            continue
        question = _parse_one(entry, index, source, course, problems, groups)
        if question is not None:
            questions.append(question)
    _check_groups_used(groups, entries, source, problems)
    return questions, problems


def _declared_groups(table: Any, source: SourceFile, problems: list[Problem]) -> set[str]:
    """The bank's `[groups]`: name = "the fact its questions test"."""
    if not isinstance(table, dict):
        problems.append(
            Problem(
                source.display,
                source.line_of(("groups",)),
                "groups",
                'must be a table: [groups] then name = "the fact its questions test"',
            )
        )
        return set()
    declared = set()
    for name, fact in table.items():
        if not re.match(ID_PATTERN, name):
            message = f"group name {name!r}: use lower-case letters, digits and dashes"
        elif not isinstance(fact, str) or not fact.strip():
            message = 'say in words the fact its questions test: name = "..."'
        else:
            declared.add(name)
            continue
        problems.append(Problem(source.display, source.line_of(("groups", name)), f"groups.{name}", message))
    return declared


def _check_groups_used(groups: set[str], entries: list, source: SourceFile, problems: list[Problem]) -> None:
    """A group ties two or more questions; one used once (or never) is a leftover or a typo."""
    uses = {name: 0 for name in groups}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("group") in uses:
            uses[entry["group"]] += 1
    for name, count in uses.items():
        if count < 2:
            problems.append(
                Problem(
                    source.display,
                    source.line_of(("groups", name)),
                    f"groups.{name}",
                    f"used by {count} question{'' if count == 1 else 's'}; a group ties two or more "
                    "questions that test the same fact",
                )
            )


def _parse_one(
    entry: dict,
    index: int,
    source: SourceFile,
    course: Course,
    problems: list[Problem],
    groups: set[str],
) -> Question | None:
    prefix = ("questions", index)

    def refuse(field_name: str, message: str) -> None:
        problems.append(
            Problem(
                source.display,
                source.line_of((*prefix, field_name)),
                f"questions.{index}.{field_name}",
                message,
            )
        )

    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in SPECS:
        if kind is None:
            refuse("kind", "required field is missing; one of " + ", ".join(KINDS))
        else:
            refuse("kind", f"unknown kind {kind!r}; use one of " + ", ".join(KINDS))
        return None
    spec_model = SPECS[kind]
    before = len(problems)
    allowed = set(spec_model.model_fields)
    fields = {}
    for key, value in entry.items():
        if key in allowed:
            fields[key] = value
        elif (kind, key) in _WRONG_FIELD_REASONS:
            refuse(key, _WRONG_FIELD_REASONS[(kind, key)])
        elif any(key in other.model_fields for other in SPECS.values()):
            refuse(key, f"{kind} questions have no {key!r} field")
        else:
            refuse(key, f"unknown field (value {value!r})")
    try:
        spec = spec_model.model_validate(fields)
    except ValidationError as error:
        report_validation_error(error, source, problems, prefix)
        return None
    _check_kind_rules(spec, refuse)
    if spec.group is not None and spec.group not in groups:
        declared = ", ".join(sorted(groups)) or "none"
        refuse(
            "group",
            f"unknown group {spec.group!r}; declare it in this bank's [groups] (declared: {declared})",
        )
    lesson = course.lessons.get(spec.lesson)
    if lesson is None:
        refuse("lesson", f"unknown lesson {spec.lesson!r}")
    if lesson is None or len(problems) > before:
        return None
    values = spec.model_dump(
        exclude={"id", "kind", "lesson", "difficulty", "prompt", "explanation", "source"}
    )
    if "choices" in values:
        values["choices"] = tuple(values["choices"] or ())
    if kind == "multiple":
        values["answer"] = tuple(values["answer"])
    elif kind == "ordering":
        values["answer"] = values["choices"]  # the bank lists the steps in their right order
    return Question(
        id=spec.id,
        kind=kind,
        lesson=spec.lesson,
        module=lesson.module,
        difficulty=spec.difficulty,
        prompt=spec.prompt,
        explanation=spec.explanation,
        source=spec.source,
        file=source.display,
        index=index,
        bank=source,
        **values,
    )


def _duplicates(items: list[Any]) -> list[Any]:
    seen: list[Any] = []
    repeated: list[Any] = []
    for item in items:
        if item in seen and item not in repeated:
            repeated.append(item)
        seen.append(item)
    return repeated


def _check_kind_rules(spec: _Common, refuse) -> None:
    """What pydantic cannot say: answers must come from the choices, and nothing may be ambiguous."""
    choices = getattr(spec, "choices", None) or []
    for repeated in _duplicates(list(choices)):
        refuse("choices", f"choice {repeated!r} appears more than once")
    shown = ", ".join(repr(choice) for choice in choices)
    if isinstance(spec, SingleSpec) and spec.answer not in choices:
        refuse("answer", f"{spec.answer!r} is not one of the choices ({shown})")
    elif isinstance(spec, MultipleSpec):
        for picked in spec.answer:
            if picked not in choices:
                refuse("answer", f"{picked!r} is not one of the choices ({shown})")
        for repeated in _duplicates(spec.answer):
            refuse("answer", f"{repeated!r} is listed more than once")
    elif isinstance(spec, MatchingSpec):
        for left, right in spec.answer.items():
            if not left.strip():
                refuse("answer", "a left-hand item is empty")
            if right not in choices:
                refuse(
                    "answer", f"{left!r} is matched to {right!r}, which is not one of the choices ({shown})"
                )
    elif isinstance(spec, ScenarioSpec):
        measure_problem = field_problem(spec.measure)
        if measure_problem:
            refuse("measure", measure_problem)
        if spec.choices is not None and any(math.isclose(a, b) for a, b in _pairs(spec.choices)):
            refuse("choices", "two choices are the same number")


def _pairs(values: list[float]):
    for position, first in enumerate(values):
        for second in values[position + 1 :]:
            yield first, second


def check_questions(course: Course) -> list[Problem]:
    """Checks across files and packs: duplicate ids and unknown presets.

    Questions refused here are removed from `course.questions` (the first of two duplicates stays),
    so the app never asks them.
    """
    problems: list[Problem] = []
    kept: list[Question] = []
    first_by_id: dict[str, Question] = {}
    for question in course.questions:
        first = first_by_id.get(question.id)
        if first is not None:
            where = f"{first.file}:{first.line()}" if first.line() else first.file
            problems.append(
                question.problem("id", f"duplicate question id {question.id!r} (also in {where})")
            )
            continue
        first_by_id[question.id] = question
        if question.lesson not in course.lessons:
            problems.append(question.problem("lesson", f"unknown lesson {question.lesson!r}"))
            continue
        if question.kind == "scenario" and question.scenario not in course.scenario_files:
            known = ", ".join(sorted(course.scenario_files)) or "none found"
            problems.append(
                question.problem(
                    "scenario", f"unknown scenario preset {question.scenario!r} (known: {known})"
                )
            )
            continue
        kept.append(question)
    course.questions[:] = kept
    return problems


def check_true_false_balance(course: Course) -> list[Problem]:
    """Per bank, true/false answers between 40 % and 60 % True, or as near half as the count allows
    (one or two of three). A bank that leans one way rewards answering without reading."""
    by_bank: dict[str, list[Question]] = defaultdict(list)
    for question in course.questions:
        if question.kind == "truefalse":
            by_bank[question.file].append(question)
    problems = []
    for statements in by_bank.values():
        count = len(statements)
        true = sum(1 for question in statements if question.answer)
        if TRUE_SHARE_MIN * count <= true <= TRUE_SHARE_MAX * count or abs(true - count / 2) <= 0.5:
            continue
        leaning = true > count / 2
        first = next(question for question in statements if question.answer is leaning)
        share = round(100 * true / count)
        problems.append(
            first.problem(
                "answer",
                f"{true} of {count} true/false answers in this bank are true ({share} %); "
                f"keep 40-60 % true: state some of the {'true' if leaning else 'false'} ones the other way "
                "round, this one first",
            )
        )
    return problems
