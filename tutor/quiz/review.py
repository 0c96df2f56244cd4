"""Review scheduling with FSRS (the scheduler Anki uses), through the `fsrs` package.

FSRS models each card's memory: its stability (days until the chance of recalling it falls to
90 %) and its difficulty, both learned from the learner's own answers, and schedules the next
review for when recall is due to fall to 90 %. Fixed boxes cannot tell a question the learner
keeps half-knowing from one they learned once.

- A wrong answer (anything short of full marks) is rated Again: the question enters review (a new
  card) or lapses, whether or not it was due.
- A right answer on a due card is rated Good: FSRS moves its due date on.
- A right answer on a card that is not due yet changes nothing: being asked again early (in a
  module quiz or a retry) must not rush a card through its schedule.
- A right answer on a question with no card changes nothing: only misses enter review.

The app asks at most once a day, so cards are kept in whole UTC days: every review happens at
midnight UTC of `today` (passed in, so tests can freeze the clock), without FSRS's same-day
learning steps or its random fuzz, so a schedule is the same on every machine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from typing import TYPE_CHECKING, TypeGuard

from tutor.progress.store import ReviewCard

if TYPE_CHECKING:
    import fsrs


def utc_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def is_due(card: ReviewCard | None, today: date) -> TypeGuard[ReviewCard]:
    return card is not None and card.due <= today


@cache
def scheduler() -> fsrs.Scheduler:
    # Imported here: only answering a question needs it, and the map's due count does not.
    from fsrs import Scheduler

    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def next_card(card: ReviewCard | None, correct: bool, today: date) -> ReviewCard | None:
    """The card after this answer, or None when nothing changes (no card, or not due)."""
    from fsrs import Card, Rating, State

    if correct and not is_due(card, today):
        return None
    if card is None:
        # card_id is only a label here; the default one sleeps a millisecond to stay unique.
        current = Card(card_id=0)
    else:
        current = Card(
            card_id=0,
            state=State.Review,
            stability=card.stability,
            difficulty=card.difficulty,
            due=_midnight(card.due),
            last_review=_midnight(card.last_review),
        )
    rating = Rating.Good if correct else Rating.Again
    reviewed, _log = scheduler().review_card(current, rating, _midnight(today))
    assert reviewed.stability is not None and reviewed.difficulty is not None, "a reviewed card has both"
    return ReviewCard(
        due=reviewed.due.astimezone(UTC).date(),
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        last_review=today,
    )


def record_review_answer(
    store, profile: str, question_id: str, correct: bool, today: date
) -> ReviewCard | None:
    """Apply one answer to the stored card; returns the new card, or None if it did not change."""
    card = next_card(store.review_card(profile, question_id), correct, today)
    if card is not None:
        store.set_review_card(profile, question_id, card)
    return card


def due_count(course, store, profile: str, today: date) -> int:
    """Questions of this course due for review on `today` (UTC): the course map's "Review (N due)"."""
    known = {question.id for question in course.questions}
    return sum(1 for question_id in store.due_reviews(profile, today) if question_id in known)
