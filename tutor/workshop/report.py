"""The instructor's view of a room: one row per learner (profile) of the shared progress store.

Counts are taken against the course as loaded now (built-in plus any packs), so a lesson or an
exercise that is no longer in the course does not count towards "n of total". Never imports
Textual: `lambda-tutor workshop report` runs where no terminal app is wanted.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from tutor.content.course import Course
from tutor.quiz.scoring import format_percent, shown_percent


@dataclass(frozen=True)
class LearnerRow:
    profile: str
    lessons_read: int
    lessons_total: int
    quiz_best: dict[str, float]  # module id -> best percent, only for quizzes taken
    exercises_passed: int
    exercises_total: int
    last_activity: datetime | None
    predictions_made: int = 0  # lesson predictions answered with a number (skips not included)
    predictions_right: int = 0
    predictions_skipped: int = 0
    hints_used: int = 0  # hint levels opened, summed over the course's exercises


def build_report(store, course: Course, learners: list[str]) -> list[LearnerRow]:
    """One row per learner named (tutor.workshop.room.read_room), those who did nothing included."""
    lesson_ids = set(course.lessons)
    module_ids = [module.id for module in course.modules]
    exercise_ids = {exercise.id for exercise in course.exercises}
    rows = []
    for profile in learners:
        best = store.quiz_best(profile)
        results = store.exercise_results(profile)
        predictions = [p for p in store.predictions(profile).values() if p.lesson_id in lesson_ids]
        hints = store.hints_used(profile)
        rows.append(
            LearnerRow(
                profile=profile,
                lessons_read=len(store.read_lessons(profile) & lesson_ids),
                lessons_total=len(lesson_ids),
                quiz_best={
                    module_id: best[module_id].percent for module_id in module_ids if module_id in best
                },
                exercises_passed=sum(
                    1
                    for exercise_id, result in results.items()
                    if result.passed and exercise_id in exercise_ids
                ),
                exercises_total=len(exercise_ids),
                last_activity=store.last_activity(profile),
                predictions_made=sum(1 for p in predictions if p.predicted is not None),
                predictions_right=sum(1 for p in predictions if p.within),
                predictions_skipped=sum(1 for p in predictions if p.predicted is None),
                hints_used=sum(level for exercise_id, level in hints.items() if exercise_id in exercise_ids),
            )
        )
    return rows


def unknown_ids(store, course: Course, learners: list[str]) -> dict[str, int]:
    """How many distinct lessons, module quizzes and exercises the learners' progress names that the
    course as loaded lacks: usually a pack the learners used and the report was run without."""
    lesson_ids = set(course.lessons)
    module_ids = {module.id for module in course.modules}
    exercise_ids = {exercise.id for exercise in course.exercises}
    lessons: set[str] = set()
    modules: set[str] = set()
    exercises: set[str] = set()
    for profile in learners:
        lessons.update(store.read_lessons(profile), store.predictions(profile))
        last = store.last_lesson(profile)
        if last is not None:
            lessons.add(last)
        modules.update(store.quiz_attempt_counts(profile))
        exercises.update(attempt.exercise_id for attempt in store.exercise_attempts(profile))
        exercises.update(store.hints_used(profile))
    return {
        "lesson": len(lessons - lesson_ids),
        "module quiz": len(modules - module_ids),
        "exercise": len(exercises - exercise_ids),
    }


def unknown_note(counts: dict[str, int]) -> str | None:
    """One line for stderr when the learners' progress names parts the loaded course lacks."""
    total = sum(counts.values())
    if not total:
        return None
    parts = ", ".join(f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in counts.items() if count)
    return (
        f"warning: the learners' progress names {total} id{'s' if total != 1 else ''} this course lacks "
        f"({parts}), left out of the report: run it with the pack they used, --content DIR"
    )


