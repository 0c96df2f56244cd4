"""What loaded content is at run time: plain dataclasses, with no pydantic in sight.

The pydantic specs in `models.py`, `questions.py` and `exercises.py` check what a pack says;
once checked, it becomes these. Keeping them free of pydantic means a course read back from the
start-up cache (`tutor.content.cache`) never pays pydantic's import, which is most of the cost of
showing the course map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Questions in a drawn module quiz unless a pack's course.toml says `quiz_size`.
DEFAULT_QUIZ_SIZE = 12
# Digit keys 1-8 pick a choice on the quiz screen, so a question offers at most eight. Kept here,
# not in `questions.py`, so the quiz screen binds those keys without importing pydantic.
MAX_CHOICES = 8


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


@dataclass(eq=False)
class Question:
    """One checked question, ready to ask and to grade."""

    id: str
    kind: str
    lesson: str
    module: str
    difficulty: int
    prompt: str
    explanation: str
    source: str
    choices: tuple[Any, ...] = ()  # strings; numbers for a scenario question with choices
    answer: Any = None  # per kind; None for scenario questions (computed)
    tolerance: float = 0.0
    unit: str | None = None
    scenario: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    measure: str | None = None
    group: str | None = None  # questions of one group test the same fact: a drawn quiz takes one
    file: str = ""  # how problems name the bank file
    index: int = 0  # position in its file: problems say `questions.<index>.<field>`
    lines: dict[str, int | None] = field(default_factory=dict, repr=False)
    bank: SourceFile | None = field(default=None, repr=False)

    def line(self, field_name: str = "id") -> int | None:
        """The line of a field in the bank file, found only when a problem needs it (loading stays fast)."""
        if field_name not in self.lines and self.bank is not None:
            self.lines[field_name] = self.bank.line_of(("questions", self.index, field_name))
        return self.lines.get(field_name) or self.line_of_id()

    def line_of_id(self) -> int | None:
        if "id" not in self.lines and self.bank is not None:
            self.lines["id"] = self.bank.line_of(("questions", self.index, "id"))
        return self.lines.get("id")

    def problem(self, field_name: str, message: str) -> Problem:
        return Problem(self.file, self.line(field_name), f"questions.{self.index}.{field_name}", message)

    @property
    def matching_left(self) -> tuple[str, ...]:
        """The left-hand items of a matching question, in the order the bank lists them."""
        return tuple(self.answer) if self.kind == "matching" else ()


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
    prediction: LessonPrediction | None = None


@dataclass
class Course:
    title: str
    modules: list[Module] = field(default_factory=list)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    scenario_files: dict[str, Path] = field(default_factory=dict)
    chain_files: dict[str, Path] = field(default_factory=dict)  # chain presets (scenarios/chains/)
    services: list[Service] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    hints: bool = True
    quiz_size: int = DEFAULT_QUIZ_SIZE
    packs: list[Path] = field(default_factory=list)
    # Each pack's own title (course.toml's `title`), by folder; the built-in course's is `title`.
    pack_titles: dict[Path, str] = field(default_factory=dict)
    glossary: list[GlossaryTerm] = field(default_factory=list)
    # Preset name -> its checked values (`Scenario.resolved()`), filled when the course cache is
    # built, so a lesson's pane needs no validator (`tutor.sim.plain`).
    checked_scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)

    def module(self, module_id: str) -> Module:
        for module in self.modules:
            if module.id == module_id:
                return module
        raise KeyError(module_id)

    def lesson(self, lesson_id: str) -> Lesson:
        return self.lessons[lesson_id]

    def lessons_in(self, module_id: str) -> list[Lesson]:
        return [self.lessons[i] for i in self.module(module_id).lesson_ids if i in self.lessons]

    def sections(self) -> list[tuple[Path | None, list[Module]]]:
        """The modules in the course's reading order, as the map lists them: each instructor
        pack's own, under its folder, first (it is what the workshop is about), then the built-in
        course's. Without a pack with modules of its own, one section without a heading (None)."""
        built_in = self.built_in_pack()
        packs = [pack for pack in self.packs if pack != built_in]
        own = {pack: [module for module in self.modules if module.pack == pack] for pack in packs}
        sections: list[tuple[Path | None, list[Module]]] = [(pack, own[pack]) for pack in packs if own[pack]]
        if not sections:
            return [(None, list(self.modules))]
        rest = [module for module in self.modules if module.pack not in own]
        return [*sections, *([(built_in, rest)] if rest else [])]

    def ordered_modules(self) -> list[Module]:
        return [module for _, modules in self.sections() for module in modules]

    def ordered_lesson_ids(self) -> list[str]:
        """Every lesson in reading order: next and previous, "lesson 3 / 37" and the map agree."""
        return [lesson_id for module in self.ordered_modules() for lesson_id in module.lesson_ids]

    def built_in_pack(self) -> Path | None:
        return self.packs[0] if self.packs else None

    def pack_title(self, pack: Path) -> str:
        """What the map and the exercise list call a pack: its course.toml title, else its folder."""
        return self.pack_titles.get(pack) or pack.name

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


@dataclass
class LessonPrediction:
    """What a lesson asks before its pane first plays; the answer is the simulator's, like a
    scenario question's: `measure` read from the summary of the lesson's preset as it stands."""

    prompt: str
    measure: str
    outcome: str  # the run's result in words, with {answer} where the number goes
    look: str  # where in the pane the answer shows
    tolerance: float = 0


@dataclass
class TryStep:
    """A "try this" step of a lesson: words for the learner, and the parameters it sets."""

    text: str
    set: dict[str, Any]


@dataclass
class Service:
    """One row of the services catalogue."""

    name: str
    model: str  # one of MODELS in models.py
    trigger: str
    note: str
    source: str
    lesson: str


@dataclass
class GlossaryTerm:
    """One term of the glossary: a one-line definition, the page it comes from, and the lessons
    that use it (found in their text, plus any the pack lists)."""

    id: str
    term: str
    definition: str
    source: str
    aliases: list[str] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Every way a lesson may write the term, longest first (so a longer name wins a tie)."""
        return sorted([self.term, *self.aliases], key=len, reverse=True)


@dataclass
class ExerciseParam:
    key: str
    min: float | None = None
    max: float | None = None
    choices: list[Any] | None = None


@dataclass
class Goal:
    field: str
    op: str  # one of exercises.COMPARISONS
    value: float
    label: str | None = None  # the goal in the learner's words; generated when absent


@dataclass
class Predict:
    prompt: str
    measure: str
    tolerance: float = 0
    unit: str = ""


@dataclass
class Exercise:
    id: str
    title: str
    kind: str  # "tune" or "predict"
    scenario: str
    brief: str
    # The hint levels in the order a learner opens them: nudge, mechanism, answer. A pack written
    # before graduated hints has one (its single hint, read as the nudge); an exercise may have none.
    hints: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    params: list[ExerciseParam] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    predict: Predict | None = None
    file: str = ""  # the pack file it came from, as problems name it
    pack: Path | None = None  # the pack's folder (set by the loader), to group exercises by pack
