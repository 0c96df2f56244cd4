"""`lambda-tutor workshop report`: one row per learner, in a Rich table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tutor.cli import main
from tutor.content.loader import load_course
from tutor.progress.store import QuestionResult, open_store

COURSE, _ = load_course()
LESSONS = list(COURSE.lessons)
MODULES = [module.id for module in COURSE.modules]
EXERCISES = [exercise.id for exercise in COURSE.exercises]
AT = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def loaded_once(monkeypatch):
    """The command loads the course like every command does; here it reuses the one loaded above."""
    import tutor.content.loader

    monkeypatch.setattr(tutor.content.loader, "load_course_or_fail", lambda packs=(): COURSE)


@pytest.fixture
def room():
    """Two learners with different progress, plus records of things no longer in the course."""
    with open_store() as store:
        for lesson_id in LESSONS[:3]:
            store.mark_read("ann", lesson_id)
        store.mark_read("ann", "a-lesson-that-was-removed")
        store.record_quiz_attempt(
            "ann",
            "sync",
            [
                QuestionResult("q1", 1, 1, True),
                QuestionResult("q2", 0, 1, False),
                QuestionResult("q3", 1, 1, True),
            ],
            AT,
        )
        store.record_quiz_attempt("ann", "sync", [QuestionResult("q1", 0, 1, False)], AT)
        store.record_exercise_attempt("ann", EXERCISES[0], False, {}, AT)
        store.record_exercise_attempt("ann", EXERCISES[0], True, {"x": 1}, AT)
        store.record_exercise_attempt("ann", EXERCISES[1], True, {}, AT)
        store.record_exercise_attempt("ann", "a-removed-exercise", True, {}, AT)
        store.record_exercise_attempt("bob", EXERCISES[0], False, {}, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    return store


def report(capsys, *options) -> str:
    assert main(["workshop", "report", *options]) == 0
    return capsys.readouterr().out


def test_json_has_one_entry_per_learner_with_counts_against_the_current_course(room, capsys):
    document = json.loads(report(capsys, "--format", "json"))
    assert document["modules"] == MODULES
    learners = {entry["profile"]: entry for entry in document["learners"]}
    assert list(learners) == ["ann", "bob"]
    ann = learners["ann"]
    assert (ann["lessons_read"], ann["lessons_total"]) == (3, len(LESSONS))
    # Best of two attempts, rounded down: 2 of 3 points is 66.6 %, not 66.7 %.
    assert ann["quiz_best_percent"] == {"sync": 66.6}
    assert (ann["exercises_passed"], ann["exercises_total"]) == (2, len(EXERCISES))
    assert ann["last_activity"].endswith("Z")
    bob = learners["bob"]
    assert (bob["lessons_read"], bob["exercises_passed"], bob["quiz_best_percent"]) == (0, 0, {})
    assert bob["last_activity"] == "2026-03-03T08:00:00Z"


def test_csv_has_a_header_a_column_per_module_quiz_and_a_row_per_learner(room, capsys):
    rows = list(csv.DictReader(io.StringIO(report(capsys, "--format", "csv"))))
    assert [row["profile"] for row in rows] == ["ann", "bob"]
    ann, bob = rows
    assert ann["lessons_read"] == "3" and ann["exercises_passed"] == "2"
    assert ann["quiz_sync_percent"] == "66.6" and ann["quiz_async_percent"] == ""
    assert {f"quiz_{module_id}_percent" for module_id in MODULES} <= set(ann)
    assert bob["last_activity_utc"] == "2026-03-03T08:00:00Z"


def test_table_shows_every_learner_with_read_and_passed_counts(room, capsys):
    text = report(capsys)
    assert "Workshop report" in text
    ann_line = next(line for line in text.splitlines() if line.strip().startswith("ann"))
    assert f"3/{len(LESSONS)}" in ann_line and f"2/{len(EXERCISES)}" in ann_line and "sync 66.6 %" in ann_line
    bob_line = next(line for line in text.splitlines() if line.strip().startswith("bob"))
    assert "2026-03-03 08:00" in bob_line and f"0/{len(EXERCISES)}" in bob_line


def test_an_empty_store_says_so_and_the_documents_stay_valid(capsys):
    assert "No learner has joined or has any progress" in report(capsys)
    assert json.loads(report(capsys, "--format", "json"))["learners"] == []
    assert report(capsys, "--format", "csv").splitlines()[0].startswith("profile,lessons_read")


def test_workshop_without_an_action_is_one_line_and_status_2(capsys):
    assert main(["workshop"]) == 2
    error = capsys.readouterr().err
    assert error.strip().count("\n") == 0 and "choose an action: report" in error


def test_the_report_never_imports_textual(room):
    code = (
        "import sys; from tutor.cli import main; main(['workshop', 'report', '--format', 'json']); "
        "sys.stderr.write(str(any(name == 'textual' or name.startswith('textual.') for name in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout)["learners"]
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_a_near_miss_reads_below_80_in_every_format(capsys):
    near_miss = [QuestionResult(f"q{n}", 1, 1, True) for n in range(19)] + [
        QuestionResult("q19", 0.99, 1, False),
        *(QuestionResult(f"q{n}", 0, 1, False) for n in range(20, 25)),
    ]  # 19.99 of 25 points: 79.96 %
    with open_store() as store:
        store.record_quiz_attempt("ann", "sync", near_miss, AT)
        store.record_quiz_attempt("bob", "sync", near_miss[:4] + near_miss[-1:], AT)  # 4 of 5: 80 %
    learners = json.loads(report(capsys, "--format", "json"))["learners"]
    assert [entry["quiz_best_percent"]["sync"] for entry in learners] == [79.9, 80.0]
    rows = list(csv.DictReader(io.StringIO(report(capsys, "--format", "csv"))))
    assert [row["quiz_sync_percent"] for row in rows] == ["79.9", "80.0"]
    lines = report(capsys).splitlines()
    ann_line = next(line for line in lines if line.strip().startswith("ann"))
    bob_line = next(line for line in lines if line.strip().startswith("bob"))
    assert "79.9 %" in ann_line and "80 %" not in ann_line
    assert "80 %" in bob_line


def test_predictions_and_hints_are_counted_in_every_format(capsys):
    with open_store() as store:
        store.record_prediction("ann", "async-retries", 5, 5, within=True)
        store.record_prediction("ann", "sync-throttling", 3, 15, within=False)
        store.record_prediction("ann", "esm-pollers", None, 5, within=None)
        store.record_prediction("ann", "a-lesson-no-longer-in-the-course", 1, 1, within=True)
        store.record_hint("ann", "sync-retry-throttled", 1)
        store.record_hint("ann", "sync-retry-throttled", 2)
        store.record_hint("ann", "sqs-partial-batch", 1)
        store.record_hint("ann", "sqs-partial-batch", 1)  # a level opened again is counted once
    [ann] = json.loads(report(capsys, "--format", "json"))["learners"]
    counts = ("predictions_made", "predictions_right", "predictions_skipped", "hints_used")
    assert [ann[key] for key in counts] == [2, 1, 1, 3]
    [row] = csv.DictReader(io.StringIO(report(capsys, "--format", "csv")))
    assert [row[key] for key in counts] == ["2", "1", "1", "3"]
    ann_line = next(line for line in report(capsys).splitlines() if line.strip().startswith("ann"))
    assert "1/2 (1) · 3" in ann_line


def test_at_80_columns_a_quiz_score_stays_on_one_line_with_its_module(capsys):
    # Seen in a room: "overview 9.7" on one line and a lone "%" under it.
    with open_store() as store:
        overview = next(q for q in COURSE.questions if q.module == "overview")
        sync = next(q for q in COURSE.questions if q.module == "sync")
        store.record_quiz_attempt(
            "Mary Jane", "overview", [QuestionResult(overview.id, 0.097, 1, False, 0)], AT
        )
        store.record_quiz_attempt("Mary Jane", "sync", [QuestionResult(sync.id, 1, 1, True, 0)], AT)
    capsys.readouterr()
    assert main(["workshop", "report"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("overview 9.7 %" in line for line in lines), "\n".join(lines)
    assert any("sync 100 %" in line for line in lines), "\n".join(lines)
