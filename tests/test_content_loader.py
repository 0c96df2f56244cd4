"""The loader reports every problem in a pack, naming file, line and field, and never crashes."""

import json
import os
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.content.loader import load_course, load_course_or_fail
from tutor.errors import UserError

GOOD_LESSON = """+++
id = "{id}"
title = "A lesson"
module = "{module}"
objectives = ["Know a thing"]
sources = ["https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html"]
+++
# A lesson

Body.
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def make_pack(root: Path, modules: str = "", lessons: dict[str, str] | None = None) -> Path:
    write(root / "course.toml", "format_version = 1\n" + modules)
    for relative, text in (lessons or {}).items():
        write(root / relative, text)
    return root


def pack_problems(pack: Path):
    _, problems = load_course([pack])
    return [p for p in problems if p.file.startswith(str(pack))]


def test_builtin_course_loads_five_modules_in_order():
    course, problems = load_course()
    assert [m.id for m in course.modules] == ["overview", "sync", "async", "esm", "choosing"]
    assert all(course.lessons_in(m.id) for m in course.modules), "every module has at least one lesson"
    assert not [p for p in problems if p.field != "scenario"]


def test_good_pack_adds_a_module_and_a_lesson_to_a_builtin_module(tmp_path):
    pack = make_pack(
        tmp_path / "pack",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\n',
        {
            "extra/01-a.md": GOOD_LESSON.format(id="extra-a", module="extra"),
            "sync/99-b.md": GOOD_LESSON.format(id="extra-sync", module="sync"),
        },
    )
    course, _ = load_course([pack])
    assert pack_problems(pack) == []
    assert course.modules[-1].id == "extra"
    assert course.lessons_in("extra")[0].title == "A lesson"
    assert course.lessons_in("sync")[-1].id == "extra-sync"
    # Read as the map lists it: the pack's own module first, then the built-in course.
    first_builtin = course.lessons_in(course.modules[0].id)[0]
    assert course.ordered_lesson_ids()[0] == "extra-a"
    assert course.previous_lesson("extra-a") is None
    assert course.next_lesson("extra-a").id == first_builtin.id
    assert course.previous_lesson(first_builtin.id).id == "extra-a"
    assert course.next_lesson(course.lessons_in("choosing")[-1].id) is None


def test_duplicate_lesson_id_names_file_and_field(tmp_path):
    pack = make_pack(
        tmp_path / "p",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\n',
        {
            "extra/01-a.md": GOOD_LESSON.format(id="same", module="extra"),
            "extra/02-b.md": GOOD_LESSON.format(id="same", module="extra"),
        },
    )
    [problem] = pack_problems(pack)
    assert problem.file == f"{pack}/extra/02-b.md"
    assert problem.field == "id"
    assert problem.line == 2
    assert "duplicate lesson id 'same'" in problem.message


def test_duplicate_module_id_is_refused(tmp_path):
    pack = make_pack(tmp_path / "p", '[[modules]]\nid = "sync"\ntitle = "Again"\n')
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field, problem.line) == (f"{pack}/course.toml", "modules.0.id", 3)


def test_unknown_module_in_front_matter(tmp_path):
    pack = make_pack(
        tmp_path / "p",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\n',
        {"extra/01-a.md": GOOD_LESSON.format(id="a", module="nowhere")},
    )
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field) == (f"{pack}/extra/01-a.md", "module")
    assert problem.line == 4
    assert "unknown module 'nowhere'" in problem.message


def test_missing_listed_file(tmp_path):
    pack = make_pack(
        tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\nlessons = ["extra/gone.md"]\n'
    )
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field) == (f"{pack}/course.toml", "modules.0.lessons.0")
    assert "file not found" in problem.message


def test_listed_lessons_are_counted_for_validate(tmp_path, capsys):
    pack = make_pack(
        tmp_path / "p",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\nlessons = ["x/a.md", "x/b.md"]\n',
        {
            "x/a.md": GOOD_LESSON.format(id="a", module="extra"),
            "x/b.md": GOOD_LESSON.format(id="b", module="extra"),
        },
    )
    assert main(["validate", str(pack), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["lessons"] == 2


def test_unreadable_toml_gives_line(tmp_path):
    pack = tmp_path / "p"
    write(pack / "course.toml", "format_version = 1\n[[modules]]\nid = \n")
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field, problem.line) == (f"{pack}/course.toml", "toml", 3)
    assert problem.message.startswith("unreadable TOML")


def test_unreadable_front_matter_line_counts_from_file_start(tmp_path):
    broken = GOOD_LESSON.format(id="a", module="extra").replace('title = "A lesson"', "title = ")
    pack = make_pack(
        tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n', {"extra/01-a.md": broken}
    )
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field, problem.line) == (f"{pack}/extra/01-a.md", "toml", 3)


def test_non_utf8_lesson(tmp_path):
    pack = make_pack(tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n')
    write(
        pack / "extra/01-a.md", GOOD_LESSON.format(id="a", module="extra").encode() + b"\n\xff\xfe caf\xe9\n"
    )
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field) == (f"{pack}/extra/01-a.md", "file")
    assert problem.line == 12  # the 10-line lesson, a blank line, then the bad byte
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize("path", ["../outside.md", "/etc/passwd"])
def test_paths_that_escape_the_pack_are_refused(tmp_path, path):
    write(tmp_path / "outside.md", GOOD_LESSON.format(id="out", module="extra"))
    pack = make_pack(tmp_path / "p", f'[[modules]]\nid = "extra"\ntitle = "Extra"\nlessons = ["{path}"]\n')
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field) == (f"{pack}/course.toml", "modules.0.lessons.0")
    assert "outside the pack" in problem.message or "absolute path" in problem.message
    course, _ = load_course([pack])
    assert "out" not in course.lessons


def test_link_that_escapes_the_pack_is_refused(tmp_path):
    secret = write(tmp_path / "secret.md", GOOD_LESSON.format(id="secret", module="extra"))
    pack = make_pack(tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n')
    (pack / "extra").mkdir()
    os.symlink(secret, pack / "extra" / "01-link.md")
    [problem] = pack_problems(pack)
    assert problem.file == f"{pack}/extra/01-link.md"
    assert "outside the pack" in problem.message


def test_file_over_one_megabyte_is_refused(tmp_path):
    big = GOOD_LESSON.format(id="big", module="extra") + "x" * (1024 * 1024)
    pack = make_pack(tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n', {"extra/01-big.md": big})
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field) == (f"{pack}/extra/01-big.md", "file")
    assert "at most 1 MB" in problem.message


def test_pack_over_two_thousand_files_is_refused(tmp_path):
    pack = make_pack(tmp_path / "p")
    for number in range(2001):
        (pack / f"f{number}.txt").touch()
    [problem] = pack_problems(pack)
    assert (problem.file, problem.field) == (str(pack), "pack")
    assert "at most 2,000" in problem.message


def test_missing_fields_and_unknown_fields_are_all_reported(tmp_path):
    lesson = '+++\nid = "a"\nmodule = "extra"\ncolour = "red"\nsources = ["not a url"]\n+++\nbody\n'
    pack = make_pack(
        tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n', {"extra/01-a.md": lesson}
    )
    fields = {p.field: p for p in pack_problems(pack)}
    assert set(fields) == {"title", "objectives", "colour", "sources"}
    assert fields["colour"].line == 4 and "unknown field" in fields["colour"].message
    assert "not an http(s) URL" in fields["sources"].message


def test_lesson_without_front_matter(tmp_path):
    pack = make_pack(
        tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n', {"extra/01-a.md": "# Hi\n"}
    )
    [problem] = pack_problems(pack)
    assert (problem.field, problem.line) == ("front matter", 1)


def test_every_problem_is_collected_not_just_the_first(tmp_path):
    pack = make_pack(
        tmp_path / "p",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\n',
        {
            "extra/01-a.md": "# no front matter\n",
            "extra/02-b.md": GOOD_LESSON.format(id="b", module="nowhere"),
            "extra/03-c.md": b"\xff",
        },
    )
    assert len(pack_problems(pack)) == 3


def test_missing_pack_directory(tmp_path):
    problems = pack_problems(tmp_path / "nope")
    assert [(p.file, p.field, p.message) for p in problems] == [
        (str(tmp_path / "nope"), "pack", "not a directory")
    ]


def test_load_course_or_fail_raises_one_line(tmp_path):
    pack = make_pack(
        tmp_path / "p", '[[modules]]\nid = "extra"\ntitle = "Extra"\n', {"extra/01-a.md": "# x\n"}
    )
    with pytest.raises(UserError) as caught:
        load_course_or_fail([pack])
    assert "\n" not in str(caught.value)
    assert "01-a.md:1: front matter" in str(caught.value)


def test_validate_command_lists_problems_one_per_line_and_exits_2(tmp_path, capsys):
    pack = make_pack(
        tmp_path / "p",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\n',
        {"extra/01-a.md": "# x\n", "extra/02-b.md": GOOD_LESSON.format(id="b", module="nowhere")},
    )
    assert main(["validate", str(pack)]) == 2
    lines = capsys.readouterr().out.strip().splitlines()
    assert f"{pack}/extra/01-a.md:1: front matter: a lesson must start with a +++ line" in lines[0]
    assert lines[1] == f"{pack}/extra/02-b.md:4: module: unknown module 'nowhere'"


def test_validate_json_shape(tmp_path, capsys):
    pack = make_pack(
        tmp_path / "p",
        '[[modules]]\nid = "extra"\ntitle = "Extra"\n',
        {"extra/01-a.md": GOOD_LESSON.format(id="a", module="extra")},
    )
    assert main(["validate", str(pack), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["counts"]["modules"] == 1 and report["counts"]["lessons"] == 1
    assert set(report["counts"]) == {
        "modules",
        "lessons",
        "questions",
        "scenario_questions",
        "glossary",
        "scenarios",
        "chains",
        "exercises",
        "services",
    }
    assert report["problems"] == []


def test_a_pack_chain_preset_is_counted_and_a_broken_one_is_named_by_file_and_stage(tmp_path, capsys):
    pack = make_pack(
        tmp_path / "pack",
        'modules = [{ id = "extra", title = "Extra", summary = "s" }]\n',
        {"extra/01-a.md": GOOD_LESSON.format(id="a", module="extra")},
    )
    chains = pack / "scenarios" / "chains"
    chains.mkdir(parents=True)
    good = '[[stages]]\nmodel = "sync"\n[[stages]]\nvia = "sqs"\nmodel = "sqs"\n'
    (chains / "two.toml").write_text(good, encoding="utf-8")
    assert main(["validate", str(pack), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["chains"] == 1
    (chains / "two.toml").write_text(good.replace('model = "sqs"', 'model = "sync"'), encoding="utf-8")
    assert main(["validate", str(pack), "--json"]) == 2
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert problem["file"].endswith("scenarios/chains/two.toml")
    assert "stages[1] (B).model" in problem["message"]


def test_hints_must_be_true_or_false_not_a_word(tmp_path):
    pack = make_pack(tmp_path / "pack", 'hints = "no"\n')
    problems = pack_problems(pack)
    assert [(p.file, p.field) for p in problems] == [(f"{pack}/course.toml", "hints")]
    assert "boolean" in problems[0].message
