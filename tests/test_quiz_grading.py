"""Every answer key accepts the answers that must pass and refuses the ones that must fail.

The scoring rule under test (docs/content-format.md): one point per question; `multiple` earns
(right picks - wrong picks) / right answers, floored at 0; `ordering` the fraction of steps in
place; `matching` the fraction of pairs right; every other kind all or nothing.
"""

import itertools
from pathlib import Path

import pytest

from tutor.content.course import Question
from tutor.content.loader import load_course
from tutor.quiz.grading import AnswerError, format_points, grade, parse_number, right_answer_text
from tutor.quiz.scenario_answers import compute_scenario_answers

QUIZPACK = Path(__file__).parent / "data" / "quizpack"


def make(kind: str, **fields) -> Question:
    base = {
        "id": f"t-{kind}",
        "kind": kind,
        "lesson": "l",
        "module": "m",
        "difficulty": 1,
        "prompt": "?",
        "explanation": "because",
        "source": "https://docs.aws.amazon.com/lambda/",
    }
    base.update(fields)
    if kind == "ordering":
        base["answer"] = tuple(base["choices"])
    return Question(**base)


SINGLE = make("single", choices=("200", "202", "429", "500"), answer="200")
MULTIPLE = make("multiple", choices=("a", "b", "c", "d"), answer=("a", "c"))
TRUEFALSE = make("truefalse", answer=False)
NUMERIC = make("numeric", answer=2.5, tolerance=0.5, unit="s")
EXACT = make("numeric", answer=900.0)
ORDERING = make("ordering", choices=("one", "two", "three", "four", "five"))
MATCHING = make(
    "matching",
    choices=("Synchronous", "Asynchronous", "Poll"),
    answer={"API Gateway": "Synchronous", "Amazon S3": "Asynchronous", "Amazon SQS": "Poll"},
)
SCENARIO = make("scenario", scenario="p", measure="invocations", tolerance=0.0)
SCENARIO_CHOICES = make("scenario", scenario="p", measure="invocations", choices=(1.0, 2.0, 3.0, 4.0))


@pytest.mark.parametrize(
    "question, response, points",
    [
        (SINGLE, "200", 1.0),
        (SINGLE, "500", 0.0),
        (SINGLE, "202", 0.0),
        (MULTIPLE, {"a", "c"}, 1.0),
        (MULTIPLE, ["c", "a"], 1.0),
        (MULTIPLE, {"a"}, 0.5),
        (MULTIPLE, {"a", "b"}, 0.0),
        (MULTIPLE, {"a", "b", "c"}, 0.5),
        (MULTIPLE, {"b", "d"}, 0.0),
        (MULTIPLE, set(), 0.0),
        (MULTIPLE, {"a", "b", "c", "d"}, 0.0),
        (TRUEFALSE, False, 1.0),
        (TRUEFALSE, True, 0.0),
        (NUMERIC, 2.5, 1.0),
        (NUMERIC, 2, 1.0),
        (NUMERIC, 3, 1.0),
        (NUMERIC, "3 s", 1.0),
        (NUMERIC, " 2.75 ", 1.0),
        (NUMERIC, 1.99, 0.0),
        (NUMERIC, "3.01", 0.0),
        (NUMERIC, -2.5, 0.0),
        (EXACT, "900", 1.0),
        (EXACT, 900.0000000001, 1.0),
        (EXACT, "899", 0.0),
        (EXACT, "15", 0.0),
        (ORDERING, ["one", "two", "three", "four", "five"], 1.0),
        (ORDERING, ["two", "one", "three", "four", "five"], 0.6),
        (ORDERING, ["five", "four", "three", "two", "one"], 0.2),
        (ORDERING, ["two", "three", "four", "five", "one"], 0.0),
        (MATCHING, {"API Gateway": "Synchronous", "Amazon S3": "Asynchronous", "Amazon SQS": "Poll"}, 1.0),
        (MATCHING, {"API Gateway": "Synchronous", "Amazon S3": "Poll", "Amazon SQS": "Poll"}, 0.6667),
        (MATCHING, {"API Gateway": "Synchronous"}, 0.3333),
        (MATCHING, {"API Gateway": "Poll", "Amazon S3": "Synchronous", "Amazon SQS": None}, 0.0),
        (MATCHING, {}, 0.0),
    ],
)
def test_the_scoring_rule(question, response, points):
    result = grade(question, response)
    assert result.points == pytest.approx(points)
    assert result.max_points == 1.0
    assert result.correct is (points == 1.0)


