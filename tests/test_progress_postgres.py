"""Progress in a PostgreSQL database: choosing it, what a bad URL says, several processes at once,
and the SQLite behaviours that the dialect keeps (text order, migration 3's conversion)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from tutor.cli import main
from tutor.progress.schema import MIGRATIONS
from tutor.progress.store import open_store


def run_tutor(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *argv],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


# -- choosing the database, and what a wrong choice says -----------------------------------------


@pytest.fixture(autouse=True)
def database_chosen_by_the_test(monkeypatch):
    """`--database` sets LAMBDA_TUTOR_DATABASE for the process: undo it after each test. (Set, not
    deleted: monkeypatch restores only a variable it has set; empty means "not chosen".)"""
    monkeypatch.setenv("LAMBDA_TUTOR_DATABASE", "")


def test_an_unreachable_server_is_one_line_naming_the_host_and_never_the_password(capsys):
    # Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    status = main(
        ["--database", "postgresql://ann:s3cret-pw@127.0.0.1:1/room", "progress", "--export", "json"]
    )
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("lambda-tutor: cannot connect to the progress database on 127.0.0.1:1: ")
    assert "s3cret-pw" not in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://ann:s3cret-pw@[::1/room", "the progress database URL for host [::1 is not valid"),
        ("postgresql://ann:s3cret-pw@db.example:http/room", "for host db.example has port 'http'"),
        ("postgresql://ann:s3cret-pw@db.example/room?colour=blue", "for host db.example is not valid"),
        ("my-progress.sqlite3", "'my-progress.sqlite3' is not a PostgreSQL URL"),
    ],
)
def test_a_bad_database_url_is_refused_before_anything_runs(url, says):
    result = run_tutor("progress", env={"LAMBDA_TUTOR_DATABASE": url})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("lambda-tutor: ") and says in result.stderr
    assert "s3cret-pw" not in result.stderr and result.stderr.count("\n") == 1


def test_locate_shows_the_database_with_its_password_masked(capsys):
    url = "postgresql://ann:s3cret-pw@db.example:5433/room?sslmode=require"
    assert main(["--database", url, "locate", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["database"] == "postgresql://ann:***@db.example:5433/room?sslmode=require"


def test_a_password_given_as_a_parameter_is_masked_too(capsys, monkeypatch):
    monkeypatch.setenv("LAMBDA_TUTOR_DATABASE", "postgresql://db.example/room?user=ann&password=s3cret-pw")
    assert main(["locate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["database"] == (
        "postgresql://db.example/room?user=ann&password=***"
    )


def test_without_a_database_url_progress_stays_in_the_sqlite_file(capsys, isolated_home):
    assert main(["locate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["database"] == str(isolated_home / "progress.sqlite3")


# -- several processes on one PostgreSQL database ------------------------------------------------

# SQLite's counterparts are in test_progress_durability.py (two writers; its lock file serialises opens).
postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

LEARNER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from tutor.progress.store import QuestionResult, open_store

    url, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open_store(url) as store:
        print("ready", flush=True)
        sys.stdin.readline()  # both start together, so their writes contend
        for i in range(rounds):
            store.mark_read("ann", f"{name}-lesson-{i}")
            passed, params = i % 2 == 0, {"by": name, "i": i}
            store.record_exercise_attempt("ann", "tune-sqs", passed, params, datetime.now(UTC))
            attempt = store.keep_quiz("ann", f"{name}-module", [f"q{i}"])
            store.record_quiz_attempt(
                "ann", f"{name}-module", [QuestionResult(f"q{i}", 1, 1, True)], datetime.now(UTC),
                attempt_id=attempt,
            )
        print("done", flush=True)
        sys.stdin.readline()  # the other has finished too: what does this one see?
        seen = store.read_lessons("ann"), store.exercise_attempts("ann"), store.quiz_attempts("ann")
        print(*(len(rows) for rows in seen))
    """
)


