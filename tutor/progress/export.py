"""A profile's export: the JSON document a learner hands in, and its CSV flattening.

The JSON export says whose it is (the learner's name), what it was made against (the course and
pack versions) and carries a checksum, so `workshop collect` can refuse a file that was edited,
damaged or is not ours instead of merging nonsense into the room's store.

CSV: spreadsheets want one flat table, so every record type shares one set of columns and leaves
the ones it does not use empty. Times stay UTC ISO 8601 (Z); parameters and setting values stay JSON.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

EXPORT_FORMAT = "lambda-tutor-progress"
CHECKSUM_KEY = "checksum"
BUILT_IN_PACK = "built-in"


def canonical_json(document: dict[str, Any]) -> bytes:
    """One byte string per document, whatever its key order or indentation, for the checksum."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(document: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of everything but the checksum itself."""
    payload = {key: value for key, value in document.items() if key != CHECKSUM_KEY}
    return "sha256:" + hashlib.sha256(canonical_json(payload)).hexdigest()


def content_hash(root: Path) -> str:
    """A pack's version as its content: sha256 over every file's relative path and bytes, so two
    rooms on the same pack agree and any edited lesson or quiz shows as another version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(".") or "/." in relative or "__pycache__" in relative:
            continue  # editor and cache files are not content
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def pack_name(root: Path, course_packs: list[Path]) -> str:
    return BUILT_IN_PACK if course_packs and root == course_packs[0] else root.name


def learner_export(store, profile: str, course) -> dict[str, Any]:
    """`progress --export json`: the store's document plus name, versions and checksum.

    The name is the one the learner logged in with (the learner table keeps it as first typed);
    a profile only ever used in the terminal is named by itself."""
    from tutor import __version__

    document = store.export(profile)
    learner = store.learner(profile)
    document["learner_name"] = learner.display_name if learner is not None else profile
    document["course_version"] = __version__
    document["packs"] = [
        {"name": pack_name(root, course.packs), "content": content_hash(root)} for root in course.packs
    ]
    document[CHECKSUM_KEY] = checksum(document)
    return document


CSV_COLUMNS = (
    "record",
    "profile",
    "at",
    "lesson_id",
    "module_id",
    "question_id",
    "exercise_id",
    "attempt",
    "points",
    "max_points",
    "percent",
    "correct",
    "passed",
    "due",
    "stability",
    "difficulty",
    "last_review",
    "predicted",
    "actual",
    "within",
    "level",
    "params",
    "key",
    "value",
)


def csv_rows(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    profile = document["profile"]
    for lesson in document["lessons_read"]:
        yield {
            "record": "lesson_read",
            "profile": profile,
            "at": lesson["read_at"],
            "lesson_id": lesson["lesson_id"],
        }
    last = document.get("last_lesson")
    if last:
        yield {
            "record": "last_lesson",
            "profile": profile,
            "at": last["opened_at"],
            "lesson_id": last["lesson_id"],
        }
    for key, value in document["settings"].items():
        yield {"record": "setting", "profile": profile, "key": key, "value": json.dumps(value)}
    for attempt in document["quiz_attempts"]:
        yield {
            "record": "quiz_attempt",
            "profile": profile,
            "at": attempt["finished_at"],
            "module_id": attempt["module_id"],
            "attempt": attempt["attempt"],
            "points": attempt["points"],
            "max_points": attempt["max_points"],
            "percent": attempt["percent"],
        }
        for result in attempt["results"]:
            yield {
                "record": "quiz_answer",
                "profile": profile,
                "at": attempt["finished_at"],
                "module_id": attempt["module_id"],
                "attempt": attempt["attempt"],
                "question_id": result["question_id"],
                "points": result["points"],
                "max_points": result["max_points"],
                "correct": _yes_no(result["correct"]),
            }
    for card in document["review_cards"]:
        yield {
            "record": "review_card",
            "profile": profile,
            "question_id": card["question_id"],
            "due": card["due"],
            "last_review": card["last_review"],
            "stability": card["stability"],
            "difficulty": card["difficulty"],
        }
    for attempt in document["exercise_attempts"]:
        yield {
            "record": "exercise_attempt",
            "profile": profile,
            "at": attempt["finished_at"],
            "exercise_id": attempt["exercise_id"],
            "attempt": attempt["attempt"],
            "passed": _yes_no(attempt["passed"]),
            "params": json.dumps(attempt["params"], sort_keys=True),
        }

    for prediction in document["predictions"]:
        skipped = prediction["predicted"] is None
        yield {
            "record": "prediction",
            "profile": profile,
            "at": prediction["answered_at"],
            "lesson_id": prediction["lesson_id"],
            "predicted": "" if skipped else prediction["predicted"],
            "actual": prediction["actual"],
            "within": "" if skipped else _yes_no(prediction["within"]),
        }
    for hint in document["hints_used"]:
        yield {
            "record": "hints_used",
            "profile": profile,
            "exercise_id": hint["exercise_id"],
            "level": hint["level"],
        }


def write_csv(document: dict[str, Any], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(document))


def _yes_no(flag: bool) -> str:
    return "true" if flag else "false"
