"""`progress --export json` and `workshop collect`: learners' exports merged into the room's store.

The room's store is SQLite or PostgreSQL (the `backend` fixture); a learner's laptop is always a
SQLite store of its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tutor.cli import main
from tutor.locations import database_path
from tutor.progress.store import QuestionResult, open_store

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def export(capsys, profile: str) -> dict:
    capsys.readouterr()
    assert main(["--profile", profile, "progress", "--export", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def learner_store_export(tmp_path, capsys, monkeypatch, profile: str, *, minutes: int = 0) -> dict:
    """What a learner's own laptop exports: written in a SQLite store of its own, then exported."""
    laptop = tmp_path / f"laptop-{profile}-{minutes}"
    laptop.mkdir()
    moment = AT + timedelta(minutes=minutes)
    with monkeypatch.context() as on_the_laptop:
        on_the_laptop.setenv("LAMBDA_TUTOR_HOME", str(laptop))
        on_the_laptop.delenv("LAMBDA_TUTOR_DATABASE", raising=False)
        with open_store(clock=lambda: moment) as store:
            store.mark_read(profile, "sync-basics")
            store.set_last_lesson(profile, f"lesson-at-{minutes}")
            store.record_quiz_attempt(
                profile, "sync", [QuestionResult("sync-q", 0, 1, False, "wrong one")], moment
            )
            store.record_exercise_attempt(profile, "ex-1", minutes > 0, {"memory": 128 + minutes}, moment)
            store.record_hint(profile, "ex-1", 2)
            store.record_prediction(profile, "sync-basics", 10.0, 12.0, True)
        return export(capsys, profile)


def write(path, document) -> str:
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def room_export(capsys, profile):
    document = export(capsys, profile)
    document.pop("exported_at"), document.pop("checksum")
    return document


def test_the_export_names_the_learner_the_versions_and_carries_a_checksum_of_its_content(capsys):
    with open_store() as store:
        store.mark_read("ann", "sync-basics")
    document = export(capsys, "ann")
    assert document["learner_name"] == "ann"
    assert document["format_version"] == 3
    assert document["course_version"]
    assert document["packs"][0]["name"] == "built-in"
    assert document["packs"][0]["content"].startswith("sha256:")
    from tutor.progress.export import checksum

    assert document["checksum"] == checksum(document)
    document["lessons_read"] = []
    assert document["checksum"] != checksum(document), "an edit changes what the checksum should be"


