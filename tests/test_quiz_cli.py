"""`lambda-tutor quiz` refuses a bad module in one line, and the quiz layers never import Textual."""

import subprocess
import sys

import pytest

from tutor.cli import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["quiz", "nope"],
            "lambda-tutor: unknown module 'nope'; choose one of: overview, sync, async, esm, choosing",
        ),
        (["quiz", "sync", "--review"], "lambda-tutor: give a MODULE or --review, not both"),
        (
            ["quiz", "--review", "--all"],
            "lambda-tutor: --all asks every question of a module's quiz; the review asks what is due, "
            "not both",
        ),
    ],
)
def test_a_bad_quiz_request_is_one_line_and_status_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message
    assert captured.out == ""


def test_a_module_without_questions_is_refused_before_the_app_opens(tmp_path, capsys):
    pack = tmp_path / "pack"
    (pack / "empty").mkdir(parents=True)
    (pack / "course.toml").write_text('format_version = 1\n[[modules]]\nid = "empty"\ntitle = "Empty"\n')
    (pack / "empty" / "01-a.md").write_text(
        '+++\nid = "empty-a"\ntitle = "A"\nmodule = "empty"\nobjectives = ["x"]\n'
        'sources = ["https://docs.aws.amazon.com/lambda/"]\n+++\n# A\n'
    )
    assert main(["--content", str(pack), "quiz", "empty"]) == 2
    assert capsys.readouterr().err.strip() == "lambda-tutor: module 'empty' has no quiz questions yet"


def test_grading_scheduling_and_scenario_answers_never_import_textual():
    code = (
        "import sys\n"
        "import tutor.content.questions, tutor.quiz.grading, tutor.quiz.review, tutor.quiz.session\n"
        "assert 'fsrs' not in sys.modules, 'fsrs is imported only to schedule an answer'\n"
        "import tutor.quiz.scenario_answers\n"
        "from tutor.content.loader import load_course\n"
        "from tutor.quiz.scenario_answers import compute_scenario_answers\n"
        "course, _ = load_course()\n"
        "compute_scenario_answers(course, course.questions[:20])\n"
        "assert not [m for m in sys.modules if m.startswith(('textual', 'tutor.ui'))], 'Textual imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
