"""The store under stress: two writers, damaged files, schema upgrades, failed writes."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from tutor.locations import database_path
from tutor.progress.schema import MIGRATIONS, Migration
from tutor.progress.store import ProgressError, QuestionResult, ReviewCard, open_store

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from tutor.progress.store import QuestionResult, open_store

    path, name = sys.argv[1], sys.argv[2]
    store = open_store(path)
    print("ready", flush=True)
    for line in sys.stdin:  # one line a round, from the test: write this round's lesson and attempt
        i = int(line)
        store.mark_read("shared", f"{name}-lesson-{i}")
        store.record_quiz_attempt(name, "sync", [QuestionResult(f"q{i}", 1, 1, True)], datetime.now(UTC))
        print(f"wrote {i}", flush=True)
    store.close()
    """
)
NAMES = ("ann", "bob")


def _raw_connection(backend):
    """A connection of another program to the backend's database, outside the store."""
    if backend.name == "sqlite":
        return contextlib.closing(sqlite3.connect(backend.location, isolation_level=None))
    import psycopg

    return psycopg.connect(backend.location, autocommit=True)


@contextlib.contextmanager
def _write_lock_held(backend):
    """Another program holds the database's write lock until the block ends."""
    with _raw_connection(backend) as blocker:
        if backend.name == "sqlite":
            blocker.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                blocker.execute("ROLLBACK")
        else:
            from tutor.progress.postgres import WRITE_LOCK_KEY

            blocker.execute(f"SELECT pg_advisory_lock({WRITE_LOCK_KEY})")
            yield


# What each database says when a write waited its busy timeout for the write lock.
LOCKED = {"sqlite": "database is locked", "postgres": "canceling statement due to lock timeout"}


def test_two_processes_writing_at_once_lose_nothing(backend):
    """The test starts each round in both writers at once and waits for both to finish it, so their
    writes contend within a round and interleave round by round, whatever the machine's speed."""
    path = backend.location
    rounds = 40
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, path, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in NAMES
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
    with open_store(path) as reader:
        for i in range(rounds):
            for writer in writers:
                writer.stdin.write(f"{i}\n")
                writer.stdin.flush()
            for writer in writers:
                assert writer.stdout.readline().strip() == f"wrote {i}", writer.stderr.read()
            # Mid-run, both writers' work so far is there: neither waited for the other to finish.
            assert reader.read_lessons("shared") == {
                f"{name}-lesson-{done}" for name in NAMES for done in range(i + 1)
            }
    for writer in writers:
        _, errors = writer.communicate(timeout=60)  # closes its input: the writer's last round is over
        assert writer.returncode == 0, errors

    with open_store(path) as store:
        expected = {f"{name}-lesson-{i}" for name in NAMES for i in range(rounds)}
        assert store.read_lessons("shared") == expected
        for name in NAMES:
            attempts = store.quiz_attempts(name)
            assert [attempt.results[0].question_id for attempt in attempts] == [
                f"q{i}" for i in range(rounds)
            ], f"{name}'s attempts, each once and in order"


