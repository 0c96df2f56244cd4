"""Leitner review with a frozen clock: boxes due after 1, 2, 4, 7 and 15 days."""

import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tutor.progress.store import open_store
from tutor.quiz.leitner import RETIRED_BOX, Card, due_count, next_card, record_review_answer

DAY = date(2026, 3, 1)


def days(n: int) -> date:
    return DAY + timedelta(days=n)


def test_a_wrong_answer_puts_a_new_question_in_box_1_due_tomorrow():
    assert next_card(None, correct=False, today=DAY) == Card(1, days(1))


def test_a_right_answer_on_a_question_not_in_review_changes_nothing():
    assert next_card(None, correct=True, today=DAY) is None


@pytest.mark.parametrize("box, new_box, interval", [(1, 2, 2), (2, 3, 4), (3, 4, 7), (4, 5, 15)])
def test_a_right_answer_on_a_due_card_moves_it_up_a_box(box, new_box, interval):
    assert next_card(Card(box, DAY), correct=True, today=DAY) == Card(new_box, days(interval))


def test_a_card_answered_late_is_scheduled_from_the_day_it_was_answered():
    assert next_card(Card(2, days(-10)), correct=True, today=DAY) == Card(3, days(4))


def test_a_right_answer_before_the_card_is_due_does_not_rush_it():
    assert next_card(Card(1, days(1)), correct=True, today=DAY) is None


@pytest.mark.parametrize("box", [1, 2, 3, 4, 5])
def test_a_wrong_answer_sends_any_card_back_to_box_1(box):
    assert next_card(Card(box, days(3)), correct=False, today=DAY) == Card(1, days(1))


def test_past_box_5_a_card_leaves_review_and_a_later_miss_brings_it_back():
    retired = next_card(Card(5, DAY), correct=True, today=DAY)
    assert retired.box == RETIRED_BOX
    assert next_card(retired, correct=True, today=date(9000, 1, 1)) is None, "never due again"
    assert next_card(retired, correct=False, today=DAY) == Card(1, days(1))


def test_a_missed_question_comes_back_on_schedule_until_it_leaves_review():
    """The whole life of one card in the real store, answered right every time it is due."""
    store = open_store()
    record_review_answer(store, "ann", "q1", correct=False, today=DAY)
    due_days = []
    today = DAY
    while True:
        today += timedelta(days=1)
        if store.due_reviews("ann", today) == ["q1"]:
            due_days.append((today - DAY).days)
            record_review_answer(store, "ann", "q1", correct=True, today=today)
        if store.review_card("ann", "q1").box == RETIRED_BOX or today > days(100):
            break
    # Due 1 day after the miss, then 2, 4, 7 and 15 days after each right answer.
    assert due_days == [1, 3, 7, 14, 29]
    assert store.due_reviews("ann", date(9999, 1, 1)) == []
    store.close()


def test_a_miss_in_the_middle_starts_again_from_box_1():
    store = open_store()
    record_review_answer(store, "ann", "q1", correct=False, today=DAY)
    record_review_answer(store, "ann", "q1", correct=True, today=days(1))
    assert store.review_card("ann", "q1") == (2, days(3))
    record_review_answer(store, "ann", "q1", correct=False, today=days(3))
    assert store.review_card("ann", "q1") == (1, days(4))
    assert store.due_reviews("ann", days(3)) == []
    assert store.due_reviews("ann", days(4)) == ["q1"]
    store.close()


def test_the_due_count_counts_only_questions_still_in_the_course():
    from tutor.content.loader import load_course

    course, _ = load_course([str(Path(__file__).parent / "data" / "quizpack")])
    with open_store() as store:
        store.set_review_card("ann", "qp-sync-status", 1, days(0))
        store.set_review_card("ann", "qp-async-202", 2, days(-3))
        store.set_review_card("ann", "qp-retry-count", 1, days(1))  # due tomorrow
        store.set_review_card("ann", "a-question-that-was-removed", 1, days(0))
        store.set_review_card("bob", "qp-status-match", 1, days(0))
        assert due_count(course, store, "ann", DAY) == 2
        assert due_count(course, store, "ann", days(1)) == 3


def test_today_is_the_utc_date_whatever_the_machine_zone(monkeypatch):
    from datetime import UTC, datetime

    from tutor.quiz.leitner import utc_today

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        # 20:00 UTC is already the next morning in Auckland: a card due tomorrow is not due yet.
        assert utc_today(datetime(2026, 3, 1, 20, 0, tzinfo=UTC)) == DAY
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
