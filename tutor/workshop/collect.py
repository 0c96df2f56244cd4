"""`lambda-tutor workshop collect`: merge learners' progress exports into the instructor's store.

Learners on their own laptops run `lambda-tutor progress --export json > me.json` and hand the
file in. Each file is checked first (JSON, our format, a checksum that matches) and then merged
record by record through the store's own write methods, so the merge obeys the same rules as the
app: nothing already stored is ever replaced by something older or removed.

Merging is idempotent: a record already in the store (same learner, same item, same time) is
skipped, so collecting a file twice, or two overlapping exports of one learner, changes nothing
the second time. Files are independent: a rejected file is named on stderr and the others are
still merged (the command then exits 2). Never imports Textual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tutor.errors import UserError
from tutor.progress.export import CHECKSUM_KEY, EXPORT_FORMAT, checksum
from tutor.progress.store import (
    QuestionResult,
    ReviewCard,
    from_utc_text,
    move_sqlite_store_aside,
    utc_now,
)

# Exports written before format 3 carry no checksum, so an edit could not be told from the original.
OLDEST_COLLECTED_FORMAT = 3
MAX_EXPORT_BYTES = 50 * 1024 * 1024


class RejectedExport(UserError):
    """A file that cannot be collected; the message names the file and why, on one line."""


@dataclass
class Merged:
    """What one collected file added to the store (zeros: it was already all there)."""

    profile: str
    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.added.values())

    def described(self) -> str:
        """`1 lesson read, 3 quiz attempts`: each kind counted in words, singular for one."""
        parts = []
        for kind, count in self.added.items():
            one, many = ADDED_WORDS.get(kind, (kind, kind))
            # A learner has one last lesson: it is named, never counted.
            parts.append(one if many is None else f"{count} {one if count == 1 else many}")
        return ", ".join(parts)


# What `Merged.count` counts, as the line after each collected file says it: (one, several).
ADDED_WORDS: dict[str, tuple[str, str | None]] = {
    "lessons read": ("lesson read", "lessons read"),
    "last lesson": ("the last lesson opened", None),
    "settings": ("setting", "settings"),
    "quiz attempts": ("quiz attempt", "quiz attempts"),
    "review cards": ("review card", "review cards"),
    "exercise runs": ("exercise run", "exercise runs"),
    "predictions": ("prediction", "predictions"),
    "hints": ("hint level", "hint levels"),
}


class ReplayClock:
    """The store stamps each write with its clock; replaying a record, the clock gives the record's
    own time, so a lesson read on Tuesday stays read on Tuesday in the instructor's store."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def export_files(targets: list[Path]) -> list[Path]:
    """The files named, and every *.json file directly inside each directory named, in name order."""
    files: list[Path] = []
    for target in targets:
        if target.is_dir():
            files.extend(sorted(path for path in target.glob("*.json") if path.is_file()))
        else:
            files.append(target)
    return files