def test_threads_sharing_one_store_lose_nothing(backend):
    with open_store() as store:

        def write(name: str) -> None:
            for i in range(15):
                store.mark_read(name, f"lesson-{i}")

        threads = [threading.Thread(target=write, args=(f"p{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(len(store.read_lessons(f"p{n}")) == 15 for n in range(4))


# -- damaged files ------------------------------------------------------------------------------


def _store_with_progress(path):
    with open_store(path) as store:
        for _ in range(3):
            store.record_quiz_attempt("ann", "sync", [QuestionResult("q1", 1, 1, True)], T0)
        for i in range(40):
            store.mark_read("ann", f"lesson-{i:03d}")


def _assert_moved_aside(store, path, original: bytes):
    aside = sorted(path.parent.glob("progress.sqlite3.damaged-*"))
    assert [p.name for p in aside if not p.name.endswith(("-wal", "-shm"))] == [
        "progress.sqlite3.damaged-20250301T093000Z"
    ]
    assert aside[0].read_bytes() == original, "the damaged file must be kept exactly as it was"
    assert store.notice is not None and "\n" not in store.notice
    assert str(aside[0]) in store.notice
    # The fresh store works and is empty.
    assert store.read_lessons("ann") == set()
    store.mark_read("ann", "l1")
    assert store.read_lessons("ann") == {"l1"}


def test_a_file_that_is_not_sqlite_is_moved_aside_with_a_notice():
    path = database_path()
    original = b"these are my notes, not a database\n" * 50
    path.write_bytes(original)
    with open_store(clock=lambda: T0) as store:
        _assert_moved_aside(store, path, original)
        assert "not a database" in store.notice
    with open_store() as store:
        assert store.notice is None
        assert store.read_lessons("ann") == {"l1"}


def test_a_truncated_database_is_moved_aside():
    path = database_path()
    _store_with_progress(path)
    original = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(original)
    with open_store(clock=lambda: T0) as store:
        _assert_moved_aside(store, path, original)


def test_a_database_failing_its_integrity_check_is_moved_aside():
    path = database_path()
    _store_with_progress(path)
    damaged = bytearray(path.read_bytes())
    # The header claims five free pages that the file does not have: every page still reads,
    # only the integrity check notices.
    damaged[36:40] = (5).to_bytes(4, "big")
    path.write_bytes(bytes(damaged))

    with open_store(clock=lambda: T0) as store:
        _assert_moved_aside(store, path, bytes(damaged))
        assert "integrity check failed: Main freelist" in store.notice


def test_damage_twice_in_the_same_second_keeps_both_copies():
    path = database_path()
    for text in (b"first damaged file", b"second damaged file"):
        path.write_bytes(text * 100)
        with open_store(clock=lambda: T0) as store:
            assert store.notice
    names = sorted(p.name for p in path.parent.glob("progress.sqlite3.damaged-*"))
    assert names == [
        "progress.sqlite3.damaged-20250301T093000Z",
        "progress.sqlite3.damaged-20250301T093000Z-2",
    ]
    assert (path.parent / names[1]).read_bytes() == b"second damaged file" * 100


def test_an_empty_file_is_simply_a_new_store():
    database_path().write_bytes(b"")
    with open_store() as store:
        assert store.notice is None
        store.mark_read("ann", "l1")
    assert list(database_path().parent.glob("*.damaged-*")) == []


# -- schema versions ----------------------------------------------------------------------------

CURRENT = MIGRATIONS[-1].version
NEXT = CURRENT + 1
ADD_NOTES = Migration(NEXT, "notes per lesson", ("ALTER TABLE lesson_read ADD COLUMN note TEXT",))


def test_an_older_schema_is_upgraded_and_keeps_its_rows(backend):
    path = backend.location
    with open_store(path) as store:
        store.mark_read("ann", "l1")
        assert store.schema_version() == CURRENT

    with open_store(path, migrations=(*MIGRATIONS, ADD_NOTES)) as store:
        assert store.schema_version() == NEXT
        assert store.read_lessons("ann") == {"l1"}
        store.mark_read("ann", "l2")
    with _raw_connection(backend) as connection:
        notes = connection.execute("SELECT lesson_id, note FROM lesson_read ORDER BY lesson_id").fetchall()
        versions = connection.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert notes == [("l1", None), ("l2", None)]
    assert versions == [(version,) for version in range(1, NEXT + 1)]


def test_a_database_without_a_schema_table_gets_the_whole_schema(backend):
    path = backend.location
    with _raw_connection(backend) as connection:
        connection.execute("CREATE TABLE leftover (x TEXT)")  # a valid database at "version 0"
    with open_store(path) as store:
        assert store.notice is None
        assert store.schema_version() == MIGRATIONS[-1].version
        store.mark_read("ann", "l1")
        assert store.read_lessons("ann") == {"l1"}


NO_SUCH_TABLE = {
    "sqlite": "no such table: no_such_table",
    "postgres": 'relation "no_such_table" does not exist',
}


def test_a_failing_migration_changes_nothing(backend):
    path = backend.location
    with open_store(path) as store:
        store.mark_read("ann", "l1")
    broken = Migration(
        NEXT, "half done", ("CREATE TABLE half_done (x TEXT)", "ALTER TABLE no_such_table ADD COLUMN y TEXT")
    )

    with pytest.raises(ProgressError, match=f"schema version {NEXT}: {NO_SUCH_TABLE[backend.name]}"):
        open_store(path, migrations=(*MIGRATIONS, broken))

    with open_store(path) as store:
        assert store.schema_version() == CURRENT
        assert store.read_lessons("ann") == {"l1"}
        assert not store.dialect.table_exists(store._connection, "half_done")


def test_a_store_from_a_newer_version_is_refused_and_left_alone(backend):
    path = backend.location
    with open_store(path, migrations=(*MIGRATIONS, ADD_NOTES)) as store:
        store.mark_read("ann", "l1")
    with pytest.raises(ProgressError, match=rf"newer lambda-tutor .*schema version {NEXT}.*upgrade"):
        open_store(path)
    assert list(database_path().parent.glob("*.damaged-*")) == []
    with open_store(path, migrations=(*MIGRATIONS, ADD_NOTES)) as store:
        assert store.read_lessons("ann") == {"l1"}


# -- failed writes ------------------------------------------------------------------------------


def test_a_write_blocked_by_another_program_raises_a_one_line_error(backend):
    with open_store(busy_timeout_s=0.1) as store:
        with _write_lock_held(backend), pytest.raises(ProgressError) as caught:
            store.mark_read("ann", "l1")
        message = str(caught.value)
        assert "could not save progress (lesson read)" in message and LOCKED[backend.name] in message
        assert backend.location in message and "\n" not in message
        store.mark_read("ann", "l1")  # once the other program lets go, writing works again
        assert store.read_lessons("ann") == {"l1"}


def test_a_full_disk_raises_and_keeps_what_was_saved():
    with open_store() as store:
        store.mark_read("ann", "saved-before")
        # Simulate a full disk: SQLite may not grow the file beyond its current pages.
        (pages,) = store._connection.execute("PRAGMA page_count").fetchone()
        store._connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(ProgressError, match=r"could not save progress .*full"):
            for i in range(500):
                store.record_exercise_attempt("ann", "ex", False, {"padding": "x" * 500, "i": i}, T0)
        assert "saved-before" in store.read_lessons("ann")


def test_a_data_directory_that_cannot_be_created_raises(isolated_home, monkeypatch):
    blocker = isolated_home / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(blocker / "lambda-tutor"))
    with pytest.raises(ProgressError, match="cannot create the progress directory"):
        open_store()


def test_times_recorded_later_sort_later_as_text(backend):
    # The schema relies on text order being time order for "last activity".
    with open_store() as store:
        store.record_exercise_attempt("ann", "ex", False, {}, T0 + timedelta(microseconds=1))
        store.record_exercise_attempt("ann", "ex", False, {}, T0 + timedelta(seconds=10))
        assert store.last_activity("ann") == T0 + timedelta(seconds=10)


# -- what a learner reads when the store is damaged or cannot be opened --------------------------


def test_the_notice_names_the_damage_the_copy_and_the_fresh_start():
    path = database_path()
    path.write_bytes(b"these are my notes, not a database\n" * 50)
    with open_store(clock=lambda: T0) as store:
        assert store.notice == (
            "The progress store was damaged (file is not a database); it was moved to "
            f"{path.parent / 'progress.sqlite3.damaged-20250301T093000Z'} and a fresh one was started."
        )


def test_the_journal_files_move_aside_with_the_damaged_database():
    """The write-ahead log holds the latest saves: it must stay with the copy, not meet the fresh store."""
    path = database_path()
    path.write_bytes(b"not a database" * 100)
    # An empty journal is not "hot" (SQLite ignores it), so the damage check can still read the file.
    companions = {"-wal": b"latest saves", "-shm": b"shared memory", "-journal": b""}
    for suffix, content in companions.items():
        path.with_name(path.name + suffix).write_bytes(content)
    with open_store(clock=lambda: T0) as store:
        store.mark_read("ann", "l1")
    aside = path.with_name("progress.sqlite3.damaged-20250301T093000Z")
    for suffix, content in companions.items():
        moved = aside.with_name(aside.name + suffix).read_bytes()
        # The shared-memory index is rebuilt by whoever reads the log; only its presence matters.
        assert moved == content or suffix == "-shm"
    assert not path.with_name(path.name + "-journal").exists()


def test_damage_four_times_in_one_second_numbers_the_copies_in_order():
    path = database_path()
    for n in range(4):
        path.write_bytes(f"damaged file {n}".encode() * 100)
        with open_store(clock=lambda: T0) as store:
            assert store.notice
    stamp = "progress.sqlite3.damaged-20250301T093000Z"
    for name, n in ((stamp, 0), (f"{stamp}-2", 1), (f"{stamp}-3", 2), (f"{stamp}-4", 3)):
        assert (path.parent / name).read_bytes() == f"damaged file {n}".encode() * 100


def test_the_copy_is_stamped_in_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        path = database_path()
        path.write_bytes(b"not a database" * 100)
        with open_store(clock=lambda: T0) as store:
            assert "progress.sqlite3.damaged-20250301T093000Z " in store.notice
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def _fault_line(length: int) -> str:
    """A store whose integrity check reports "NULL value in <table>.x", `length` characters long."""
    table = "t" * (length - len("NULL value in .x"))
    connection = sqlite3.connect(database_path())
    connection.execute(f"CREATE TABLE {table} (x)")
    connection.execute(f"INSERT INTO {table} VALUES (NULL)")
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute(
        "UPDATE sqlite_master SET sql = ? WHERE name = ?", (f"CREATE TABLE {table} (x NOT NULL)", table)
    )
    connection.commit()
    connection.close()
    return f"NULL value in {table}.x"


@pytest.mark.parametrize("length", [119, 120])
def test_a_fault_of_up_to_120_characters_is_quoted_whole(length):
    fault = _fault_line(length)
    with open_store(clock=lambda: T0) as store:
        assert f"(integrity check failed: {fault});" in store.notice


@pytest.mark.parametrize("length", [121, 300])
def test_a_longer_fault_is_cut_to_120_characters(length):
    fault = _fault_line(length)
    with open_store(clock=lambda: T0) as store:
        assert f"(integrity check failed: {fault[:117]}...);" in store.notice


def test_a_healthy_store_locked_by_another_program_is_not_taken_for_damage():
    path = database_path()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("CREATE TABLE notes (x)")  # a rollback-journal file: a writer shuts readers out
    blocker.execute("BEGIN EXCLUSIVE")
    blocker.execute("INSERT INTO notes VALUES (1)")
    try:
        with pytest.raises(ProgressError) as caught:
            open_store(busy_timeout_s=0.1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert str(caught.value) == f"cannot check the progress store {path}: database is locked"
    assert list(path.parent.glob("*.damaged-*")) == []


def test_a_store_that_cannot_be_read_says_why(tmp_path):
    path = tmp_path / "progress.sqlite3"
    path.symlink_to(path)  # a loop: every read of it fails
    with pytest.raises(ProgressError) as caught:
        open_store(path)
    assert str(caught.value) == f"cannot read the progress store {path}: Too many levels of symbolic links"


def test_a_data_directory_blocked_by_a_file_names_the_reason(isolated_home, monkeypatch):
    blocker = isolated_home / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(blocker / "lambda-tutor"))
    with pytest.raises(ProgressError) as caught:
        open_store()
    assert (
        str(caught.value) == f"cannot create the progress directory {database_path().parent}: Not a directory"
    )


def test_a_newer_store_is_refused_naming_its_file(backend):
    path = backend.location
    with open_store(path, migrations=(*MIGRATIONS, ADD_NOTES)):
        pass
    with pytest.raises(ProgressError) as caught:
        open_store(path)
    assert str(caught.value) == (
        f"the progress store {path} was written by a newer lambda-tutor "
        f"(schema version {CURRENT + 1}; this one knows up to {CURRENT}): upgrade lambda-tutor"
    )


WRITES = {
    "lesson read": lambda store: store.mark_read("ann", "l1"),
    "last lesson": lambda store: store.set_last_lesson("ann", "l1"),
    "setting theme": lambda store: store.set_setting("ann", "theme", "dark"),
    "quiz attempt for sync": lambda store: store.record_quiz_attempt(
        "ann", "sync", [QuestionResult("q1", 1, 1, True)], T0
    ),
    "review card q1": lambda store: store.set_review_card(
        "ann", "q1", ReviewCard(T0.date(), 1.0, 6.4133, T0.date())
    ),
    "exercise attempt for ex": lambda store: store.record_exercise_attempt("ann", "ex", True, {}, T0),
    "reset of ann": lambda store: store.reset("ann"),
}


@pytest.mark.parametrize("action", WRITES)
def test_a_failed_write_names_what_was_not_saved(action, backend):
    with (
        open_store(busy_timeout_s=0.05) as store,
        _write_lock_held(backend),
        pytest.raises(ProgressError) as caught,
    ):
        WRITES[action](store)
    assert str(caught.value) == (
        f"could not save progress ({action}) to {backend.location}: {LOCKED[backend.name]}"
    )
