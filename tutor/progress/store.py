"""The learner's progress: one SQLite file for every profile on the machine, or one PostgreSQL
database for a room served by several hosts (`--database postgresql://..`, tutor.progress.postgres).

Durability rules this module keeps:
- every write is one transaction that first takes the database's write lock (SQLite's
  `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so two app instances (or a terminal and a
  browser session, or two serve hosts) writing at once queue behind each other instead of losing
  rows; readers carry on meanwhile (WAL, MVCC), and a busy timeout makes a writer wait rather than fail;
- a damaged file is never treated as "no progress": it is moved aside next to the database with
  the time in its name, `store.notice` says where, and a fresh store is used;
- a failed write is never swallowed: it raises `ProgressError`, a one-line `UserError`.

The SQL below is written once for both databases (see tutor.progress.backends for the subset);
what differs lives in a `Dialect`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Self

from tutor.errors import UserError
from tutor.locations import check_profile_name, database_path, database_url, name_key
from tutor.progress.backends import SQLITE, Connection, Dialect
from tutor.progress.postgres import is_postgres_url
from tutor.progress.schema import MIGRATIONS, PROFILE_TABLES, PROGRESS_TABLES, VERSION_TABLE, Migration
from tutor.quiz.scoring import shown_percent

DEFAULT_BUSY_TIMEOUT_S = 10.0
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# sqlite3 primary result codes that mean "this file is not a healthy database" (as opposed to
# busy, locked, read-only or missing, which say nothing about the file's contents).
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
VERSION_TABLE_NAME = "schema_version"


class ProgressError(UserError):
    """The progress store cannot be read or written; the message is one line naming the file."""


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    points: float
    max_points: float
    correct: bool
    # What the learner answered, as JSON gives it back (a set of choices as a sorted list);
    # None when the attempt predates schema version 6 or the caller did not say.
    response: Any = None


@dataclass(frozen=True)
class QuizScore:
    points: float
    max_points: float
    percent: float
    finished_at: datetime


@dataclass(frozen=True)
class QuizAttempt:
    id: int
    module_id: str
    finished_at: datetime
    results: tuple[QuestionResult, ...]

    @property
    def points(self) -> float:
        return sum(result.points for result in self.results)

    @property
    def max_points(self) -> float:
        return sum(result.max_points for result in self.results)

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points

    @property
    def score(self) -> QuizScore:
        return QuizScore(self.points, self.max_points, self.percent, self.finished_at)


@dataclass(frozen=True)
class KeptAnswer:
    """One answer of a quiz left before the end: what was answered and what it scored."""

    question_id: str
    response: Any  # as JSON gives it back: a set of choices comes back as a list
    points: float
    max_points: float


@dataclass(frozen=True)
class KeptQuiz:
    """A module quiz left before the end: its questions in the order asked and the answers so far."""

    attempt_id: int
    module_id: str
    question_ids: tuple[str, ...]
    answers: tuple[KeptAnswer, ...]
    started_at: datetime


class ReviewCard(NamedTuple):
    """An FSRS card, by whole UTC days: the app asks at most once a day, so times of day add nothing."""

    due: date
    stability: float  # days until the chance of recalling it falls to 90 %
    difficulty: float  # 1 (easy) to 10 (hard)
    last_review: date


def _review_card(due: str, stability: float, difficulty: float, last_review: str) -> ReviewCard:
    return ReviewCard(date.fromisoformat(due), stability, difficulty, date.fromisoformat(last_review))


@dataclass(frozen=True)
class Prediction:
    lesson_id: str
    predicted: float | None  # None: skipped
    actual: float
    within: bool | None  # None: skipped
    answered_at: datetime


@dataclass(frozen=True)
class ExerciseAttempt:
    id: int
    exercise_id: str
    passed: bool
    params: dict[str, Any]
    finished_at: datetime


@dataclass(frozen=True)
class ExerciseResult:
    """Everything the exercise screen and the workshop report need about one exercise."""

    exercise_id: str
    attempts: int
    failed_attempts: int
    passed: bool
    first_passed_at: datetime | None
    passing_params: dict[str, Any] | None  # from the latest passing attempt
    last_attempt_at: datetime
    history: tuple[ExerciseAttempt, ...] = field(repr=False, default=())


@dataclass(frozen=True)
class Learner:
    """Someone who logged in by name (a browser session) or was put on the workshop roster."""

    key: str  # tutor.locations.name_key of the name: who it means, whatever the case, accents or spacing
    display_name: str  # as first typed; also the profile their progress is stored under
    joined_at: datetime | None  # first login; None: on the roster and not come yet
    has_pin: bool
    on_roster: bool
    pin_hash: str | None = field(default=None, repr=False)
    join_code_hash: str | None = field(default=None, repr=False)

    @property
    def profile(self) -> str:
        return self.display_name


_LEARNER_COLUMNS = "learner_key, display_name, joined_at, pin_hash, on_roster, join_code_hash"


def _learner(row: tuple[Any, ...]) -> Learner:
    key, display_name, joined_at, pin_hash, on_roster, join_code_hash = row
    return Learner(
        key=key,
        display_name=display_name,
        joined_at=from_utc_text(joined_at) if joined_at else None,
        has_pin=pin_hash is not None,
        on_roster=bool(on_roster),
        pin_hash=pin_hash,
        join_code_hash=join_code_hash,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc_text(moment: datetime) -> str:
    # A naive datetime is usually datetime.now(), i.e. local time: guessing would misdate it.
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise TypeError(f"times must be timezone-aware datetimes (UTC), got {moment!r}")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def from_utc_text(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def _date_text(day: date) -> str:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"review due dates must be dates (UTC), got {day!r}")
    return day.isoformat()


def _check_id(kind: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} must be a non-empty string, got {value!r}")
    return value


@contextlib.contextmanager
def _immediate(connection: Connection, dialect: Dialect, failure: str) -> Iterator[Connection]:
    """One write transaction holding the write lock, rolled back on any failure; a database error
    becomes a one-line ProgressError starting with `failure`, never a silent loss."""
    try:
        try:
            # Inside: on PostgreSQL the transaction has begun when waiting for the lock times out.
            dialect.begin_write(connection)
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            # SQLite rolls some failures (disk full, I/O) back by itself.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    except dialect.errors as error:
        raise ProgressError(f"{failure}: {_one_line(error)}") from error


def _inserted_id(cursor: Any) -> int:
    """The id an `INSERT .. RETURNING id` gave the new row (lastrowid is SQLite's alone)."""
    # fetchall, not fetchone: SQLite finishes the INSERT only when its statement has run to the end.
    [(row_id,)] = cursor.fetchall()
    return int(row_id)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class ProgressStore:
    """Open with `open_store()`. Safe to share between threads; one instance per process is enough."""

    def __init__(
        self,
        path: Path | None,
        connection: Connection,
        *,
        notice: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        dialect: Dialect = SQLITE,
        location: str | None = None,
        opened_file: tuple[int, int] | None = None,
    ) -> None:
        self.path = path  # the SQLite file; None on PostgreSQL
        # What messages name: the file, or the database URL with its password masked.
        self.location = location if location is not None else str(path)
        self.notice = notice
        self.dialect = dialect
        self._connection = connection
        self._clock = clock
        self._lock = threading.RLock()
        # Taken while the open lock is held, so a rename just after opening still counts.
        self._opened_file = opened_file

    # -- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def replaced(self) -> bool:
        """Whether the SQLite file at this store's path is no longer the one it opened: `workshop
        reset` (or a damaged-file check elsewhere) renamed it aside, and an open connection follows
        the renamed file, so a long-lived reader must reopen to see the new room. PostgreSQL's
        reset empties the live tables instead, so there it is never replaced."""
        if self.path is None:
            return False
        return _file_identity(self.path) != self._opened_file

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _now_text(self) -> str:
        return to_utc_text(self._clock())

    @contextlib.contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        failure = f"could not save progress ({action}) to {self.location}"
        with self._lock, _immediate(self._connection, self.dialect, failure) as connection:
            yield connection

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        # A read transaction gives every multi-query read one consistent snapshot.
        with self._lock:
            connection = self._connection
            outermost = not connection.in_transaction
            try:
                if outermost:
                    self.dialect.begin_read(connection)
                try:
                    yield connection
                finally:
                    if outermost and connection.in_transaction:
                        connection.execute("COMMIT")
            except self.dialect.errors as error:
                raise ProgressError(
                    f"could not read progress from {self.location}: {_one_line(error)}"
                ) from error

    # -- lessons -------------------------------------------------------------------------------

    def mark_read(self, profile: str, lesson_id: str) -> None:
        """Remember that the learner reached the end of a lesson; the first time counts."""
        check_profile_name(profile)
        _check_id("lesson id", lesson_id)
        with self._write("lesson read") as db:
            db.execute(
                "INSERT INTO lesson_read (profile, lesson_id, read_at) VALUES (?, ?, ?) "
                "ON CONFLICT (profile, lesson_id) DO NOTHING",
                (profile, lesson_id, self._now_text()),
            )

    def read_lessons(self, profile: str) -> set[str]:
        with self._read() as db:
            rows = db.execute("SELECT lesson_id FROM lesson_read WHERE profile = ?", (profile,)).fetchall()
        return {lesson_id for (lesson_id,) in rows}

    def lessons_read_at(self, profile: str) -> dict[str, datetime]:
        with self._read() as db:
            rows = db.execute(
                "SELECT lesson_id, read_at FROM lesson_read WHERE profile = ? ORDER BY read_at, lesson_id",
                (profile,),
            ).fetchall()
        return {lesson_id: from_utc_text(read_at) for lesson_id, read_at in rows}

    def set_last_lesson(self, profile: str, lesson_id: str) -> None:
        check_profile_name(profile)
        _check_id("lesson id", lesson_id)
        with self._write("last lesson") as db:
            db.execute(
                "INSERT INTO last_lesson (profile, lesson_id, opened_at) VALUES (?, ?, ?) "
                "ON CONFLICT (profile) DO UPDATE SET lesson_id = excluded.lesson_id, "
                "opened_at = excluded.opened_at",
                (profile, lesson_id, self._now_text()),
            )

    def last_lesson(self, profile: str) -> str | None:
        with self._read() as db:
            row = db.execute("SELECT lesson_id FROM last_lesson WHERE profile = ?", (profile,)).fetchone()
        return row[0] if row else None

    # -- settings ------------------------------------------------------------------------------

    def get_setting(self, profile: str, key: str, default: Any = None) -> Any:
        with self._read() as db:
            row = db.execute(
                "SELECT value_json FROM setting WHERE profile = ? AND key = ?", (profile, key)
            ).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, profile: str, key: str, value: Any) -> None:
        """Store a preference; the value must be JSON (str, number, bool, None, list, dict)."""
        check_profile_name(profile)
        _check_id("setting key", key)
        try:
            value_json = json.dumps(value, sort_keys=True)
        except (TypeError, ValueError) as error:
            raise ValueError(f"setting {key!r} must be JSON-serialisable: {error}") from error
        with self._write(f"setting {key}") as db:
            db.execute(
                "INSERT INTO setting (profile, key, value_json, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (profile, key) DO UPDATE SET value_json = excluded.value_json, "
                "updated_at = excluded.updated_at",
                (profile, key, value_json, self._now_text()),
            )

    def settings(self, profile: str) -> dict[str, Any]:
        with self._read() as db:
            rows = db.execute(
                "SELECT key, value_json FROM setting WHERE profile = ? ORDER BY key", (profile,)
            ).fetchall()
        return {key: json.loads(value_json) for key, value_json in rows}

    # -- quizzes -------------------------------------------------------------------------------

    def record_quiz_attempt(
        self,
        profile: str,
        module_id: str,
        results: Sequence[QuestionResult],
        finished_at: datetime,
        *,
        attempt_id: int | None = None,
    ) -> int:
        """Store one finished quiz with every question's result; returns the attempt's id.

        `attempt_id` is the id of a kept quiz (`keep_quiz`) now finished: the attempt is stored under
        that id and the kept quiz is dropped in the same transaction, so a crash between the two can
        neither lose the score nor offer to resume a quiz already scored.
        """
        check_profile_name(profile)
        _check_id("module id", module_id)
        finished_text = to_utc_text(finished_at)
        if not results:
            raise ValueError("a quiz attempt needs at least one question result")
        seen: set[str] = set()
        for result in results:
            _check_id("question id", result.question_id)
            if result.question_id in seen:
                raise ValueError(f"question {result.question_id!r} appears twice in one attempt")
            seen.add(result.question_id)
            if not (result.max_points > 0 and 0 <= result.points <= result.max_points):
                raise ValueError(
                    f"question {result.question_id!r}: points must be between 0 and max_points (> 0), "
                    f"got {result.points} of {result.max_points}"
                )
        with self._write(f"quiz attempt for {module_id}") as db:
            if attempt_id is None:
                attempt_id = _inserted_id(
                    db.execute(
                        "INSERT INTO quiz_attempt (profile, module_id, finished_at) VALUES (?, ?, ?) "
                        "RETURNING id",
                        (profile, module_id, finished_text),
                    )
                )
            else:
                db.execute(
                    "INSERT INTO quiz_attempt (id, profile, module_id, finished_at) VALUES (?, ?, ?, ?)",
                    (attempt_id, profile, module_id, finished_text),
                )
                db.execute("DELETE FROM kept_quiz WHERE id = ? AND profile = ?", (attempt_id, profile))
            db.executemany(
                "INSERT INTO quiz_result "
                "(attempt_id, question_id, points, max_points, correct, response_json) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        attempt_id,
                        r.question_id,
                        float(r.points),
                        float(r.max_points),
                        int(bool(r.correct)),
                        None if r.response is None else json.dumps(r.response, sort_keys=True),
                    )
                    for r in results
                ],
            )
        return attempt_id

    def quiz_attempts(self, profile: str, module_id: str | None = None) -> list[QuizAttempt]:
        """Every attempt, oldest first, each with its per-question results."""
        query = "SELECT id, module_id, finished_at FROM quiz_attempt WHERE profile = ?"
        params: tuple[str, ...] = (profile,)
        if module_id is not None:
            query += " AND module_id = ?"
            params += (module_id,)
        with self._read() as db:
            attempts = db.execute(query + " ORDER BY finished_at, id", params).fetchall()
            # rowid: the order the questions were asked (PostgreSQL's quiz_result has a rowid column).
            results: dict[int, list[QuestionResult]] = {attempt_id: [] for attempt_id, _, _ in attempts}
            rows = (
                db.execute(
                    "SELECT r.attempt_id, r.question_id, r.points, r.max_points, r.correct, "
                    "r.response_json "
                    "FROM quiz_result r JOIN quiz_attempt a ON a.id = r.attempt_id "
                    "WHERE a.profile = ? ORDER BY r.attempt_id, r.rowid",
                    (profile,),
                ).fetchall()
                if attempts
                else []
            )
        for attempt_id, question_id, points, max_points, correct, response_json in rows:
            if attempt_id in results:
                response = None if response_json is None else json.loads(response_json)
                results[attempt_id].append(
                    QuestionResult(question_id, points, max_points, bool(correct), response)
                )
        return [
            QuizAttempt(attempt_id, module, from_utc_text(finished), tuple(results[attempt_id]))
            for attempt_id, module, finished in attempts
        ]

    def quiz_best(self, profile: str) -> dict[str, QuizScore]:
        """Per module, the best attempt: highest percent, then most points, then the earliest."""
        best: dict[str, QuizScore] = {}
        for attempt in self.quiz_attempts(profile):
            score = attempt.score
            current = best.get(attempt.module_id)
            if current is None or (score.percent, score.points) > (current.percent, current.points):
                best[attempt.module_id] = score
        return best

    def quiz_attempt_counts(self, profile: str) -> dict[str, int]:
        with self._read() as db:
            rows = db.execute(
                "SELECT module_id, count(*) FROM quiz_attempt WHERE profile = ? GROUP BY module_id",
                (profile,),
            ).fetchall()
        return dict(rows)

    def answered_questions(self, profile: str) -> dict[str, tuple[bool, datetime]]:
        """Per question ever asked in a finished quiz: (answered right at least once, last asked)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT r.question_id, max(r.correct), max(a.finished_at) "
                "FROM quiz_result r JOIN quiz_attempt a ON a.id = r.attempt_id "
                "WHERE a.profile = ? GROUP BY r.question_id",
                (profile,),
            ).fetchall()
        return {question_id: (bool(right), from_utc_text(last)) for question_id, right, last in rows}

    # -- quizzes left before the end -------------------------------------------------------------

    def keep_quiz(self, profile: str, module_id: str, question_ids: Sequence[str]) -> int:
        """Keep a module quiz that starts now, replacing any kept one of the module; returns its id.

        The id is reserved from quiz_attempt's own sequence, so it is never handed to another
        attempt and the finished quiz is stored under it.
        """
        check_profile_name(profile)
        _check_id("module id", module_id)
        if not question_ids:
            raise ValueError("a kept quiz needs at least one question")
        for question_id in question_ids:
            _check_id("question id", question_id)
        now = self._now_text()
        with self._write(f"quiz of {module_id} in progress") as db:
            attempt_id = self.dialect.reserve_quiz_attempt_id(db)
            db.execute("DELETE FROM kept_quiz WHERE profile = ? AND module_id = ?", (profile, module_id))
            db.execute(
                "INSERT INTO kept_quiz (id, profile, module_id, question_ids_json, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (attempt_id, profile, module_id, json.dumps(list(question_ids)), now, now),
            )
        return attempt_id

    def keep_answer(self, profile: str, attempt_id: int, position: int, answer: KeptAnswer) -> None:
        """Add the answer to question `position` (0-based) of a kept quiz; answers come in order."""
        _check_id("question id", answer.question_id)
        if not (answer.max_points > 0 and 0 <= answer.points <= answer.max_points):
            raise ValueError(
                f"question {answer.question_id!r}: points must be between 0 and max_points (> 0), "
                f"got {answer.points} of {answer.max_points}"
            )
        response_json = json.dumps(answer.response, sort_keys=True)
        with self._write(f"answer to {answer.question_id}") as db:
            kept = db.execute(
                "SELECT question_ids_json FROM kept_quiz WHERE id = ? AND profile = ?", (attempt_id, profile)
            ).fetchone()
            if kept is None:
                raise ValueError(f"no kept quiz {attempt_id} for profile {profile!r}")
            (answered,) = db.execute(
                "SELECT count(*) FROM kept_answer WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
            question_ids = json.loads(kept[0])
            if position != answered or position >= len(question_ids):
                raise ValueError(
                    f"kept quiz {attempt_id} of {len(question_ids)} questions has {answered} answered: "
                    f"answer {position + 1} cannot come next"
                )
            if question_ids[position] != answer.question_id:
                raise ValueError(
                    f"kept quiz {attempt_id}: question {position + 1} is {question_ids[position]!r}, "
                    f"not {answer.question_id!r}"
                )
            db.execute(
                "INSERT INTO kept_answer "
                "(attempt_id, position, question_id, response_json, points, max_points) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    attempt_id,
                    position,
                    answer.question_id,
                    response_json,
                    float(answer.points),
                    float(answer.max_points),
                ),
            )
            db.execute("UPDATE kept_quiz SET updated_at = ? WHERE id = ?", (self._now_text(), attempt_id))

    def kept_quiz(self, profile: str, module_id: str) -> KeptQuiz | None:
        """The module's quiz left before the end with at least one answer, if any."""
        with self._read() as db:
            row = db.execute(
                "SELECT id, question_ids_json, started_at FROM kept_quiz WHERE profile = ? AND module_id = ?",
                (profile, module_id),
            ).fetchone()
            if row is None:
                return None
            attempt_id, question_ids_json, started_at = row
            answers = db.execute(
                "SELECT question_id, response_json, points, max_points FROM kept_answer "
                "WHERE attempt_id = ? ORDER BY position",
                (attempt_id,),
            ).fetchall()
        if not answers:
            return None
        return KeptQuiz(
            attempt_id,
            module_id,
            tuple(json.loads(question_ids_json)),
            tuple(
                KeptAnswer(question_id, json.loads(response), points, max_points)
                for question_id, response, points, max_points in answers
            ),
            from_utc_text(started_at),
        )

    def drop_kept_quiz(self, profile: str, module_id: str) -> None:
        """Forget the module's kept quiz (the learner chose to start a new one)."""
        with self._write(f"quiz of {module_id} in progress") as db:
            db.execute("DELETE FROM kept_quiz WHERE profile = ? AND module_id = ?", (profile, module_id))

    # -- review (FSRS cards; the schedule itself lives in tutor.quiz.review) -------------------

    def review_card(self, profile: str, question_id: str) -> ReviewCard | None:
        with self._read() as db:
            row = db.execute(
                "SELECT due, stability, difficulty, last_review FROM review_card "
                "WHERE profile = ? AND question_id = ?",
                (profile, question_id),
            ).fetchone()
        return _review_card(*row) if row else None

    def set_review_card(self, profile: str, question_id: str, card: ReviewCard) -> None:
        check_profile_name(profile)
        _check_id("question id", question_id)
        if not card.stability > 0:
            raise ValueError(f"a review card's stability must be above 0 days, got {card.stability!r}")
        if not 1 <= card.difficulty <= 10:
            raise ValueError(f"a review card's difficulty must be from 1 to 10, got {card.difficulty!r}")
        due_text, last_text = _date_text(card.due), _date_text(card.last_review)
        with self._write(f"review card {question_id}") as db:
            db.execute(
                "INSERT INTO review_card "
                "(profile, question_id, due, stability, difficulty, last_review, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (profile, question_id) DO UPDATE SET due = excluded.due, "
                "stability = excluded.stability, difficulty = excluded.difficulty, "
                "last_review = excluded.last_review, updated_at = excluded.updated_at",
                (
                    profile,
                    question_id,
                    due_text,
                    float(card.stability),
                    float(card.difficulty),
                    last_text,
                    self._now_text(),
                ),
            )

    def review_cards(self, profile: str) -> dict[str, ReviewCard]:
        with self._read() as db:
            rows = db.execute(
                "SELECT question_id, due, stability, difficulty, last_review FROM review_card "
                "WHERE profile = ? ORDER BY due, question_id",
                (profile,),
            ).fetchall()
        return {question_id: _review_card(*rest) for question_id, *rest in rows}

    def due_reviews(self, profile: str, today: date) -> list[str]:
        """Question ids due on or before `today` (a UTC date), the longest-waiting first."""
        today_text = _date_text(today)
        with self._read() as db:
            rows = db.execute(
                "SELECT question_id FROM review_card WHERE profile = ? AND due <= ? "
                "ORDER BY due, question_id",
                (profile, today_text),
            ).fetchall()
        return [question_id for (question_id,) in rows]

    # -- lesson predictions --------------------------------------------------------------------

    def record_prediction(
        self, profile: str, lesson_id: str, predicted: float | None, actual: float, within: bool | None
    ) -> bool:
        """Store a lesson's prediction (`predicted` None: skipped). The first answer counts: returns
        False, storing nothing, when the lesson already has one."""
        check_profile_name(profile)
        _check_id("lesson id", lesson_id)
        if (predicted is None) != (within is None):
            raise ValueError("a skipped prediction has neither a predicted value nor a verdict")
        with self._write(f"prediction for {lesson_id}") as db:
            cursor = db.execute(
                "INSERT INTO prediction "
                "(profile, lesson_id, predicted, actual, within, answered_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (profile, lesson_id) DO NOTHING",
                (
                    profile,
                    lesson_id,
                    None if predicted is None else float(predicted),
                    float(actual),
                    None if within is None else int(within),
                    self._now_text(),
                ),
            )
        return cursor.rowcount == 1

    def predictions(self, profile: str) -> dict[str, Prediction]:
        with self._read() as db:
            rows = db.execute(
                "SELECT lesson_id, predicted, actual, within, answered_at FROM prediction "
                "WHERE profile = ? ORDER BY answered_at, lesson_id",
                (profile,),
            ).fetchall()
        return {
            lesson_id: Prediction(
                lesson_id, predicted, actual, None if within is None else bool(within), from_utc_text(at)
            )
            for lesson_id, predicted, actual, within, at in rows
        }

    # -- exercise hints ------------------------------------------------------------------------

    def record_hint(self, profile: str, exercise_id: str, level: int) -> None:
        """Remember that the learner opened a hint level (1 nudge, 2 mechanism, 3 answer)."""
        check_profile_name(profile)
        _check_id("exercise id", exercise_id)
        if isinstance(level, bool) or level not in (1, 2, 3):
            raise ValueError(f"a hint level is 1, 2 or 3, got {level!r}")
        with self._write(f"hint for {exercise_id}") as db:
            db.execute(
                "INSERT INTO exercise_hint (profile, exercise_id, level, shown_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (profile, exercise_id, level) DO NOTHING",
                (profile, exercise_id, level, self._now_text()),
            )

    def hints_used(self, profile: str) -> dict[str, int]:
        """Per exercise, the highest hint level the learner opened."""
        with self._read() as db:
            rows = db.execute(
                "SELECT exercise_id, max(level) FROM exercise_hint WHERE profile = ? GROUP BY exercise_id",
                (profile,),
            ).fetchall()
        return dict(rows)

    def hints_shown(self, profile: str) -> list[tuple[str, int, datetime]]:
        """Every hint level the learner opened: (exercise id, level, when), oldest first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT exercise_id, level, shown_at FROM exercise_hint WHERE profile = ? "
                "ORDER BY shown_at, exercise_id, level",
                (profile,),
            ).fetchall()
        return [(exercise_id, level, from_utc_text(at)) for exercise_id, level, at in rows]

    # -- exercises -----------------------------------------------------------------------------

    def record_exercise_attempt(
        self, profile: str, exercise_id: str, passed: bool, params: dict[str, Any], finished_at: datetime
    ) -> int:
        """Store one run of an exercise with the parameters the learner chose; returns its id."""
        check_profile_name(profile)
        _check_id("exercise id", exercise_id)
        finished_text = to_utc_text(finished_at)
        if not isinstance(params, dict):
            raise TypeError(f"exercise parameters must be a dict, got {type(params).__name__}")
        try:
            params_json = json.dumps(params, sort_keys=True)
        except (TypeError, ValueError) as error:
            raise ValueError(f"exercise parameters must be JSON-serialisable: {error}") from error
        with self._write(f"exercise attempt for {exercise_id}") as db:
            return _inserted_id(
                db.execute(
                    "INSERT INTO exercise_attempt (profile, exercise_id, passed, params_json, finished_at) "
                    "VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (profile, exercise_id, int(bool(passed)), params_json, finished_text),
                )
            )

    def exercise_attempts(self, profile: str) -> list[ExerciseAttempt]:
        with self._read() as db:
            rows = db.execute(
                "SELECT id, exercise_id, passed, params_json, finished_at FROM exercise_attempt "
                "WHERE profile = ? ORDER BY finished_at, id",
                (profile,),
            ).fetchall()
        return [
            ExerciseAttempt(
                attempt_id, exercise_id, bool(passed), json.loads(params), from_utc_text(finished)
            )
            for attempt_id, exercise_id, passed, params, finished in rows
        ]

    def exercise_results(self, profile: str) -> dict[str, ExerciseResult]:
        by_exercise: dict[str, list[ExerciseAttempt]] = {}
        for attempt in self.exercise_attempts(profile):
            by_exercise.setdefault(attempt.exercise_id, []).append(attempt)
        results = {}
        for exercise_id, history in by_exercise.items():
            passes = [attempt for attempt in history if attempt.passed]
            results[exercise_id] = ExerciseResult(
                exercise_id=exercise_id,
                attempts=len(history),
                failed_attempts=len(history) - len(passes),
                passed=bool(passes),
                first_passed_at=passes[0].finished_at if passes else None,
                passing_params=passes[-1].params if passes else None,
                last_attempt_at=history[-1].finished_at,
                history=tuple(history),
            )
        return results

    # -- learners (browser logins and the roster) ----------------------------------------------------

    def learners(self) -> list[Learner]:
        """Everyone who has logged in by name, in the order they joined, whether or not they did
        anything since (the roster's no-shows are left out: see `roster`)."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_LEARNER_COLUMNS} FROM learner WHERE joined_at IS NOT NULL "
                "ORDER BY joined_at, learner_key"
            ).fetchall()
        return [_learner(row) for row in rows]

    def roster(self) -> list[Learner]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_LEARNER_COLUMNS} FROM learner WHERE on_roster = 1 ORDER BY learner_key"
            ).fetchall()
        return [_learner(row) for row in rows]

    def learner(self, name: str) -> Learner | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_LEARNER_COLUMNS} FROM learner WHERE learner_key = ?", (name_key(name),)
            ).fetchone()
        return _learner(row) if row else None

    def known_profile(self, name: str) -> str | None:
        """The profile stored progress uses for this name, however it is typed: a learner's display
        name, else a profile written before learners were recorded ('Ann_2' for 'ann_2'; the exact
        spelling first when two differ only in case)."""
        learner = self.learner(name)
        if learner is not None:
            return learner.display_name
        key = name_key(name)
        matches = [profile for profile in self.profiles() if name_key(profile) == key]
        shown = check_profile_name(name)
        return shown if shown in matches else (matches[0] if matches else None)

    def claim_name(self, name: str, pin_hash: str) -> Learner | None:
        """First login (or the first after a PIN reset): the name gets this PIN, and a learner row
        with the time they joined. None when the name already has a PIN: it is someone else's."""
        display_name = self.known_profile(name) or check_profile_name(name)
        key = name_key(display_name)
        now = self._now_text()
        with self._write(f"joining of {display_name}") as db:
            db.execute(
                "INSERT INTO learner (learner_key, display_name, pin_hash, joined_at, on_roster) "
                "VALUES (?, ?, NULL, ?, 0) ON CONFLICT (learner_key) DO NOTHING",
                (key, display_name, now),
            )
            claimed = db.execute(
                "UPDATE learner SET pin_hash = ?, joined_at = coalesce(joined_at, ?) "
                "WHERE learner_key = ? AND pin_hash IS NULL",
                (pin_hash, now, key),
            ).rowcount
        return self.learner(key) if claimed == 1 else None

    def add_to_roster(self, name: str, join_code_hash: str) -> Learner:
        """Put a learner on the workshop roster with a join code (a new one if already on it)."""
        display_name = self.known_profile(name) or check_profile_name(name)
        with self._write(f"roster entry for {display_name}") as db:
            db.execute(
                "INSERT INTO learner (learner_key, display_name, pin_hash, joined_at, on_roster, "
                "join_code_hash) VALUES (?, ?, NULL, NULL, 1, ?) "
                "ON CONFLICT (learner_key) DO UPDATE SET on_roster = 1, "
                "join_code_hash = excluded.join_code_hash",
                (name_key(display_name), display_name, join_code_hash),
            )
        learner = self.learner(display_name)
        assert learner is not None, "the row was just written"
        return learner

    def reset_pin(self, name: str, join_code_hash: str | None = None) -> bool:
        """Forget the learner's PIN (and end their resumable tabs); they choose a new one at their
        next login. A roster learner gets the new join code. False when there is no such learner."""
        learner = self.learner(name)
        if learner is None:
            return False
        with self._write(f"PIN reset of {learner.display_name}") as db:
            db.execute(
                "UPDATE learner SET pin_hash = NULL, join_code_hash = coalesce(?, join_code_hash) "
                "WHERE learner_key = ?",
                (join_code_hash, learner.key),
            )
            db.execute("DELETE FROM resume_token WHERE profile = ?", (learner.display_name,))
        return True

    def note_collected_learner(self, name: str, collected_at: datetime) -> str:
        """`workshop collect`: a laptop learner joins the room; returns the name their progress goes
        under ("dave" handed in by someone who logged in as "Dave" is Dave). No PIN comes with an
        export: the name stays free to claim at its first login here, as a name put on the roster is."""
        display_name = self.known_profile(name) or check_profile_name(name)
        with self._write(f"learner {display_name}") as db:
            db.execute(
                "INSERT INTO learner (learner_key, display_name, pin_hash, joined_at, on_roster) "
                "VALUES (?, ?, NULL, ?, 0) ON CONFLICT (learner_key) DO UPDATE SET "
                "joined_at = coalesce(learner.joined_at, excluded.joined_at)",
                (name_key(display_name), display_name, to_utc_text(collected_at)),
            )
        return display_name

    # -- resumable browser tabs ------------------------------------------------------------------------

    def bind_resume_token(self, token_hash: str, profile: str, *, lifetime: timedelta) -> None:
        """A tab logged in: its token now brings the learner back; tokens older than `lifetime` go."""
        check_profile_name(profile)
        now = self._clock()
        with self._write("resumable session") as db:
            db.execute("DELETE FROM resume_token WHERE bound_at < ?", (to_utc_text(now - lifetime),))
            db.execute(
                "INSERT INTO resume_token (token_hash, profile, bound_at, place_json, updated_at) "
                "VALUES (?, ?, ?, NULL, ?) ON CONFLICT (token_hash) DO UPDATE SET "
                "profile = excluded.profile, bound_at = excluded.bound_at, "
                "place_json = excluded.place_json, updated_at = excluded.updated_at",
                (token_hash, profile, to_utc_text(now), to_utc_text(now)),
            )

    def resume_session(
        self, token_hash: str, *, lifetime: timedelta
    ) -> tuple[str, dict[str, Any] | None] | None:
        """The profile a token was bound to and the place its tab was last on; None when the token
        is unknown or was bound longer than `lifetime` ago."""
        with self._read() as db:
            row = db.execute(
                "SELECT profile, place_json, bound_at FROM resume_token WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
        if row is None or from_utc_text(row[2]) < self._clock() - lifetime:
            return None
        return row[0], (json.loads(row[1]) if row[1] else None)

    def set_resume_place(self, token_hash: str, place: dict[str, Any]) -> None:
        """Where the tab is now (a screen, its parameters, values typed), for a later resume."""
        with self._write("place in the course") as db:
            db.execute(
                "UPDATE resume_token SET place_json = ?, updated_at = ? WHERE token_hash = ?",
                (json.dumps(place, sort_keys=True), self._now_text(), token_hash),
            )

    # -- profiles --------------------------------------------------------------------------------

    def profiles(self) -> list[str]:
        """Every profile that has anything stored, settings included, sorted by name."""
        union = " UNION ".join(f"SELECT profile FROM {table}" for table in PROFILE_TABLES)
        with self._read() as db:
            rows = db.execute(f"SELECT profile FROM ({union}) AS profiles ORDER BY profile").fetchall()
        return [profile for (profile,) in rows]

    def last_activity(self, profile: str) -> datetime | None:
        """When the learner last read, opened a lesson, answered or finished a quiz, did an exercise,
        reviewed, predicted or opened a hint."""
        with self._read() as db:
            row = db.execute(
                "SELECT max(at) FROM ("
                " SELECT max(read_at) AS at FROM lesson_read WHERE profile = :p"
                " UNION ALL SELECT max(opened_at) FROM last_lesson WHERE profile = :p"
                " UNION ALL SELECT max(finished_at) FROM quiz_attempt WHERE profile = :p"
                " UNION ALL SELECT max(updated_at) FROM review_card WHERE profile = :p"
                " UNION ALL SELECT max(finished_at) FROM exercise_attempt WHERE profile = :p"
                " UNION ALL SELECT max(updated_at) FROM kept_quiz WHERE profile = :p"
                " UNION ALL SELECT max(answered_at) FROM prediction WHERE profile = :p"
                " UNION ALL SELECT max(shown_at) FROM exercise_hint WHERE profile = :p) AS activity",
                {"p": profile},
            ).fetchone()
        return from_utc_text(row[0]) if row and row[0] else None

    def has_progress(self, profile: str) -> bool:
        with self._read() as db:
            return any(
                db.execute(f"SELECT 1 FROM {table} WHERE profile = ? LIMIT 1", (profile,)).fetchone()
                for table in PROGRESS_TABLES
            )

    def reset(self, profile: str) -> None:
        """Forget the profile's progress (lessons, quizzes, reviews, exercises, predictions, hints); keep
        its settings."""
        check_profile_name(profile)
        with self._write(f"reset of {profile}") as db:
            for table in PROGRESS_TABLES:
                db.execute(f"DELETE FROM {table} WHERE profile = ?", (profile,))

    def export(self, profile: str) -> dict[str, Any]:
        """One JSON-ready document with everything stored for the profile."""
        with self._read():
            # One snapshot for the whole document: the nested reads reuse the open transaction.
            lessons = self.lessons_read_at(profile)
            last = self._last_lesson_row(profile)
            settings = self.settings(profile)
            attempts = self.quiz_attempts(profile)
            cards = self.review_cards(profile)
            exercises = self.exercise_attempts(profile)
            predictions = self.predictions(profile)
            hints = self.hints_used(profile)
            activity = self.last_activity(profile)
        return {
            "format": "lambda-tutor-progress",
            # 2: review cards are FSRS cards (no box); predictions and hints were added.
            # 3: each quiz result has the response given (null before schema 6); the command line
            # adds the learner's name, course and pack versions and a checksum (progress.export).
            "format_version": 3,
            "profile": profile,
            "exported_at": self._now_text(),
            "last_activity": to_utc_text(activity) if activity else None,
            "lessons_read": [
                {"lesson_id": lesson_id, "read_at": to_utc_text(at)} for lesson_id, at in lessons.items()
            ],
            "last_lesson": last,
            "settings": settings,
            "quiz_attempts": [
                {
                    "attempt": attempt.id,
                    "module_id": attempt.module_id,
                    "finished_at": to_utc_text(attempt.finished_at),
                    "points": attempt.points,
                    "max_points": attempt.max_points,
                    # As every screen shows it (rounded down): 79.996 must not export as 80.
                    "percent": shown_percent(attempt.percent),
                    "results": [
                        {
                            "question_id": result.question_id,
                            "points": result.points,
                            "max_points": result.max_points,
                            "correct": result.correct,
                            "response": result.response,
                        }
                        for result in attempt.results
                    ],
                }
                for attempt in attempts
            ],
            "review_cards": [
                {
                    "question_id": question_id,
                    "due": card.due.isoformat(),
                    "stability": card.stability,
                    "difficulty": card.difficulty,
                    "last_review": card.last_review.isoformat(),
                }
                for question_id, card in cards.items()
            ],
            "exercise_attempts": [
                {
                    "attempt": attempt.id,
                    "exercise_id": attempt.exercise_id,
                    "passed": attempt.passed,
                    "params": attempt.params,
                    "finished_at": to_utc_text(attempt.finished_at),
                }
                for attempt in exercises
            ],
            "predictions": [
                {
                    "lesson_id": prediction.lesson_id,
                    "predicted": prediction.predicted,
                    "actual": prediction.actual,
                    "within": prediction.within,
                    "answered_at": to_utc_text(prediction.answered_at),
                }
                for prediction in predictions.values()
            ],
            "hints_used": [
                {"exercise_id": exercise_id, "level": level} for exercise_id, level in hints.items()
            ],
        }

    def _last_lesson_row(self, profile: str) -> dict[str, str] | None:
        with self._read() as db:
            row = db.execute(
                "SELECT lesson_id, opened_at FROM last_lesson WHERE profile = ?", (profile,)
            ).fetchone()
        return {"lesson_id": row[0], "opened_at": row[1]} if row else None

    def copy_aside_and_clear(self, schema: str) -> int:
        """PostgreSQL's `workshop reset`: copy every table of the store into the new schema `schema`
        and empty them, in one transaction (PostgreSQL's DDL is transactional), so the room starts
        fresh and nothing is destroyed. Returns how many rows were kept aside."""
        if self.dialect.name != "postgresql":
            raise ProgressError(f"{self.location} is a SQLite file: move the file aside instead")
        if not schema.isidentifier() or schema != schema.lower():
            raise ValueError(f"an archive schema is a lower-case identifier, got {schema!r}")
        with self._write("reset of the room") as db:
            tables = [
                table
                for (table,) in db.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
                ).fetchall()
            ]
            db.execute(f'CREATE SCHEMA "{schema}"')
            kept = 0
            for table in tables:
                db.execute(f'CREATE TABLE "{schema}"."{table}" AS TABLE "{table}"')
                (rows,) = db.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
                kept += int(rows) if table != VERSION_TABLE_NAME else 0
            # The schema's version stays: the emptied tables are still that schema.
            emptied = [f'"{table}"' for table in tables if table != VERSION_TABLE_NAME]
            db.execute(f"TRUNCATE {', '.join(emptied)}")
        return kept

    def schema_version(self) -> int:
        with self._read() as db:
            return _current_version(db, self.dialect)