def utc_text(moment: datetime | None) -> str:
    """Seconds are enough for a report; always UTC with a Z, like the progress export."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def write_json(rows: list[LearnerRow], course: Course, out: TextIO, not_joined: Sequence[str] = ()) -> None:
    document: dict[str, Any] = {
        "modules": [module.id for module in course.modules],
        "lessons_total": len(course.lessons),
        "exercises_total": len(course.exercises),
        "learners": [
            {
                "profile": row.profile,
                "lessons_read": row.lessons_read,
                "lessons_total": row.lessons_total,
                "quiz_best_percent": {
                    module_id: shown_percent(value) for module_id, value in row.quiz_best.items()
                },
                "exercises_passed": row.exercises_passed,
                "exercises_total": row.exercises_total,
                "predictions_made": row.predictions_made,
                "predictions_right": row.predictions_right,
                "predictions_skipped": row.predictions_skipped,
                "hints_used": row.hints_used,
                "last_activity": utc_text(row.last_activity) or None,
            }
            for row in rows
        ],
        # On the roster and not come yet: no row, since there is nothing of theirs to count.
        "not_joined": list(not_joined),
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_csv(rows: list[LearnerRow], course: Course, out: TextIO) -> None:
    module_ids = [module.id for module in course.modules]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "profile",
            "lessons_read",
            "lessons_total",
            *(f"quiz_{m}_percent" for m in module_ids),
            "exercises_passed",
            "exercises_total",
            "predictions_made",
            "predictions_right",
            "predictions_skipped",
            "hints_used",
            "last_activity_utc",
        ]
    )
    for row in rows:
        quizzes = [shown_percent(row.quiz_best[m]) if m in row.quiz_best else "" for m in module_ids]
        writer.writerow(
            [
                row.profile,
                row.lessons_read,
                row.lessons_total,
                *quizzes,
                row.exercises_passed,
                row.exercises_total,
                row.predictions_made,
                row.predictions_right,
                row.predictions_skipped,
                row.hints_used,
                utc_text(row.last_activity),
            ]
        )


def rich_table(rows: list[LearnerRow], course: Course, width: int):
    """One column per module quiz when `width` allows it; else one column listing the quizzes taken."""
    wide = _table(rows, course, per_module=True)
    from rich.console import Console
    from rich.measure import Measurement

    # Measured on an unbounded console: a measurement never exceeds the console it is taken on.
    console = Console(width=10_000)
    if Measurement.get(console, console.options, wide).maximum <= width:
        return wide
    return _table(rows, course, per_module=False)


def _table(rows: list[LearnerRow], course: Course, *, per_module: bool):
    from rich import box
    from rich.table import Table

    table = Table(
        title="Workshop report",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,  # two more columns for an 80-column terminal
        caption=(
            "Quizzes: best score per module (· not taken). Predicted: right of answered (skipped), "
            "then hint levels opened. Times are UTC."
        ),
        caption_justify="left",
    )
    # In the narrow layout a long name wraps rather than squeezing the quizzes or the times out.
    table.add_column("Learner", max_width=None if per_module else 12, overflow="fold")
    table.add_column("Lessons", justify="right", no_wrap=True)
    if per_module:
        for module in course.modules:
            table.add_column(module.id, justify="right", no_wrap=True)
    else:
        # Never squeezed out of the table by a long name, as it was with no minimum; wide enough
        # for "overview 9.7 %", so a score never wraps apart from its module.
        table.add_column("Quizzes", min_width=14)
    table.add_column("Exercises", justify="right", no_wrap=True)
    # One narrow column for both: at 80 columns the quizzes need the room.
    table.add_column("Predicted\n· hints", justify="right", no_wrap=True)
    table.add_column("Last activity", no_wrap=True, min_width=16)
    for row in rows:
        scores = {
            module.id: format_percent(row.quiz_best[module.id])
            for module in course.modules
            if module.id in row.quiz_best
        }
        if per_module:
            quizzes = [scores.get(module.id, "·") for module in course.modules]
        else:
            # One module per line: wrapped at spaces, "sync 80 %" would leave a lone "%" below.
            quizzes = ["\n".join(f"{module_id} {score}" for module_id, score in scores.items()) or "·"]
        last = row.last_activity.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if row.last_activity else "never"
        table.add_row(
            row.profile,
            f"{row.lessons_read}/{row.lessons_total}",
            *quizzes,
            f"{row.exercises_passed}/{row.exercises_total}",
            f"{row.predictions_right}/{row.predictions_made}"
            + (f" ({row.predictions_skipped})" if row.predictions_skipped else "")
            + f" · {row.hints_used}",
            last,
        )
    return table


# -- what a report covers: a pack, a time window -----------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The part of the course a report counts (a pack's, or all of it) and since when."""

    lesson_ids: frozenset[str]
    module_ids: tuple[str, ...]
    exercise_ids: frozenset[str]
    since: datetime | None = None

    def counts(self, moment: datetime) -> bool:
        return self.since is None or moment >= self.since


