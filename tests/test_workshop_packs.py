"""Instructor packs: the sample pack is valid and solvable; hostile packs are refused file by file.

Every refusal is checked through `lambda-tutor validate DIR --json`, the way an instructor sees
it: each problem names the file and the field.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.content.loader import load_course
from tutor.workshop.exercises import attempt_exercise, prepare_attempt

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workshop-pack"

GOOD_EXERCISE = """
id = "{id}"
title = "An exercise"
kind = "tune"
scenario = "sqs-lambda"
brief = "Do it."

[[params]]
key = "sqs.batch_size"
min = 1
max = 10

[[goals]]
field = "duplicates"
op = "=="
value = 0
"""


def validate(capsys, pack: Path) -> dict:
    status = main(["validate", str(pack), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == (0 if document["ok"] else 2)
    return document


def problems_by_file(document: dict) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for problem in document["problems"]:
        found.setdefault(Path(problem["file"]).name, []).append((problem["field"], problem["message"]))
    return found


def exercise(pack: Path, name: str, text: str) -> None:
    (pack / "exercises").mkdir(parents=True, exist_ok=True)
    (pack / "exercises" / name).write_text(text)


def test_the_sample_pack_is_valid_with_hints_off(capsys):
    document = validate(capsys, SAMPLE)
    assert document["ok"], document["problems"]
    assert document["counts"]["exercises"] == 2 and document["counts"]["lessons"] == 1
    assert document["counts"]["questions"] == 2 and document["counts"]["scenarios"] == 1
    course, problems = load_course([SAMPLE])
    assert problems == [] and course.hints is False


@pytest.mark.parametrize(
    ("exercise_id", "good", "bad"),
    [
        (
            "orders-drain",
            ({"sqs.report_batch_item_failures": True, "sqs.maximum_concurrency": 10}, None),
            ({"sqs.maximum_concurrency": 10}, None),
        ),
        ("orders-predict-dlq", ({}, 150), ({}, 30)),
    ],
)
def test_the_sample_packs_exercises_pass_and_fail(exercise_id, good, bad):
    course, _ = load_course([SAMPLE])
    target = next(item for item in course.exercises if item.id == exercise_id)
    for (values, predicted), expected in ((good, True), (bad, False)):
        scenario = prepare_attempt(target, course, values, predicted)
        assert attempt_exercise(target, scenario, values, predicted).passed is expected


def test_hostile_exercise_files_are_each_refused_naming_file_and_field(tmp_path, capsys):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "course.toml").write_text("format_version = 1\n")
    exercise(pack, "fine.toml", GOOD_EXERCISE.format(id="fine"))
    exercise(pack, "bad-toml.toml", 'id = "bad-toml"\ntitle = "unclosed\n')
    exercise(pack, "unknown-field.toml", 'colour = "red"\n' + GOOD_EXERCISE.format(id="unknown-field"))
    exercise(
        pack,
        "unknown-goal.toml",
        GOOD_EXERCISE.format(id="unknown-goal").replace('field = "duplicates"', 'field = "dlq_count"'),
    )
    exercise(
        pack,
        "wrong-model-goal.toml",
        GOOD_EXERCISE.format(id="wrong-model-goal").replace(
            'field = "duplicates"', 'field = "responses.429"'
        ),
    )
    exercise(
        pack, "outside-aws.toml", GOOD_EXERCISE.format(id="outside-aws").replace("max = 10", "max = 20000")
    )
    exercise(
        pack,
        "unknown-key.toml",
        GOOD_EXERCISE.format(id="unknown-key").replace('key = "sqs.batch_size"', 'key = "sqs.batchsize"'),
    )
    exercise(
        pack,
        "other-model-key.toml",
        GOOD_EXERCISE.format(id="other-model-key").replace(
            'key = "sqs.batch_size"\nmin = 1\nmax = 10',
            'key = "async.maximum_retry_attempts"\nmin = 0\nmax = 2',
        ),
    )
    exercise(
        pack,
        "traversal-scenario.toml",
        GOOD_EXERCISE.format(id="traversal-scenario").replace(
            'scenario = "sqs-lambda"', 'scenario = "../../etc/passwd"'
        ),
    )
    exercise(
        pack,
        "bad-choice.toml",
        GOOD_EXERCISE.format(id="bad-choice")
        + '\n[[params]]\nkey = "sqs.report_batch_item_failures"\nchoices = [true, "maybe"]\n',
    )
    exercise(
        pack,
        "bad-measure.toml",
        'id = "bad-measure"\ntitle = "T"\nkind = "predict"\n'
        'scenario = "sqs-lambda"\nbrief = "B"\n[predict]\nprompt = "P?"\nmeasure = "invocation"\n',
    )
    exercise(pack, "big.toml", GOOD_EXERCISE.format(id="big") + "#" * (1024 * 1024) + "\n")
    outside = tmp_path / "outside.toml"
    outside.write_text(GOOD_EXERCISE.format(id="outside"))
    os.symlink(outside, pack / "exercises" / "link.toml")

    document = validate(capsys, pack)
    assert not document["ok"]
    found = problems_by_file(document)
    assert "fine.toml" not in found and document["counts"]["exercises"] >= 1

    def refused(file: str, field: str, words: str) -> None:
        assert any(got_field == field and words in message for got_field, message in found.get(file, [])), (
            file,
            found.get(file),
        )

    refused("bad-toml.toml", "toml", "unreadable TOML")
    assert next(p for p in document["problems"] if p["file"].endswith("bad-toml.toml"))["line"] == 2
    refused("unknown-field.toml", "colour", "unknown field")
    refused("unknown-goal.toml", "goals.0.field", "unknown summary field 'dlq_count'")
    refused("wrong-model-goal.toml", "goals.0.field", "not reported by the sqs model")
    refused("outside-aws.toml", "params.0.max", "sqs.batch_size = 20000")
    refused("unknown-key.toml", "params.0.key", "unknown scenario key 'sqs.batchsize'")
    refused("other-model-key.toml", "params.0.key", "does not apply to the sqs model")
    refused("traversal-scenario.toml", "scenario", "unknown scenario preset '../../etc/passwd'")
    refused("bad-choice.toml", "params.1.choices.1", "sqs.report_batch_item_failures")
    refused("bad-measure.toml", "predict.measure", "unknown summary field 'invocation'")
    refused("big.toml", "file", "at most 1 MB")
    refused("link.toml", "file", "leads outside the pack")


HINTS_TABLE = (
    '\n[hints]\nnudge = "Look at the batch size."\nmechanism = "Why it matters."\nanswer = "{answer}"\n'
)


def test_a_pack_gives_three_hint_levels_or_its_older_single_hint_as_the_nudge(tmp_path, capsys):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "course.toml").write_text("format_version = 1\n")
    exercise(
        pack, "graduated.toml", GOOD_EXERCISE.format(id="graduated") + HINTS_TABLE.format(answer="Set 5.")
    )
    older = GOOD_EXERCISE.format(id="older").replace(
        'brief = "Do it."', 'brief = "Do it."\nhint = "Smaller."'
    )
    exercise(pack, "older.toml", older)
    exercise(
        pack,
        "no-answer.toml",
        GOOD_EXERCISE.format(id="no-answer") + HINTS_TABLE.format(answer="").replace('answer = ""\n', ""),
    )
    exercise(
        pack,
        "both.toml",
        older.replace('id = "older"', 'id = "both"') + HINTS_TABLE.format(answer="Set 5."),
    )
    document = validate(capsys, pack)
    found = problems_by_file(document)
    assert "graduated.toml" not in found and "older.toml" not in found
    assert found["no-answer.toml"] == [("hints.answer", "required field is missing")]
    assert found["both.toml"][0][0] == "hints" and "not both" in found["both.toml"][0][1]
    course, _ = load_course([pack])
    hints = {item.id: item.hints for item in course.exercises}
    assert hints["graduated"] == ["Look at the batch size.", "Why it matters.", "Set 5."]
    assert hints["older"] == ["Smaller."]


def test_a_built_in_exercise_needs_all_three_levels_not_a_single_hint(tmp_path):
    from tutor.content.course import SourceFile
    from tutor.content.exercises import parse_exercise

    text = GOOD_EXERCISE.format(id="built-in").replace(
        'brief = "Do it."', 'brief = "Do it."\nhint = "Smaller."'
    )
    source = SourceFile(tmp_path / "x.toml", "lessons/exercises/x.toml", text)
    exercise_found, problems = parse_exercise(tomllib.loads(text), source, built_in=True)
    assert exercise_found is None
    assert sorted((p.file, p.field) for p in problems) == [
        ("lessons/exercises/x.toml", "hint"),
        ("lessons/exercises/x.toml", "hints"),
    ]


def test_lesson_paths_that_leave_the_pack_are_refused(tmp_path, capsys):
    pack = tmp_path / "pack"
    pack.mkdir()
    (tmp_path / "secret.md").write_text("+++\n+++\n")
    (pack / "course.toml").write_text(
        'format_version = 1\n\n[[modules]]\nid = "escape"\ntitle = "Escape"\n'
        'lessons = ["../secret.md", "/etc/hostname"]\n'
    )
    found = problems_by_file(validate(capsys, pack))["course.toml"]
    assert ("modules.0.lessons.0", "'../secret.md' reaches outside the pack ('..' is not allowed)") in found
    assert any(field == "modules.0.lessons.1" and "absolute path" in message for field, message in found)


def test_a_pack_of_more_than_2000_files_is_refused(tmp_path, capsys):
    pack = tmp_path / "pack"
    (pack / "notes").mkdir(parents=True)
    (pack / "course.toml").write_text("format_version = 1\n")
    for number in range(2001):
        (pack / "notes" / f"{number}.txt").touch()
    document = validate(capsys, pack)
    assert [(p["field"], "at most 2,000" in p["message"]) for p in document["problems"]] == [("pack", True)]


def test_hints_must_be_true_or_false(tmp_path, capsys):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "course.toml").write_text('format_version = 1\nhints = "sometimes"\n')
    found = problems_by_file(validate(capsys, pack))["course.toml"]
    assert [field for field, _ in found] == ["hints"]
