"""A quiz session from first question to stored attempt and review cards, with a frozen clock."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import card_due

from tutor.content.loader import load_course
from tutor.progress.store import QuestionResult, open_store
from tutor.quiz.draw import draw_questions
from tutor.quiz.grading import AnswerError
from tutor.quiz.session import CannotResume, QuizSession, presented_steps

QUIZPACK = Path(__file__).parent / "data" / "quizpack"
NOW = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
ANSWERS = {"qp-retries-run": 3.0}
RIGHT = {
    "qp-sync-status": "200",
    "qp-invocation-types": {"RequestResponse", "Event", "DryRun"},
    "qp-async-202": True,
    "qp-retry-count": "2",
    "qp-status-match": {"RequestResponse": "200", "Event": "202", "DryRun": "204"},
    "qp-async-steps": [
        "The caller gets 202",
        "The first attempt fails",
        "The first retry, about a minute later",
        "The second retry, about two minutes later",
        "The event goes to the on-failure destination",
    ],
    "qp-retries-run": 3,
}


@pytest.fixture(scope="module")
def course():
    course, _ = load_course([QUIZPACK])
    return course


def clock_at(moment: datetime):
    return lambda: moment


def take(session: QuizSession, responses: dict) -> None:
    while not session.finished:
        session.submit(responses[session.current.id])
        session.advance()


def test_a_module_quiz_asks_its_questions_lesson_by_lesson(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    assert session.title == "Quiz pack: one question of each kind"
    assert [q.lesson for q in session.questions] == ["quizpack-status"] * 4 + ["quizpack-retries"] * 3
    assert session.counter == "1 / 7"
    session.submit("202")
    assert session.counter == "1 / 7", "the feedback still belongs to question 1"
    session.advance()
    assert session.counter == "2 / 7"


def test_ordering_steps_are_shuffled_the_same_way_every_time_and_never_shown_solved(course):
    question = next(q for q in course.questions if q.id == "qp-async-steps")
    first = presented_steps(question)
    assert first == presented_steps(question)
    assert sorted(first) == sorted(question.choices) and first != list(question.choices)


def test_matching_shows_the_left_items_in_the_bank_order(course):
    question = next(q for q in course.questions if q.id == "qp-status-match")
    assert question.matching_left == ("RequestResponse", "Event", "DryRun")


def test_a_finished_quiz_is_stored_with_every_result_and_misses_enter_review(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    responses = dict(RIGHT, **{"qp-sync-status": "500", "qp-invocation-types": {"RequestResponse", "Event"}})
    take(session, responses)
    assert session.points == pytest.approx(5 + 2 / 3, abs=1e-3)
    assert session.max_points == 7
    assert session.percent == pytest.approx(80.95, abs=0.01)
    assert session.passed and not session.perfect
    assert [q.id for q in session.missed()] == ["qp-sync-status", "qp-invocation-types"]
    topics = {t.topic: (t.right, t.asked, round(t.points, 2)) for t in session.topics()}
    assert topics == {"Status codes": (2, 4, 2.67), "Async retries": (3, 3, 3.0)}

    [attempt] = store.quiz_attempts("ann")
    assert attempt.id == session.attempt_id and attempt.module_id == "quizpack"
    assert attempt.finished_at == NOW
    assert {r.question_id: (round(r.points, 4), r.correct) for r in attempt.results}[
        "qp-invocation-types"
    ] == (0.6667, False)
    assert store.quiz_best("ann")["quizpack"].percent == pytest.approx(80.95, abs=0.01)
    # 23:30 UTC on March 1st: tomorrow is March 2nd, whatever the local time zone says.
    assert {qid: card.due for qid, card in store.review_cards("ann").items()} == {
        "qp-sync-status": date(2026, 3, 2),
        "qp-invocation-types": date(2026, 3, 2),
    }
    assert session.finish() == session.attempt_id
    assert len(store.quiz_attempts("ann")) == 1, "finishing twice stores one attempt"
    store.close()


def test_leaving_a_quiz_half_way_stores_no_attempt(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    session.submit("500")
    session.advance()
    assert session.finish() is None
    assert store.quiz_attempts("ann") == []
    assert store.review_card("ann", "qp-sync-status").due == date(2026, 3, 2), "the miss is kept for review"
    store.close()


def test_retrying_the_missed_questions_is_practice_not_an_attempt(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    retry = session.retry()
    assert [q.id for q in retry.questions] == ["qp-async-202"]
    take(retry, RIGHT)
    assert retry.perfect
    assert len(store.quiz_attempts("ann")) == 1
    assert store.quiz_best("ann")["quizpack"].percent < 100
    assert store.review_card("ann", "qp-async-202").due == date(2026, 3, 2), "not due yet: not rushed"
    store.close()


def test_a_review_asks_what_is_due_and_moves_the_cards(course):
    store = open_store()
    first = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    take(first, dict(RIGHT, **{"qp-async-202": False, "qp-retry-count": "3"}))
    same_day = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(NOW))
    assert same_day.total == 0

    next_day = NOW + timedelta(days=1)
    review = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(next_day))
    assert review.title == "Review" and [q.id for q in review.questions] == ["qp-async-202", "qp-retry-count"]
    take(review, dict(RIGHT, **{"qp-retry-count": "4"}))
    assert {qid: card.due for qid, card in store.review_cards("ann").items()} == {
        "qp-async-202": date(2026, 3, 4),
        "qp-retry-count": date(2026, 3, 3),
    }
    assert len(store.quiz_attempts("ann")) == 1, "a review stores no quiz attempt"
    store.close()


def test_a_review_skips_questions_no_longer_in_the_course(course):
    store = open_store()
    store.set_review_card("ann", "a-question-that-was-removed", card_due(date(2026, 3, 1)))
    review = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(NOW))
    assert review.total == 0
    store.close()


def test_a_scenario_question_without_a_computed_answer_is_left_out_with_a_notice(course):
    session = QuizSession.for_module(course, "quizpack", answers={})
    assert "qp-retries-run" not in [q.id for q in session.questions]
    assert session.total == 6
    assert "1 scenario question(s) left out" in session.notice


def test_answers_come_one_at_a_time(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    with pytest.raises(RuntimeError):
        session.advance()
    with pytest.raises(AnswerError):
        session.submit("201")
    assert session.current_result is None, "an ungradable response is not an answer"
    session.submit("200")
    with pytest.raises(RuntimeError):
        session.submit("200")


def steps_with_the_first_two_swapped() -> list[str]:
    steps = list(RIGHT["qp-async-steps"])
    return [steps[1], steps[0], *steps[2:]]


def test_exactly_80_percent_passes_and_is_stored_as_the_best(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    # One question wrong and three of five steps in place: 5.6 of 7 points, exactly 80 %.
    take(
        session,
        dict(RIGHT, **{"qp-sync-status": "500", "qp-async-steps": steps_with_the_first_two_swapped()}),
    )
    assert session.points == pytest.approx(5.6)
    assert session.passed and not session.perfect
    assert store.quiz_best("ann")["quizpack"].percent == pytest.approx(80.0)
    store.close()


def test_one_step_less_misses_the_pass_and_a_perfect_run_is_perfect(course):
    missed = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    swapped = RIGHT["qp-async-steps"][::-1]  # only the middle step stays in place: 1 of 5
    take(missed, dict(RIGHT, **{"qp-sync-status": "500", "qp-async-steps": swapped}))
    assert missed.percent == pytest.approx(100 * 5.2 / 7) and not missed.passed

    perfect = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(perfect, RIGHT)
    assert perfect.passed and perfect.perfect


def test_a_session_with_nothing_answered_is_neither_passed_nor_perfect(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    assert session.percent == 0 and not session.passed and not session.perfect


def test_a_retry_of_one_question_still_sums_up_its_topic(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    retry = session.retry()
    take(retry, RIGHT)
    [topic] = retry.topics()
    assert (topic.lesson_id, topic.topic, topic.right, topic.asked) == (
        "quizpack-status",
        "Status codes",
        1,
        1,
    )
    assert (topic.points, topic.max_points, topic.percent) == (1.0, 1.0, 100.0)


def test_a_retry_keeps_the_quiz_title_and_module_and_is_practice(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(session, dict(RIGHT, **{"qp-retries-run": 4}))
    retry = session.retry()
    assert (retry.title, retry.module_id, retry.mode) == (session.title, "quizpack", "retry")
    # The scenario answer travels with it: the retried scenario question is graded, not refused.
    take(retry, RIGHT)
    assert retry.perfect


# -- drawn quizzes ---------------------------------------------------------------------------------

BUILT_IN, _ = load_course()


def module_bank(course, module_id: str):
    return [q for q in course.questions if q.module == module_id]


def lessons_with_questions(course, module_id: str) -> set[str]:
    return {q.lesson for q in module_bank(course, module_id)}


@pytest.mark.parametrize("module", [m.id for m in BUILT_IN.modules])
def test_a_drawn_quiz_asks_about_every_lesson_of_the_module_before_any_twice(module):
    bank = module_bank(BUILT_IN, module)
    lesson_ids = BUILT_IN.module(module).lesson_ids
    drawn = draw_questions(bank, lesson_ids, BUILT_IN.quiz_size, {})
    assert len(drawn) == BUILT_IN.quiz_size == 12 < len(bank)
    assert {q.lesson for q in drawn} == lessons_with_questions(BUILT_IN, module)
    per_lesson = Counter(q.lesson for q in drawn)
    assert max(per_lesson.values()) - min(per_lesson.values()) <= 1, per_lesson
    assert len({q.id for q in drawn}) == len(drawn)
    positions = [lesson_ids.index(q.lesson) for q in drawn]
    assert positions == sorted(positions), "asked lesson by lesson"


def test_a_small_quiz_size_asks_about_the_lessons_not_known_yet():
    bank = module_bank(BUILT_IN, "sync")
    lesson_ids = BUILT_IN.module("sync").lesson_ids
    known_lesson = lesson_ids[0]
    history = {q.id: (True, NOW) for q in bank if q.lesson == known_lesson}
    drawn = draw_questions(bank, lesson_ids, len(lesson_ids) - 1, history)
    assert {q.lesson for q in drawn} == set(lesson_ids) - {known_lesson}


def test_a_drawn_quiz_prefers_questions_not_answered_right_yet():
    bank = module_bank(BUILT_IN, "async")
    lesson_ids = BUILT_IN.module("async").lesson_ids
    first = draw_questions(bank, lesson_ids, 12, {})
    # The first quiz all right: the next one asks none of those again while others are left.
    history = {q.id: (True, NOW) for q in first}
    second = draw_questions(bank, lesson_ids, 12, history)
    assert not {q.id for q in first} & {q.id for q in second}
    # Missed questions count as not known: asked again before questions answered right.
    missed = first[0]
    history = {q.id: (True, NOW) for q in bank if q is not missed}
    history[missed.id] = (False, NOW)
    assert missed in draw_questions(bank, lesson_ids, len(lesson_ids), history)
    # Among questions answered right, the one asked longest ago comes back first.
    lesson = [q for q in bank if q.lesson == lesson_ids[0]]
    history = {q.id: (True, NOW) for q in bank}
    history[lesson[-1].id] = (True, NOW - timedelta(days=30))
    assert lesson[-1] in draw_questions(bank, lesson_ids, len(lesson_ids), history)


def test_a_drawn_quiz_never_asks_two_questions_of_one_group():
    bank = module_bank(BUILT_IN, "esm")
    lesson_ids = BUILT_IN.module("esm").lesson_ids
    # Pairs of neighbours share a group, and one group spans the first lesson and a question of the second.
    grouped = [replace(q, group=f"pair-{position // 2}") for position, q in enumerate(bank)]
    spanning = [q for q in grouped if q.lesson == lesson_ids[0]] + [
        next(q for q in grouped if q.lesson == lesson_ids[1])
    ]
    grouped = [replace(q, group="spanning") if q in spanning else q for q in grouped]
    for size in (5, 12, len(bank)):
        drawn = draw_questions(grouped, lesson_ids, size, {})
        groups = [q.group for q in drawn]
        assert len(groups) == len(set(groups)), groups
    assert len(draw_questions(grouped, lesson_ids, len(bank), {})) < len(bank)


def test_a_module_quiz_draws_from_what_the_learner_got_right_so_far(tmp_path):
    store = open_store()
    session = QuizSession.for_module(
        BUILT_IN, "sync", answers={}, store=store, profile="ann", clock=clock_at(NOW)
    )
    assert session.total <= 12 and session.bank_size == len(module_bank(BUILT_IN, "sync"))
    first = {q.id for q in session.questions}
    store.record_quiz_attempt(
        "ann", "sync", [QuestionResult(question_id, 1, 1, True) for question_id in first], NOW
    )
    again = QuizSession.for_module(
        BUILT_IN, "sync", answers={}, store=store, profile="ann", clock=clock_at(NOW)
    )
    assert not first & {q.id for q in again.questions}
    every = QuizSession.for_module(BUILT_IN, "sync", answers={}, every_question=True)
    assert every.total > 12, "every question (but the scenario ones: no answers were given)"
    store.close()


def write_pack(root: Path, course_extra: str) -> Path:
    (root / "tiny").mkdir(parents=True)
    (root / "course.toml").write_text(
        f'format_version = 1\n{course_extra}\n[[modules]]\nid = "tiny"\ntitle = "Tiny"\n'
    )
    for number in (1, 2):
        (root / "tiny" / f"0{number}-l.md").write_text(
            f'+++\nid = "tiny-{number}"\ntitle = "L{number}"\nmodule = "tiny"\nobjectives = ["x"]\n'
            'sources = ["https://docs.aws.amazon.com/lambda/"]\n+++\n# L\n'
        )
    (root / "quizzes").mkdir()
    (root / "quizzes" / "tiny.toml").write_text(
        '[groups]\nsame = "Two wordings of one fact"\n\n'
        + "".join(
            f'[[questions]]\nid = "tiny-q{n}"\nlesson = "tiny-{1 + n % 2}"\ndifficulty = 1\n'
            f'kind = "truefalse"\nprompt = "P{n}?"\nanswer = {str(n < 3).lower()}\nexplanation = "E."\n'
            f'source = "https://docs.aws.amazon.com/lambda/"\n{group}\n'
            for n, group in enumerate(['group = "same"', 'group = "same"', "", "", "", ""])
        )
    )
    return root


def test_a_pack_sets_the_quiz_size_and_groups_near_duplicates(tmp_path):
    course, problems = load_course([write_pack(tmp_path / "pack", "quiz_size = 4")])
    assert problems == [] and course.quiz_size == 4
    session = QuizSession.for_module(course, "tiny", answers={})
    assert session.total == 4 and session.bank_size == 6
    assert {q.lesson for q in session.questions} == {"tiny-1", "tiny-2"}
    whole = QuizSession.for_module(course, "tiny", answers={}, every_question=True)
    assert [q.group for q in whole.questions].count("same") == 2, "every question means every question"


@pytest.mark.parametrize(
    "setting", ["quiz_size = 0", "quiz_size = 1000", 'quiz_size = "ten"', "quiz_size = 2.5"]
)
def test_a_quiz_size_out_of_bounds_is_a_problem_naming_the_field(tmp_path, setting):
    course, problems = load_course([write_pack(tmp_path / "pack", setting)])
    assert (problems[0].field, problems[0].line) == ("quiz_size", 2), problems
    assert "Input should be" in problems[0].message
    assert course.quiz_size == 12


# -- quizzes left before the end -------------------------------------------------------------------


def test_a_resumed_quiz_scores_exactly_as_one_taken_in_one_go(course):
    responses = dict(RIGHT, **{"qp-invocation-types": {"RequestResponse", "Event"}, "qp-async-202": False})
    straight = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    take(straight, responses)

    store = open_store()
    left = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    for _ in range(3):
        left.submit(responses[left.current.id])
        left.advance()
    kept = store.kept_quiz("ann", "quizpack")
    assert kept.attempt_id == left.attempt_id and len(kept.answers) == 3
    resumed = QuizSession.resume(
        course, kept, answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    assert resumed.counter == "4 / 7" and resumed.questions == left.questions
    assert resumed.answered[1].response == {"RequestResponse", "Event"}, "a set comes back a set"
    take(resumed, responses)
    assert (resumed.points, resumed.percent, resumed.passed) == (
        straight.points,
        straight.percent,
        straight.passed,
    )
    [attempt] = store.quiz_attempts("ann")
    assert attempt.id == left.attempt_id, "the attempt keeps the id it had from its first question"
    assert [(r.question_id, r.points) for r in attempt.results] == [
        (a.question.id, a.grade.points) for a in straight.answered
    ]
    assert store.kept_quiz("ann", "quizpack") is None
    store.close()


def test_a_kept_quiz_whose_question_left_the_course_cannot_be_resumed(course):
    store = open_store()
    left = QuizSession.for_module(course, "quizpack", answers=ANSWERS, store=store, profile="ann")
    left.submit(RIGHT[left.current.id])
    kept = store.kept_quiz("ann", "quizpack")
    smaller = replace(course, questions=[q for q in course.questions if q.id != "qp-retry-count"])
    with pytest.raises(CannotResume, match="no longer has question 'qp-retry-count'"):
        QuizSession.resume(smaller, kept, answers=ANSWERS)
    store.close()


def test_a_resumed_quiz_shows_the_choices_in_the_order_it_showed_them(course):
    """The shuffle is keyed by the kept attempt's id: leaving and coming back changes no
    question's order, and a new attempt gets a new one."""
    store = open_store()
    left = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    left.begin()
    shown = {question.id: left.choice_order(question) for question in left.questions}
    left.submit(RIGHT[left.current.id])
    left.advance()
    resumed = QuizSession.resume(
        course,
        store.kept_quiz("ann", "quizpack"),
        answers=ANSWERS,
        store=store,
        profile="ann",
        clock=clock_at(NOW),
    )
    assert {question.id: resumed.choice_order(question) for question in resumed.questions} == shown
    later = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    later.begin()
    shuffled = [q for q in later.questions if len(q.choices) > 2 and q.kind != "ordering"]
    assert any(later.choice_order(q) != shown[q.id] for q in shuffled), "a new attempt, a new order"
    store.close()


