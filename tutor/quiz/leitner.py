"""Leitner review: missed questions come back after 1, 2, 4, 7 and 15 days until they stick.

- A wrong answer (anything short of full marks) puts the question in box 1, due tomorrow,
  wherever it was and whether or not it was due.
- A right answer on a due card moves it up one box, due after that box's interval.
- A right answer on a card that is not due yet changes nothing: being asked again early (in a
  module quiz or a retry) must not rush a card through the boxes.
- A right answer on a due card in box 5 retires it: it leaves review.

Dates are UTC calendar dates, passed in (`today`) so tests can freeze the clock. The store keeps
no row deletion for cards, so a retired card is stored in `RETIRED_BOX` with a due date that never
comes; a later wrong answer brings it back to box 1 like any other question.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, TypeGuard

INTERVAL_DAYS = {1: 1, 2: 2, 3: 4, 4: 7, 5: 15}
FIRST_BOX = 1
LAST_BOX = 5
RETIRED_BOX = LAST_BOX + 1
NEVER = date.max


class Card(NamedTuple):
    box: int
    due: date


def utc_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()


# TypeGuards, so that a card found in review (or due) is known not to be None.
def is_in_review(card: tuple[int, date] | None) -> TypeGuard[tuple[int, date]]:
    return card is not None and card[0] <= LAST_BOX


def is_due(card: tuple[int, date] | None, today: date) -> TypeGuard[tuple[int, date]]:
    return is_in_review(card) and card[1] <= today


def next_card(card: tuple[int, date] | None, correct: bool, today: date) -> Card | None:
    """The card after this answer, or None when nothing changes (no card, or nothing to move)."""
    if not correct:
        return Card(FIRST_BOX, today + timedelta(days=INTERVAL_DAYS[FIRST_BOX]))
    if not is_due(card, today):
        return None
    box = card[0] + 1
    if box > LAST_BOX:
        return Card(RETIRED_BOX, NEVER)
    return Card(box, today + timedelta(days=INTERVAL_DAYS[box]))


def record_review_answer(store, profile: str, question_id: str, correct: bool, today: date) -> Card | None:
    """Apply one answer to the stored card; returns the new card, or None if it did not change."""
    card = next_card(store.review_card(profile, question_id), correct, today)
    if card is not None:
        store.set_review_card(profile, question_id, card.box, card.due)
    return card


def due_count(course, store, profile: str, today: date) -> int:
    """Questions of this course due for review on `today` (UTC): the course map's "Review (N due)"."""
    known = {question.id for question in course.questions}
    return sum(1 for question_id in store.due_reviews(profile, today) if question_id in known)