@pytest.mark.parametrize(
    "response, points", [(3, 1.0), ("3", 1.0), (3.0000000001, 1.0), (2, 0.0), ("4", 0.0)]
)
def test_a_scenario_answer_is_the_computed_value(response, points):
    assert grade(SCENARIO, response, computed=3.0).points == points


@pytest.mark.parametrize("response, points", [(3.0, 1.0), (2.0, 0.0), (4, 0.0)])
def test_a_scenario_question_with_choices_takes_one_of_them(response, points):
    assert grade(SCENARIO_CHOICES, response, computed=3.0).points == points


def test_a_scenario_question_cannot_be_graded_without_its_computed_answer():
    with pytest.raises(ValueError, match="needs its computed answer"):
        grade(SCENARIO, 3)


@pytest.mark.parametrize(
    "question, response, message",
    [
        (SINGLE, "201", "not one of the choices"),
        (SINGLE, None, "not one of the choices"),
        (MULTIPLE, "a", "pick one or more"),
        (MULTIPLE, {"a", "z"}, "'z' is not one of the choices"),
        (TRUEFALSE, "false", "true or false"),
        (NUMERIC, "two", "'two' is not a number"),
        (NUMERIC, "", "nothing is not a number"),
        (NUMERIC, "nan", "finite"),
        (NUMERIC, "inf", "finite"),
        (NUMERIC, True, "type a number"),
        (ORDERING, ["one", "two"], "each step exactly once"),
        (ORDERING, ["one", "one", "three", "four", "five"], "each step exactly once"),
        (MATCHING, {"Amazon Kinesis": "Poll"}, "not one of the items"),
        (MATCHING, {"API Gateway": "Streaming"}, "not one of the choices"),
        (SCENARIO_CHOICES, 7.0, "7 is not one of the choices"),
    ],
)
def test_a_response_that_cannot_be_graded_says_why(question, response, message):
    with pytest.raises(AnswerError, match=message):
        grade(question, response, computed=3.0)


def test_multiple_choice_never_scores_below_zero():
    for size in range(len(MULTIPLE.choices) + 1):
        for picked in itertools.combinations(MULTIPLE.choices, size):
            assert 0.0 <= grade(MULTIPLE, set(picked)).points <= 1.0


def test_ordering_and_matching_score_between_zero_and_one():
    for order in itertools.permutations(ORDERING.choices):
        points = grade(ORDERING, list(order)).points
        assert 0.0 <= points <= 1.0
        assert (points == 1.0) is (order == ORDERING.choices)


@pytest.mark.parametrize(
    "text, value", [("1,000", 1000.0), ("15 s", 15.0), ("15S", 15.0), ("-0.5", -0.5), ("1e3", 1000.0)]
)
def test_typed_numbers_are_read_as_people_write_them(text, value):
    assert parse_number(text, "s") == value


def test_the_right_answer_is_spelled_out_for_feedback():
    assert right_answer_text(SINGLE) == "200"
    assert right_answer_text(MULTIPLE) == "a; c"
    assert right_answer_text(TRUEFALSE) == "false"
    assert right_answer_text(NUMERIC) == "2.5 s (± 0.5)"
    assert right_answer_text(ORDERING) == "one → two → three → four → five"
    assert (
        right_answer_text(MATCHING)
        == "API Gateway → Synchronous; Amazon S3 → Asynchronous; Amazon SQS → Poll"
    )
    assert right_answer_text(SCENARIO, computed=3.0) == "3"


# -- every question of the real bank (and the test pack): its key accepts right and refuses wrong ----


def right_response(question: Question, computed: float | None):
    kind = question.kind
    if kind in ("single", "truefalse", "numeric"):
        return question.answer
    if kind == "multiple":
        return set(question.answer)
    if kind == "ordering":
        return list(question.choices)
    if kind == "matching":
        return dict(question.answer)
    return (
        next(c for c in question.choices if abs(c - computed) <= question.tolerance + 1e-9)
        if question.choices
        else computed
    )