@postgres_only
def test_two_processes_writing_one_learner_lose_nothing_and_see_each_other(backend):
    """Two serve hosts with the same learner: lessons, exercise runs and kept-then-finished quizzes
    written at once by both are all stored once, each process reads the other's, and so does the CLI."""
    rounds = 15
    learners = [
        subprocess.Popen(
            [sys.executable, "-c", LEARNER, backend.location, name, str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("host-a", "host-b")
    ]
    for learner in learners:
        assert learner.stdout.readline().strip() == "ready", learner.stderr.read()
    for step in ("done", None):
        for learner in learners:
            learner.stdin.write("go\n")
            learner.stdin.flush()
        if step:
            for learner in learners:
                assert learner.stdout.readline().strip() == step, learner.stderr.read()
    for learner in learners:
        seen, errors = learner.communicate(timeout=60)
        assert learner.returncode == 0, errors
        assert seen.split() == [str(2 * rounds)] * 3, "each process sees both processes' writes"

    result = run_tutor("--database", backend.location, "--profile", "ann", "progress", "--export", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["lessons_read"]) == 2 * rounds
    attempts = document["exercise_attempts"]
    assert sorted((a["params"]["by"], a["params"]["i"]) for a in attempts) == sorted(
        (name, i) for name in ("host-a", "host-b") for i in range(rounds)
    )
    quiz_ids = [attempt["attempt"] for attempt in document["quiz_attempts"]]
    assert len(quiz_ids) == len(set(quiz_ids)) == 2 * rounds, "every kept quiz got its own id"


FIRST_OPEN = textwrap.dedent(
    """
    import sys
    from tutor.progress.store import open_store

    print("ready", flush=True)
    sys.stdin.readline()
    with open_store(sys.argv[1]) as store:
        print(store.schema_version())
    """
)


@postgres_only
def test_two_first_opens_at_once_migrate_the_database_once(backend):
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_OPEN, backend.location],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for opener in openers:
        assert opener.stdout.readline().strip() == "ready", opener.stderr.read()
    for opener in openers:
        opener.stdin.write("go\n")
        opener.stdin.flush()
    for opener in openers:
        out, errors = opener.communicate(timeout=60)
        assert opener.returncode == 0, errors
        assert out.strip() == str(MIGRATIONS[-1].version)
    with open_store() as store:
        versions = store._connection.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert versions == [(migration.version,) for migration in MIGRATIONS]


# -- what the dialect keeps as SQLite has it -----------------------------------------------------


def test_names_and_ids_sort_byte_by_byte_whatever_the_servers_language(store):
    """The test server sorts text by English rules ('ann' before 'Zed'); the store sorts as SQLite."""
    from conftest import card_due

    for profile in ("ann", "Zed", "bob"):
        store.mark_read(profile, "l1")
    assert store.profiles() == ["Zed", "ann", "bob"]
    for question_id in ("qa", "q-b", "Q1"):
        store.set_review_card("ann", question_id, card_due(date(2025, 3, 2)))
    assert store.due_reviews("ann", date(2025, 3, 2)) == ["Q1", "q-b", "qa"]


def test_migration_3_turns_leitner_boxes_into_fsrs_cards_on_either_database(backend):
    with open_store(migrations=MIGRATIONS[:2]) as store:
        store._connection.executemany(
            "INSERT INTO review_card (profile, question_id, box, due, updated_at) VALUES (?, ?, ?, ?, ?)",
            [
                ("ann", "q-box1", 1, "2025-03-02", "2025-03-01T09:30:00.000000Z"),
                ("ann", "q-box4", 4, "2025-03-10", "2025-03-03T09:30:00.000000Z"),
                ("ann", "q-retired", 6, "9999-12-31", "2025-02-20T08:00:00.000000Z"),
            ],
        )
    with open_store() as store:
        cards = store.review_cards("ann")
    assert {
        question_id: (card.due, card.stability, card.last_review) for question_id, card in cards.items()
    } == {
        "q-box1": (date(2025, 3, 2), 1.0, date(2025, 3, 1)),
        "q-box4": (date(2025, 3, 10), 7.0, date(2025, 3, 3)),
        "q-retired": (date(9999, 12, 31), 15.0, date(2025, 2, 20)),
    }
    assert {card.difficulty for card in cards.values()} == {6.4133}


# -- --database after the subcommand -------------------------------------------------------------


@pytest.fixture
def room_database(postgres_server):
    """A PostgreSQL room holding ann, while the default SQLite store holds nobody."""
    url = postgres_server.new_database()
    with open_store(url) as store:
        store.mark_read("ann", "sync-basics")
    yield url
    postgres_server.drop_database(url)


@pytest.mark.parametrize(
    "argv",
    [
        ["--database", "URL", "workshop", "report", "--format", "json"],
        ["workshop", "--database", "URL", "report", "--format", "json"],
        ["workshop", "report", "--format", "json", "--database", "URL"],
        ["workshop", "report", "--database=URL", "--format", "json"],
    ],
)
def test_workshop_report_takes_the_database_before_or_after_its_subcommand(argv, room_database, capsys):
    assert main([part.replace("URL", room_database) for part in argv]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [learner["profile"] for learner in report["learners"]] == ["ann"]


def test_progress_and_roster_take_the_database_after_the_subcommand(room_database, capsys):
    assert main(["--profile", "ann", "progress", "--export", "json", "--database", room_database]) == 0
    assert json.loads(capsys.readouterr().out)["lessons_read"][0]["lesson_id"] == "sync-basics"
    assert main(["workshop", "roster", "add", "Bea", "--database", room_database]) == 0
    capsys.readouterr()
    assert main(["workshop", "roster", "list", "--database", room_database]) == 0
    assert "Bea" in capsys.readouterr().out
    from tutor.locations import database_path

    with open_store(database_path()) as default_store:
        assert default_store.roster() == [], "the roster went to the database named, not the default"


def test_serve_takes_the_database_after_the_subcommand(room_database):
    # The default SQLite store has a roster; the PostgreSQL room has none, so serve --roster refuses
    # to start there: the refusal proves which store serve opened.
    with open_store() as default_store:
        default_store.add_to_roster("Cy", "not-a-real-hash")
    result = run_tutor("serve", "--roster", "--port", "8124", "--database", room_database)
    assert result.returncode == 2 and "the roster is empty" in result.stderr, result.stderr
