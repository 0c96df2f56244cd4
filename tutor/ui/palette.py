"""The command palette's "jump to" entries: lessons, quizzes, scenarios, chains, exercises and places.

Each entry is a `Destination`: a screen name from `tutor.ui.screens.SCREENS` and its
parameters. To offer more places, append a function `(app) -> Iterable[Destination]` to
`DESTINATION_SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits
from textual.system_commands import SystemCommandsProvider

from tutor.ui.screens import SCREENS

if TYPE_CHECKING:
    from pathlib import Path

    from tutor.ui.app import LambdaTutorApp


@dataclass(frozen=True)
class Destination:
    title: str
    help: str
    screen: str
    params: dict[str, Any] = field(default_factory=dict)


def lesson_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    course = app.course
    for module in course.modules:
        for lesson in course.lessons_in(module.id):
            yield Destination(f"Lesson: {lesson.title}", module.title, "lesson", {"lesson_id": lesson.id})


def quiz_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    """Each module's quiz, and the review with how many questions are due."""
    # Imported when the palette opens, not at start-up.
    from tutor.quiz.review import due_count, utc_today

    course = app.course
    counts: dict[str, int] = {}
    for question in course.questions:
        counts[question.module] = counts.get(question.module, 0) + 1
    for module in course.modules:
        if counts.get(module.id):
            yield Destination(
                f"Quiz: {module.title}", f"{counts[module.id]} questions", "quiz", {"module_id": module.id}
            )
    due = due_count(course, app.store, app.profile, utc_today())
    yield Destination(
        f"Review ({due} due)",
        "Questions you missed, back when FSRS expects you to start forgetting them",
        "quiz",
        {"review": True},
    )


def exercise_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    """The exercise list and every exercise."""
    if app.course.exercises:
        yield Destination("Exercises: all workshop exercises", "Workshop", "exercises")
    for exercise in app.course.exercises:
        yield Destination(
            f"Exercise: {exercise.title}",
            f"Workshop · {exercise.kind}",
            "exercise",
            {"exercise_id": exercise.id},
        )


def read_preset_header(path: Path, name: str) -> tuple[dict, str]:
    """A preset file's table and title, read without checking the file: the palette lists every
    preset, and a broken one says why only when opened."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    title = data.get("title")
    return data, title if isinstance(title, str) else name


def scenario_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    """Every preset of the course, watched full screen."""
    for name, path in sorted(app.course.scenario_files.items()):
        data, title = read_preset_header(path, name)
        yield Destination(
            f"Scenario: {title}", f"{name} · {data.get('model', '?')}", "watch", {"preset": name}
        )


def chain_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    """Every chain preset of the course, watched full screen as a single preset is."""
    for name, path in sorted(app.course.chain_files.items()):
        data, title = read_preset_header(path, name)
        stages = data.get("stages")
        stages = stages if isinstance(stages, list) else []
        models = " -> ".join(str(stage.get("model", "?")) for stage in stages if isinstance(stage, dict))
        yield Destination(f"Chain: {title}", f"{name} · chain {models or '?'}", "watch", {"chain": name})


def glossary_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    """The glossary, and each of its terms with its definition."""
    if app.course.glossary:
        yield Destination(
            "Glossary: every term of the course", f"{len(app.course.glossary)} terms", "glossary"
        )
    for term in app.course.glossary:
        yield Destination(f"Glossary: {term.term}", term.definition, "glossary", {"term_id": term.id})


def place_destinations(app: LambdaTutorApp) -> Iterable[Destination]:
    yield Destination("Search the course (/)", "Lessons, explanations, services and glossary", "search")
    yield Destination("Lab: the three models side by side", "One load, three invocation models", "lab")
    if app.course.services:
        yield Destination("Services catalogue", "Which AWS service invokes Lambda how", "catalogue")


DESTINATION_SOURCES: list[Callable[[LambdaTutorApp], Iterable[Destination]]] = [
    lesson_destinations,
    quiz_destinations,
    exercise_destinations,
    scenario_destinations,
    chain_destinations,
    glossary_destinations,
    place_destinations,
]

# Shorter words match too much of the course to be worth listing lessons for.
CONTENT_QUERY_MIN = 4
CONTENT_HITS = 5


class JumpProvider(SystemCommandsProvider):
    """Our places, then Textual's own commands (theme, keys, quit...). One provider for both,
    because Textual gathers providers concurrently and an empty palette listed whichever answered
    first: usually Keys, Maximize and Quit above every lesson."""

    def _destinations(self) -> list[Destination]:
        app: LambdaTutorApp = self.app  # type: ignore[assignment]
        if getattr(app, "course", None) is None:
            return []
        return [place for source in DESTINATION_SOURCES for place in source(app) if place.screen in SCREENS]

    def _command(self, place: Destination):
        app: LambdaTutorApp = self.app  # type: ignore[assignment]
        return partial(app.jump_to, place.screen, **place.params)

    def _content_hits(self, query: str, titled: set[str]) -> list[Hit]:
        """Lessons whose text (not only their title) has the query's words: "idempot" finds the
        idempotency lesson. Ranked under title matches; the index is built on the first such query."""
        app: LambdaTutorApp = self.app  # type: ignore[assignment]
        if len(query.strip()) < CONTENT_QUERY_MIN or getattr(app, "course", None) is None:
            return []
        from tutor.content.search import search_index

        hits = []
        found = search_index(app.course).lessons_mentioning(query)
        for rank, (lesson_id, paragraph) in enumerate(found[:CONTENT_HITS]):
            if lesson_id in titled:
                continue
            lesson = app.course.lessons[lesson_id]
            title = f"Lesson: {lesson.title}"
            place = Destination(title, "", "lesson", {"lesson_id": lesson_id, "find": query})
            hits.append(
                Hit(
                    # Below any title match (whose scores start near 1), best-used lesson first.
                    0.3 - rank * 0.01,
                    title,
                    self._command(place),
                    text=title,
                    help=f"mentions: {paragraph[:90]}…" if len(paragraph) > 90 else f"mentions: {paragraph}",
                )
            )
        return hits

    async def discover(self) -> Hits:
        for place in self._destinations():
            yield DiscoveryHit(place.title, self._command(place), help=place.help)
        async for hit in super().discover():
            yield hit

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        titled: set[str] = set()
        for place in self._destinations():
            score = matcher.match(place.title)
            if score > 0:
                if place.screen == "lesson":
                    titled.add(place.params["lesson_id"])
                yield Hit(
                    score,
                    matcher.highlight(place.title),
                    self._command(place),
                    text=place.title,
                    help=place.help,
                )
        for content_hit in self._content_hits(query, titled):
            yield content_hit
        async for hit in super().search(query):
            yield hit