def read_export(path: Path) -> dict[str, Any]:
    """The file's export document, checked; raises RejectedExport naming the file and the fault."""
    try:
        if path.stat().st_size > MAX_EXPORT_BYTES:
            raise RejectedExport(f"{path}: larger than 50 MB, not a progress export")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RejectedExport(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise RejectedExport(f"{path}: cannot be read ({reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise RejectedExport(f"{path}: damaged, not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise RejectedExport(f"{path}: not a lambda-tutor progress export (made with progress --export json)")
    version = document.get("format_version")
    if not isinstance(version, int) or version < OLDEST_COLLECTED_FORMAT:
        raise RejectedExport(
            f"{path}: export format {version!r} has no checksum; "
            "ask the learner to export again with this lambda-tutor"
        )
    if document.get(CHECKSUM_KEY) != checksum(document):
        raise RejectedExport(f"{path}: checksum does not match: the file was edited or damaged after export")
    profile = document.get("profile")
    if not isinstance(profile, str):
        raise RejectedExport(f"{path}: names no learner (no profile)")
    try:
        from tutor.locations import check_profile_name

        check_profile_name(profile)
    except (UserError, ValueError) as error:
        raise RejectedExport(f"{path}: {error}") from None
    return document


def merge(store, clock: ReplayClock, document: dict[str, Any], origin: Path) -> Merged:
    """Add the document's records that the store does not hold yet. A record that does not fit the
    store's rules (a bad time, a negative score) rejects the rest of the file, naming it.

    `store` was opened with `clock`, so each record is written with its own time."""
    try:
        clock.moment = from_utc_text(document["exported_at"])
        return _merge(store, clock, document)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise RejectedExport(
            f"{origin}: a record does not fit ({type(error).__name__}: {error}); "
            "records before it were merged"
        ) from None


def _merge(store, clock: ReplayClock, document: dict[str, Any]) -> Merged:
    # The learner joins the room under the name already known for them, whatever its case.
    profile = store.note_collected_learner(document["profile"], clock.moment)
    document = dict(document, profile=profile)
    merged = Merged(profile)
    held = store.export(profile)

    read = {lesson["lesson_id"] for lesson in held["lessons_read"]}
    for lesson in document["lessons_read"]:
        if lesson["lesson_id"] not in read:
            clock.moment = from_utc_text(lesson["read_at"])
            store.mark_read(profile, lesson["lesson_id"])
            merged.count("lessons read")

    last = document.get("last_lesson")
    held_last = held.get("last_lesson")
    if last and (held_last is None or last["opened_at"] > held_last["opened_at"]):
        clock.moment = from_utc_text(last["opened_at"])
        store.set_last_lesson(profile, last["lesson_id"])
        if held_last != last:
            merged.count("last lesson")

    for key, value in document["settings"].items():
        if key not in held["settings"]:  # the instructor's copy of a preference wins
            store.set_setting(profile, key, value)
            merged.count("settings")

    _merge_quizzes(store, document, held, merged)
    _merge_practice(store, clock, document, held, merged)
    return merged


def _merge_quizzes(store, document: dict[str, Any], held: dict[str, Any], merged: Merged) -> None:
    profile = document["profile"]
    quizzes = {(attempt["module_id"], attempt["finished_at"]) for attempt in held["quiz_attempts"]}
    for attempt in document["quiz_attempts"]:
        if (attempt["module_id"], attempt["finished_at"]) in quizzes:
            continue
        results = [
            QuestionResult(
                r["question_id"], r["points"], r["max_points"], bool(r["correct"]), r.get("response")
            )
            for r in attempt["results"]
        ]
        store.record_quiz_attempt(
            profile, attempt["module_id"], results, from_utc_text(attempt["finished_at"])
        )
        merged.count("quiz attempts")

    cards = {card["question_id"]: card for card in held["review_cards"]}
    for card in document["review_cards"]:
        mine = cards.get(card["question_id"])
        if mine is not None and mine["last_review"] >= card["last_review"]:
            continue  # the newer review decides when the question comes back
        store.set_review_card(
            profile,
            card["question_id"],
            ReviewCard(
                date.fromisoformat(card["due"]),
                float(card["stability"]),
                float(card["difficulty"]),
                date.fromisoformat(card["last_review"]),
            ),
        )
        merged.count("review cards")


def _merge_practice(
    store, clock: ReplayClock, document: dict[str, Any], held: dict[str, Any], merged: Merged
) -> None:
    """Exercise runs, lesson predictions and hints opened."""
    profile = document["profile"]

    runs = {
        (a["exercise_id"], a["finished_at"], a["passed"], json.dumps(a["params"], sort_keys=True))
        for a in held["exercise_attempts"]
    }
    for attempt in document["exercise_attempts"]:
        key = (
            attempt["exercise_id"],
            attempt["finished_at"],
            attempt["passed"],
            json.dumps(attempt["params"], sort_keys=True),
        )
        if key in runs:
            continue
        store.record_exercise_attempt(
            profile,
            attempt["exercise_id"],
            bool(attempt["passed"]),
            attempt["params"],
            from_utc_text(attempt["finished_at"]),
        )
        runs.add(key)
        merged.count("exercise runs")

    for prediction in document["predictions"]:
        clock.moment = from_utc_text(prediction["answered_at"])
        if store.record_prediction(
            profile,
            prediction["lesson_id"],
            prediction["predicted"],
            prediction["actual"],
            prediction["within"],
        ):
            merged.count("predictions")

    opened = {(exercise_id, level) for exercise_id, level, _ in store.hints_shown(profile)}
    # The export keeps the highest level per exercise; the levels below it were opened on the way.
    clock.moment = from_utc_text(document["last_activity"] or document["exported_at"])
    for hint in document["hints_used"]:
        for level in range(1, int(hint["level"]) + 1):
            if (hint["exercise_id"], level) not in opened:
                store.record_hint(profile, hint["exercise_id"], level)
                merged.count("hints")


def move_store_aside(path: Path) -> Path:
    """`workshop reset` on SQLite: rename the store (and its journal files) to `<name>.reset-<UTC time>`.

    Renamed, never deleted: a reset by mistake is undone by renaming it back. Stop `serve` first:
    a running server keeps writing to the file it opened, which is now the kept one.
    """
    try:
        return move_sqlite_store_aside(path, utc_now(), "reset")
    except OSError as error:
        raise UserError(f"cannot move the store {path} aside: {error.strerror or error}") from error


def copy_room_aside(store) -> tuple[str, int]:
    """`workshop reset` on PostgreSQL: a database cannot be renamed from inside while serve hosts
    hold it open, so the room's tables are copied into a schema `lambda_tutor_reset_<UTC time>` of
    the same database and emptied, in one transaction. Returns the schema and the rows it keeps."""
    stamp = utc_now().strftime("%Y%m%dt%H%M%Sz")
    schema = f"lambda_tutor_reset_{stamp}"
    return schema, store.copy_aside_and_clear(schema)