def exercise_pack(exercise) -> str:
    # An exercise's file is named `<pack label>/exercises/<file>.toml`: its pack is two folders up.
    from pathlib import PurePosixPath

    return PurePosixPath(exercise.file).parent.parent.name


def course_scope(course: Course, pack: str | None = None, since: datetime | None = None) -> Scope:
    """The whole course, or one pack's part of it; an unknown pack is a one-line error naming them."""
    from tutor.errors import UserError
    from tutor.progress.export import pack_name

    if pack is None:
        return Scope(
            frozenset(course.lessons),
            tuple(module.id for module in course.modules),
            frozenset(exercise.id for exercise in course.exercises),
            since,
        )
    roots = {pack_name(root, course.packs): root for root in course.packs}
    if pack not in roots:
        raise UserError(f"--pack {pack}: no such pack in this course; packs: {', '.join(roots)}")
    root = roots[pack]
    folder = root.name
    return Scope(
        frozenset(lesson_id for lesson_id, lesson in course.lessons.items() if lesson.pack == root),
        tuple(module.id for module in course.modules if module.pack == root),
        frozenset(exercise.id for exercise in course.exercises if exercise_pack(exercise) == folder),
        since,
    )


def parse_since(text: str, now: datetime) -> datetime:
    """`2026-12-05` (midnight UTC), `2026-12-05T09:00` (UTC unless it says otherwise), or `90m`,
    `2h`, `3d` back from `now`."""
    import re
    from datetime import timedelta

    from tutor.errors import UserError

    value = text.strip()
    match = re.fullmatch(r"(\d+)\s*([mhd])", value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        unit_name = {"m": "minutes", "h": "hours", "d": "days"}[unit]
        return now - timedelta(**{unit_name: amount})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--since {text!r}: use a UTC date (2026-12-05), a time (2026-12-05T09:00) "
            "or a duration back from now (90m, 2h, 3d)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)


def build_scoped_report(store, course: Course, scope: Scope, learners: list[str]) -> list[LearnerRow]:
    """`build_report` limited to a pack's lessons, quizzes and exercises and to what was done since."""
    rows = []
    for profile in learners:
        read = {lesson for lesson, at in store.lessons_read_at(profile).items() if scope.counts(at)}
        best: dict[str, float] = {}
        for attempt in store.quiz_attempts(profile):
            if attempt.module_id in scope.module_ids and scope.counts(attempt.finished_at):
                best[attempt.module_id] = max(best.get(attempt.module_id, 0.0), attempt.percent)
        passed = {
            attempt.exercise_id
            for attempt in store.exercise_attempts(profile)
            if attempt.passed
            and attempt.exercise_id in scope.exercise_ids
            and scope.counts(attempt.finished_at)
        }
        predictions = [
            p
            for p in store.predictions(profile).values()
            if p.lesson_id in scope.lesson_ids and scope.counts(p.answered_at)
        ]
        hints: dict[str, int] = {}
        for exercise_id, level, at in store.hints_shown(profile):
            if exercise_id in scope.exercise_ids and scope.counts(at):
                hints[exercise_id] = max(hints.get(exercise_id, 0), level)
        rows.append(
            LearnerRow(
                profile=profile,
                lessons_read=len(read & scope.lesson_ids),
                lessons_total=len(scope.lesson_ids),
                quiz_best={module_id: best[module_id] for module_id in scope.module_ids if module_id in best},
                exercises_passed=len(passed),
                exercises_total=len(scope.exercise_ids),
                last_activity=store.last_activity(profile),
                predictions_made=sum(1 for p in predictions if p.predicted is not None),
                predictions_right=sum(1 for p in predictions if p.within),
                predictions_skipped=sum(1 for p in predictions if p.predicted is None),
                hints_used=sum(hints.values()),
            )
        )
    return rows


# -- per exercise ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseRow:
    exercise_id: str
    title: str
    tried: tuple[str, ...]  # learners with at least one run, by name
    passed: tuple[str, ...]
    first_try: tuple[str, ...]  # learners whose first run passed
    attempts: int


def build_exercise_report(store, course: Course, scope: Scope, learners: list[str]) -> list[ExerciseRow]:
    runs: dict[str, dict[str, list[bool]]] = {}
    for profile in learners:
        for attempt in store.exercise_attempts(profile):
            if attempt.exercise_id in scope.exercise_ids and scope.counts(attempt.finished_at):
                runs.setdefault(attempt.exercise_id, {}).setdefault(profile, []).append(attempt.passed)
    rows = []
    for exercise in course.exercises:
        if exercise.id not in scope.exercise_ids:
            continue
        by_learner = runs.get(exercise.id, {})
        rows.append(
            ExerciseRow(
                exercise.id,
                exercise.title,
                tuple(sorted(by_learner)),
                tuple(sorted(p for p, results in by_learner.items() if any(results))),
                tuple(sorted(p for p, results in by_learner.items() if results[0])),
                sum(len(results) for results in by_learner.values()),
            )
        )
    return rows


# -- per question -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    question_id: str
    module_id: str
    answered: int  # answers in finished quizzes, every attempt counted
    right: int
    wrong_answers: tuple[tuple[str, int], ...]  # (answer as shown, times chosen), most chosen first

    @property
    def right_percent(self) -> float:
        return 100.0 * self.right / self.answered if self.answered else 0.0


def answer_text(response, choices: tuple = ()) -> str:
    """A stored response as the learner saw it: a choice's text rather than its position."""
    if response is None:
        return "?"  # a matching item submitted without a match, shown as the quiz shows it
    if isinstance(response, list):
        return " + ".join(answer_text(item, choices) for item in response)
    if isinstance(response, dict):
        return ", ".join(f"{key}→{answer_text(value)}" for key, value in sorted(response.items()))
    if isinstance(response, int) and not isinstance(response, bool) and 0 <= response < len(choices):
        return str(choices[response])
    return f"{response:g}" if isinstance(response, float) else str(response)


def build_question_report(store, course: Course, scope: Scope, learners: list[str]) -> list[QuestionRow]:
    """Per question asked: how often answered and right, the wrong answers chosen; most missed first.
    Answers to quizzes finished before the store kept them (schema 6) count, without their text."""
    from collections import Counter

    module_of = {question.id: question.module for question in course.questions}
    choices = {question.id: question.choices for question in course.questions}
    answered: Counter[str] = Counter()
    right: Counter[str] = Counter()
    wrong: dict[str, Counter[str]] = {}
    for profile in learners:
        for attempt in store.quiz_attempts(profile):
            if attempt.module_id not in scope.module_ids or not scope.counts(attempt.finished_at):
                continue
            for result in attempt.results:
                if result.question_id not in module_of:
                    continue  # no longer in the course
                answered[result.question_id] += 1
                if result.correct:
                    right[result.question_id] += 1
                elif result.response is not None:
                    wrong.setdefault(result.question_id, Counter())[
                        answer_text(result.response, choices[result.question_id])
                    ] += 1
    rows = [
        QuestionRow(
            question_id,
            module_of[question_id],
            count,
            right[question_id],
            tuple(wrong.get(question_id, Counter()).most_common()),
        )
        for question_id, count in answered.items()
    ]
    return sorted(rows, key=lambda row: (row.right_percent, -row.answered, row.question_id))


def write_exercises(
    rows: list[ExerciseRow], form: str, out: TextIO, width: int, *, learners_in_room: int
) -> None:
    """Passes are counted out of the learners who ran the exercise at least once, and the table
    says so; how many of the room tried is its own column, so an exercise nobody reached shows 0
    tried rather than a pass rate of 0/0."""
    if form == "json":
        json.dump(
            {
                "learners_in_room": learners_in_room,
                "exercises": [
                    {
                        "exercise_id": row.exercise_id,
                        "title": row.title,
                        "tried": list(row.tried),
                        "passed": list(row.passed),
                        "first_try_passes": list(row.first_try),
                        "attempts": row.attempts,
                    }
                    for row in rows
                ],
            },
            out,
            indent=2,
            ensure_ascii=False,
        )
        out.write("\n")
        return
    if form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["exercise_id", "tried", "passed", "first_try_passes", "attempts", "passed_by"])
        for row in rows:
            writer.writerow(
                [
                    row.exercise_id,
                    len(row.tried),
                    len(row.passed),
                    len(row.first_try),
                    row.attempts,
                    " ".join(row.passed),
                ]
            )
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title="Workshop report by exercise",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,  # two more columns for the names at 80 columns
        caption=f"Tried: learners who ran it at least once, of the {learners_in_room} in the room. "
        "Passed and 1st try count those who tried.",
        caption_justify="left",
    )
    table.add_column("Exercise", no_wrap=True)
    table.add_column("Tried", justify="right", no_wrap=True)
    table.add_column("Passed/tried", justify="right", no_wrap=True)
    table.add_column("1st try", justify="right", no_wrap=True)
    table.add_column("Runs", justify="right", no_wrap=True)
    table.add_column("Passed by")
    for row in rows:
        table.add_row(
            row.exercise_id,
            f"{len(row.tried)}/{learners_in_room}",
            f"{len(row.passed)}/{len(row.tried)}" if row.tried else "·",
            str(len(row.first_try)),
            str(row.attempts),
            ", ".join(row.passed) or "·",
        )
    Console(file=out, width=width).print(table)


