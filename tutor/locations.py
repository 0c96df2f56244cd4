"""The one module that knows where files live (`lambda-tutor locate` prints these)."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from tutor.errors import UserError

HOME_ENV = "LAMBDA_TUTOR_HOME"
# A postgresql:// URL: the whole room's progress in one PostgreSQL database (`--database` sets it,
# and serve's per-browser sessions inherit it).
DATABASE_ENV = "LAMBDA_TUTOR_DATABASE"
DATABASE_NAME = "progress.sqlite3"
PROFILE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


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


def check_profile_name(name: str) -> str:
    """Profiles become keys in the store and labels on screen, so keep them short and plain."""
    if not PROFILE_PATTERN.match(name):
        raise UserError(
            f"profile name {name!r} is not allowed: use 1 to 32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name
