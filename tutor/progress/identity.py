"""Who is who in a browser session: logging in with a name and a PIN, and joining the first time.

A wrong PIN and a name nobody has used are refused with the same words (`REFUSED`) and after the
same work, so the prompt cannot be used to find out who is in the room. Choosing a name that is
already someone's is necessarily told apart: that is how a new learner learns to pick another.
"""

from __future__ import annotations

from tutor.errors import UserError
from tutor.locations import check_profile_name
from tutor.progress.credentials import (
    check_pin,
    hash_secret,
    normalise_join_code,
    secret_matches,
)
from tutor.progress.store import Learner, ProgressStore

REFUSED = "That name and PIN do not match. First time here? Escape, then choose the new PIN."
TAKEN = (
    "That name already has a PIN. If it is yours, go back (escape) and choose 'I have a PIN'; "
    "if not, make yours different, e.g. add your surname's initial."
)
WRONG_CODE = "That is not the join code for this name: type it as it is on your slip."


class LoginRefused(UserError):
    """The name, PIN or join code given does not let this learner in; the message says what to do."""


def check_name(store: ProgressStore, name: str, *, roster: bool) -> str:
    """The name as it will be shown; with a roster, only names on it are taken."""
    shown = check_profile_name(name)
    if roster:
        learner = store.learner(shown)
        if learner is None or not learner.on_roster:
            raise LoginRefused(
                f"{shown!r} is not on this workshop's list: type your name as your instructor wrote it"
            )
    return shown


def log_in(store: ProgressStore, name: str, pin: str) -> Learner:
    """A returning learner: their PIN must match. Raises LoginRefused(REFUSED) otherwise."""
    learner = store.learner(name)
    if not secret_matches(pin, learner.pin_hash if learner is not None else None) or learner is None:
        raise LoginRefused(REFUSED)
    return learner


def join(store: ProgressStore, name: str, pin: str, *, roster: bool, join_code: str = "") -> Learner:
    """A first login, or the first after a PIN reset: the learner's new PIN is kept (as a hash).

    With a roster the join code from the instructor's slip is needed as well."""
    check_pin(pin)
    if roster:
        learner = store.learner(name)
        code_hash = learner.join_code_hash if learner is not None else None
        if not secret_matches(normalise_join_code(join_code), code_hash):
            raise LoginRefused(WRONG_CODE)
    joined = store.claim_name(name, hash_secret(pin))
    if joined is None:
        raise LoginRefused(TAKEN)
    return joined
