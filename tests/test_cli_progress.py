"""`lambda-tutor progress`: the table, the exports, reset with its question, errors in one line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conftest import card_due

from tutor.cli import main
from tutor.locations import database_path
from tutor.progress.store import QuestionResult, open_store

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html"


def _write_course(root: Path) -> Path:
    """A two-module course, so these tests do not depend on the real lessons being finished."""
    root.mkdir()
    (root / "course.toml").write_text(
        textwrap.dedent(
            """
            format_version = 1
            title = "Test course"

            [[modules]]
            id = "sync"
            title = "Synchronous invocation"
            summary = "The caller waits."

            [[modules]]
            id = "async"
            title = "Asynchronous invocation"
            summary = "Lambda queues the event."
            """
        ),
        encoding="utf-8",
    )
    for module in ("sync", "async"):
        (root / module).mkdir()
        for n in (1, 2):
            (root / module / f"0{n}-lesson.md").write_text(
                f'+++\nid = "{module}-lesson-{n}"\ntitle = "{module.title()} lesson {n}"\n'
                f'module = "{module}"\nobjectives = ["Know one thing"]\nsources = ["{SOURCE}"]\n+++\n'
                f"# {module} {n}\n\nText.\n\n## Recap\nDone.\n\n## Sources\n- {SOURCE}\n",
                encoding="utf-8",
            )
    return root


@pytest.fixture
def course_dir(tmp_path, monkeypatch):
    root = _write_course(tmp_path / "course")
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: root)
    return root


@pytest.fixture
def ann_progress():
    with open_store() as store:
        store.mark_read("ann", "sync-lesson-1")
        store.mark_read("ann", "retired-lesson")  # no longer in the course
        store.record_quiz_attempt(
            "ann", "sync", [QuestionResult("q1", 1, 1, True), QuestionResult("q2", 0, 1, False)], T0
        )
        store.record_quiz_attempt(
            "ann", "sync", [QuestionResult("q1", 1, 1, True), QuestionResult("q2", 1, 1, True)], T0
        )
        store.record_quiz_attempt("ann", "old-module", [QuestionResult("x1", 1, 1, True)], T0)
        store.set_review_card("ann", "q2", card_due(date(2025, 3, 2)))
        store.record_exercise_attempt("ann", "tune-sqs", True, {"sqs.batch_size": 10}, T0)
        store.record_prediction("ann", "sync-lesson-1", 2, 3, within=False)
        store.record_hint("ann", "tune-sqs", 2)
        store.mark_read("bob", "async-lesson-2")


def run_cli(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_table_shows_each_module_its_lessons_and_quiz(course_dir, ann_progress, capsys):
    status, out, err = run_cli(["--profile", "ann", "progress"], capsys)
    assert status == 0, err
    assert "Profile ann: 1 of 4 lessons read" in out
    assert "Synchronous invocation" in out and "Asynchronous invocation" in out
    sync_part, async_part = out.split("Asynchronous invocation", 1)
    assert "Sync lesson 1" in sync_part and "✓ read" in sync_part and "· not read" in sync_part
    assert "Quiz: best 2 of 2 points (100 %), 2 attempts" in sync_part
    assert "✓ read" not in async_part.split("Other")[0]
    assert "Quiz: not taken yet" in async_part
    assert "Review: 1 question due" in out


def test_progress_for_lessons_no_longer_in_the_course_is_still_shown(course_dir, ann_progress, capsys):
    status, out, _ = run_cli(["progress", "--profile", "ann"], capsys)
    assert status == 0
    other = out.split("Other", 1)[1]
    assert "retired-lesson" in other
    assert "old-module" in other and "1 of 1 points (100 %)" in other
    assert "tune-sqs" in out and "✓ passed" in out


def test_an_almost_perfect_score_is_not_shown_as_100_percent(course_dir, capsys):
    with open_store() as store:
        results = [QuestionResult("q1", 1, 1, True), QuestionResult("q2", 0.995, 1, False)]
        store.record_quiz_attempt("ann", "sync", results, T0)
    status, out, _ = run_cli(["progress", "--profile", "ann"], capsys)
    assert status == 0
    assert "Quiz: best 1.995 of 2 points (99.7 %), 1 attempt" in out


NEAR_MISS = [QuestionResult(f"q{n}", 1, 1, True) for n in range(19)] + [
    QuestionResult("q19", 0.99, 1, False),
    *(QuestionResult(f"q{n}", 0, 1, False) for n in range(20, 25)),
]  # 19.99 of 25 points: 79.96 %


def test_a_near_miss_is_not_shown_as_the_80_percent_a_pass_needs(course_dir, capsys):
    with open_store() as store:
        store.record_quiz_attempt("ann", "sync", NEAR_MISS, T0)
    status, out, _ = run_cli(["progress", "--profile", "ann"], capsys)
    assert status == 0
    assert "Quiz: best 19.99 of 25 points (79.9 %), 1 attempt" in out
    status, out, _ = run_cli(["progress", "--profile", "ann", "--export", "json"], capsys)
    assert [attempt["percent"] for attempt in json.loads(out)["quiz_attempts"]] == [79.9]


def test_exactly_80_percent_is_shown_as_80(course_dir, capsys):
    with open_store() as store:
        store.record_quiz_attempt(
            "ann", "sync", [QuestionResult(f"q{n}", float(n < 4), 1, n < 4) for n in range(5)], T0
        )
    status, out, _ = run_cli(["progress", "--profile", "ann"], capsys)
    assert status == 0
    assert "Quiz: best 4 of 5 points (80 %), 1 attempt" in out


def test_table_shows_only_the_chosen_profile(course_dir, ann_progress, capsys):
    status, out, _ = run_cli(["progress", "--profile", "bob"], capsys)
    assert status == 0
    assert "Profile bob: 1 of 4 lessons read" in out
    assert "retired-lesson" not in out and "Other" not in out
    assert out.count("Quiz: not taken yet") == 2


def test_export_json_is_one_document_with_every_record(ann_progress, capsys):
    status, out, _ = run_cli(["progress", "--profile", "ann", "--export", "json"], capsys)
    assert status == 0
    document = json.loads(out)
    assert document["profile"] == "ann"
    assert {lesson["lesson_id"] for lesson in document["lessons_read"]} == {"sync-lesson-1", "retired-lesson"}
    assert all(lesson["read_at"].endswith("Z") for lesson in document["lessons_read"])
    assert [(a["module_id"], a["percent"]) for a in document["quiz_attempts"]] == [
        ("sync", 50),
        ("sync", 100),
        ("old-module", 100),
    ]
    assert [(card["question_id"], card["due"]) for card in document["review_cards"]] == [("q2", "2025-03-02")]
    assert [(p["lesson_id"], p["predicted"], p["actual"]) for p in document["predictions"]] == [
        ("sync-lesson-1", 2, 3)
    ]
    assert document["hints_used"] == [{"exercise_id": "tune-sqs", "level": 2}]
    assert document["exercise_attempts"][0]["params"] == {"sqs.batch_size": 10}


def test_export_csv_has_one_row_per_record_named_by_type(ann_progress, capsys):
    status, out, _ = run_cli(["progress", "--profile", "ann", "--export", "csv"], capsys)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    kinds = [row["record"] for row in rows]
    assert kinds.count("lesson_read") == 2
    assert kinds.count("quiz_attempt") == 3
    assert kinds.count("quiz_answer") == 5
    assert kinds.count("review_card") == 1 and kinds.count("exercise_attempt") == 1
    prediction = next(row for row in rows if row["record"] == "prediction")
    assert (prediction["lesson_id"], prediction["predicted"], prediction["actual"], prediction["within"]) == (
        "sync-lesson-1",
        "2.0",
        "3.0",
        "false",
    )
    hints = next(row for row in rows if row["record"] == "hints_used")
    assert (hints["exercise_id"], hints["level"]) == ("tune-sqs", "2")
    first_attempt = next(row for row in rows if row["record"] == "quiz_attempt")
    assert (first_attempt["module_id"], first_attempt["points"], first_attempt["percent"]) == (
        "sync",
        "1.0",
        "50.0",
    )
    exercise = next(row for row in rows if row["record"] == "exercise_attempt")
    assert json.loads(exercise["params"]) == {"sqs.batch_size": 10} and exercise["passed"] == "true"
    assert all(row["profile"] == "ann" for row in rows)


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "maybe\n", "no\n"])
def test_reset_changes_nothing_unless_the_answer_is_yes(ann_progress, capsys, monkeypatch, answer):
    status, out, _ = run_cli(["progress", "--profile", "ann", "--reset"], capsys, answer, monkeypatch)
    assert "Forget all progress for profile ann? [y/N]" in out
    assert "Nothing changed: progress for profile ann is kept." in out
    assert status == 1
    with open_store() as store:
        assert "sync-lesson-1" in store.read_lessons("ann")


def test_reset_after_yes_forgets_only_that_profile(ann_progress, capsys, monkeypatch):
    status, out, _ = run_cli(["progress", "--profile", "ann", "--reset"], capsys, "y\n", monkeypatch)
    assert status == 0
    assert "Forgot all progress for profile ann" in out
    with open_store() as store:
        assert store.read_lessons("ann") == set() and store.quiz_attempts("ann") == []
        assert store.read_lessons("bob") == {"async-lesson-2"}


def test_reset_with_yes_does_not_ask(ann_progress, capsys, monkeypatch):
    status, out, _ = run_cli(["progress", "--profile", "ann", "--reset", "--yes"], capsys, "", monkeypatch)
    assert status == 0
    assert "Forget all progress" not in out
    with open_store() as store:
        assert store.read_lessons("ann") == set()


def test_reset_of_an_empty_profile_says_so(capsys, monkeypatch):
    status, out, _ = run_cli(["progress", "--profile", "carol", "--reset"], capsys, "y\n", monkeypatch)
    assert status == 0
    assert "Profile carol has no progress to forget." in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["progress", "--reset", "--export", "json"], "--reset and --export cannot be combined"),
        (["progress", "--yes"], "--yes only applies to --reset"),
    ],
)
def test_contradictory_options_are_refused_in_one_line(argv, message, capsys):
    status, out, err = run_cli(argv, capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"lambda-tutor: {message}") and err.count("\n") == 1


def test_a_damaged_store_is_reported_once_and_the_export_stays_valid(capsys):
    database_path().write_bytes(b"garbage" * 100)
    status, out, err = run_cli(["progress", "--export", "json"], capsys)
    assert status == 0
    assert json.loads(out)["lessons_read"] == []
    assert err.count("\n") == 1
    assert "progress store was damaged" in err and "progress.sqlite3.damaged-" in err


def test_an_unwritable_data_directory_is_one_line_not_a_traceback(isolated_home, monkeypatch, capsys):
    (isolated_home / "a-file").write_text("x")
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(isolated_home / "a-file" / "data"))
    status, out, err = run_cli(["progress", "--export", "json"], capsys)
    assert status == 2 and out == ""
    assert err.startswith("lambda-tutor: cannot create the progress directory") and err.count("\n") == 1
    assert "Traceback" not in err


def test_progress_never_imports_textual(course_dir, ann_progress):
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import tutor.locations
        tutor.locations.builtin_content_dir = lambda: Path({str(course_dir)!r})
        from tutor.cli import main
        status = main(["progress", "--profile", "ann"])
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "tutor"))
        print("STATUS", status, "TEXTUAL", [n for n in loaded if n.startswith("textual")])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "STATUS 0 TEXTUAL []"
    assert "Synchronous invocation" in done.stdout