def wrong_response(question: Question, computed: float | None):
    kind = question.kind
    if kind == "single":
        return next(choice for choice in question.choices if choice != question.answer)
    if kind == "multiple":
        wrong = [c for c in question.choices if c not in question.answer]
        return set(question.answer[1:]) | set(wrong[:1]) if wrong else set(question.answer[1:])
    if kind == "truefalse":
        return not question.answer
    if kind == "numeric":
        return question.answer + question.tolerance + max(1.0, abs(question.answer))
    if kind == "ordering":
        return list(reversed(question.choices))
    if kind == "matching":
        options = list(question.choices)
        return {
            left: options[(options.index(right) + 1) % len(options)]
            for left, right in question.answer.items()
        }
    if question.choices:
        return next(c for c in question.choices if abs(c - computed) > question.tolerance + 1e-9)
    return computed + question.tolerance + 1.0


def _bank():
    course, _ = load_course([QUIZPACK])
    answers, _ = compute_scenario_answers(course)
    return course, answers


_COURSE, _ANSWERS = _bank()


@pytest.mark.parametrize("question", _COURSE.questions, ids=lambda q: q.id)
def test_each_bank_question_accepts_its_answer_and_refuses_a_wrong_one(question):
    computed = _ANSWERS.get(question.id)
    if question.kind == "scenario":
        assert computed is not None, (
            f"{question.id}: the simulator gave no answer (run lambda-tutor validate)"
        )
    right = grade(question, right_response(question, computed), computed)
    assert right.correct and right.points == 1.0
    wrong = grade(question, wrong_response(question, computed), computed)
    assert not wrong.correct and wrong.points < 1.0
    assert right_answer_text(question, computed)


def test_the_bank_holds_the_test_pack_and_the_builtin_questions():
    modules = {question.module for question in _COURSE.questions}
    assert "quizpack" in modules
    assert modules - {"quizpack"}, "the built-in course has question banks"


@pytest.mark.parametrize(
    ("points", "shown"),
    [(3.0, "3"), (2.5, "2.5"), (0.6667, "0.67"), (0.3333, "0.33"), (5.6666, "5.67"), (0.0, "0")],
)
def test_points_are_shown_to_two_places_without_a_trailing_zero(points, shown):
    assert format_points(points) == shown


def test_an_ordering_given_as_an_unordered_set_is_refused():
    ordering = make("ordering", choices=("first", "second", "third"))
    with pytest.raises(AnswerError, match="put every step in an order"):
        grade(ordering, {"first", "second", "third"})


def test_a_typed_scenario_answer_may_carry_its_unit():
    timed = make("scenario", scenario="p", measure="latency_s.p50", unit="s", tolerance=0.0)
    assert grade(timed, "0.7 s", computed=0.7).correct
    assert not grade(timed, "0.8 s", computed=0.7).correct


def test_a_true_statement_is_spelled_out_as_true():
    assert right_answer_text(make("truefalse", answer=True)) == "true"


@pytest.mark.parametrize(
    ("answer", "shown"),
    [(1234.5, "1,234.5 s"), (1000.5, "1,000.5 s"), (999.5, "999.5 s"), (1500.0, "1,500 s")],
)
def test_numbers_from_a_thousand_up_are_grouped_in_the_answer_key(answer, shown):
    assert right_answer_text(make("numeric", answer=answer, unit="s")) == shown


def test_a_scenario_the_simulator_could_not_run_says_so_in_the_answer_key():
    assert right_answer_text(SCENARIO) == "unknown (the simulator could not run this scenario)"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("inf", "type a finite number, e.g. 15 or 0.5"),
        ("two", "'two' is not a number: type digits, e.g. 15 or 0.5"),
        ("  ", "nothing is not a number: type digits, e.g. 15 or 0.5"),
    ],
)
def test_what_a_learner_typed_wrong_is_answered_in_one_exact_line(typed, message):
    with pytest.raises(AnswerError) as caught:
        grade(NUMERIC, typed)
    assert str(caught.value) == message