# -- opening, checking, migrating ----------------------------------------------------------------


def open_store(
    path: Path | str | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> ProgressStore:
    """Open (creating, checking and upgrading as needed) the progress store.

    `path` is a SQLite file or a postgresql:// URL; by default $LAMBDA_TUTOR_DATABASE (which
    `--database` sets) or else the SQLite file in the data directory. A damaged file is moved aside
    and `store.notice` says where; anything that stops the store from being opened at all raises
    `ProgressError`.
    """
    if path is None:
        path = database_url() or database_path()
    if isinstance(path, str) and is_postgres_url(path):
        return _open_postgres(path, clock, busy_timeout_s, migrations)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ProgressError(
            f"cannot create the progress directory {path.parent}: {error.strerror or _one_line(error)}"
        ) from error
    with _exclusive_open_lock(path):
        notice = None
        damage = _find_damage(path, busy_timeout_s)
        if damage:
            moved_to = _move_aside(path, clock())
            notice = (
                f"The progress store was damaged ({damage}); it was moved to {moved_to} "
                "and a fresh one was started."
            )
        connection = _connect(path, busy_timeout_s)
        try:
            _migrate(connection, SQLITE, str(path), migrations, to_utc_text(clock()))
        except BaseException:
            connection.close()
            raise
        opened_file = _file_identity(path)
    return ProgressStore(path, connection, notice=notice, clock=clock, opened_file=opened_file)


def _open_postgres(
    url: str, clock: Callable[[], datetime], busy_timeout_s: float, migrations: Sequence[Migration]
) -> ProgressStore:
    from tutor.progress.postgres import PostgresDialect, connect, masked_url

    connection = connect(url, busy_timeout_s, ProgressError)
    location = masked_url(url)
    dialect = PostgresDialect()
    try:
        _migrate(connection, dialect, location, migrations, to_utc_text(clock()))
    except BaseException:
        connection.close()
        raise
    return ProgressStore(None, connection, clock=clock, dialect=dialect, location=location)


@contextlib.contextmanager
def _exclusive_open_lock(path: Path) -> Iterator[None]:
    """Serialise the check-and-move-aside step between processes.

    Without it, a second instance that also saw the damaged file could move aside the fresh
    database the first one has just created. SQLite's own locks cannot cover a rename.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the window is small and only matters on damage
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held across the yield
    except OSError as error:
        raise ProgressError(
            f"cannot write to the progress directory {path.parent}: {error.strerror or _one_line(error)}"
        ) from error
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def _is_damage(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _find_damage(path: Path, busy_timeout_s: float) -> str | None:
    """Return why the file at `path` is not a usable database, or None when it is fine or absent."""
    try:
        if path.stat().st_size == 0:
            return None  # SQLite treats an empty file as a new, empty database
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ProgressError(f"cannot read the progress store {path}: {error.strerror}") from error
    # Read-only, so that checking a damaged file cannot change it (no checkpoint on close).
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        checker = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s)
    except sqlite3.Error as error:
        if _is_damage(error):
            return _one_line(error)
        raise ProgressError(f"cannot open the progress store {path}: {_one_line(error)}") from error
    rows: list[tuple] = []
    try:
        # Row by row: SQLite may list faults and then give up with "malformed"; the list says more.
        for row in checker.execute("PRAGMA quick_check"):
            rows.append(row)
    except sqlite3.Error as error:
        if not _is_damage(error):
            raise ProgressError(f"cannot check the progress store {path}: {_one_line(error)}") from error
        if not rows:
            return _one_line(error)
    finally:
        checker.close()
    if rows != [("ok",)]:
        # SQLite can list hundreds of faults; the first one is enough to say why.
        faults = [line for row in rows for line in str(row[0]).splitlines() if not line.startswith("***")]
        first = faults[0] if faults else "no answer"
        return "integrity check failed: " + (first if len(first) <= 120 else first[:117] + "...")
    return None


def move_sqlite_store_aside(path: Path, moment: datetime, label: str) -> Path:
    """Rename a SQLite store and its journal files to `<name>.<label>-<UTC time>`: kept, never
    deleted, so renaming it back undoes the move. Raises OSError."""
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    suffix = 2
    while target.exists():
        target = path.with_name(f"{path.name}.{label}-{stamp}-{suffix}")
        suffix += 1
    os.rename(path, target)
    # The journal files belong with the database they describe; SQLite finds them by name.
    for companion in ("-wal", "-shm", "-journal"):
        source = path.with_name(path.name + companion)
        if source.exists():
            os.rename(source, target.with_name(target.name + companion))
    return target


def _move_aside(path: Path, moment: datetime) -> Path:
    try:
        return move_sqlite_store_aside(path, moment, "damaged")
    except OSError as error:
        raise ProgressError(
            f"the progress store {path} is damaged and could not be moved aside: "
            f"{error.strerror or _one_line(error)}"
        ) from error


def _file_identity(path: Path) -> tuple[int, int] | None:
    """Which file is at `path` (device and inode), or None when there is none."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    try:
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
        connection = sqlite3.connect(
            str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise ProgressError(f"cannot open the progress store {path}: {_one_line(error)}") from error
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        connection.execute("PRAGMA journal_mode = WAL").fetchone()
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        connection.close()
        raise ProgressError(f"cannot open the progress store {path}: {_one_line(error)}") from error
    return connection


def _current_version(connection: Connection, dialect: Dialect) -> int:
    if not dialect.table_exists(connection, "schema_version"):
        return 0
    (version,) = connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(version)


def _migrate(
    connection: Connection, dialect: Dialect, location: str, migrations: Sequence[Migration], now: str
) -> None:
    """Bring the store up to the newest schema, all pending steps in one transaction (PostgreSQL's
    DDL is transactional too), under the write lock so that two first opens cannot both migrate."""
    known = max((migration.version for migration in migrations), default=0)
    failure = f"cannot upgrade the progress store {location} to schema version {known}"
    try:
        # Cheap read first: nearly every open finds the schema current and needs no write lock.
        if _current_version(connection, dialect) == known:
            return
    except dialect.errors as error:
        raise ProgressError(f"{failure}: {_one_line(error)}") from error
    with _immediate(connection, dialect, failure):
        # Re-read under the write lock: another instance may have migrated meanwhile.
        current = _current_version(connection, dialect)
        if current > known:
            raise ProgressError(
                f"the progress store {location} was written by a newer lambda-tutor "
                f"(schema version {current}; this one knows up to {known}): upgrade lambda-tutor"
            )
        connection.execute(dialect.migration_text(VERSION_TABLE))
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version <= current:
                continue
            for statement in migration.statements:
                connection.execute(dialect.migration_text(statement))
            if migration.rewrite is not None:
                migration.rewrite(connection)
            connection.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, now),
            )
