"""Choices are shown in a new order each attempt, the same order within one, and graded by choice.

Uses the frozen pack in tests/data/quizpack (one question of each kind).
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tutor.content.loader import load_course
from tutor.progress.store import QuestionResult, open_store, to_utc_text
from tutor.quiz.session import QuizSession
from tutor.quiz.shuffle import choice_order

QUIZPACK = Path(__file__).parent / "data" / "quizpack"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANSWERS = {"qp-retries-run": 3.0}


@pytest.fixture(scope="module")
def course():
    course, _ = load_course([QUIZPACK])
    return course


def session_for(course, store, profile="ann") -> QuizSession:
    return QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile=profile, clock=lambda: NOW
    )


def shown(session: QuizSession, question_id: str) -> list:
    question = next(q for q in session.questions if q.id == question_id)
    return [question.choices[position] for position in session.choice_order(question)]


def test_the_order_is_a_stable_function_of_profile_question_and_attempt():
    # Pinned: a resumed attempt must show what it showed before, in any later process or version.
    assert choice_order("ann", "qp-sync-status", "attempt 1", 4) == [1, 0, 3, 2]
    orders = {tuple(choice_order("ann", "qp-sync-status", attempt, 4)) for attempt in range(1, 21)}
    assert all(sorted(order) == [0, 1, 2, 3] for order in orders)
    assert len(orders) >= 10, "twenty attempts show many different orders"
    assert choice_order("bob", "qp-sync-status", "attempt 1", 4) != [1, 0, 3, 2]


def test_a_new_attempt_reshuffles_and_an_unfinished_one_shows_the_same_order(course):
    store = open_store()
    first = session_for(course, store)
    before = {
        q.id: shown(first, q.id) for q in first.questions if q.kind in ("single", "multiple", "matching")
    }
    assert before == {q: shown(first, q) for q in before}, "stable within the attempt"
    assert before["qp-sync-status"] != ["200", "202", "429", "500"], "not the bank's order"

    started_again = session_for(course, store)  # left half-way and started again: nothing stored
    assert {q: shown(started_again, q) for q in before} == before

    store.record_quiz_attempt("ann", "quizpack", [QuestionResult("qp-sync-status", 1, 1, True)], NOW)
    second = session_for(course, store)
    after = {q: shown(second, q) for q in before}
    assert after != before and all(sorted(after[q]) == sorted(before[q]) for q in before)
    store.close()


def test_true_false_scenario_choices_and_ordering_keep_their_own_order(course):
    session = session_for(course, None)
    for question in session.questions:
        if question.kind in ("truefalse", "scenario", "ordering", "numeric"):
            assert session.choice_order(question) == list(range(len(question.choices)))


def test_grading_names_the_choice_so_a_reshuffle_changes_nothing(course):
    store = open_store()
    responses = []
    for _ in range(2):
        session = session_for(course, store)
        while session.current.id != "qp-sync-status":  # the draw may ask it later the second time
            session.submit(_any_gradable(session))
            session.advance()
        question = session.current
        row_of_200 = shown(session, question.id).index("200")
        responses.append((row_of_200, session.submit(shown(session, question.id)[row_of_200]).correct))
        while session.advance():
            session.submit(_any_gradable(session))
    (first_row, first_right), (second_row, second_right) = responses
    assert first_row != second_row, "200 moved between the two attempts"
    assert first_right and second_right
    store.close()


def _any_gradable(session: QuizSession):
    question = session.current
    if question.kind == "truefalse":
        return True
    if question.kind == "multiple":
        return {question.choices[0]}
    if question.kind == "matching":
        return dict.fromkeys(question.matching_left, question.choices[0])
    if question.kind == "ordering":
        return list(question.choices)
    if question.kind in ("numeric", "scenario"):
        return 3
    return question.choices[0]


def test_attempts_stored_before_the_shuffle_still_read_and_count(course, tmp_path):
    """A store written before shuffling: results only, no order and no positions anywhere."""
    import sqlite3

    path = tmp_path / "progress.db"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO quiz_attempt (id, profile, module_id, finished_at) VALUES (7, 'ann', 'quizpack', ?)",
            (to_utc_text(NOW),),
        )
        db.execute(
            "INSERT INTO quiz_result (attempt_id, question_id, points, max_points, correct) "
            "VALUES (7, 'qp-sync-status', 1.0, 1.0, 1), (7, 'qp-async-202', 0.0, 1.0, 0)"
        )
    store = open_store(path)
    [attempt] = store.quiz_attempts("ann")
    assert [(r.question_id, r.correct) for r in attempt.results] == [
        ("qp-sync-status", True),
        ("qp-async-202", False),
    ]
    assert store.quiz_best("ann")["quizpack"].percent == 50
    session = session_for(course, store)
    session.begin()
    assert session.attempt_id == 8, "the old attempt counts: the next one takes the id after it"
    question = next(q for q in session.questions if q.id == "qp-sync-status")
    assert shown(session, "qp-sync-status") == [
        question.choices[position] for position in choice_order("ann", "qp-sync-status", 8, 4)
    ]
    store.close()
