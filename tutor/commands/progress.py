"""`lambda-tutor progress`: show, export or reset one profile's progress (never imports Textual)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from tutor.errors import UserError

READ_MARK = "✓ read"
UNREAD_MARK = "· not read"
TABLE_WIDTH = 64  # one width for every table, so the report reads as one page


def run(args) -> int:
    profile = args.profile
    export = getattr(args, "export", None)
    reset = getattr(args, "reset", False)
    assume_yes = getattr(args, "yes", False)
    if reset and export:
        raise UserError("--reset and --export cannot be combined: export first, then reset")
    if assume_yes and not reset:
        raise UserError("--yes only applies to --reset")

    course = None
    if export != "csv" and not reset:
        # The JSON export names the course and pack versions it was made against.
        from tutor.content.loader import load_course_or_fail

        course = load_course_or_fail(getattr(args, "content", []))

    from tutor.progress.store import open_store

    with open_store() as store:
        if store.notice:
            # stderr, so that an export on stdout stays a valid document.
            print(f"lambda-tutor: {store.notice}", file=sys.stderr)
        # 'DAVE' is Dave, who logged in in the browser: the same learner, the same progress.
        profile = store.known_profile(profile) or profile
        if reset:
            return _reset(store, profile, assume_yes)
        if export == "json":
            from tutor.progress.export import learner_export

            json.dump(learner_export(store, profile, course), sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
        if export == "csv":
            from tutor.progress.export import write_csv

            write_csv(store.export(profile), sys.stdout)
            return 0
        _show(store, profile, course)
    return 0


def _reset(store, profile: str, assume_yes: bool) -> int:
    if not store.has_progress(profile):
        print(f"Profile {profile} has no progress to forget.")
        return 0
    if not assume_yes:
        sys.stdout.write(f"Forget all progress for profile {profile}? [y/N] ")
        sys.stdout.flush()
        answer = sys.stdin.readline() if sys.stdin is not None and not sys.stdin.closed else ""
        if answer.strip().lower() not in ("y", "yes"):
            # At EOF the terminal line never ended; start ours on a fresh one.
            print(
                ("" if answer.endswith("\n") else "\n")
                + f"Nothing changed: progress for profile {profile} is kept."
            )
            return 1
    store.reset(profile)
    print(f"Forgot all progress for profile {profile} (settings such as the theme are kept).")
    return 0


def _show(store, profile: str, course) -> None:
    from rich.console import Console
    from rich.table import Table

    read = store.lessons_read_at(profile)
    best = store.quiz_best(profile)
    attempts = store.quiz_attempt_counts(profile)
    exercises = store.exercise_results(profile)
    due = store.due_reviews(profile, datetime.now(UTC).date())
    last = store.last_activity(profile)

    console = Console()
    in_course = [lesson_id for lesson_id in course.lessons if lesson_id in read]
    summary = f"Profile [bold]{profile}[/]: {len(in_course)} of {len(course.lessons)} lessons read"
    summary += f" · last activity {last:%Y-%m-%d %H:%M} UTC" if last else " · nothing done yet"
    console.print(summary)
    if due:
        console.print(f"Review: {len(due)} question{'s' if len(due) != 1 else ''} due")

    for module in course.modules:
        table = Table(
            title=f"{module.title} [dim]({module.id})[/]",
            title_justify="left",
            caption_justify="left",
            min_width=TABLE_WIDTH,
        )
        table.add_column("Lesson")
        table.add_column("Status", no_wrap=True)
        table.add_column("Read (UTC)", no_wrap=True)
        for lesson in course.lessons_in(module.id):
            at = read.get(lesson.id)
            table.add_row(lesson.title, READ_MARK if at else UNREAD_MARK, f"{at:%Y-%m-%d}" if at else "")
        table.caption = _quiz_line(best.get(module.id), attempts.get(module.id, 0))
        console.print(table)

    known_modules = {module.id for module in course.modules}
    other = Table(title="Other (no longer in the course)", title_justify="left", min_width=TABLE_WIDTH)
    other.add_column("Kind")
    other.add_column("Id")
    other.add_column("Result")
    for lesson_id, at in read.items():
        if lesson_id not in course.lessons:
            other.add_row("lesson", lesson_id, f"{READ_MARK} {at:%Y-%m-%d}")
    for module_id, score in best.items():
        if module_id not in known_modules:
            other.add_row(
                "quiz", module_id, _quiz_line(score, attempts.get(module_id, 0)).removeprefix("Quiz: ")
            )
    if other.row_count:
        console.print(other)

    if exercises:
        titles = {getattr(item, "id", None): getattr(item, "title", None) for item in course.exercises}
        table = Table(title="Exercises", title_justify="left", min_width=TABLE_WIDTH)
        table.add_column("Exercise")
        table.add_column("Result", no_wrap=True)
        table.add_column("Attempts", justify="right")
        for exercise_id, result in sorted(exercises.items()):
            table.add_row(
                titles.get(exercise_id) or exercise_id,
                "✓ passed" if result.passed else "✗ not passed yet",
                str(result.attempts),
            )
        console.print(table)


def _quiz_line(score, attempt_count: int) -> str:
    from tutor.quiz.scoring import format_percent

    if score is None:
        return "Quiz: not taken yet"
    plural = "s" if attempt_count != 1 else ""
    return (
        f"Quiz: best {score.points:g} of {score.max_points:g} points ({format_percent(score.percent)}), "
        f"{attempt_count} attempt{plural}"
    )
