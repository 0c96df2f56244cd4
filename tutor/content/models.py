"""Typed content: what `lessons/` and instructor packs turn into once loaded and checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
URL_PATTERN = re.compile(r"^https?://\S+$")
MODELS = ("sync", "async", "poll", "sync-or-async", "other")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, pointing at the file, the line where known, and the field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass
class SourceFile:
    """A file's text with the helpers that turn a key path into a line number."""

    path: Path
    display: str
    text: str
    line_offset: int = 0  # front matter starts after the opening +++ line

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """Best-effort line of a pydantic location like ("modules", 2, "id") or ("questions", 0)."""
        lines = self.text.splitlines()
        start = 0
        index = 0
        while index < len(loc):
            part = loc[index]
            nxt = loc[index + 1] if index + 1 < len(loc) else None
            if isinstance(part, str) and isinstance(nxt, int):
                header = re.compile(rf"^\s*\[\[\s*{re.escape(part)}\s*\]\]")
                seen = -1
                found = None
                for number in range(start, len(lines)):
                    if header.match(lines[number]):
                        seen += 1
                        if seen == nxt:
                            found = number
                            break
                if found is None:
                    break
                start = found
                index += 2
                continue
            if isinstance(part, str):
                key = re.compile(rf"^\s*\"?{re.escape(part)}\"?\s*=")
                for number in range(start, len(lines)):
                    if key.match(lines[number]):
                        return number + 1 + self.line_offset
                break
            index += 1
        return start + 1 + self.line_offset if start or loc else None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_urls(urls: list[str]) -> list[str]:
    for url in urls:
        if not URL_PATTERN.match(url):
            raise ValueError(f"{url!r} is not an http(s) URL")
    return urls


class ModuleSpec(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    title: str = Field(min_length=1, max_length=120)
    summary: str = ""
    lessons: list[str] | None = None


class CourseSpec(Strict):
    format_version: Literal[1]
    title: str | None = None
    hints: bool = True
    modules: list[ModuleSpec] = Field(default_factory=list)


class TryStep(Strict):
    text: str = Field(min_length=1)
    set: dict[str, Any] = Field(min_length=1)


class LessonSpec(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    title: str = Field(min_length=1, max_length=120)
    module: str = Field(min_length=1)
    objectives: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    scenario: str | None = None
    try_steps: list[TryStep] = Field(default_factory=list, alias="try")

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


@dataclass
class Module:
    id: str
    title: str
    summary: str
    pack: Path
    lesson_ids: list[str] = field(default_factory=list)
    listed: bool = False  # lessons named in course.toml rather than found in the module's folder


@dataclass
class Lesson:
    id: str
    title: str
    module: str
    objectives: list[str]
    sources: list[str]
    scenario: str | None
    try_steps: list[TryStep]
    body: str
    path: Path
    pack: Path
    source_display: str = ""  # how problems name the file: pack label + relative path


@dataclass
class Course:
    title: str
    modules: list[Module] = field(default_factory=list)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    questions: list[Any] = field(default_factory=list)
    scenario_files: dict[str, Path] = field(default_factory=dict)
    services: list[ServiceSpec] = field(default_factory=list)
    exercises: list[Any] = field(default_factory=list)
    hints: bool = True
    packs: list[Path] = field(default_factory=list)

    def module(self, module_id: str) -> Module:
        for module in self.modules:
            if module.id == module_id:
                return module
        raise KeyError(module_id)

    def lesson(self, lesson_id: str) -> Lesson:
        return self.lessons[lesson_id]

    def lessons_in(self, module_id: str) -> list[Lesson]:
        return [self.lessons[i] for i in self.module(module_id).lesson_ids if i in self.lessons]

    def ordered_lesson_ids(self) -> list[str]:
        return [lesson_id for module in self.modules for lesson_id in module.lesson_ids]

    def _neighbour(self, lesson_id: str, step: int) -> Lesson | None:
        order = self.ordered_lesson_ids()
        try:
            position = order.index(lesson_id) + step
        except ValueError:
            return None
        if 0 <= position < len(order):
            return self.lessons[order[position]]
        return None

    def next_lesson(self, lesson_id: str) -> Lesson | None:
        return self._neighbour(lesson_id, 1)

    def previous_lesson(self, lesson_id: str) -> Lesson | None:
        return self._neighbour(lesson_id, -1)
