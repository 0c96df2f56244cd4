"""What a pack may say: the pydantic specs that check course.toml, lesson front matter and services,
and how a failed check becomes problems in our words (`report_validation_error`).

Checked content becomes the plain dataclasses of `tutor.content.course`, re-exported here for the
modules that validate and build them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator

from tutor.content.course import (  # noqa: F401 - re-exported for the builders
    Course,
    GlossaryTerm,
    Lesson,
    LessonPrediction,
    Module,
    Problem,
    Service,
    SourceFile,
    TryStep,
)

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
URL_PATTERN = re.compile(r"^https?://\S+$")
MODELS = ("sync", "async", "poll", "sync-or-async", "other")
# A drawn quiz of one question says little; one of hundreds is no longer a draw.
MIN_QUIZ_SIZE = 3
MAX_QUIZ_SIZE = 100


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_urls(urls: list[str]) -> list[str]:
    for url in urls:
        if not URL_PATTERN.match(url):
            raise ValueError(f"{url!r} is not an http(s) URL")
    return urls


def report_validation_error(
    error: ValidationError, source: SourceFile, problems: list[Problem], prefix: tuple[Any, ...] = ()
) -> None:
    """One problem per pydantic error, in our words: the dotted field and a plain message."""
    for detail in error.errors():
        loc = prefix + tuple(detail["loc"])
        field = ".".join(str(part) for part in loc) or "document"
        kind = detail["type"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = f"unknown field (value {detail.get('input')!r})"
        else:
            message = detail["msg"]
            message = message.removeprefix("Value error, ")
            if "input" in detail and kind not in ("model_type", "dict_type"):
                message += f" (got {detail['input']!r})"
        line_loc = loc[:-1] if kind == "missing" else loc
        problems.append(Problem(source.display, source.line_of(line_loc), field, message))


class ModuleSpec(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    title: str = Field(min_length=1, max_length=120)
    summary: str = ""
    lessons: list[str] | None = None


class CourseSpec(Strict):
    format_version: Literal[1]
    title: str | None = None
    hints: StrictBool = True
    quiz_size: StrictInt | None = Field(default=None, ge=MIN_QUIZ_SIZE, le=MAX_QUIZ_SIZE)
    modules: list[ModuleSpec] = Field(default_factory=list)


class TryStepSpec(Strict):
    text: str = Field(min_length=1)
    set: dict[str, Any] = Field(min_length=1)


class PredictionSpec(Strict):
    prompt: str = Field(min_length=1, max_length=160)
    measure: str = Field(min_length=1)
    tolerance: float = Field(default=0, ge=0)
    outcome: str = Field(min_length=1, max_length=120)
    look: str = Field(min_length=1, max_length=240)

    @field_validator("outcome")
    @classmethod
    def _outcome_places_the_answer(cls, value: str) -> str:
        if value.count("{answer}") != 1:
            raise ValueError('must hold "{answer}" once, where the simulator\'s number goes')
        return value


class LessonSpec(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    title: str = Field(min_length=1, max_length=120)
    module: str = Field(min_length=1)
    objectives: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    scenario: str | None = None
    try_steps: list[TryStepSpec] = Field(default_factory=list, alias="try")
    prediction: PredictionSpec | None = None

    _urls = field_validator("sources")(_check_urls)


class ServiceSpec(Strict):
    name: str = Field(min_length=1)
    model: Literal["sync", "async", "poll", "sync-or-async", "other"]
    trigger: str = Field(min_length=1)
    note: str = Field(min_length=1)
    source: str
    lesson: str

    @field_validator("source")
    @classmethod
    def _source_is_url(cls, value: str) -> str:
        _check_urls([value])
        return value


class ServicesFile(Strict):
    services: list[ServiceSpec] = Field(default_factory=list)


class GlossaryTermSpec(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    term: str = Field(min_length=1, max_length=60)
    aliases: list[str] = Field(default_factory=list)
    # One line: the glossary lists a term per row and a lesson's link shows it whole.
    definition: str = Field(min_length=1, max_length=200)
    source: str
    lessons: list[str] = Field(default_factory=list)

    @field_validator("source")
    @classmethod
    def _source_is_url(cls, value: str) -> str:
        _check_urls([value])
        return value

    @field_validator("definition")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be one line")
        return value


class GlossaryFile(Strict):
    terms: list[GlossaryTermSpec] = Field(default_factory=list)