# -- what the mutation pass found untested ---------------------------------------------------------


def test_steps_a_shuffle_would_show_solved_are_rotated_by_one(course):
    ordering = next(q for q in course.questions if q.kind == "ordering")
    # These ids' seeded shuffles happen to keep the bank order, which is the right answer.
    three = replace(ordering, id="steps-3", choices=("first", "second", "third"))
    assert presented_steps(three) == ["second", "third", "first"]
    two = replace(ordering, id="steps-0", choices=("first", "second"))
    assert presented_steps(two) == ["second", "first"]


def test_without_a_profile_answers_and_the_draw_belong_to_the_default_profile(course):
    store = open_store()
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS, store=store, clock=clock_at(NOW))
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    assert list(store.review_cards("default")) == ["qp-async-202"]
    assert len(store.quiz_attempts("default")) == 1

    first = QuizSession.for_module(BUILT_IN, "sync", answers={}, store=store, clock=clock_at(NOW))
    asked = {q.id for q in first.questions}
    store.record_quiz_attempt("default", "sync", [QuestionResult(qid, 1, 1, True) for qid in asked], NOW)
    again = QuizSession.for_module(BUILT_IN, "sync", answers={}, store=store, clock=clock_at(NOW))
    assert not asked & {q.id for q in again.questions}, "what was answered right is not drawn again"
    store.close()


