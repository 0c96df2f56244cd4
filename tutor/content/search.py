"""Full-text search over the course: lesson paragraphs, questions' explanations, the services
catalogue and the glossary.

The index is built on first use (`search_index`), never at start-up: the map shows without it.
A query matches an entry when each of its words starts a word of the entry ("idempot" finds
"idempotent"), as the catalogue's filter does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.content.course import Course

WORD = re.compile(r"[^\W_]+")
# Markdown a reader does not see: emphasis, code ticks, link targets, table rules, fences.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*`>#|]+|^\s*[-+]\s+|^\s*\d+\.\s+|^[-:| ]+$", re.MULTILINE)
MAX_RESULTS = 60


def words_of(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def plain(markdown: str) -> str:
    """What a reader sees of a Markdown paragraph, on one line."""
    text = _LINK.sub(r"\1", markdown)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


KIND_LABELS = {"lesson": "Lesson", "question": "Question", "service": "Service", "term": "Glossary"}


@dataclass(frozen=True)
class Entry:
    kind: str  # "lesson", "question", "service" or "term"
    title: str  # where the match is: the lesson, the question's lesson, the service, the term
    text: str  # the paragraph, explanation, service or definition, as plain text
    screen: str  # where enter goes, a name of tutor.ui.screens.SCREENS
    params: dict[str, Any] = field(default_factory=dict)
    words: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


# A lesson's title is one of its paragraphs (its heading), so lesson and question entries are
# found by their own text only; a service or a term is found by its name too.
NAMED_KINDS = ("service", "term")
KIND_ORDER = {"term": 0, "service": 1, "lesson": 2, "question": 3}


def _entry(kind: str, title: str, text: str, screen: str, **params: Any) -> Entry:
    searched = f"{title} {text}" if kind in NAMED_KINDS else text
    return Entry(kind, title, text, screen, params, frozenset(words_of(searched)))


def _hits(entry: Entry, wanted: list[str]) -> int:
    """How many of the entry's words the query's words start; 0 unless every query word starts one."""
    hits = 0
    for part in wanted:
        count = sum(1 for word in entry.words if word.startswith(part))
        if not count:
            return 0
        hits += count
    return hits


def _paragraphs(body: str) -> list[str]:
    """The lesson's blocks as a reader meets them: paragraphs, list items, table rows, code."""
    blocks = re.split(r"\n\s*\n", body)
    found = []
    for block in blocks:
        if block.lstrip().startswith(("- ", "* ", "|")):
            found += [line for line in block.split("\n") if line.strip(" |-:")]
        elif block.strip():
            found.append(block)
    return found


class SearchIndex:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Entry]:
        """Entries with every word of the query, best first: glossary terms and services (named
        things), then lesson paragraphs and explanations; within a kind, more hits first, then
        course order."""
        wanted = words_of(query)
        if not wanted:
            return []
        scored = []
        for position, entry in enumerate(self.entries):
            hits = _hits(entry, wanted)
            if hits:
                scored.append((KIND_ORDER.get(entry.kind, 9), -hits, position, entry))
        scored.sort(key=lambda item: item[:3])
        return [entry for *_, entry in scored[:limit]]

    def lessons_mentioning(self, query: str) -> list[tuple[str, str]]:
        """(lesson id, its best matching paragraph) for each lesson whose text has every word of the
        query, the lesson that uses them most first."""
        wanted = words_of(query)
        totals: dict[str, int] = {}
        best: dict[str, tuple[int, str]] = {}
        for entry in self.entries if wanted else ():
            lesson_id = entry.params.get("lesson_id")
            hits = _hits(entry, wanted) if entry.kind == "lesson" else 0
            if not hits or lesson_id is None:
                continue
            totals[lesson_id] = totals.get(lesson_id, 0) + hits
            if hits > best.get(lesson_id, (0, ""))[0]:
                best[lesson_id] = (hits, entry.text)
        ranked = sorted(totals, key=lambda lesson_id: -totals[lesson_id])
        return [(lesson_id, best[lesson_id][1]) for lesson_id in ranked]


def build_index(course: Course) -> SearchIndex:
    entries: list[Entry] = []
    for lesson_id in course.ordered_lesson_ids():
        lesson = course.lessons[lesson_id]
        for block in _paragraphs(lesson.body):
            text = plain(block)
            if text:
                entries.append(_entry("lesson", lesson.title, text, "lesson", lesson_id=lesson.id, find=text))
    for question in course.questions:
        tested = course.lessons.get(question.lesson)
        title = tested.title if tested else question.lesson
        text = plain(f"{question.prompt} — {question.explanation}")
        params = {"lesson_id": question.lesson} if tested else {}
        entries.append(_entry("question", title, text, "lesson" if tested else "", **params))
    for service in course.services:
        text = f"{service.trigger}. {service.note}"
        entries.append(_entry("service", service.name, text, "catalogue", query=service.name))
    for term in course.glossary:
        entries.append(_entry("term", term.term, term.definition, "glossary", term_id=term.id))
    return SearchIndex(entries)


_INDEXES: dict[int, tuple[Course, SearchIndex]] = {}


def search_index(course: Course) -> SearchIndex:
    """The course's index, built the first time it is asked for (the course is kept alongside, so
    its id is never reused by another course while the index is cached)."""
    cached = _INDEXES.get(id(course))
    if cached is None:
        cached = (course, build_index(course))
        _INDEXES[id(course)] = cached
    return cached[1]
