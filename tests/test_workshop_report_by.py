"""`workshop report --by exercise|question`, `--since`, `--pack`, and the empty-store warning."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from tutor.cli import main
from tutor.content.loader import load_course
from tutor.progress.store import QuestionResult, open_store

COURSE, _ = load_course()
EXERCISES = [exercise.id for exercise in COURSE.exercises]
SYNC_CHOICE = next(q for q in COURSE.questions if q.module == "sync" and q.kind == "single" and q.choices)
AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def run(capsys, *options) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["workshop", "report", *options])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def seed_exercises():
    with open_store() as store:
        store.record_exercise_attempt("ann", EXERCISES[0], True, {}, AT)  # first try
        store.record_exercise_attempt("bob", EXERCISES[0], False, {}, AT)
        store.record_exercise_attempt("bob", EXERCISES[0], True, {}, AT + timedelta(minutes=1))
        store.record_exercise_attempt("cy", EXERCISES[0], False, {}, AT)


def test_by_exercise_names_who_passed_and_counts_first_try_passes(capsys):
    seed_exercises()
    status, out, _ = run(capsys, "--by", "exercise", "--format", "json")
    assert status == 0
    first = json.loads(out)["exercises"][0]
    assert first["exercise_id"] == EXERCISES[0]
    assert first["passed"] == ["ann", "bob"]
    assert first["first_try_passes"] == ["ann"]
    assert first["tried"] == ["ann", "bob", "cy"]
    assert first["attempts"] == 4
    _, table, _ = run(capsys, "--by", "exercise")
    assert "ann, bob" in table


def test_by_question_lists_the_most_missed_first_with_the_wrong_answers_chosen(capsys):
    wrong = 1 if SYNC_CHOICE.answer != 1 else 0
    right = SYNC_CHOICE.answer
    with open_store() as store:
        for name, response in (("ann", wrong), ("bob", wrong), ("cy", right)):
            store.record_quiz_attempt(
                name,
                "sync",
                [
                    QuestionResult(SYNC_CHOICE.id, float(response == right), 1, response == right, response),
                    QuestionResult("sync-never-missed", 1, 1, True, 0),
                ],
                AT,
            )
    status, out, _ = run(capsys, "--by", "question", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["question_id"] == SYNC_CHOICE.id
    assert rows[0]["answered"] == "3" and rows[0]["right"] == "1"
    assert rows[0]["wrong_answers"] == f"{SYNC_CHOICE.choices[wrong]} ×2"
    assert [row["question_id"] for row in rows] == [SYNC_CHOICE.id], (
        "a question no longer in the course is left out"
    )


def test_since_counts_only_what_was_done_after_it_and_a_bad_value_is_one_line(capsys):
    with open_store(clock=lambda: AT - timedelta(days=2)) as store:
        store.record_exercise_attempt("ann", EXERCISES[0], True, {}, AT - timedelta(days=2))
    with open_store(clock=lambda: AT) as store:
        store.record_exercise_attempt("ann", EXERCISES[1], True, {}, AT)
    status, out, _ = run(capsys, "--since", "2026-12-05", "--format", "json")
    assert status == 0
    assert json.loads(out)["learners"][0]["exercises_passed"] == 1
    _, out, _ = run(capsys, "--since", "2026-12-01", "--format", "json")
    assert json.loads(out)["learners"][0]["exercises_passed"] == 2
    status, _, err = run(capsys, "--since", "last tuesday")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "2h" in err


def test_pack_limits_the_report_to_that_packs_parts_and_an_unknown_pack_is_named(capsys):
    seed_exercises()
    status, out, _ = run(capsys, "--pack", "built-in", "--format", "json")
    assert status == 0
    assert json.loads(out)["learners"][0]["exercises_total"] == len(EXERCISES)
    status, _, err = run(capsys, "--pack", "nope")
    assert status == 2 and "nope" in err and "built-in" in err


def test_an_empty_store_warns_on_stderr_naming_the_store_and_keeps_stdout_a_document(capsys):
    from tutor.locations import database_path

    status, out, err = run(capsys, "--format", "json")
    assert status == 0
    assert json.loads(out)["learners"] == []
    assert "holds no learner" in err and str(database_path()) in err


def test_a_learner_who_joined_but_did_nothing_has_a_row(capsys):
    with open_store() as store:
        store.set_setting("dee", "theme", "nord")  # joined: chose a theme, read nothing
    _, out, _ = run(capsys, "--format", "json", "--since", "1h")
    assert [learner["profile"] for learner in json.loads(out)["learners"]] == ["dee"]
