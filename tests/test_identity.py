"""Who is who: names, PINs, join codes and the roster, below the screens."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

import pytest

from tutor.cli import main
from tutor.errors import UserError
from tutor.locations import check_profile_name, name_key
from tutor.progress.credentials import (
    JOIN_CODE_ALPHABET,
    SCRYPT_N,
    check_pin,
    hash_secret,
    secret_matches,
    token_hash,
)
from tutor.progress.identity import REFUSED, TAKEN, WRONG_CODE, LoginRefused, join, log_in
from tutor.progress.schema import MIGRATIONS
from tutor.progress.store import open_store

# Names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("José Núñez", "José Núñez"),
        (" DAVE ", "DAVE"),
        ("Ann   Lee", "Ann Lee"),
        ("Jose\u0301", "José"),  # a decomposed accent becomes the one composed letter
        ("O’Neil", "O'Neil"),
        ("Ann_2", "Ann_2"),
        ("Дмитрий", "Дмитрий"),
    ],
)
def test_names_are_kept_trimmed_collapsed_and_composed(typed, kept):
    assert check_profile_name(typed) == kept


def test_one_learner_whatever_the_case_spacing_or_accent_encoding():
    assert name_key("Dave") == name_key("dave") == name_key(" DAVE ")
    assert name_key("José Núñez") == name_key("jose\u0301  NU\u0301N\u0303EZ")
    assert name_key("Ann") != name_key("Ann 2")


def test_a_name_typed_without_its_accents_is_the_same_learner():
    assert name_key("José") == name_key("Jose") == name_key("JOSE") == name_key("josé")
    assert name_key("Zoë Dvořák") == name_key("zoe dvorak")
    assert name_key("Дмитрий") == name_key("ДМИТРИЙ") != name_key("Дмитро")
    assert name_key("हिंदी") != name_key("हद")  # Devanagari vowel signs are letters, not accents
    # Outside Latin a mark can make another letter: Cyrillic й is not и.
    assert name_key("Андрей") != name_key("Андреи")


def test_a_roster_learner_without_an_accented_keyboard_joins_and_logs_in(capsys):
    assert main(["workshop", "roster", "add", "José", "JOSE"]) == 2
    assert "'José' is given twice (names are compared ignoring case and accents)" in capsys.readouterr().err
    assert main(["workshop", "roster", "add", "José"]) == 0
    code = capsys.readouterr().out.split("José")[1].split()[0]
    with open_store() as store:
        joined = join(store, "Jose", "2468", roster=True, join_code=code)
        assert joined.display_name == "José"
        assert log_in(store, "JOSE", "2468").display_name == "José"
        assert log_in(store, "José", "2468").display_name == "José"


@pytest.mark.parametrize(
    "typed", ["", "   ", "bell\x07", "😀", "ann 😀", "a" * 41, ".ann", "a/b", "zero\u200bwidth"]
)
def test_names_refused_say_what_is_allowed(typed):
    with pytest.raises(UserError) as refused:
        check_profile_name(typed)
    assert "1 to 40 letters (any alphabet), digits, spaces" in str(refused.value)
    assert "\n" not in str(refused.value)


# PINs and codes ----------------------------------------------------------------------------------


def test_a_pin_is_stored_salted_with_its_parameters_and_checked_again():
    first, second = hash_secret("2468"), hash_secret("2468")
    assert first != second, "a random salt makes two hashes of one PIN differ"
    assert "2468" not in first
    assert first.split("$")[:4] == ["scrypt", str(SCRYPT_N), "8", "1"]
    assert secret_matches("2468", first) and secret_matches("2468", second)
    assert not secret_matches("2469", first)
    assert not secret_matches("2468", None)
    assert not secret_matches("2468", "garbage")


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "１２３４", " 1234"])
def test_pins_are_4_to_12_ascii_digits(pin):
    with pytest.raises(UserError, match="a PIN is 4 to 12 digits"):
        check_pin(pin)


def test_a_pin_check_takes_the_same_work_for_a_name_nobody_has():
    stored = hash_secret("1234")
    started = time.perf_counter()
    secret_matches("1234", stored)
    known = time.perf_counter() - started
    started = time.perf_counter()
    secret_matches("1234", None)
    unknown = time.perf_counter() - started
    assert unknown > known / 3, (known, unknown)


# Logging in and joining --------------------------------------------------------------------------


def test_first_login_records_the_learner_then_only_their_pin_lets_them_in():
    with open_store() as store:
        joined = join(store, "José Núñez", "4321", roster=False)
        assert joined.display_name == "José Núñez"
        assert [learner.display_name for learner in store.learners()] == ["José Núñez"]
        assert store.learners()[0].joined_at is not None  # listed though they did nothing since

        assert log_in(store, " josé  núñez ", "4321").display_name == "José Núñez"
        for name, pin in (("José Núñez", "4322"), ("Nobody Here", "4321")):
            with pytest.raises(LoginRefused) as refused:
                log_in(store, name, pin)
            assert str(refused.value) == REFUSED  # the same words whether or not the name exists

        with pytest.raises(LoginRefused, match="already has a PIN"):
            join(store, "JOSÉ NÚÑEZ", "9999", roster=False)
        assert str(TAKEN).startswith("That name already has a PIN")
        assert log_in(store, "José Núñez", "4321")  # the refused join changed nothing


def test_a_store_of_todays_schema_keeps_its_profiles_progress_under_the_normalised_login(tmp_path):
    path = tmp_path / "progress.sqlite3"
    with open_store(path, migrations=MIGRATIONS[:4]) as old:
        old.mark_read("Ann_2", "overview-three-models")
        old.set_setting("Ann_2", "theme", "textual-light")
        old.mark_read("ann", "sync-basics")
    with open_store(path) as store:
        assert store.schema_version() == MIGRATIONS[-1].version
        joined = join(store, "ANN_2", "1111", roster=False)
        assert joined.display_name == "Ann_2"  # the profile its progress is stored under
        assert store.read_lessons(joined.profile) == {"overview-three-models"}
        assert store.get_setting(joined.profile, "theme") == "textual-light"
        assert store.known_profile(" Ann ") == "ann"
        assert store.read_lessons(store.known_profile("ANN") or "") == {"sync-basics"}


def test_a_pin_reset_lets_the_learner_choose_a_new_one_and_keeps_their_progress():
    with open_store() as store:
        join(store, "Bea", "1111", roster=False)
        store.mark_read("Bea", "overview-three-models")
        assert store.reset_pin("bea")
        with pytest.raises(LoginRefused):
            log_in(store, "Bea", "1111")
        join(store, "bea", "2222", roster=False)
        assert log_in(store, "Bea", "2222").display_name == "Bea"
        assert store.read_lessons("Bea") == {"overview-three-models"}
        assert not store.reset_pin("nobody")


def test_with_a_roster_the_first_login_needs_the_join_code():
    with open_store() as store:
        store.add_to_roster("Cleo", hash_secret("ACDEFGH"))
        assert store.learners() == [], "on the roster is not joined"
        with pytest.raises(LoginRefused) as refused:
            join(store, "Cleo", "1234", roster=True, join_code="ACDEFGJ")
        assert str(refused.value) == WRONG_CODE
        assert join(store, "cleo", "1234", roster=True, join_code="acd-efgh").display_name == "Cleo"
        assert [learner.display_name for learner in store.learners()] == ["Cleo"]


# Resume tokens -----------------------------------------------------------------------------------


def test_a_resume_token_brings_back_its_learner_and_place_for_twelve_hours():
    now = [datetime(2025, 6, 2, 9, 0, tzinfo=UTC)]
    with open_store(clock=lambda: now[0]) as store:
        key = token_hash("tab-token-1")
        store.bind_resume_token(key, "Dee", lifetime=timedelta(hours=12))
        store.set_resume_place(key, {"screen": "lesson", "params": {"lesson_id": "sync-basics"}})
        now[0] += timedelta(hours=11, minutes=59)
        assert store.resume_session(key, lifetime=timedelta(hours=12)) == (
            "Dee",
            {"params": {"lesson_id": "sync-basics"}, "screen": "lesson"},
        )
        assert store.resume_session(token_hash("another tab"), lifetime=timedelta(hours=12)) is None
        now[0] += timedelta(minutes=2)
        assert store.resume_session(key, lifetime=timedelta(hours=12)) is None


# The roster on the command line ------------------------------------------------------------------


def test_roster_add_prints_a_code_per_learner_and_stores_only_its_hash(capsys):
    assert main(["workshop", "roster", "add", "Ann Lee", "José"]) == 0
    out = capsys.readouterr().out
    codes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[-1]) == 7 and set(parts[-1]) <= set(JOIN_CODE_ALPHABET):
            codes[" ".join(parts[:-1])] = parts[-1]
    assert set(codes) == {"Ann Lee", "José"}
    with open_store() as store:
        ann = store.learner("ann lee")
        assert ann is not None and ann.on_roster and ann.join_code_hash is not None
        assert codes["Ann Lee"] not in ann.join_code_hash
        assert join(store, "Ann Lee", "5555", roster=True, join_code=codes["Ann Lee"])

    assert main(["workshop", "roster", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Ann Lee" in listed and "joined" in listed
    assert "José" in listed and "not logged in yet" in listed


@pytest.fixture
def far_from_utc(monkeypatch):
    """The instructor's machine keeps local time five and a half hours ahead of UTC."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_roster_list_says_when_each_learner_joined_in_utc(far_from_utc, capsys):
    with open_store(clock=lambda: datetime(2026, 12, 5, 9, 0, tzinfo=UTC)) as store:
        store.add_to_roster("Ann", hash_secret("ABCDEFG"))
        join(store, "Ann", "1234", roster=True, join_code="ABCDEFG")
    assert main(["workshop", "roster", "list"]) == 0
    assert capsys.readouterr().out.split() == ["Ann", "joined", "2026-12-05", "09:00", "UTC"]


