"""The built-in course cannot silently shrink or lose its sources (issue 6's floor)."""

import re
from collections import Counter
from pathlib import Path

import pytest

from tutor.content.loader import load_course

# The vetted facts sheet sits beside the checkout (../shared), for developers and CI alike.
FACTS = Path(__file__).resolve().parents[2] / "shared" / "lambda-facts.md"


@pytest.fixture(scope="module")
def course():
    loaded, problems = load_course()
    assert problems == []
    return loaded


def test_the_course_keeps_its_minimum_size(course):
    assert len(course.modules) == 5
    assert len(course.lessons) >= 25
    assert len(course.questions) >= 150
    per_module = Counter(question.module for question in course.questions)
    assert min(per_module["sync"], per_module["async"], per_module["esm"]) >= 25
    kinds = Counter(question.kind for question in course.questions)
    assert set(kinds) == {"single", "multiple", "truefalse", "numeric", "ordering", "matching", "scenario"}
    assert kinds["scenario"] >= 20
    assert len(course.services) >= 30
    assert len(course.exercises) >= 12


def test_every_lesson_cites_an_aws_source_and_ends_with_a_recap(course):
    for lesson in course.lessons.values():
        assert lesson.sources, lesson.id
        assert all(url.startswith("https://") for url in lesson.sources), lesson.id
        assert "## Recap" in lesson.body, lesson.id


def test_every_misconception_of_the_facts_sheet_has_a_question():
    marked = set()
    for bank in (Path(__file__).resolve().parents[1] / "lessons" / "quizzes").glob("*.toml"):
        marked |= {int(n) for n in re.findall(r"#\s*misconception (\d+)", bank.read_text(encoding="utf-8"))}
    assert marked >= set(range(1, 28))


def test_every_cited_url_appears_in_the_facts_sheet(course):
    facts = FACTS.read_text(encoding="utf-8")
    cited = {url for lesson in course.lessons.values() for url in lesson.sources}
    cited |= {question.source for question in course.questions}
    assert sorted(url for url in cited if url.rstrip("/") not in facts) == []
