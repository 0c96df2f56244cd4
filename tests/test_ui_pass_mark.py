"""The pass mark on screen: 80 % passes and reads 80; a near miss is marked not passed and reads below 80.

The course map shows stored attempts, so a 79.96 % attempt is stored directly; the results screen
shows the quiz just taken, so a small pack is answered by keys.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import screen_text, wait_until

from tutor.progress.store import QuestionResult, open_store
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.marks import quiz_mark
from tutor.ui.screens.course_map import CourseTree
from tutor.ui.screens.quiz import QuizScreen
from tutor.ui.widgets.quiz import QuizResults

UI_PACK = Path(__file__).parent / "data" / "ui-pack"
BASICS = "Basics: who waits for whom"
SOURCE = "https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html"


def store_attempt(points_per_question: list[float]) -> None:
    results = [
        QuestionResult(f"q{number}", points, 1, points == 1)
        for number, points in enumerate(points_per_question)
    ]
    with open_store() as store:
        store.record_quiz_attempt("default", "basics", results, datetime(2026, 1, 1, tzinfo=UTC))


def tree_line(app: LambdaTutorApp, title: str) -> str:
    region = app.screen.query_one(CourseTree).region
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    return next(row[region.x : region.right] for row in rows if title in row[region.x : region.right])


@pytest.fixture
def ui_pack(monkeypatch):
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)


async def test_a_79_96_percent_attempt_is_not_passed_and_never_reads_80_on_the_map(ui_pack):
    store_attempt([1.0] * 19 + [0.99] + [0.0] * 5)  # 19.99 of 25 points: 79.96 %
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "✗ quiz 79.9 %, pass at 80 %" in tree_line(app, BASICS)
        text = screen_text(app)
        # The detail pane beside the tree, for the module under the cursor, says the same.
        assert "Quiz     ✗ quiz 79.9 %, pass at 80 %" in text
        assert "80 %, pass at" not in text and "quiz passed" not in text


async def test_exactly_80_percent_is_passed_on_the_map(ui_pack):
    store_attempt([1.0] * 20 + [0.0] * 5)
    app = LambdaTutorApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "✓ quiz passed" in tree_line(app, BASICS)
        assert "Quiz     ✓ quiz passed" in screen_text(app)


def thirds_pack(root: Path) -> Path:
    """Seven true/false questions and three three-pair matchings: 7 right and a third of each
    matching is exactly 8 of 10 points, stored as 7 + 3 × 0.3333."""
    root.mkdir()
    (root / "course.toml").write_text(
        textwrap.dedent(
            """
            format_version = 1

            [[modules]]
            id = "thirds"
            title = "Thirds"
            summary = "Test data for the pass mark."
            """
        )
    )
    (root / "thirds").mkdir()
    (root / "thirds" / "01-thirds.md").write_text(
        textwrap.dedent(
            f"""\
            +++
            id = "thirds-lesson"
            title = "Status codes"
            module = "thirds"
            objectives = ["Match each invocation type to its success status code"]
            sources = ["{SOURCE}"]
            +++
            # Status codes

            A synchronous `Invoke` answers 200, an asynchronous one 202, a `DryRun` 204.
            """
        )
    )
    true_false = "".join(
        textwrap.dedent(
            f"""
            [[questions]]
            id = "th-true-{number}"
            lesson = "thirds-lesson"
            difficulty = 1
            kind = "truefalse"
            prompt = "An asynchronous Invoke returns 202 before the function runs ({number})."
            answer = true
            explanation = "Lambda queues the event and answers 202 at once."
            source = "{SOURCE}"
            """
        )
        for number in range(7)
    )
    matching = "".join(
        textwrap.dedent(
            f"""
            [[questions]]
            id = "th-match-{number}"
            lesson = "thirds-lesson"
            difficulty = 2
            kind = "matching"
            prompt = "Match each invocation type to its success status code ({number})."
            choices = ["200", "202", "204"]
            answer = {{ "RequestResponse" = "200", "Event" = "202", "DryRun" = "204" }}
            explanation = "RequestResponse 200, Event 202, DryRun 204."
            source = "{SOURCE}"
            """
        )
        for number in range(3)
    )
    (root / "quizzes").mkdir()
    (root / "quizzes" / "thirds.toml").write_text(true_false + matching)
    return root


async def test_exactly_80_percent_from_thirds_of_credit_is_passed_on_the_results_screen(tmp_path):
    app = LambdaTutorApp("ann", [str(thirds_pack(tmp_path / "pack"))], start=Start.quiz("thirds"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, QuizScreen) and app.screen.phase == "question",
            "the quiz's first question",
        )
        screen = app.screen
        assert screen.session.total == 10
        for _ in range(7):
            await pilot.press("1", "enter", "enter")  # true, then on from the feedback
        for _ in range(3):
            # RequestResponse → 200 is right; Event → 204 and DryRun → 202 are not: one third.
            # The options are shuffled per attempt: press the digits where they are shown.
            question = screen.session.current
            options = [question.choices[position] for position in screen.session.choice_order(question)]
            await pilot.press(*(str(options.index(match) + 1) for match in ("200", "204", "202")))
            await pilot.press("enter", "enter")
        await wait_until(pilot, lambda: screen.phase == "results", "the results")
        shown = str(screen.query_one(QuizResults).query_one("#results-score").render())
        assert "8 of 10 points" in shown
        assert "80 %" in shown and "Passed" in shown and "Not passed" not in shown


@pytest.mark.parametrize(
    ("percent", "mark"),
    [
        (None, "· quiz not taken"),
        (79.96, "✗ quiz 79.9 %, pass at 80 %"),
        (80.0, "✓ quiz passed"),
        (99.96, "✓ quiz passed"),
        (100.0, "★ perfect"),
    ],
)
def test_the_map_mark_follows_the_one_pass_rule(percent, mark):
    assert str(quiz_mark(percent)) == mark
