"""A bad question bank is refused with one problem per mistake, naming file, line and field."""

import tomllib
from pathlib import Path

import pytest

from tutor.content.course import Course, Lesson, Module, SourceFile
from tutor.content.loader import load_course
from tutor.content.questions import check_questions, parse_questions
from tutor.locations import builtin_content_dir

QUIZPACK = Path(__file__).parent / "data" / "quizpack"

LESSON = """+++
id = "bank-lesson"
title = "A lesson"
module = "sync"
objectives = ["Know a thing"]
sources = ["https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html"]
+++
# A lesson
"""

COMMON = """[[questions]]
id = "{id}"
lesson = "bank-lesson"
difficulty = 1
prompt = "A prompt?"
explanation = "Why."
source = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html"
"""


def bank_problems(tmp_path, bank: str, files: dict[str, str] | None = None):
    pack = tmp_path / "pack"
    (pack / "sync").mkdir(parents=True)
    (pack / "sync" / "99-bank.md").write_text(LESSON, encoding="utf-8")
    (pack / "quizzes").mkdir()
    (pack / "quizzes" / "bank.toml").write_text(bank, encoding="utf-8")
    for relative, text in (files or {}).items():
        path = pack / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    course, problems = load_course([pack])
    ours = [p for p in problems if p.file.startswith(str(pack))]
    return course, ours


def small_course() -> Course:
    lesson = Lesson(
        id="bank-lesson",
        title="A lesson",
        module="sync",
        objectives=["Know a thing"],
        sources=["https://docs.aws.amazon.com/lambda/"],
        scenario=None,
        try_steps=[],
        body="",
        path=Path("sync/99-bank.md"),
        pack=Path("pack"),
    )
    module = Module("sync", "Synchronous invocation", "", Path("pack"), lesson_ids=["bank-lesson"])
    presets = {"sqs-lambda": builtin_content_dir() / "scenarios" / "sqs-lambda.toml"}
    return Course(title="t", modules=[module], lessons={"bank-lesson": lesson}, scenario_files=presets)


def parse_bank(bank: str):
    """The loader's two calls, without loading the whole course: fast enough to try every refusal."""
    course = small_course()
    source = SourceFile(Path("pack/quizzes/bank.toml"), "pack/quizzes/bank.toml", bank)
    questions, problems = parse_questions(tomllib.loads(bank), source, course)
    course.questions.extend(questions)
    problems += check_questions(course)
    return course, problems


def question(id="q-one", **fields) -> str:
    lines = [COMMON.format(id=id)]
    for key, value in fields.items():
        lines.append(f"{key} = {value}\n")
    return "".join(lines)


def test_the_quiz_pack_loads_without_problems():
    course, problems = load_course([QUIZPACK])
    assert not [p for p in problems if "quizpack" in p.file]
    kinds = {q.kind for q in course.questions if q.module == "quizpack"}
    assert kinds == {"single", "multiple", "truefalse", "numeric", "ordering", "matching", "scenario"}


def test_a_good_question_of_every_kind_is_accepted():
    bank = "".join(
        [
            question("q-single", kind='"single"', choices='["a", "b"]', answer='"a"'),
            question("q-multiple", kind='"multiple"', choices='["a", "b", "c"]', answer='["a", "c"]'),
            question("q-tf", kind='"truefalse"', answer="false"),
            question("q-num", kind='"numeric"', answer="2.5", tolerance="0.5", unit='"s"'),
            question("q-order", kind='"ordering"', choices='["one", "two", "three"]'),
            question(
                "q-match", kind='"matching"', choices='["x", "y"]', answer='{ "left" = "x", "right" = "y" }'
            ),
            question(
                "q-scen",
                kind='"scenario"',
                scenario='"sqs-lambda"',
                measure='"invocations"',
                overrides='{ "sqs.batch_size" = 5 }',
                seed="3",
                choices="[1, 2, 3]",
            ),
        ]
    )
    course, problems = parse_bank(bank)
    assert problems == []
    by_id = {q.id: q for q in course.questions}
    assert by_id["q-multiple"].answer == ("a", "c")
    assert by_id["q-num"].tolerance == 0.5 and by_id["q-num"].unit == "s"
    assert by_id["q-order"].answer == ("one", "two", "three")
    assert by_id["q-match"].matching_left == ("left", "right")
    assert by_id["q-scen"].module == "sync" and by_id["q-scen"].overrides == {"sqs.batch_size": 5}


