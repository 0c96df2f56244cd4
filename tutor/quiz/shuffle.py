"""The order a question's choices are shown in: shuffled per attempt, the same within one.

Banks tend to list the right answer first; shown in bank order, a learner who always presses 1
scores well without reading. So single-choice, multiple-choice and matching questions show their
choices (for matching: the options) in an order drawn from the profile, the question and the
attempt. The same three give the same order in any process and on any Python version (a blake2b
digest, not the per-process salted `hash()`), so a resumed attempt shows what it showed before and
a test can pin the order.

Only the display moves: responses name choices by their id, which is the choice's text as written
in the bank (unique within the question), never by the position on screen. Grading and anything
stored therefore read the same whatever order was shown. True/false keeps True before False,
ordering questions keep their own shuffle (`tutor.quiz.session.presented_steps`), and a scenario's
numeric choices stay in the bank's order (ascending numbers read best).
"""

from __future__ import annotations

import hashlib

SHUFFLED_KINDS = frozenset({"single", "multiple", "matching"})


def choice_order(profile: str, question_id: str, attempt_id: str | int, n: int) -> list[int]:
    """Bank positions (0-based) of `n` choices, in the order this attempt shows them."""
    seed = f"{profile}\x1f{question_id}\x1f{attempt_id}"

    def rank(position: int) -> bytes:
        return hashlib.blake2b(f"{seed}\x1f{position}".encode(), digest_size=8).digest()

    return sorted(range(n), key=rank)


def attempt_key(mode: str, store, profile: str, module_id: str | None, today: str) -> str:
    """Which attempt a session is, when nobody said: a different key for each new attempt.

    A module quiz is "attempt N", N counting the module's finished attempts, so the next attempt
    shows a new order while a quiz left unfinished and started again shows the same one. A review
    is keyed by its (UTC) day, a retry by the attempt it retries.
    """
    finished = store.quiz_attempt_counts(profile).get(module_id, 0) if store is not None and module_id else 0
    if mode == "review":
        return f"review {today}"
    if mode == "retry":
        return f"retry of attempt {finished}"
    return f"attempt {finished + 1}"
