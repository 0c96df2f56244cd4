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


def test_by_exercise_says_passes_count_learners_who_tried_and_how_many_of_the_room_did(capsys):
    from tutor.progress.credentials import hash_secret

    seed_exercises()
    with open_store() as store:
        store.claim_name("Dee", hash_secret("1234"))  # in the room, tried nothing
    status, table, _ = run(capsys, "--by", "exercise")
    assert status == 0
    lines = table.splitlines()
    header = next(line for line in lines if "Exercise" in line)
    assert header.split()[1:3] == ["Tried", "Passed/tried"]
    tried_by_three = next(line for line in lines if line.split()[:1] == [EXERCISES[0]])
    assert tried_by_three.split()[1:3] == ["3/4", "2/3"]
    tried_by_nobody = next(line for line in lines if line.split()[:1] == [EXERCISES[1]])
    assert tried_by_nobody.split()[1:3] == ["0/4", "·"] and "0/0" not in table
    assert "of the 4 in the room" in " ".join(table.split())
    _, out, _ = run(capsys, "--by", "exercise", "--format", "json")
    assert json.loads(out)["learners_in_room"] == 4


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


# -- who is in the room: the learner table, the roster, and progress the loaded course lacks --------


def test_learners_who_logged_in_and_did_nothing_have_a_row_under_their_display_name(capsys, backend):
    from tutor.progress.credentials import hash_secret

    with open_store(clock=lambda: AT) as store:
        store.claim_name("José Núñez", hash_secret("1234"))  # logged in, then nothing
        store.claim_name("Dave", hash_secret("5678"))
        store.record_exercise_attempt("Dave", EXERCISES[0], True, {}, AT)
    _, out, err = run(capsys, "--format", "json")
    learners = {entry["profile"]: entry for entry in json.loads(out)["learners"]}
    assert list(learners) == ["Dave", "José Núñez"]
    assert learners["José Núñez"]["exercises_passed"] == 0
    assert learners["José Núñez"]["last_activity"] is None
    assert learners["Dave"]["exercises_passed"] == 1
    assert "holds no learner" not in err
    _, table, _ = run(capsys)
    assert any(line.strip().startswith("José Núñez") and "never" in line for line in table.splitlines())


def test_dave_typed_in_any_case_is_one_learner(capsys, backend):
    from tutor.progress.credentials import hash_secret

    with open_store(clock=lambda: AT) as store:
        store.claim_name("Dave", hash_secret("5678"))
    # The same learner at the terminal, typed in capitals: his progress goes under his name.
    assert main(["--profile", "DAVE", "progress", "--export", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["learner_name"] == "Dave"
    with open_store(clock=lambda: AT) as store:
        store.record_exercise_attempt(store.known_profile("dave") or "", EXERCISES[0], True, {}, AT)
    _, out, _ = run(capsys, "--format", "json")
    assert [(e["profile"], e["exercises_passed"]) for e in json.loads(out)["learners"]] == [("Dave", 1)]


def test_roster_names_not_come_yet_are_listed_apart(capsys, backend):
    from tutor.progress.credentials import hash_secret

    with open_store(clock=lambda: AT) as store:
        store.add_to_roster("Fay", hash_secret("code-1"))
        store.add_to_roster("Gil", hash_secret("code-2"))
        store.claim_name("Gil", hash_secret("1234"))
    _, out, _ = run(capsys, "--format", "json")
    document = json.loads(out)
    assert [entry["profile"] for entry in document["learners"]] == ["Gil"]
    assert document["not_joined"] == ["Fay"]
    _, table, _ = run(capsys)
    assert table.rstrip().splitlines()[-1] == "not joined yet (on the roster): Fay"
    _, csv_text, err = run(capsys, "--format", "csv")
    assert "Fay" not in csv_text and "not joined yet (on the roster): Fay" in err


def test_progress_on_a_pack_not_loaded_is_one_warning_line_suggesting_content(capsys, backend):
    with open_store(clock=lambda: AT) as store:
        store.mark_read("ann", "pack-lesson-1")
        store.mark_read("ann", "pack-lesson-2")
        store.record_exercise_attempt("ann", "pack-exercise", True, {}, AT)
        store.record_exercise_attempt("bob", EXERCISES[0], True, {}, AT)
    status, out, err = run(capsys, "--format", "json")
    assert status == 0 and json.loads(out)["learners"][0]["exercises_passed"] == 0
    [warning] = err.strip().splitlines()
    assert "3 ids this course lacks (2 lessons, 1 exercise)" in warning and "--content DIR" in warning
    with open_store(clock=lambda: AT) as store:
        store.reset("ann")
    _, _, err = run(capsys, "--format", "json")
    assert err == "", "no warning when the course has everything the learners did"


def test_a_long_name_does_not_squeeze_the_quizzes_out_of_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with open_store(clock=lambda: AT) as store:
        store.record_quiz_attempt("Cyrille Dupont-Marchand", "sync", [QuestionResult("q", 1, 1, True)], AT)
    _, table, _ = run(capsys)
    assert "Quizzes" in table and "sync 100 %" in table
    assert max(len(line.rstrip()) for line in table.splitlines()) <= 80


def test_by_question_shows_a_matching_item_left_unmatched_as_a_question_mark_not_none(capsys):
    # A learner may submit a matching question with items still unmatched, as the quiz allows.
    matching = next(q for q in COURSE.questions if q.kind == "matching")
    first, *others = sorted(matching.answer)
    response = {first: None, **{item: matching.answer[item] for item in others}}
    with open_store() as store:
        store.record_quiz_attempt(
            "ann", matching.module, [QuestionResult(matching.id, 0, 1, False, response)], AT
        )
    status, out, _ = run(capsys, "--by", "question", "--format", "csv")
    assert status == 0
    (row,) = csv.DictReader(io.StringIO(out))
    assert "None" not in row["wrong_answers"]
    assert f"{first}→?" in row["wrong_answers"]
