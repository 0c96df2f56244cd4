import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from textual.app import App
from textual.pilot import Pilot


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test ever touches the learner's real progress: the store lives in a temp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(home))
    return home


def pytest_collection_modifyitems(items):
    """Start the random-key walks first: they are the longest single tests (the app-wide one about
    45 s), so they run on one core from the start while the other works through the short ones."""
    items.sort(key=lambda item: "random_keys" not in item.name)


def screen_text(app: App) -> str:
    """What the learner sees, as plain text: one line per terminal row, the footer last."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return "\n".join("".join(strip.text for strip in row) for row in update.strips)


# Long enough for a slow, shared CI core; a wait that holds returns at the first frame it holds.
WAIT_TIMEOUT_S = 10.0


async def wait_until(
    pilot: Pilot,
    condition: Callable[[], object],
    what: str,
    timeout: float = WAIT_TIMEOUT_S,
    busy: bool = False,
) -> None:
    """Let the app run, a frame at a time, until `condition()` holds; fail naming `what` was awaited
    and what the screen showed instead. A fixed sleep is either too short on a busy machine or
    wasted on an idle one; this waits exactly as long as the app needs.

    `pilot.pause()` returns once the process goes idle, or after a second. While a worker thread
    computes, it never does, and a passing state (a progress bar shown mid-run) could come and go
    unseen: `busy` looks again after every round of messages instead."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"waited {timeout:g} s for {what}; the screen showed:\n{screen_text(pilot.app)}",
                pytrace=False,
            )
        await pilot.pause(0 if busy else None)


async def wait_for_text(
    pilot: Pilot, text: str, row: int | None = None, timeout: float = WAIT_TIMEOUT_S
) -> None:
    """Wait until the screen shows `text`, anywhere or on one `row` (-1 is the footer)."""

    def shown() -> bool:
        if row is None:
            return text in screen_text(pilot.app)
        rows = screen_text(pilot.app).splitlines()
        return -len(rows) <= row < len(rows) and text in rows[row]

    where = "the screen" if row is None else "the footer" if row == -1 else f"row {row}"
    await wait_until(pilot, shown, f"{text!r} on {where}", timeout)


async def let_player_ticks_pass(pilot: Pilot, ticks: int = 3) -> None:
    """Let the simulation's timer fire `ticks` times. The one wait kept on the wall clock: proving
    that a paused run stands still needs time in which a playing one would have moved."""
    from tutor.ui.widgets.sim_pane import TICKS_PER_SECOND

    await pilot.pause(ticks / TICKS_PER_SECOND)


def card_due(day, held_days: int = 1):
    """A review card due on `day`, held `held_days` since its last review (an FSRS card in Review)."""
    from datetime import timedelta

    from tutor.progress.store import ReviewCard

    held = timedelta(days=held_days)
    return ReviewCard(due=day, stability=float(held_days), difficulty=6.4133, last_review=day - held)


async def open_lesson(app, pilot, lesson_id: str) -> None:
    """Open a lesson as if its prediction had been skipped: for tests about the pane itself (the
    prediction has its own, tests/test_ui_prediction.py)."""
    from tutor.quiz.scenario_answers import prediction_answer

    await pilot.pause()
    lesson = app.course.lessons[lesson_id]
    if lesson.prediction is not None:
        actual = prediction_answer(lesson, app.course)
        app.store.record_prediction(app.profile, lesson_id, None, actual, None)
    await app.open_screen("lesson", lesson_id=lesson_id)
    await pilot.pause()


# -- the progress store on both databases ---------------------------------------------------------

POSTGRES_BIN = "/usr/lib/postgresql/15/bin"
REQUIRE_POSTGRES_ENV = "LAMBDA_TUTOR_REQUIRE_POSTGRES"
# The server sorts text by English rules, as most installed servers do ("ann" before "Zed"); the
# store must still order ids and names byte by byte, as SQLite does.
LINGUISTIC_ORDER = ["--locale", "C.UTF-8", "--locale-provider", "icu", "--icu-locale", "en-US"]


class PostgresServer:
    """A throwaway PostgreSQL 15 server: its own data directory, a unix socket in it and a free TCP
    port on 127.0.0.1; every test gets a fresh database of it."""

    def __init__(self, base: Path, port: int, as_postgres: list[str]):
        self.base = base
        self.port = port
        self._as_postgres = as_postgres
        self._count = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://lt@127.0.0.1:{self.port}/{database}"

    def admin(self):
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)

    def new_database(self) -> str:
        self._count += 1
        name = f"test_{self._count}"
        with self.admin() as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        with self.admin() as admin:
            admin.execute(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def pg_ctl(self, *args: str) -> None:
        _run_or_fail([*self._as_postgres, f"{POSTGRES_BIN}/pg_ctl", "-D", str(self.base / "data"), *args])


def _run_or_fail(command: list[str]) -> None:
    """Run a PostgreSQL tool; if it fails, the test says what it printed, not only its exit status."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed: {done.stdout}{done.stderr}", pytrace=False)


def _postgres_missing() -> str | None:
    if not Path(POSTGRES_BIN, "initdb").exists():
        return (
            f"PostgreSQL 15 is not installed ({POSTGRES_BIN}/initdb is missing; apt-get install postgresql)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    missing = _postgres_missing()
    if missing:
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{missing}, and {REQUIRE_POSTGRES_ENV}=1 requires it", pytrace=False)
        pytest.skip(missing)
    # PostgreSQL refuses to run as root: then the server is the postgres user's, in a directory it owns.
    base = Path(tempfile.mkdtemp(prefix="lambda-tutor-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(base, _free_port(), as_postgres)
    initdb = [f"{POSTGRES_BIN}/initdb", "-D", str(base / "data"), "-U", "lt", "-A", "trust", "--no-sync"]
    _run_or_fail([*as_postgres, *initdb, "--encoding", "UTF8", *LINGUISTIC_ORDER])
    # Durability settings off: a test server's data dies with the test run anyway.
    options = (
        f"-p {server.port} -k {base} -c listen_addresses=127.0.0.1 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    server.pg_ctl("-o", options, "-l", str(base / "server.log"), "-w", "start")
    try:
        yield server
    finally:
        server.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


class Backend(NamedTuple):
    name: str  # "sqlite" or "postgres"
    location: str  # the SQLite file or the database URL, as open_store() takes it


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, isolated_home, monkeypatch):
    """Run the test on SQLite and on PostgreSQL: a plain `open_store()` opens the chosen one."""
    if request.param == "sqlite":
        from tutor.locations import database_path

        yield Backend("sqlite", str(database_path()))
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    monkeypatch.setenv("LAMBDA_TUTOR_DATABASE", url)
    yield Backend("postgres", url)
    server.drop_database(url)


@pytest.fixture
def store(backend):
    from tutor.progress.store import open_store

    with open_store() as opened:
        yield opened


class LabOnlyApp(App[None]):
    """The lab screen alone, styled as the course app styles it (its stylesheet and the theme's
    colours made legible), without the course map or a progress store."""

    CSS_PATH = Path(__file__).resolve().parents[1] / "tutor" / "ui" / "tutor.tcss"

    def get_css_variables(self) -> dict[str, str]:
        from tutor.ui.contrast import legible_variables

        return legible_variables(super().get_css_variables())

    def on_mount(self) -> None:
        from tutor.ui.screens.lab import LabScreen

        self.push_screen(LabScreen())