def write_questions(rows: list[QuestionRow], form: str, out: TextIO, width: int) -> None:
    if form == "json":
        json.dump(
            {
                "questions": [
                    {
                        "question_id": row.question_id,
                        "module_id": row.module_id,
                        "answered": row.answered,
                        "right": row.right,
                        "right_percent": shown_percent(row.right_percent),
                        "wrong_answers": [
                            {"answer": text, "times": times} for text, times in row.wrong_answers
                        ],
                    }
                    for row in rows
                ]
            },
            out,
            indent=2,
            ensure_ascii=False,
        )
        out.write("\n")
        return
    if form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["question_id", "module_id", "answered", "right", "right_percent", "wrong_answers"])
        for row in rows:
            writer.writerow(
                [
                    row.question_id,
                    row.module_id,
                    row.answered,
                    row.right,
                    shown_percent(row.right_percent),
                    "; ".join(f"{text} ×{times}" for text, times in row.wrong_answers),
                ]
            )
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title="Workshop report by question (most missed first)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption="Wrong answers: what was chosen instead, most often first (× times).",
        caption_justify="left",
    )
    table.add_column("Question", no_wrap=True)
    table.add_column("Answered", justify="right", no_wrap=True)
    table.add_column("Right", justify="right", no_wrap=True)
    table.add_column("Wrong answers chosen")
    for row in rows:
        table.add_row(
            row.question_id,
            str(row.answered),
            format_percent(row.right_percent),
            "; ".join(f"{text} ×{times}" for text, times in row.wrong_answers[:3]) or "·",
        )
    Console(file=out, width=width).print(table)