REFUSALS = [
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"c"'),
        "questions.0.answer",
        "'c' is not one of the choices",
        10,
        id="single-answer-not-a-choice",
    ),
    pytest.param(
        question(kind='"multiple"', choices='["a", "b"]', answer='["a", "z"]'),
        "questions.0.answer",
        "'z' is not one of the choices",
        10,
        id="multiple-answer-not-a-choice",
    ),
    pytest.param(
        question(kind='"multiple"', choices='["a", "b"]', answer="[]"),
        "questions.0.answer",
        "at least 1",
        10,
        id="multiple-answer-empty",
    ),
    pytest.param(
        question(kind='"matching"', choices='["x", "y"]', answer='{ "left" = "q" }'),
        "questions.0.answer",
        "'left' is matched to 'q'",
        10,
        id="matching-option-not-a-choice",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "a"]', answer='"a"'),
        "questions.0.choices",
        "appears more than once",
        9,
        id="duplicate-choice",
    ),
    pytest.param(
        question(kind='"single"', choices='["a"]', answer='"a"'),
        "questions.0.choices",
        "at least 2",
        9,
        id="too-few-choices",
    ),
    pytest.param(
        question(kind='"single"', choices=str([str(n) for n in range(9)]).replace("'", '"'), answer='"1"'),
        "questions.0.choices",
        "at most 8",
        9,
        id="too-many-choices",
    ),
    pytest.param(
        question(kind='"truefalse"', answer='"yes"'),
        "questions.0.answer",
        "valid boolean",
        9,
        id="truefalse-not-a-bool",
    ),
    pytest.param(
        question(kind='"truefalse"', answer="true", choices='["true", "false"]'),
        "questions.0.choices",
        "true/false questions have no choices",
        10,
        id="truefalse-with-choices",
    ),
    pytest.param(
        question(kind='"numeric"', answer='"ten"'),
        "questions.0.answer",
        "valid number",
        9,
        id="numeric-not-a-number",
    ),
    pytest.param(
        question(kind='"numeric"', answer="10", tolerance="-1"),
        "questions.0.tolerance",
        "greater than or equal to 0",
        10,
        id="numeric-negative-tolerance",
    ),
    pytest.param(
        question(kind='"ordering"', choices='["a", "b"]', answer='["a", "b"]'),
        "questions.0.answer",
        "write `choices` in the correct order",
        10,
        id="ordering-with-answer",
    ),
    pytest.param(
        question(kind='"scenario"', scenario='"sqs-lambda"', measure='"invocations"', answer="3"),
        "questions.0.answer",
        "scenario questions have no answer key",
        11,
        id="scenario-with-answer",
    ),
    pytest.param(
        question(kind='"scenario"', scenario='"sqs-lambda"', measure='"happiness"'),
        "questions.0.measure",
        "unknown summary field 'happiness'",
        10,
        id="scenario-unknown-measure",
    ),
    pytest.param(
        question(kind='"scenario"', scenario='"no-such-preset"', measure='"invocations"'),
        "questions.0.scenario",
        "unknown scenario preset 'no-such-preset'",
        9,
        id="unknown-preset",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"', unit='"s"'),
        "questions.0.unit",
        "single questions have no 'unit' field",
        11,
        id="field-of-another-kind",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"', colour='"red"'),
        "questions.0.colour",
        "unknown field",
        11,
        id="unknown-field",
    ),
    pytest.param(question(kind='"essay"'), "questions.0.kind", "unknown kind 'essay'", 8, id="unknown-kind"),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"', difficulty="4").replace(
            "difficulty = 1\n", ""
        ),
        "questions.0.difficulty",
        "1, 2 or 3",
        10,
        id="difficulty-out-of-range",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"').replace('explanation = "Why."\n', ""),
        "questions.0.explanation",
        "required field is missing",
        1,
        id="missing-explanation",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"').replace(
            'source = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html"\n', ""
        ),
        "questions.0.source",
        "required field is missing",
        1,
        id="missing-source",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"').replace(
            "https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html", "see the docs"
        ),
        "questions.0.source",
        "http(s) URL",
        7,
        id="source-not-a-url",
    ),
    pytest.param(
        question(kind='"single"', choices='["a", "b"]', answer='"a"').replace(
            'lesson = "bank-lesson"', 'lesson = "nowhere"'
        ),
        "questions.0.lesson",
        "unknown lesson 'nowhere'",
        3,
        id="unknown-lesson",
    ),
]


@pytest.mark.parametrize("bank, field, message, line", REFUSALS)
def test_a_bad_question_is_refused_naming_file_line_and_field(bank, field, message, line):
    course, problems = parse_bank(bank)
    assert [p.field for p in problems] == [field], problems
    problem = problems[0]
    assert problem.file.endswith("quizzes/bank.toml")
    assert message in problem.message
    assert problem.line == line
    assert not [q for q in course.questions if q.id == "q-one"], "a refused question is never asked"


def test_duplicate_ids_across_files_name_both_places(tmp_path):
    good = question("dup", kind='"truefalse"', answer="true")
    course, problems = bank_problems(tmp_path, good, {"quizzes/other.toml": "\n\n" + good})
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file.endswith("quizzes/other.toml") and problem.field == "questions.0.id"
    assert problem.line == 4, "the line of the second file's id"
    assert "duplicate question id 'dup'" in problem.message and "quizzes/bank.toml:2" in problem.message
    assert [q.file for q in course.questions if q.id == "dup"] == [problems[0].file.replace("other", "bank")]


def test_a_duplicate_of_a_builtin_question_is_refused(tmp_path):
    banks = sorted((builtin_content_dir() / "quizzes").glob("*.toml"))
    assert banks, "the built-in course has question banks to collide with"
    taken = tomllib.loads(banks[0].read_text(encoding="utf-8"))["questions"][0]["id"]
    _, problems = bank_problems(tmp_path, question(taken, kind='"truefalse"', answer="true"))
    assert [(p.field, f"duplicate question id {taken!r}" in p.message) for p in problems] == [
        ("questions.0.id", True)
    ]


def test_a_file_without_questions_and_stray_keys_are_named():
    _, problems = parse_bank('title = "My bank"\n')
    assert sorted(p.field for p in problems) == ["questions", "title"]
    assert all(p.file.endswith("quizzes/bank.toml") for p in problems)


def test_one_bad_question_does_not_hide_the_good_ones():
    bank = question("q-bad", kind='"single"', choices='["a", "b"]', answer='"c"') + question(
        "q-good", kind='"truefalse"', answer="true"
    )
    course, problems = parse_bank(bank)
    assert [p.field for p in problems] == ["questions.0.answer"]
    assert [q.id for q in course.questions if q.lesson == "bank-lesson"] == ["q-good"]
