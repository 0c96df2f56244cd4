"""FSRS review with a frozen clock: a miss is Again, a right answer on a due day is Good."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from conftest import card_due
from fsrs import Card, Rating, Scheduler

from tutor.progress.store import open_store
from tutor.quiz.review import due_count, next_card, record_review_answer

DAY = date(2026, 3, 1)


def days(n: int) -> date:
    return DAY + timedelta(days=n)


def fsrs_due_days(ratings: list[Rating]) -> list[int]:
    """Days after DAY on which fsrs itself schedules a card answered with `ratings`, each on its due day."""
    scheduler = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = Card(card_id=1)
    moment = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    due = []
    for rating in ratings:
        card, _ = scheduler.review_card(card, rating, moment)
        moment = card.due
        due.append((card.due.date() - DAY).days)
    return due


def test_a_wrong_answer_puts_a_new_question_in_review_due_tomorrow():
    card = next_card(None, correct=False, today=DAY)
    assert card is not None and card.due == days(1) and card.last_review == DAY


def test_a_right_answer_on_a_question_not_in_review_changes_nothing():
    assert next_card(None, correct=True, today=DAY) is None


def test_a_right_answer_before_the_card_is_due_does_not_rush_it():
    assert next_card(card_due(days(1)), correct=True, today=DAY) is None


def test_good_and_again_follow_fsrs_day_by_day():
    """The whole life of one card in the real store, answered on every due day."""
    answers = [False, True, True, True, False, True, True]
    store = open_store()
    today = DAY
    due_days = []
    for correct in answers:
        record_review_answer(store, "ann", "q1", correct=correct, today=today)
        card = store.review_card("ann", "q1")
        due_days.append((card.due - DAY).days)
        assert store.due_reviews("ann", card.due - timedelta(days=1)) == [], "not due before its day"
        assert store.due_reviews("ann", card.due) == ["q1"]
        today = card.due
    store.close()
    assert due_days == fsrs_due_days([Rating.Good if correct else Rating.Again for correct in answers])
    gaps = [later - earlier for earlier, later in zip([0, *due_days], due_days, strict=False)]
    assert gaps[:4] == sorted(gaps[:4]) and gaps[3] > gaps[0], "each right answer on time waits longer"
    assert gaps[4] < gaps[3], "a miss brings the question back sooner"


def test_a_miss_on_a_card_not_yet_due_still_lapses_it():
    far = card_due(days(30), held_days=30)
    card = next_card(far, correct=False, today=DAY)
    assert card is not None and card.due < days(30)
    assert card.difficulty > far.difficulty, "a miss makes the question harder"


def test_a_card_answered_late_is_scheduled_from_the_day_it_was_answered():
    card = next_card(card_due(days(-10), held_days=2), correct=True, today=DAY)
    assert card is not None and card.last_review == DAY and card.due > DAY


def test_the_due_count_counts_only_questions_still_in_the_course():
    from tutor.content.loader import load_course

    course, _ = load_course([str(Path(__file__).parent / "data" / "quizpack")])
    with open_store() as store:
        store.set_review_card("ann", "qp-sync-status", card_due(days(0)))
        store.set_review_card("ann", "qp-async-202", card_due(days(-3)))
        store.set_review_card("ann", "qp-retry-count", card_due(days(1)))  # due tomorrow
        store.set_review_card("ann", "a-question-that-was-removed", card_due(days(0)))
        store.set_review_card("bob", "qp-status-match", card_due(days(0)))
        assert due_count(course, store, "ann", DAY) == 2
        assert due_count(course, store, "ann", days(1)) == 3


def test_today_is_the_utc_date_whatever_the_machine_zone(monkeypatch):
    import time

    from tutor.quiz.review import utc_today

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        # 20:00 UTC is already the next morning in Auckland: a card due tomorrow is not due yet.
        assert utc_today(datetime(2026, 3, 1, 20, 0, tzinfo=UTC)) == DAY
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
