"""The progress store's behaviour as the app and the commands see it."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tutor.errors import UserError
from tutor.locations import database_path
from conftest import card_due

from tutor.progress.store import QuestionResult, open_store

T0 = datetime(2025, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)

# Every test runs on SQLite and on PostgreSQL (`open_store()` opens the backend's store), except the
# ones about the SQLite file itself.
pytestmark = pytest.mark.usefixtures("backend")
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class FrozenClock:
    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta) -> None:
        self.now += timedelta(**delta)


def right(question_id: str, points: float = 1) -> QuestionResult:
    return QuestionResult(question_id, points, 1, True)


def wrong(question_id: str) -> QuestionResult:
    return QuestionResult(question_id, 0, 1, False)


@sqlite_only
def test_store_lives_in_the_data_directory(isolated_home):
    with open_store() as store:
        store.mark_read("default", "sync-invoke-api")
    assert database_path() == isolated_home / "progress.sqlite3"
    assert database_path().is_file()


@sqlite_only
def test_store_creates_a_missing_data_directory(isolated_home, monkeypatch):
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(isolated_home / "not" / "yet"))
    with open_store() as store:
        store.mark_read("default", "a")
    assert (isolated_home / "not" / "yet" / "progress.sqlite3").is_file()


def test_restart_keeps_every_kind_of_progress():
    clock = FrozenClock()
    with open_store(clock=clock) as store:
        store.mark_read("ann", "sync-invoke-api")
        store.set_last_lesson("ann", "async-retries")
        store.set_setting("ann", "theme", "nord")
        store.set_setting("ann", "hints", {"shown": ["ex-1"]})
        attempt_id = store.record_quiz_attempt("ann", "sync", [right("q1"), wrong("q2")], T0)
        store.set_review_card("ann", "q2", card_due(date(2025, 3, 2)))
        store.record_exercise_attempt("ann", "sqs-no-dlq", True, {"sqs.batch_size": 10}, T0)

    with open_store() as store:
        assert store.read_lessons("ann") == {"sync-invoke-api"}
        assert store.last_lesson("ann") == "async-retries"
        assert store.get_setting("ann", "theme") == "nord"
        assert store.get_setting("ann", "hints") == {"shown": ["ex-1"]}
        [attempt] = store.quiz_attempts("ann")
        assert attempt.id == attempt_id
        assert attempt.finished_at == T0
        assert [r.question_id for r in attempt.results] == ["q1", "q2"]
        assert store.review_card("ann", "q2") == card_due(date(2025, 3, 2))
        result = store.exercise_results("ann")["sqs-no-dlq"]
        assert result.passed and result.passing_params == {"sqs.batch_size": 10}


def test_reading_a_lesson_twice_keeps_the_first_time():
    clock = FrozenClock()
    with open_store(clock=clock) as store:
        store.mark_read("ann", "l1")
        clock.tick(days=3)
        store.mark_read("ann", "l1")
        assert store.lessons_read_at("ann") == {"l1": T0}


def test_last_lesson_follows_the_latest_opened():
    with open_store() as store:
        assert store.last_lesson("ann") is None
        store.set_last_lesson("ann", "l1")
        store.set_last_lesson("ann", "l3")
        assert store.last_lesson("ann") == "l3"


def test_unknown_setting_gives_the_default():
    with open_store() as store:
        assert store.get_setting("ann", "theme", "textual-dark") == "textual-dark"
        with pytest.raises(ValueError, match="JSON"):
            store.set_setting("ann", "theme", object())


def test_profiles_are_kept_apart():
    with open_store() as store:
        store.mark_read("ann", "l1")
        store.set_setting("ann", "theme", "nord")
        store.record_quiz_attempt("ann", "sync", [right("q1")], T0)
        store.set_review_card("ann", "q1", card_due(date(2025, 3, 3), held_days=2))
        store.record_exercise_attempt("ann", "ex", True, {}, T0)
        store.mark_read("bob", "l2")

        assert store.read_lessons("bob") == {"l2"}
        assert store.get_setting("bob", "theme") is None
        assert store.quiz_best("bob") == {}
        assert store.quiz_attempts("bob") == []
        assert store.review_card("bob", "q1") is None
        assert store.exercise_results("bob") == {}
        assert store.profiles() == ["ann", "bob"]

        store.reset("bob")
        assert store.read_lessons("ann") == {"l1"}
        assert len(store.quiz_attempts("ann")) == 1


def test_profile_names_are_checked():
    with open_store() as store, pytest.raises(UserError, match="profile name"):
        store.mark_read("../etc", "l1")


def test_quiz_best_takes_the_highest_percent_and_attempts_keep_their_scores():
    with open_store() as store:
        store.record_quiz_attempt("ann", "sync", [right("q1"), wrong("q2"), wrong("q3")], T0)
        store.record_quiz_attempt(
            "ann",
            "sync",
            [right("q1"), right("q2"), QuestionResult("q3", 0.5, 1, False)],
            T0 + timedelta(hours=1),
        )
        store.record_quiz_attempt(
            "ann", "sync", [right("q1"), wrong("q2"), right("q3")], T0 + timedelta(hours=2)
        )
        store.record_quiz_attempt("ann", "async", [right("a1"), right("a2")], T0)

        best = store.quiz_best("ann")
        assert (best["sync"].points, best["sync"].max_points) == (2.5, 3)
        assert best["sync"].percent == pytest.approx(83.333, abs=0.01)
        assert best["sync"].finished_at == T0 + timedelta(hours=1)
        assert best["async"].percent == 100
        assert [round(a.percent) for a in store.quiz_attempts("ann", "sync")] == [33, 83, 67]
        assert store.quiz_attempt_counts("ann") == {"sync": 3, "async": 1}


def test_quiz_best_breaks_ties_by_points_then_keeps_the_earliest():
    with open_store() as store:
        # 50 % three times: 1 of 2, then 2 of 4 (more points), then 2 of 4 again, later.
        store.record_quiz_attempt("ann", "sync", [right("q1"), wrong("q2")], T0)
        store.record_quiz_attempt(
            "ann", "sync", [right("q1"), wrong("q2"), right("q3"), wrong("q4")], T0 + timedelta(hours=1)
        )
        store.record_quiz_attempt(
            "ann", "sync", [wrong("q1"), right("q2"), wrong("q3"), right("q4")], T0 + timedelta(hours=2)
        )
        # 100 % twice with the same points: the first time it was reached is the one reported.
        store.record_quiz_attempt("ann", "async", [right("a1")], T0 + timedelta(hours=3))
        store.record_quiz_attempt("ann", "async", [right("a1")], T0 + timedelta(hours=4))
        best = store.quiz_best("ann")
    assert (best["sync"].points, best["sync"].max_points, best["sync"].percent) == (2, 4, 50)
    assert best["sync"].finished_at == T0 + timedelta(hours=1)
    assert best["async"].finished_at == T0 + timedelta(hours=3)


def test_a_lower_later_attempt_never_replaces_the_best():
    with open_store() as store:
        store.record_quiz_attempt("ann", "sync", [right("q1"), right("q2")], T0)
        store.record_quiz_attempt("ann", "sync", [right("q1"), wrong("q2")], T0 + timedelta(hours=1))
        best = store.quiz_best("ann")
    assert (best["sync"].points, best["sync"].percent, best["sync"].finished_at) == (2, 100, T0)


def test_quiz_attempt_refuses_what_cannot_be_scored():
    with open_store() as store:
        with pytest.raises(ValueError, match="at least one"):
            store.record_quiz_attempt("ann", "sync", [], T0)
        with pytest.raises(ValueError, match="between 0 and max_points"):
            store.record_quiz_attempt("ann", "sync", [QuestionResult("q1", -1, 1, False)], T0)
        with pytest.raises(ValueError, match="twice"):
            store.record_quiz_attempt("ann", "sync", [right("q1"), right("q1")], T0)
        with pytest.raises(TypeError, match="timezone-aware"):
            store.record_quiz_attempt("ann", "sync", [right("q1")], datetime(2025, 3, 1, 9, 30))
        assert store.quiz_attempts("ann") == []


def test_times_are_stored_as_utc_whatever_zone_they_come_in():
    paris = timezone(timedelta(hours=1))
    with open_store() as store:
        store.record_quiz_attempt("ann", "sync", [right("q1")], datetime(2025, 3, 1, 10, 30, tzinfo=paris))
        exported = store.export("ann")
    assert exported["quiz_attempts"][0]["finished_at"] == "2025-03-01T09:30:00.000000Z"


def test_review_cards_come_due_by_utc_date():
    with open_store() as store:
        store.set_review_card("ann", "q-late", card_due(date(2025, 3, 2)))
        store.set_review_card("ann", "q-early", card_due(date(2025, 3, 1)))
        store.set_review_card("ann", "q-later", card_due(date(2025, 3, 5), held_days=3))
        assert store.due_reviews("ann", date(2025, 2, 28)) == []
        assert store.due_reviews("ann", date(2025, 3, 2)) == ["q-early", "q-late"]

        # Answered right: its due date moves on.
        store.set_review_card("ann", "q-early", card_due(date(2025, 3, 4), held_days=2))
        assert store.review_card("ann", "q-early") == card_due(date(2025, 3, 4), held_days=2)
        assert store.due_reviews("ann", date(2025, 3, 2)) == ["q-late"]

        with pytest.raises(ValueError, match="stability"):
            store.set_review_card("ann", "q1", card_due(date(2025, 3, 2))._replace(stability=0))
        with pytest.raises(ValueError, match="difficulty"):
            store.set_review_card("ann", "q1", card_due(date(2025, 3, 2))._replace(difficulty=11))
        with pytest.raises(TypeError, match="dates"):
            store.set_review_card("ann", "q1", card_due(date(2025, 3, 2))._replace(due=T0))


def test_exercise_results_count_attempts_and_keep_passing_parameters():
    with open_store() as store:
        store.record_exercise_attempt("ann", "tune-sqs", False, {"sqs.batch_size": 100}, T0)
        store.record_exercise_attempt(
            "ann", "tune-sqs", False, {"sqs.batch_size": 50}, T0 + timedelta(minutes=1)
        )
        store.record_exercise_attempt(
            "ann", "tune-sqs", True, {"sqs.batch_size": 10}, T0 + timedelta(minutes=2)
        )
        store.record_exercise_attempt("ann", "predict-retries", False, {"answer": 2}, T0)
        results = store.exercise_results("ann")

    tune = results["tune-sqs"]
    assert (tune.attempts, tune.failed_attempts, tune.passed) == (3, 2, True)
    assert tune.passing_params == {"sqs.batch_size": 10}
    assert tune.first_passed_at == T0 + timedelta(minutes=2)
    assert results["predict-retries"].passed is False
    assert results["predict-retries"].passing_params is None


def test_the_latest_passing_parameters_are_kept_and_the_first_pass_dates_the_exercise():
    with open_store() as store:
        store.record_exercise_attempt("ann", "tune-sqs", True, {"sqs.batch_size": 10}, T0)
        store.record_exercise_attempt(
            "ann", "tune-sqs", True, {"sqs.batch_size": 20}, T0 + timedelta(minutes=1)
        )
        # A failed try afterwards keeps the exercise passed and its passing parameters.
        store.record_exercise_attempt(
            "ann", "tune-sqs", False, {"sqs.batch_size": 500}, T0 + timedelta(minutes=2)
        )
        tune = store.exercise_results("ann")["tune-sqs"]
    assert tune.passing_params == {"sqs.batch_size": 20}
    assert tune.first_passed_at == T0
    assert tune.last_attempt_at == T0 + timedelta(minutes=2)
    assert (tune.attempts, tune.failed_attempts, tune.passed) == (3, 1, True)
    assert [attempt.params["sqs.batch_size"] for attempt in tune.history] == [10, 20, 500]


def test_last_activity_is_the_latest_thing_the_learner_did():
    clock = FrozenClock()
    with open_store(clock=clock) as store:
        assert store.last_activity("ann") is None
        store.mark_read("ann", "l1")
        assert store.last_activity("ann") == T0
        store.record_exercise_attempt("ann", "ex", False, {}, T0 + timedelta(hours=5))
        clock.tick(hours=1)
        store.set_review_card("ann", "q1", card_due(date(2025, 3, 2)))
        assert store.last_activity("ann") == T0 + timedelta(hours=5)
        clock.tick(hours=6)
        store.set_setting("ann", "theme", "nord")  # a preference is not learning activity
        assert store.last_activity("ann") == T0 + timedelta(hours=5)


def test_reset_forgets_progress_but_keeps_settings():
    with open_store() as store:
        store.mark_read("ann", "l1")
        store.set_last_lesson("ann", "l1")
        store.set_setting("ann", "theme", "nord")
        store.record_quiz_attempt("ann", "sync", [right("q1")], T0)
        store.set_review_card("ann", "q1", card_due(date(2025, 3, 2)))
        store.record_exercise_attempt("ann", "ex", True, {}, T0)
        assert store.has_progress("ann")

        store.reset("ann")

        assert not store.has_progress("ann")
        assert store.read_lessons("ann") == set()
        assert store.last_lesson("ann") is None
        assert store.quiz_attempts("ann") == []
        assert store.due_reviews("ann", date(2030, 1, 1)) == []
        assert store.exercise_results("ann") == {}
        assert store.get_setting("ann", "theme") == "nord"


def test_export_is_one_json_document_with_everything():
    clock = FrozenClock()
    with open_store(clock=clock) as store:
        store.mark_read("ann", "l1")
        store.record_quiz_attempt("ann", "sync", [right("q1"), wrong("q2")], T0)
        store.set_review_card("ann", "q2", card_due(date(2025, 3, 2)))
        store.record_exercise_attempt("ann", "ex", False, {"sqs.batch_size": 5}, T0)
        store.mark_read("bob", "l9")
        document = json.loads(json.dumps(store.export("ann")))

    assert document["profile"] == "ann"
    assert document["lessons_read"] == [{"lesson_id": "l1", "read_at": "2025-03-01T09:30:00.123456Z"}]
    [attempt] = document["quiz_attempts"]
    assert (attempt["module_id"], attempt["points"], attempt["max_points"], attempt["percent"]) == (
        "sync",
        1,
        2,
        50,
    )
    assert [r["correct"] for r in attempt["results"]] == [True, False]
    [card] = document["review_cards"]
    assert (card["question_id"], card["due"], card["last_review"]) == ("q2", "2025-03-02", "2025-03-01")
    assert document["exercise_attempts"][0]["params"] == {"sqs.batch_size": 5}
    assert "l9" not in json.dumps(document)


def test_export_document_names_every_field_a_learner_or_a_spreadsheet_reads():
    clock = FrozenClock()
    with open_store(clock=clock) as store:
        store.mark_read("ann", "l1")
        store.set_last_lesson("ann", "l1")
        store.set_setting("ann", "theme", "nord")
        store.record_quiz_attempt(
            "ann", "sync", [right("q1"), QuestionResult("q2", 0.6667, 1, False), wrong("q3")], T0
        )
        store.set_review_card("ann", "q3", card_due(date(2025, 3, 2)))
        store.record_exercise_attempt("ann", "ex", True, {"sqs.batch_size": 5}, T0 + timedelta(hours=1))
        store.record_prediction("ann", "l1", 2, 3, within=False)
        store.record_prediction("ann", "l2", None, 5, within=None)
        store.record_hint("ann", "ex", 1)
        store.record_hint("ann", "ex", 2)
        clock.tick(days=1)
        document = json.loads(json.dumps(store.export("ann")))

    stamp = "2025-03-01T09:30:00.123456Z"
    assert document == {
        "format": "lambda-tutor-progress",
        "format_version": 3,
        "profile": "ann",
        "exported_at": "2025-03-02T09:30:00.123456Z",
        "last_activity": "2025-03-01T10:30:00.123456Z",
        "lessons_read": [{"lesson_id": "l1", "read_at": stamp}],
        "last_lesson": {"lesson_id": "l1", "opened_at": stamp},
        "settings": {"theme": "nord"},
        "quiz_attempts": [
            {
                "attempt": 1,
                "module_id": "sync",
                "finished_at": stamp,
                "points": 1.6667,
                "max_points": 3.0,
                "percent": 55.5,  # 55.557 %, rounded down like on every screen
                "results": [
                    {
                        "question_id": "q1",
                        "points": 1.0,
                        "max_points": 1.0,
                        "correct": True,
                        "response": None,
                    },
                    {
                        "question_id": "q2",
                        "points": 0.6667,
                        "max_points": 1.0,
                        "correct": False,
                        "response": None,
                    },
                    {
                        "question_id": "q3",
                        "points": 0.0,
                        "max_points": 1.0,
                        "correct": False,
                        "response": None,
                    },
                ],
            }
        ],
        "review_cards": [
            {
                "question_id": "q3",
                "due": "2025-03-02",
                "stability": 1.0,
                "difficulty": 6.4133,
                "last_review": "2025-03-01",
            }
        ],
        "exercise_attempts": [
            {
                "attempt": 1,
                "exercise_id": "ex",
                "passed": True,
                "params": {"sqs.batch_size": 5},
                "finished_at": "2025-03-01T10:30:00.123456Z",
            }
        ],
        "predictions": [
            {"lesson_id": "l1", "predicted": 2.0, "actual": 3.0, "within": False, "answered_at": stamp},
            {"lesson_id": "l2", "predicted": None, "actual": 5.0, "within": None, "answered_at": stamp},
        ],
        "hints_used": [{"exercise_id": "ex", "level": 2}],
    }


def test_an_empty_profile_exports_no_activity_and_no_last_lesson():
    with open_store() as store:
        document = store.export("nobody")
    assert (document["last_activity"], document["last_lesson"], document["settings"]) == (None, None, {})


def test_a_question_worth_no_points_is_refused_so_a_percent_always_exists():
    with open_store() as store, pytest.raises(ValueError, match="between 0 and max_points"):
        store.record_quiz_attempt("ann", "sync", [QuestionResult("q1", 0, 0, True)], T0)


def test_exercise_results_name_their_exercise():
    with open_store() as store:
        store.record_exercise_attempt("ann", "tune-sqs", False, {}, T0)
        result = store.exercise_results("ann")["tune-sqs"]
    assert (result.exercise_id, result.last_attempt_at, result.passing_params) == ("tune-sqs", T0, None)


def test_times_are_stored_as_utc_when_the_machine_is_not_on_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        with open_store(clock=lambda: T0) as store:
            store.mark_read("ann", "l1")
            assert store.export("ann")["lessons_read"] == [
                {"lesson_id": "l1", "read_at": "2025-03-01T09:30:00.123456Z"}
            ]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