def test_roster_reset_frees_the_pin_and_prints_a_new_join_code(capsys):
    assert main(["workshop", "roster", "add", "Ann"]) == 0
    old_code = capsys.readouterr().out.split("Ann")[1].split()[0]
    with open_store() as store:
        join(store, "Ann", "5555", roster=True, join_code=old_code)
    assert main(["workshop", "roster", "reset", "ANN"]) == 0
    new_code = capsys.readouterr().out.split("join code: ")[1].strip()
    with open_store() as store:
        with pytest.raises(LoginRefused):
            log_in(store, "Ann", "5555")
        with pytest.raises(LoginRefused, match="join code"):
            join(store, "Ann", "6666", roster=True, join_code=old_code)
        assert join(store, "Ann", "6666", roster=True, join_code=new_code)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["workshop", "roster", "add", "x😀"], "profile name 'x😀' is not allowed"),
        (["workshop", "roster", "add", "Ann", "ANN"], "'Ann' is given twice"),
        (["workshop", "roster", "reset", "nobody"], "no learner 'nobody'"),
        (["workshop", "roster"], "choose an action: add, list, reset"),
        (["serve", "--roster", "--port", "8123"], "the roster is empty"),
    ],
)
def test_roster_mistakes_are_one_line_and_exit_2(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    with open_store() as store:
        assert store.roster() == []  # a refused add writes nobody


def _execute_raw(backend, statements: list[str]) -> None:
    """Write rows as an older lambda-tutor did, bypassing today's store."""
    if backend.name == "sqlite":
        import sqlite3

        with contextlib.closing(sqlite3.connect(backend.location)) as connection, connection:
            for statement in statements:
                connection.execute(statement)
        return
    import psycopg

    with psycopg.connect(backend.location) as connection:
        for statement in statements:
            connection.execute(statement)


def test_migration_7_gives_learners_of_a_dev_store_their_accent_free_keys(backend):
    with open_store(migrations=MIGRATIONS[:6]) as old:
        assert old.schema_version() == 6
    # Keys as migration 5's name_key made them: case-folded, accents kept.
    _execute_raw(
        backend,
        [
            "INSERT INTO learner (learner_key, display_name, joined_at, on_roster) VALUES "
            "('josé', 'José', '2026-12-01T09:00:00.000000Z', 0), "
            "('zoë', 'Zoë', NULL, 1), "
            "('renée', 'Renée', '2026-12-01T09:00:00.000000Z', 0), "
            "('renee', 'Renee', '2026-12-01T09:05:00.000000Z', 0)",
        ],
    )
    with open_store() as store:
        assert store.schema_version() == MIGRATIONS[-1].version
        assert store.learner("JOSE").display_name == "José"
        assert store.learner("Zoe").display_name == "Zoë" and store.roster()[0].display_name == "Zoë"
        # Two learners who are now one name: the one already under the new key keeps it, the other
        # stays listed under its old key, nothing lost.
        assert store.learner("Renée").display_name == "Renee"
        assert sorted(learner.display_name for learner in store.learners()) == ["José", "Renee", "Renée"]
