"""The one module that knows where files live (`lambda-tutor locate` prints these)."""

from __future__ import annotations

import os
import unicodedata
from importlib import resources
from pathlib import Path

from tutor.errors import UserError

HOME_ENV = "LAMBDA_TUTOR_HOME"
# A postgresql:// URL: the whole room's progress in one PostgreSQL database (`--database` sets it,
# and serve's per-browser sessions inherit it).
DATABASE_ENV = "LAMBDA_TUTOR_DATABASE"
DATABASE_NAME = "progress.sqlite3"
NAME_MAX_LENGTH = 40
NAME_PUNCTUATION = frozenset(" .-_'")
NAME_RULE = (
    f"1 to {NAME_MAX_LENGTH} letters (any alphabet), digits, spaces, '.', '-', '_' or an apostrophe, "
    "starting with a letter or digit"
)
# Phones and some keyboards type a typographic apostrophe; "O’Neil" and "O'Neil" are one learner.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})


def data_dir() -> Path:
    """Where progress lives: $LAMBDA_TUTOR_HOME, else the platform's user data directory."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("lambda-tutor", appauthor=False)


def database_path() -> Path:
    return data_dir() / DATABASE_NAME


def database_url() -> str | None:
    """The PostgreSQL database chosen for progress, or None for the SQLite file at database_path()."""
    return os.environ.get(DATABASE_ENV) or None


def builtin_content_dir() -> Path:
    """The built-in course: inside the installed wheel, or `lessons/` beside the package in a checkout."""
    packaged = resources.files("tutor") / "_lessons"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "lessons"


def normalise_name(name: str) -> str:
    """The form a name is kept in: Unicode NFC, trimmed, every run of white space one space."""
    return " ".join(unicodedata.normalize("NFC", name.translate(_APOSTROPHES)).split())


def name_key(name: str) -> str:
    """Who a name means: 'Dave', 'dave' and ' DAVE ' are one learner, and so are 'José', 'Jose'
    and 'JOSE', since a learner whose keyboard has no é must still be able to log in.

    Case-folded, then decomposed (NFKD) with the accents on Latin letters dropped. Only there: in
    other scripts a mark can make another letter (Cyrillic й is not и, so 'Андрей' and 'Андреи'
    stay two names), and the vowel signs of scripts such as Devanagari are letters of the name."""
    decomposed = unicodedata.normalize("NFKD", normalise_name(name).casefold())
    kept: list[str] = []
    on_latin = False
    for character in decomposed:
        if not unicodedata.combining(character):
            on_latin = unicodedata.name(character, "").startswith("LATIN")
        elif on_latin:
            continue
        kept.append(character)
    return unicodedata.normalize("NFC", "".join(kept))


def check_profile_name(name: str) -> str:
    """Profiles become keys in the store and labels on screen, so keep them short and plain.

    Returns the normalised form (`normalise_name`), which is what the store keeps."""
    shown = normalise_name(name)
    if not shown or len(shown) > NAME_MAX_LENGTH or not all(map(_allowed, shown)) or not shown[0].isalnum():
        raise UserError(f"profile name {name!r} is not allowed: use {NAME_RULE}")
    return shown


def _allowed(character: str) -> bool:
    # Letters of any script, with their combining accents (marks), and digits; never controls,
    # symbols or emoji, which look alike or vanish on some terminals.
    category = unicodedata.category(character)
    return character in NAME_PUNCTUATION or category[0] in "LM" or category == "Nd"
