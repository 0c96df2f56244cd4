"""What `workshop watch` shows: one row per learner of the room, read from the shared store.

Kept apart from the screen (never imports Textual) so the rows can be built on a worker thread,
compared with the previous read (an unchanged room is not repainted) and tested without a UI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tutor.content.course import Course

# A learner who failed one exercise this often without passing it is probably going round in circles.
STUCK_FAILED_RUNS = 5
# A learner who started and has done nothing for this long may have lost the thread (or the laptop).
IDLE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class RoomRow:
    profile: str  # the learner's display name, which is also the profile their progress is under
    lessons_read: int
    lessons_total: int
    current_module: str  # the module of the lesson opened last, "" before any
    quiz_best: tuple[tuple[str, float], ...]  # (module id, best percent) in course order, quizzes taken
    modules_total: int
    exercises_passed: int
    exercises_total: int
    exercise_runs: int
    hints_used: int
    predictions_right: int
    predictions_made: int
    last_activity: datetime | None
    joined_at: datetime | None  # first login; None for a profile only written on this machine
    stuck: str  # why the learner looks stuck, "" when they do not
    stuck_mark: str = ""  # the same in a few characters, for a narrow screen ("6 fails", "idle 12m")

    def quiz_text(self) -> str:
        """Compact: `sync 80 async 60`; percents rounded down like every screen shows them."""
        from tutor.quiz.scoring import shown_percent

        return " ".join(f"{module_id} {shown_percent(percent):g}" for module_id, percent in self.quiz_best)


@dataclass(frozen=True)
class Room:
    """Who is in the room, by the names they are shown with."""

    learners: list[str]  # joined (logged in or collected) or with progress stored, in name order
    not_joined: list[str]  # on the roster, not come yet and nothing stored under their name


def read_room(store) -> Room:
    """Everyone in the room, including who joined and has done nothing yet.

    A learner's display name is the profile their progress is stored under (logging in, `--profile`
    and `workshop collect` all resolve "dave" to an existing "Dave"), so the learner table and the
    profiles with stored rows meet on the exact name. A profile with no learner row (the terminal
    app on this machine, or a store older than the learner table) is in the room by its progress.
    """
    joined = [learner.display_name for learner in store.learners()]
    names = set(joined) | set(store.profiles())
    not_joined = [
        learner.display_name
        for learner in store.roster()
        if learner.joined_at is None and learner.display_name not in names
    ]
    return Room(sorted(names, key=_name_order), sorted(not_joined, key=_name_order))


def _name_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def stuck_reason(
    failed_without_pass: dict[str, int],
    last_activity: datetime | None,
    started: bool,
    now: datetime,
    joined_at: datetime | None = None,
) -> tuple[str, str]:
    """(why the learner looks stuck, the same in a few characters); ("", "") when they do not."""
    stuck_on = [
        (runs, exercise_id) for exercise_id, runs in failed_without_pass.items() if runs >= STUCK_FAILED_RUNS
    ]
    if stuck_on:
        runs, exercise_id = max(stuck_on)
        return f"{runs} failed runs of {exercise_id}", f"{runs} fails"
    if started and last_activity is not None and now - last_activity >= IDLE_AFTER:
        minutes = int((now - last_activity).total_seconds() // 60)
        return f"idle {minutes} min", f"idle {minutes}m"
    if not started and joined_at is not None and now - joined_at >= IDLE_AFTER:
        # Logged in and never opened anything: often a learner who cannot find where to start.
        minutes = int((now - joined_at).total_seconds() // 60)
        return f"joined {minutes} min ago, nothing done yet", f"new {minutes}m"
    return "", ""


def room_rows(store, course: Course, now: datetime, learners: Iterable[str] | None = None) -> list[RoomRow]:
    """One row per learner, in name order; counts only what the course (as loaded) still holds."""
    lesson_ids = set(course.lessons)
    exercise_ids = {exercise.id for exercise in course.exercises}
    module_order = [module.id for module in course.modules]
    joined = {learner.display_name: learner.joined_at for learner in store.learners()}
    rows = []
    for profile in read_room(store).learners if learners is None else learners:
        read = store.read_lessons(profile) & lesson_ids
        last_lesson = store.last_lesson(profile)
        best = store.quiz_best(profile)
        attempts = [a for a in store.exercise_attempts(profile) if a.exercise_id in exercise_ids]
        passed = {a.exercise_id for a in attempts if a.passed}
        failed_without_pass: dict[str, int] = {}
        for attempt in attempts:
            if attempt.exercise_id not in passed:
                failed_without_pass[attempt.exercise_id] = failed_without_pass.get(attempt.exercise_id, 0) + 1
        predictions = [p for p in store.predictions(profile).values() if p.lesson_id in lesson_ids]
        hints = store.hints_used(profile)
        last_activity = store.last_activity(profile)
        started = bool(read or last_lesson or best or attempts or predictions)
        stuck, stuck_mark = stuck_reason(
            failed_without_pass, last_activity, started, now, joined.get(profile)
        )
        rows.append(
            RoomRow(
                profile=profile,
                lessons_read=len(read),
                lessons_total=len(lesson_ids),
                current_module=course.lessons[last_lesson].module if last_lesson in course.lessons else "",
                quiz_best=tuple((m, best[m].percent) for m in module_order if m in best),
                modules_total=len(module_order),
                exercises_passed=len(passed),
                exercises_total=len(exercise_ids),
                exercise_runs=len(attempts),
                hints_used=sum(level for exercise_id, level in hints.items() if exercise_id in exercise_ids),
                predictions_right=sum(1 for p in predictions if p.within),
                predictions_made=sum(1 for p in predictions if p.predicted is not None),
                last_activity=last_activity,
                joined_at=joined.get(profile),
                stuck=stuck,
                stuck_mark=stuck_mark,
            )
        )
    return rows


SORT_KEYS = ("name", "activity", "lessons", "exercises", "stuck")


def sort_rows(rows: list[RoomRow], key: str) -> list[RoomRow]:
    """`name` A to Z; the others put who needs a look first (least done, longest idle, stuck)."""
    if key == "activity":
        return sorted(
            rows, key=lambda r: (r.last_activity is not None, r.last_activity or datetime.min, r.profile)
        )
    if key == "lessons":
        return sorted(rows, key=lambda r: (r.lessons_read, r.profile))
    if key == "exercises":
        return sorted(rows, key=lambda r: (r.exercises_passed, -r.exercise_runs, r.profile))
    if key == "stuck":
        return sorted(rows, key=lambda r: (not r.stuck, r.profile))
    return sorted(rows, key=lambda r: _name_order(r.profile))


def filter_rows(rows: list[RoomRow], text: str) -> list[RoomRow]:
    needle = text.strip().casefold()
    return [row for row in rows if needle in row.profile.casefold()] if needle else rows