def test_every_question_comes_lesson_by_lesson_even_when_the_bank_alternates(tmp_path):
    course, _ = load_course([write_pack(tmp_path / "pack", "quiz_size = 4")])
    bank = [q.lesson for q in course.questions if q.module == "tiny"]
    assert bank[:2] == ["tiny-1", "tiny-2"], "the bank alternates"
    whole = QuizSession.for_module(course, "tiny", answers={}, every_question=True)
    assert [q.lesson for q in whole.questions] == ["tiny-1"] * 3 + ["tiny-2"] * 3


def test_a_quiz_computes_its_scenario_answers_when_none_are_given(course):
    session = QuizSession.for_module(course, "quizpack")
    assert session.notice is None and session.total == 7
    scenario = next(q for q in session.questions if q.kind == "scenario")
    assert session.computed_answer(scenario) == 3.0
    take(session, RIGHT)
    assert session.perfect, "the computed answer grades the scenario question"


def test_a_resumed_drawn_quiz_keeps_its_title_bank_size_and_lesson_titles():
    store = open_store()
    left = QuizSession.for_module(
        BUILT_IN, "sync", answers={}, store=store, profile="ann", clock=clock_at(NOW)
    )
    left.submit(left.current.answer)
    resumed = QuizSession.resume(
        BUILT_IN, store.kept_quiz("ann", "sync"), answers={}, store=store, profile="ann", clock=clock_at(NOW)
    )
    assert resumed.total < resumed.bank_size == left.bank_size == len(module_bank(BUILT_IN, "sync"))
    assert resumed.title == left.title == BUILT_IN.module("sync").title
    first = resumed.questions[0]
    assert resumed.lesson_title(first) == BUILT_IN.lessons[first.lesson].title
    store.close()