def test_collecting_merges_learners_and_twice_changes_nothing(tmp_path, capsys, monkeypatch, backend):
    ann = write(tmp_path / "ann.json", learner_store_export(tmp_path, capsys, monkeypatch, "ann"))
    bob = write(tmp_path / "bob.json", learner_store_export(tmp_path, capsys, monkeypatch, "bob"))

    assert main(["workshop", "collect", ann, bob]) == 0
    first = capsys.readouterr().out
    assert "ann: added" in first and "bob: added" in first
    assert first.rstrip().endswith(f"into {backend_shown(backend)}."), "it says which store it merged into"
    before = {name: room_export(capsys, name) for name in ("ann", "bob")}
    assert before["ann"]["quiz_attempts"][0]["results"][0]["response"] == "wrong one"
    assert before["ann"]["lessons_read"] == [
        {"lesson_id": "sync-basics", "read_at": "2026-12-05T09:00:00.000000Z"}
    ], "a lesson keeps the time the learner read it, not the time it was collected"

    assert main(["workshop", "collect", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("nothing new") == 2
    after = {name: room_export(capsys, name) for name in ("ann", "bob")}
    assert after == before


def test_a_later_export_adds_the_newer_runs_and_keeps_the_older_ones(tmp_path, capsys, monkeypatch, backend):
    early = write(tmp_path / "early.json", learner_store_export(tmp_path, capsys, monkeypatch, "ann"))
    late = write(
        tmp_path / "late.json", learner_store_export(tmp_path, capsys, monkeypatch, "ann", minutes=30)
    )
    assert main(["workshop", "collect", late]) == 0
    assert main(["workshop", "collect", early]) == 0
    document = room_export(capsys, "ann")
    assert [a["passed"] for a in document["exercise_attempts"]] == [False, True]
    assert len(document["quiz_attempts"]) == 2
    assert document["last_lesson"]["lesson_id"] == "lesson-at-30", "the newer last lesson wins"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"format": "lambda-tutor-progress", "profile": ', "not valid JSON"),
        ('{"kind": "something else"}', "not a lambda-tutor progress export"),
        ("EDITED", "checksum does not match"),
        ("OLD", "has no checksum"),
    ],
)
def test_a_damaged_foreign_or_edited_file_is_rejected_by_name_and_the_rest_is_merged(
    tmp_path, capsys, monkeypatch, content, named
):
    good = learner_store_export(tmp_path, capsys, monkeypatch, "ann")
    bad_path = tmp_path / "bad.json"
    if content == "EDITED":
        edited = dict(good, exercise_attempts=[dict(good["exercise_attempts"][0], passed=True)])
        bad_path.write_text(json.dumps(edited))
    elif content == "OLD":
        bad_path.write_text(json.dumps(dict(good, format_version=2)))
    else:
        bad_path.write_text(content)
    write(tmp_path / "good.json", good)
    capsys.readouterr()

    assert main(["workshop", "collect", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    rejections = captured.err.strip().splitlines()
    assert len(rejections) == 1
    assert str(bad_path) in rejections[0] and named in rejections[0]
    assert "Collected 1 of 2" in captured.out
    with open_store() as store:
        assert store.profiles() == ["ann"]


def test_collect_keeps_what_the_room_store_already_holds(tmp_path, capsys, monkeypatch, backend):
    exported = write(tmp_path / "ann.json", learner_store_export(tmp_path, capsys, monkeypatch, "ann"))
    with open_store() as store:
        store.record_exercise_attempt("ann", "ex-2", True, {}, AT - timedelta(days=1))
        store.set_setting("ann", "theme", "nord")
    assert main(["workshop", "collect", exported]) == 0
    with open_store() as store:
        assert {a.exercise_id for a in store.exercise_attempts("ann")} == {"ex-1", "ex-2"}
        assert store.get_setting("ann", "theme") == "nord"


def test_collect_without_any_export_and_reset_without_yes_are_one_line_errors(tmp_path, capsys, backend):
    assert main(["workshop", "collect", str(tmp_path)]) == 2
    assert "no *.json export" in capsys.readouterr().err
    with open_store() as store:
        store.mark_read("ann", "sync-basics")
    assert main(["workshop", "reset"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--yes" in err and "nothing changed" in err
    with open_store() as store:
        assert store.profiles() == ["ann"]


def test_a_collected_learner_joins_the_room_without_a_pin_and_claims_the_name_at_first_login(
    tmp_path, capsys, monkeypatch, backend
):
    from tutor.progress.credentials import hash_secret

    exported = write(tmp_path / "ann.json", learner_store_export(tmp_path, capsys, monkeypatch, "ann"))
    assert main(["workshop", "collect", exported]) == 0
    with open_store() as store:
        [ann] = store.learners()
        assert (ann.display_name, ann.has_pin) == ("ann", False)
        assert store.claim_name("Ann", hash_secret("2468")) is not None, "her first login here sets the PIN"
        assert store.profiles() == ["ann"], "and finds her collected progress"


def test_an_export_of_dave_goes_to_the_dave_who_logged_in(tmp_path, capsys, monkeypatch, backend):
    from tutor.progress.credentials import hash_secret

    exported = write(tmp_path / "dave.json", learner_store_export(tmp_path, capsys, monkeypatch, "dave"))
    with open_store() as store:
        store.claim_name("Dave", hash_secret("1357"))
    assert main(["workshop", "collect", exported]) == 0
    assert "Dave: added" in capsys.readouterr().out
    with open_store() as store:
        assert [learner.display_name for learner in store.learners()] == ["Dave"]
        assert store.learner("dave").has_pin, "collecting never touches a PIN"
        assert store.profiles() == ["Dave"]
        assert store.read_lessons("Dave") == {"sync-basics"}


def test_reset_keeps_the_old_room_and_starts_an_empty_one(capsys, backend):
    from tutor.progress.credentials import hash_secret

    with open_store() as store:
        store.mark_read("ann", "sync-basics")
        store.claim_name("Bob", hash_secret("1234"))
    assert main(["workshop", "reset", "--yes"]) == 0
    said = capsys.readouterr().out.strip()
    with open_store() as store:
        assert store.profiles() == [] and store.learners() == []
        store.mark_read("cy", "sync-basics")  # the fresh room works
    if backend.name == "sqlite":
        kept = said.split(" kept at ")[1]
        with open_store(kept) as old:
            assert old.read_lessons("ann") == {"sync-basics"}
            assert [learner.display_name for learner in old.learners()] == ["Bob"]
        assert database_path().exists()
        return
    import psycopg

    schema = said.split(" kept in schema ")[1].split()[0]
    assert "2 rows" in said
    with psycopg.connect(backend.location) as kept:
        assert kept.execute(f"SELECT profile, lesson_id FROM {schema}.lesson_read").fetchall() == [
            ("ann", "sync-basics")
        ]
        assert kept.execute(f"SELECT display_name FROM {schema}.learner").fetchall() == [("Bob",)]


def backend_shown(backend) -> str:
    from tutor.progress.postgres import masked_url

    return masked_url(backend.location) if backend.name == "postgres" else backend.location


def test_what_a_file_added_is_counted_in_words_singular_for_one(tmp_path, capsys, monkeypatch):
    ann = write(tmp_path / "ann.json", learner_store_export(tmp_path, capsys, monkeypatch, "ann"))
    assert main(["workshop", "collect", ann]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "ann: added" in line]
    assert line.endswith(
        "ann: added 1 lesson read, the last lesson opened, 1 quiz attempt, 1 exercise run, "
        "1 prediction, 2 hint levels"
    ), line
