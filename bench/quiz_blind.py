"""A learner who does not read: press 1, then enter, on every question. What does that score?

    python bench/quiz_blind.py [--attempts 20] [--bank-order]

For every module's quiz, takes `--attempts` attempts (attempt keys 1..N, so each shows its own
choice order) and answers each question as the first key would: the first choice shown (single,
multiple, a scenario's choices), True, the number 1, the steps as first shown (ordering: 1 only
moves the highlight), and the first option for the first item of a matching (enter twice submits
the rest unmatched). Prints the mean score per module and over all modules; the goal is at most
30 %. `--bank-order` shows the choices as the bank lists them, as the quiz did before shuffling.

`blind_percent` takes the questions of one attempt, so a drawn quiz (a subset of a module's bank)
can be checked the same way: hand it the drawn questions and the session that shows them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# This checkout's `tutor`, not an installed copy: the figures must describe the banks beside it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.content.course import Course, Question
from tutor.quiz.grading import grade
from tutor.quiz.session import QuizSession, presented_steps

GOAL_PERCENT = 30.0
ATTEMPTS = 20


def first_key_response(question: Question, shown_order: list[int]) -> Any:
    """What "1, enter" answers on this question, with its choices shown in `shown_order`."""
    kind = question.kind
    first = question.choices[shown_order[0]] if question.choices else None
    if kind == "single":
        return first
    if kind == "multiple":
        return {first}
    if kind == "truefalse":
        return True
    if kind == "ordering":
        return presented_steps(question)
    if kind == "matching":
        return {left: (first if n == 0 else None) for n, left in enumerate(question.matching_left)}
    if kind == "scenario" and question.choices:
        return first
    return "1"


def blind_percent(
    questions: Sequence[Question],
    shown_order: Callable[[Question], list[int]],
    computed: Mapping[str, float],
) -> float:
    """The percent one attempt of `questions` scores when every answer is the first key."""
    points = sum(
        grade(q, first_key_response(q, shown_order(q)), computed.get(q.id)).points for q in questions
    )
    return 100.0 * points / len(questions) if questions else 0.0


def module_figures(course: Course, attempts: int = ATTEMPTS, bank_order: bool = False) -> dict[str, float]:
    """Per module with questions: the mean blind percent over `attempts` attempts of its quiz."""
    from tutor.quiz.scenario_answers import compute_scenario_answers

    answers, _ = compute_scenario_answers(course)
    figures = {}
    for module in course.modules:
        percents = []
        for attempt in range(1, attempts + 1):
            session = QuizSession.for_module(course, module.id, answers=answers, profile="blind")
            if not session.questions:
                break
            session.order_key = f"attempt {attempt}"

            def in_bank_order(question: Question) -> list[int]:
                return list(range(len(question.choices)))

            order = in_bank_order if bank_order else session.choice_order
            percents.append(blind_percent(session.questions, order, answers))
        if percents:
            figures[module.id] = statistics.fmean(percents)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=ATTEMPTS)
    parser.add_argument("--bank-order", action="store_true", help="show choices as the bank lists them")
    args = parser.parse_args(argv)
    if args.attempts < 1:
        parser.error("--attempts must be at least 1")
    from tutor.content.loader import load_course

    course, _ = load_course()
    figures = module_figures(course, args.attempts, args.bank_order)
    shown = "bank order" if args.bank_order else "shuffled per attempt"
    print(f"Blind '1 then enter', mean of {args.attempts} attempts, choices {shown}:")
    for module_id, percent in figures.items():
        print(f"  {module_id:<10} {percent:5.1f} %")
    overall = statistics.fmean(figures.values())
    verdict = "within" if overall <= GOAL_PERCENT else "over"
    print(f"  {'all':<10} {overall:5.1f} %  ({verdict} the {GOAL_PERCENT:g} % goal)")
    return 0 if overall <= GOAL_PERCENT else 1


if __name__ == "__main__":
    sys.exit(main())
