"""Flatten a profile's export document into CSV: one row per record, `record` names its type.

Spreadsheets want one flat table, so every record type shares one set of columns and leaves the
ones it does not use empty. Times stay UTC ISO 8601 (Z); parameters and setting values stay JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

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
