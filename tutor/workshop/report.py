"""The instructor's view of a room: one row per learner (profile) of the shared progress store.

Counts are taken against the course as loaded now (built-in plus any packs), so a lesson or an
exercise that is no longer in the course does not count towards "n of total". Never imports
Textual: `lambda-tutor workshop report` runs where no terminal app is wanted.
"""

from __future__ import annotations

import csv
import json
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


def build_report(store, course: Course) -> list[LearnerRow]:
    lesson_ids = set(course.lessons)
    module_ids = [module.id for module in course.modules]
    exercise_ids = {exercise.id for exercise in course.exercises}
    rows = []
    for profile in store.profiles():
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


def utc_text(moment: datetime | None) -> str:
    """Seconds are enough for a report; always UTC with a Z, like the progress export."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def write_json(rows: list[LearnerRow], course: Course, out: TextIO) -> None:
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
        caption=(
            "Quizzes: best score per module (· not taken). Predicted: right of answered (skipped), "
            "then hint levels opened. Times are UTC."
        ),
        caption_justify="left",
    )
    table.add_column("Learner", no_wrap=True)
    table.add_column("Lessons", justify="right", no_wrap=True)
    if per_module:
        for module in course.modules:
            table.add_column(module.id, justify="right", no_wrap=True)
    else:
        table.add_column("Quizzes")
    table.add_column("Exercises", justify="right", no_wrap=True)
    # One narrow column for both: at 80 columns the quizzes need the room.
    table.add_column("Predicted\n· hints", justify="right", no_wrap=True)
    table.add_column("Last activity", no_wrap=True)
    for row in rows:
        scores = {
            module.id: format_percent(row.quiz_best[module.id])
            for module in course.modules
            if module.id in row.quiz_best
        }
        if per_module:
            quizzes = [scores.get(module.id, "·") for module in course.modules]
        else:
            quizzes = [" · ".join(f"{module_id} {score}" for module_id, score in scores.items()) or "·"]
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