def test_a_kept_scenario_question_the_simulator_cannot_answer_stops_the_resume(course):
    store = open_store()
    left = QuizSession.for_module(course, "quizpack", answers=ANSWERS, store=store, profile="ann")
    left.submit(RIGHT[left.current.id])
    kept = store.kept_quiz("ann", "quizpack")
    with pytest.raises(CannotResume) as refused:
        QuizSession.resume(course, kept, answers={}, store=store, profile="ann")
    assert str(refused.value) == "the simulator can no longer answer one of its scenario questions"
    # Without answers given, the resume computes them, as a new quiz does.
    resumed = QuizSession.resume(course, kept, store=store, profile="ann")
    assert resumed.computed_answer(next(q for q in resumed.questions if q.kind == "scenario")) == 3.0
    store.close()


def test_a_review_computes_its_scenario_answers_and_reads_as_a_review(course):
    store = open_store()
    first = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    take(first, dict(RIGHT, **{"qp-retries-run": 4}))
    next_day = clock_at(NOW + timedelta(days=1))

    review = QuizSession.for_review(course, store, "ann", clock=next_day)
    given = QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=next_day)
    unanswerable = QuizSession.for_review(course, store, "ann", answers={}, clock=next_day)
    assert (review.mode, review.notice, [q.id for q in review.questions]) == (
        "review",
        None,
        ["qp-retries-run"],
    )
    assert review.lesson_title(review.current) == "Async retries"
    assert review.submit(3).correct, "the computed answer grades the scenario question"
    assert given.submit(3).correct, "the answers given grade it too"

    assert unanswerable.total == 0
    assert unanswerable.notice == (
        "1 scenario question(s) left out: the simulator could not answer them "
        "(run lambda-tutor validate to see why)"
    )
    store.close()


