"""A quiz session from first question to stored attempt and review cards, with a frozen clock."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import card_due

from tutor.content.loader import load_course
from tutor.progress.store import open_store
from tutor.quiz.grading import AnswerError
from tutor.quiz.session import QuizSession, presented_steps

QUIZPACK = Path(__file__).parent / "data" / "quizpack"
NOW = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
ANSWERS = {"qp-retries-run": 3.0}
RIGHT = {
    "qp-sync-status": "200",
    "qp-invocation-types": {"RequestResponse", "Event", "DryRun"},
    "qp-async-202": True,
    "qp-retry-count": "2",
    "qp-status-match": {"RequestResponse": "200", "Event": "202", "DryRun": "204"},
    "qp-async-steps": [
        "The caller gets 202",
        "The first attempt fails",
        "The first retry, about a minute later",
        "The second retry, about two minutes later",
        "The event goes to the on-failure destination",
    ],
    "qp-retries-run": 3,
}


@pytest.fixture(scope="module")
def course():
    course, _ = load_course([QUIZPACK])
    return course


def clock_at(moment: datetime):
    return lambda: moment


def take(session: QuizSession, responses: dict) -> None:
    while not session.finished:
        session.submit(responses[session.current.id])
        session.advance()


def test_a_module_quiz_asks_its_questions_lesson_by_lesson(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    assert session.title == "Quiz pack: one question of each kind"
    assert [q.lesson for q in session.questions] == ["quizpack-status"] * 4 + ["quizpack-retries"] * 3
    assert session.counter == "1 / 7"
    session.submit("202")
    assert session.counter == "1 / 7", "the feedback still belongs to question 1"
    session.advance()
    assert session.counter == "2 / 7"


def test_ordering_steps_are_shuffled_the_same_way_every_time_and_never_shown_solved(course):
    question = next(q for q in course.questions if q.id == "qp-async-steps")
    first = presented_steps(question)
    assert first == presented_steps(question)
    assert sorted(first) == sorted(question.choices) and first != list(question.choices)


def test_matching_shows_the_left_items_in_the_bank_order(course):
    question = next(q for q in course.questions if q.id == "qp-status-match")
    assert question.matching_left == ("RequestResponse", "Event", "DryRun")


def test_a_finished_quiz_is_stored_with_every_result_and_misses_enter_review(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    responses = dict(RIGHT, **{"qp-sync-status": "500", "qp-invocation-types": {"RequestResponse", "Event"}})
    take(session, responses)
    assert session.points == pytest.approx(5 + 2 / 3, abs=1e-3)
    assert session.max_points == 7
    assert session.percent == pytest.approx(80.95, abs=0.01)
    assert session.passed and not session.perfect
    assert [q.id for q in session.missed()] == ["qp-sync-status", "qp-invocation-types"]
    topics = {t.topic: (t.right, t.asked, round(t.points, 2)) for t in session.topics()}
    assert topics == {"Status codes": (2, 4, 2.67), "Async retries": (3, 3, 3.0)}

    [attempt] = store.quiz_attempts("ann")
    assert attempt.id == session.attempt_id and attempt.module_id == "quizpack"
    assert attempt.finished_at == NOW
    assert {r.question_id: (round(r.points, 4), r.correct) for r in attempt.results}[
        "qp-invocation-types"
    ] == (0.6667, False)
    assert store.quiz_best("ann")["quizpack"].percent == pytest.approx(80.95, abs=0.01)
    # 23:30 UTC on March 1st: tomorrow is March 2nd, whatever the local time zone says.
    assert {qid: card.due for qid, card in store.review_cards("ann").items()} == {
        "qp-sync-status": date(2026, 3, 2),
        "qp-invocation-types": date(2026, 3, 2),
    }
    assert session.finish() == session.attempt_id
    assert len(store.quiz_attempts("ann")) == 1, "finishing twice stores one attempt"
    store.close()


def test_leaving_a_quiz_half_way_stores_no_attempt(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    session.submit("500")
    session.advance()
    assert session.finish() is None
    assert store.quiz_attempts("ann") == []
    assert store.review_card("ann", "qp-sync-status").due == date(2026, 3, 2), "the miss is kept for review"
    store.close()


def test_retrying_the_missed_questions_is_practice_not_an_attempt(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    retry = session.retry()
    assert [q.id for q in retry.questions] == ["qp-async-202"]
    take(retry, RIGHT)
    assert retry.perfect
    assert len(store.quiz_attempts("ann")) == 1
    assert store.quiz_best("ann")["quizpack"].percent < 100
    assert store.review_card("ann", "qp-async-202").due == date(2026, 3, 2), "not due yet: not rushed"
    store.close()


def test_a_review_asks_what_is_due_and_moves_the_cards(course):
    store = open_store()
    first = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    take(first, dict(RIGHT, **{"qp-async-202": False, "qp-retry-count": "3"}))
    same_day = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(NOW))
    assert same_day.total == 0

    next_day = NOW + timedelta(days=1)
    review = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(next_day))
    assert review.title == "Review" and [q.id for q in review.questions] == ["qp-async-202", "qp-retry-count"]
    take(review, dict(RIGHT, **{"qp-retry-count": "4"}))
    assert {qid: card.due for qid, card in store.review_cards("ann").items()} == {
        "qp-async-202": date(2026, 3, 4),
        "qp-retry-count": date(2026, 3, 3),
    }
    assert len(store.quiz_attempts("ann")) == 1, "a review stores no quiz attempt"
    store.close()


def test_a_review_skips_questions_no_longer_in_the_course(course):
    store = open_store()
    store.set_review_card("ann", "a-question-that-was-removed", card_due(date(2026, 3, 1)))
    review = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(NOW))
    assert review.total == 0
    store.close()


def test_a_scenario_question_without_a_computed_answer_is_left_out_with_a_notice(course):
    session = QuizSession.for_module(course, "quizpack", answers={})
    assert "qp-retries-run" not in [q.id for q in session.questions]
    assert session.total == 6
    assert "1 scenario question(s) left out" in session.notice


def test_answers_come_one_at_a_time(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    with pytest.raises(RuntimeError):
        session.advance()
    with pytest.raises(AnswerError):
        session.submit("201")
    assert session.current_result is None, "an ungradable response is not an answer"
    session.submit("200")
    with pytest.raises(RuntimeError):
        session.submit("200")


def steps_with_the_first_two_swapped() -> list[str]:
    steps = list(RIGHT["qp-async-steps"])
    return [steps[1], steps[0], *steps[2:]]


def test_exactly_80_percent_passes_and_is_stored_as_the_best(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    # One question wrong and three of five steps in place: 5.6 of 7 points, exactly 80 %.
    take(
        session,
        dict(RIGHT, **{"qp-sync-status": "500", "qp-async-steps": steps_with_the_first_two_swapped()}),
    )
    assert session.points == pytest.approx(5.6)
    assert session.passed and not session.perfect
    assert store.quiz_best("ann")["quizpack"].percent == pytest.approx(80.0)
    store.close()


def test_one_step_less_misses_the_pass_and_a_perfect_run_is_perfect(course):
    missed = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    swapped = RIGHT["qp-async-steps"][::-1]  # only the middle step stays in place: 1 of 5
    take(missed, dict(RIGHT, **{"qp-sync-status": "500", "qp-async-steps": swapped}))
    assert missed.percent == pytest.approx(100 * 5.2 / 7) and not missed.passed

    perfect = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(perfect, RIGHT)
    assert perfect.passed and perfect.perfect


def test_a_session_with_nothing_answered_is_neither_passed_nor_perfect(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    assert session.percent == 0 and not session.passed and not session.perfect


def test_a_retry_of_one_question_still_sums_up_its_topic(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    retry = session.retry()
    take(retry, RIGHT)
    [topic] = retry.topics()
    assert (topic.lesson_id, topic.topic, topic.right, topic.asked) == (
        "quizpack-status",
        "Status codes",
        1,
        1,
    )
    assert (topic.points, topic.max_points, topic.percent) == (1.0, 1.0, 100.0)


def test_a_retry_keeps_the_quiz_title_and_module_and_is_practice(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(session, dict(RIGHT, **{"qp-retries-run": 4}))
    retry = session.retry()
    assert (retry.title, retry.module_id, retry.mode) == (session.title, "quizpack", "retry")
    # The scenario answer travels with it: the retried scenario question is graded, not refused.
    take(retry, RIGHT)
    assert retry.perfect
