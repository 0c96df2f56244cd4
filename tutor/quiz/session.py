"""A quiz in progress, free of any UI: which question is next, what was answered, what it scored.

Three kinds of session share this object:
- a module quiz (`for_module`): questions drawn from the module's bank (`tutor.quiz.draw`), or the
  whole bank on request, lesson by lesson; its finished attempt is stored and drives the course
  map's marks. It is kept in the store from its first question, each answer as it is given, so a
  quiz left before the end can be resumed (`resume`), even after quitting, and scores exactly as
  if it had not been left;
- a review (`for_review`): the questions FSRS has due for review;
- a retry (`retry()`): the questions just missed. Reviews and retries are practice: they move
  review cards but store no attempt, so a retry of three questions never reads as a perfect quiz.

Every answer updates the question's review card at once (`tutor.quiz.review`), so leaving a
review half-way keeps what was done; a module attempt is scored only when the quiz is finished.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tutor.content.course import Course, Question
from tutor.quiz import review
from tutor.quiz.grading import Grade, grade
from tutor.quiz.scoring import is_perfect, passes

if TYPE_CHECKING:
    from tutor.progress.store import KeptQuiz

MODULE = "module"
REVIEW = "review"
RETRY = "retry"


@dataclass(frozen=True)
class Answered:
    question: Question
    response: Any
    grade: Grade


@dataclass(frozen=True)
class TopicScore:
    """How one lesson's questions went; the topic is the lesson's title."""

    lesson_id: str
    topic: str
    points: float
    max_points: float
    right: int
    asked: int

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0


def presented_steps(question: Question) -> list[str]:
    """An ordering question's steps as first shown: shuffled, the same way every time for this id.

    The bank lists the steps in their right order, so a shuffle that happens to keep that order
    is rotated by one: the question must never be shown already solved.
    """
    steps = list(question.choices)
    random.Random(zlib.crc32(question.id.encode("utf-8"))).shuffle(steps)
    if steps == list(question.choices):
        steps = steps[1:] + steps[:1]
    return steps


def _utc_now() -> datetime:
    from tutor.progress.store import utc_now

    return utc_now()


class QuizSession:
    def __init__(
        self,
        course: Course,
        questions: Sequence[Question],
        *,
        title: str,
        mode: str = MODULE,
        module_id: str | None = None,
        answers: Mapping[str, float] | None = None,
        store=None,
        profile: str = "default",
        clock: Callable[[], datetime] = _utc_now,
        notice: str | None = None,
        bank_size: int | None = None,
    ):
        self.course = course
        self.questions = list(questions)
        self.title = title
        self.mode = mode
        self.module_id = module_id
        self.scenario_answers = dict(answers or {})
        self.store = store
        self.profile = profile
        self.clock = clock
        self.notice = notice
        self.index = 0
        self.answered: list[Answered] = []
        # A module quiz's id from its first question on (`begin`); the stored attempt keeps it.
        self.attempt_id: int | None = None
        self.stored = False
        self._kept_answers = 0  # answers already written to the kept quiz
        # How many questions the module's whole bank holds: more than `total` when this is a draw.
        self.bank_size = self.total if bank_size is None else bank_size

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def for_module(
        cls,
        course: Course,
        module_id: str,
        *,
        answers: Mapping[str, float] | None = None,
        every_question: bool = False,
        **options: Any,
    ) -> QuizSession:
        """A quiz of `course.quiz_size` questions drawn from the module's bank, or the whole bank.

        The draw favours what the learner (`profile` in `store`, when given) has not answered right
        yet. Questions come lesson by lesson in course order. Scenario answers are computed here
        unless given; a scenario question the simulator cannot answer is left out and `notice` says
        so (`lambda-tutor validate` names the cause).
        """
        from tutor.quiz.draw import draw_questions

        module = course.module(module_id)
        lesson_order = {lesson_id: position for position, lesson_id in enumerate(module.lesson_ids)}
        bank = sorted(
            (q for q in course.questions if q.module == module_id),
            key=lambda q: lesson_order.get(q.lesson, len(lesson_order)),
        )
        questions = bank
        if not every_question:
            store = options.get("store")
            history = store.answered_questions(options.get("profile", "default")) if store else {}
            questions = draw_questions(bank, module.lesson_ids, course.quiz_size, history)
        questions, answers, notice = _with_scenario_answers(course, questions, answers)
        return cls(
            course,
            questions,
            title=module.title,
            mode=MODULE,
            module_id=module_id,
            answers=answers,
            notice=notice,
            bank_size=len(bank),
            **options,
        )

    @classmethod
    def resume(
        cls, course: Course, kept: KeptQuiz, *, answers: Mapping[str, float] | None = None, **options: Any
    ) -> QuizSession:
        """The kept quiz, at its next question, with the same questions in the same order and the
        answers given so far (scored as they were). Raises `CannotResume` when the course no longer
        has one of its questions, or the simulator can no longer answer one of them."""
        module = course.module(kept.module_id)
        by_id = {question.id: question for question in course.questions}
        missing = [question_id for question_id in kept.question_ids if question_id not in by_id]
        if missing:
            raise CannotResume(f"the course no longer has question {missing[0]!r}")
        questions = [by_id[question_id] for question_id in kept.question_ids]
        asked, answers, _ = _with_scenario_answers(course, questions, answers)
        if len(asked) < len(questions):
            raise CannotResume("the simulator can no longer answer one of its scenario questions")
        bank_size = sum(1 for question in course.questions if question.module == kept.module_id)
        session = cls(
            course,
            questions,
            title=module.title,
            mode=MODULE,
            module_id=kept.module_id,
            answers=answers,
            bank_size=bank_size,
            **options,
        )
        for question, answer in zip(questions, kept.answers, strict=False):
            session.answered.append(
                Answered(
                    question,
                    _response_from_json(question, answer.response),
                    Grade(answer.points, answer.max_points),
                )
            )
        session.attempt_id = kept.attempt_id
        session.index = session._kept_answers = len(session.answered)
        return session

    @classmethod
    def for_review(
        cls,
        course: Course,
        store,
        profile: str,
        *,
        answers: Mapping[str, float] | None = None,
        **options: Any,
    ) -> QuizSession:
        """The questions due for review today (UTC), the longest-waiting first."""
        clock = options.get("clock", _utc_now)
        due = store.due_reviews(profile, review.utc_today(clock()))
        by_id = {question.id: question for question in course.questions}
        questions = [by_id[question_id] for question_id in due if question_id in by_id]
        questions, answers, notice = _with_scenario_answers(course, questions, answers)
        return cls(
            course,
            questions,
            title="Review",
            mode=REVIEW,
            answers=answers,
            store=store,
            profile=profile,
            notice=notice,
            **options,
        )

    def retry(self) -> QuizSession:
        """A new session with the questions this one missed."""
        return QuizSession(
            self.course,
            self.missed(),
            title=self.title,
            mode=RETRY,
            module_id=self.module_id,
            answers=self.scenario_answers,
            store=self.store,
            profile=self.profile,
            clock=self.clock,
        )

    # -- where we are --------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def finished(self) -> bool:
        return self.index >= self.total

    @property
    def current(self) -> Question:
        if self.finished:
            raise IndexError("the quiz is finished")
        return self.questions[self.index]

    @property
    def counter(self) -> str:
        """ "7 / 12" for the seventh of twelve questions."""
        return f"{min(self.index + 1, self.total)} / {self.total}"

    @property
    def current_result(self) -> Answered | None:
        """The current question's result once submitted (the feedback step), else None."""
        if len(self.answered) > self.index:
            return self.answered[self.index]
        return None

    def computed_answer(self, question: Question) -> float | None:
        return self.scenario_answers.get(question.id)

    def lesson_title(self, question: Question) -> str:
        lesson = self.course.lessons.get(question.lesson)
        return lesson.title if lesson else question.lesson

    # -- the order choices are shown in (tutor.quiz.shuffle) -----------------------------------

    # Which attempt this is, for the shuffle; None until the first question asks (then derived).
    order_key: str | int | None = None

    def choice_order(self, question: Question) -> list[int]:
        """Bank positions of the question's choices in the order this attempt shows them."""
        from tutor.quiz.shuffle import SHUFFLED_KINDS, attempt_key, choice_order

        if question.kind not in SHUFFLED_KINDS:
            return list(range(len(question.choices)))
        if self.order_key is None and self.attempt_id is not None:
            # A kept module quiz: its stored id, so a resumed quiz shows the order it showed.
            self.order_key = self.attempt_id
        if self.order_key is None:
            today = review.utc_today(self.clock()).isoformat()
            self.order_key = attempt_key(self.mode, self.store, self.profile, self.module_id, today)
        return choice_order(self.profile, question.id, self.order_key, len(question.choices))

    # -- answering -----------------------------------------------------------------------------

    @property
    def keeps(self) -> bool:
        """A module quiz with a store is kept from its first question, so it can be resumed."""
        return self.mode == MODULE and self.store is not None and self.module_id is not None

    def begin(self) -> int | None:
        """Keep this module quiz in the store (replacing the module's kept one) and give it its
        attempt id; once only. Called before the first question is shown, and by `submit` at
        the latest."""
        if self.keeps and self.attempt_id is None and self.questions:
            self.attempt_id = self.store.keep_quiz(
                self.profile, self.module_id, [question.id for question in self.questions]
            )
        return self.attempt_id

    def submit(self, response: Any) -> Grade:
        """Grade the current question (raises `AnswerError` for a response that cannot be graded).

        A store that cannot be written raises its `UserError` after the answer is graded and
        counted; what could not be kept is written with the next answer.
        """
        if self.current_result is not None:
            raise RuntimeError("this question has been answered; move on with advance()")
        question = self.current
        result = grade(question, response, self.computed_answer(question))
        self.answered.append(Answered(question, response, result))
        if self.store is not None:
            today = review.utc_today(self.clock())
            review.record_review_answer(self.store, self.profile, question.id, result.correct, today)
            self._keep_answers()
        return result

    def _keep_answers(self) -> None:
        if not self.keeps or self.begin() is None:
            return
        from tutor.progress.store import KeptAnswer

        while self._kept_answers < len(self.answered):
            answered = self.answered[self._kept_answers]
            kept = KeptAnswer(
                answered.question.id,
                _response_to_json(answered.response),
                answered.grade.points,
                answered.grade.max_points,
            )
            self.store.keep_answer(self.profile, self.attempt_id, self._kept_answers, kept)
            self._kept_answers += 1

    def advance(self) -> bool:
        """Go to the next question after the feedback; False when the quiz is over."""
        if self.current_result is None:
            raise RuntimeError("answer the current question before moving on")
        self.index += 1
        if self.finished:
            self.finish()
        return not self.finished

    def finish(self) -> int | None:
        """Store a finished module quiz (once) under its attempt id, dropping what was kept of it;
        returns the attempt id, or None if nothing is stored."""
        if self.stored:
            return self.attempt_id
        if self.mode != MODULE or self.store is None:
            return None
        if not self.answered or len(self.answered) < self.total:
            return None
        from tutor.progress.store import QuestionResult

        results = [
            QuestionResult(
                a.question.id,
                a.grade.points,
                a.grade.max_points,
                a.grade.correct,
                _response_to_json(a.response),
            )
            for a in self.answered
        ]
        self.attempt_id = self.store.record_quiz_attempt(
            self.profile, self.module_id, results, self.clock(), attempt_id=self.attempt_id
        )
        self.stored = True
        return self.attempt_id

    # -- results -------------------------------------------------------------------------------

    @property
    def points(self) -> float:
        return sum(a.grade.points for a in self.answered)

    @property
    def max_points(self) -> float:
        return sum(a.grade.max_points for a in self.answered)

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.answered) and passes(self.percent)

    @property
    def perfect(self) -> bool:
        return bool(self.answered) and is_perfect(self.percent)

    def missed(self) -> list[Question]:
        return [a.question for a in self.answered if not a.grade.correct]

    def topics(self) -> list[TopicScore]:
        """Per lesson, in the order the lessons were first asked about."""
        grouped: dict[str, list[Answered]] = {}
        for answered in self.answered:
            grouped.setdefault(answered.question.lesson, []).append(answered)
        return [
            TopicScore(
                lesson_id=lesson_id,
                topic=self.lesson_title(items[0].question),
                points=sum(a.grade.points for a in items),
                max_points=sum(a.grade.max_points for a in items),
                right=sum(1 for a in items if a.grade.correct),
                asked=len(items),
            )
            for lesson_id, items in grouped.items()
        ]


class CannotResume(ValueError):
    """A kept quiz that this course can no longer ask as it was; the message says why."""


def _response_to_json(response: Any) -> Any:
    # Multiple choice answers with a set of choices; JSON has lists.
    return sorted(response) if isinstance(response, set | frozenset) else response


def _response_from_json(question: Question, response: Any) -> Any:
    return set(response) if question.kind == "multiple" else response


def _with_scenario_answers(
    course: Course, questions: list[Question], answers: Mapping[str, float] | None
) -> tuple[list[Question], dict[str, float], str | None]:
    from tutor.quiz.scenario_answers import compute_scenario_answers

    scenario_questions = [q for q in questions if q.kind == "scenario"]
    if answers is None:
        answers, _ = compute_scenario_answers(course, scenario_questions) if scenario_questions else ({}, [])
    answers = dict(answers)
    left_out = [q for q in scenario_questions if q.id not in answers]
    notice = None
    if left_out:
        notice = (
            f"{len(left_out)} scenario question(s) left out: the simulator could not answer them "
            "(run lambda-tutor validate to see why)"
        )
        questions = [q for q in questions if q.id not in {x.id for x in left_out}]
    return questions, answers, notice
