"""Bank hygiene: true/false answers do not lean one way, near-duplicates share a declared group."""

from collections import defaultdict

import pytest
from test_quiz_validation import LESSON, question

from tutor.cli import main
from tutor.content.loader import load_course


def write_pack(tmp_path, bank: str):
    pack = tmp_path / "pack"
    (pack / "sync").mkdir(parents=True)
    (pack / "sync" / "99-bank.md").write_text(LESSON, encoding="utf-8")
    (pack / "quizzes").mkdir()
    (pack / "quizzes" / "bank.toml").write_text(bank, encoding="utf-8")
    return pack


def statements(*answers: bool, **fields) -> str:
    return "".join(
        question(f"q-tf-{n}", kind='"truefalse"', answer=str(answer).lower(), **fields)
        for n, answer in enumerate(answers)
    )


def validate_lines(pack, capsys) -> tuple[int, list[str]]:
    status = main(["validate", str(pack)])
    return status, capsys.readouterr().out.strip().splitlines()


def test_validate_names_a_bank_whose_true_false_answers_lean_true(tmp_path, capsys):
    pack = write_pack(tmp_path, statements(False, True, True, True, True))
    status, lines = validate_lines(pack, capsys)
    assert status == 2
    [line] = lines
    assert line.startswith(f"{pack}/quizzes/bank.toml:") and ": questions.1.answer: " in line
    assert "4 of 5 true/false answers in this bank are true (80 %); keep 40-60 % true" in line


@pytest.mark.parametrize(
    "answers",
    [(True, False), (True, False, False), (True, True, False), (True, False, True, False, False)],
    ids=["1 of 2", "1 of 3", "2 of 3", "2 of 5"],
)
def test_a_balanced_bank_or_one_as_near_half_as_its_count_allows_is_valid(tmp_path, capsys, answers):
    status, lines = validate_lines(write_pack(tmp_path, statements(*answers)), capsys)
    assert status == 0, lines


def test_a_question_naming_an_undeclared_group_is_refused_in_one_line(tmp_path, capsys):
    bank = '[groups]\nstatus-200 = "A synchronous Invoke answers 200 when the function throws"\n\n'
    bank += question("q-a", kind='"truefalse"', answer="true", group='"status-200"')
    bank += question("q-b", kind='"truefalse"', answer="false", group='"status-20"')
    pack = write_pack(tmp_path, bank)
    status, lines = validate_lines(pack, capsys)
    assert status == 2
    assert [line.split(": ", 2)[1:] for line in lines] == [
        [
            "questions.1.group",
            "unknown group 'status-20'; declare it in this bank's [groups] (declared: status-200)",
        ],
        [
            "groups.status-200",
            "used by 1 question; a group ties two or more questions that test the same fact",
        ],
    ]
    course, _ = load_course([pack])
    assert [q.id for q in course.questions if q.lesson == "bank-lesson"] == ["q-a"]


def test_two_questions_of_a_declared_group_load_with_their_group(tmp_path, capsys):
    bank = '[groups]\nstatus-200 = "A synchronous Invoke answers 200 when the function throws"\n\n'
    bank += statements(True, False, group='"status-200"')
    pack = write_pack(tmp_path, bank)
    status, lines = validate_lines(pack, capsys)
    assert status == 0, lines
    course, _ = load_course([pack])
    assert {q.id: q.group for q in course.questions if q.lesson == "bank-lesson"} == {
        "q-tf-0": "status-200",
        "q-tf-1": "status-200",
    }


def test_every_builtin_module_keeps_its_true_false_answers_near_half_and_uses_groups():
    course, problems = load_course()
    assert problems == []
    answers = defaultdict(list)
    for q in course.questions:
        if q.kind == "truefalse":
            answers[q.module].append(q.answer)
    for module, given in answers.items():
        true, count = sum(given), len(given)
        assert 0.4 * count <= true <= 0.6 * count or abs(true - count / 2) <= 0.5, (module, true, count)
    grouped = defaultdict(set)
    for q in course.questions:
        if q.group:
            grouped[(q.module, q.group)].add(q.id)
    assert grouped and all(len(ids) >= 2 for ids in grouped.values())