def test_a_review_without_a_clock_reads_today_from_the_real_clock(course):
    store = open_store()
    assert QuizSession.for_review(course, store, "ann").total == 0
    store.close()


def test_a_retry_answered_the_next_day_moves_the_learners_review_card(course):
    store = open_store()
    now = [NOW]
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=lambda: now[0]
    )
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    assert store.review_card("ann", "qp-async-202").due == date(2026, 3, 2)
    # The results screen left open past midnight: the retried question is due, and answered right.
    now[0] = NOW + timedelta(days=1)
    take(session.retry(), RIGHT)
    assert store.review_card("ann", "qp-async-202").due == date(2026, 3, 4)
    store.close()


def test_the_choice_order_stays_put_from_the_first_question_shown_to_the_last(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    shown = {q.id: session.choice_order(q) for q in session.questions}
    session.submit(RIGHT[session.current.id])  # keeps the quiz: it now has an attempt id
    assert session.attempt_id is not None
    assert {q.id: session.choice_order(q) for q in session.questions} == shown
    store.close()


def shuffled_questions(course) -> list:
    return [
        q for q in course.questions if q.module == "quizpack" and q.kind in {"single", "multiple", "matching"}
    ]


def orders(session, questions) -> dict:
    return {q.id: session.choice_order(q) for q in questions}


def test_a_review_shows_a_new_choice_order_each_day_and_the_same_within_a_day(course):
    store = open_store()
    questions = shuffled_questions(course)

    def review_on(moment):
        return QuizSession.for_review(course, store, "ann", answers=ANSWERS, clock=clock_at(moment))

    today = orders(review_on(NOW), questions)
    assert orders(review_on(NOW), questions) == today
    assert orders(review_on(NOW + timedelta(days=1)), questions) != today
    store.close()


def test_a_retry_of_a_later_attempt_shows_a_new_choice_order(course):
    store = open_store()
    questions = shuffled_questions(course)
    seen = []
    for _ in range(2):
        session = QuizSession.for_module(
            course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
        )
        take(session, RIGHT)
        seen.append(orders(session.retry(), questions))
    assert seen[0] != seen[1]
    store.close()


def test_the_choice_order_depends_on_the_learner_and_the_question(course):
    questions = shuffled_questions(course)
    ann = QuizSession.for_module(course, "quizpack", answers=ANSWERS, profile="ann", clock=clock_at(NOW))
    bob = QuizSession.for_module(course, "quizpack", answers=ANSWERS, profile="bob", clock=clock_at(NOW))
    assert orders(ann, questions) != orders(bob, questions)
    # The same choices under other ids: a pattern a learner could learn would repeat here.
    single = next(q for q in questions if q.kind == "single")
    renamed = [replace(single, id=f"{single.id}-{n}") for n in range(5)]
    assert len({tuple(order) for order in orders(ann, renamed).values()}) > 1


def test_advance_says_whether_a_question_is_left(course):
    session = QuizSession.for_module(course, "quizpack", answers=ANSWERS)
    more = []
    while not session.finished:
        session.submit(RIGHT[session.current.id])
        more.append(session.advance())
    assert more == [True] * 6 + [False]


def test_the_stored_attempt_marks_each_question_right_or_wrong(course):
    store = open_store()
    session = QuizSession.for_module(
        course, "quizpack", answers=ANSWERS, store=store, profile="ann", clock=clock_at(NOW)
    )
    take(session, dict(RIGHT, **{"qp-async-202": False}))
    [attempt] = store.quiz_attempts("ann")
    assert {r.question_id: r.correct for r in attempt.results} == {
        q.id: q.id != "qp-async-202" for q in session.questions
    }
    assert store.answered_questions("ann")["qp-sync-status"][0] is True
    store.close()
