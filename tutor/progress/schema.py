"""The progress database's schema, as ordered migrations.

Every row is keyed by profile and by a stable id (lesson, module, question, exercise), never by a
position in the course, so reordering or extending the course loses nothing. Only what cannot be
derived is stored: quiz totals and percentages are computed from the per-question results, the list
of profiles from the rows that name them.

Times are UTC ISO 8601 strings ending in Z with microseconds, so text order is time order; review
due dates (and a card's last review) are UTC calendar dates (YYYY-MM-DD).

To change the schema, append a Migration with the next version; never edit one that has shipped,
because learners' databases already carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutor.locations import name_key
from tutor.progress.backends import Connection, PerDialect, Statement


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[Statement, ...]  # one text for both databases, or PerDialect
    # Run after the statements, in the same transaction: a rewrite of rows that needs Python (SQL
    # cannot compute a name's key), written with the store's portable SQL.
    rewrite: Callable[[Connection], None] | None = None


def rekey_learners(connection: Connection) -> None:
    """Migration 7: learner keys became accent-insensitive ('José' and 'Jose' are one learner).

    Each row takes its new key unless another row holds it already (a store where 'Jose' and 'José'
    both joined): then the row stays under its old key, still listed and nothing lost, and logging
    in as either name finds the row that holds the new key. The earliest to join goes first."""
    rows = connection.execute("SELECT learner_key, display_name, joined_at FROM learner").fetchall()
    # Sorted here, not in SQL: SQLite puts NULLs (on the roster, not come yet) first, PostgreSQL last.
    rows.sort(key=lambda row: (row[2] is None, row[2] or "", row[0]))
    keys = {row[0] for row in rows}
    for old_key, display_name, _ in rows:
        new_key = name_key(display_name)
        if new_key != old_key and new_key not in keys:
            connection.execute("UPDATE learner SET learner_key = ? WHERE learner_key = ?", (new_key, old_key))
            keys.discard(old_key)
            keys.add(new_key)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="lessons read, last lesson, settings, quiz attempts, review cards, exercise attempts",
        statements=(
            """
            CREATE TABLE lesson_read (
                profile   TEXT NOT NULL,
                lesson_id TEXT NOT NULL,
                read_at   TEXT NOT NULL,            -- first time the learner reached the end
                PRIMARY KEY (profile, lesson_id)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE last_lesson (
                profile   TEXT PRIMARY KEY,
                lesson_id TEXT NOT NULL,
                opened_at TEXT NOT NULL
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE setting (
                profile    TEXT NOT NULL,
                key        TEXT NOT NULL,
                value_json TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (profile, key)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE quiz_attempt (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                profile     TEXT NOT NULL,
                module_id   TEXT NOT NULL,
                finished_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX quiz_attempt_by_profile ON quiz_attempt (profile, module_id, finished_at)",
            """
            CREATE TABLE quiz_result (
                attempt_id  INTEGER NOT NULL REFERENCES quiz_attempt (id) ON DELETE CASCADE,
                question_id TEXT NOT NULL,
                points      REAL NOT NULL CHECK (points >= 0),
                max_points  REAL NOT NULL CHECK (max_points > 0 AND points <= max_points),
                correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
                PRIMARY KEY (attempt_id, question_id)
            )                                       -- rowid keeps the order the questions were asked
            """,
            """
            CREATE TABLE review_card (
                profile     TEXT NOT NULL,
                question_id TEXT NOT NULL,
                box         INTEGER NOT NULL CHECK (box >= 1),
                due         TEXT NOT NULL,          -- UTC date
                updated_at  TEXT NOT NULL,
                PRIMARY KEY (profile, question_id)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX review_card_due ON review_card (profile, due)",
            """
            CREATE TABLE exercise_attempt (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                profile     TEXT NOT NULL,
                exercise_id TEXT NOT NULL,
                passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
                params_json TEXT NOT NULL,
                finished_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX exercise_attempt_by_profile "
            "ON exercise_attempt (profile, exercise_id, finished_at)",
        ),
    ),
    Migration(
        version=2,
        description="module quizzes left before the end, kept to be resumed",
        statements=(
            # One kept quiz per module: starting a new one replaces it. Its id is taken from
            # quiz_attempt's sequence when it starts and becomes the finished attempt's id, so an
            # attempt has one id from its first question to its stored score.
            """
            CREATE TABLE kept_quiz (
                id                INTEGER PRIMARY KEY,
                profile           TEXT NOT NULL,
                module_id         TEXT NOT NULL,
                question_ids_json TEXT NOT NULL,    -- the drawn questions, in the order asked
                started_at        TEXT NOT NULL,
                updated_at        TEXT NOT NULL,
                UNIQUE (profile, module_id)
            )
            """,
            """
            CREATE TABLE kept_answer (
                attempt_id    INTEGER NOT NULL REFERENCES kept_quiz (id) ON DELETE CASCADE,
                position      INTEGER NOT NULL CHECK (position >= 0),
                question_id   TEXT NOT NULL,
                response_json TEXT NOT NULL,        -- what the learner answered, to show it again
                points        REAL NOT NULL CHECK (points >= 0),
                max_points    REAL NOT NULL CHECK (max_points > 0 AND points <= max_points),
                PRIMARY KEY (attempt_id, position)
            ) WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        version=3,
        description="review cards scheduled by FSRS (stability, difficulty) instead of Leitner boxes",
        statements=(
            """
            CREATE TABLE review_card_fsrs (
                profile     TEXT NOT NULL,
                question_id TEXT NOT NULL,
                due         TEXT NOT NULL,          -- UTC date
                stability   REAL NOT NULL CHECK (stability > 0),   -- days until recall falls to 90 %
                difficulty  REAL NOT NULL CHECK (difficulty BETWEEN 1 AND 10),
                last_review TEXT NOT NULL,          -- UTC date
                updated_at  TEXT NOT NULL,
                PRIMARY KEY (profile, question_id)
            ) WITHOUT ROWID
            """,
            # Each Leitner card keeps its due date. Its stability is the interval its box had just
            # granted (at FSRS's 90 % retention target the interval equals the stability), reviewed
            # that many days before the due date; a retired card (box 6, due 9999-12-31) keeps its
            # never-coming date and counts as reviewed when it was retired. Every Leitner card
            # entered review through a miss, so its difficulty is FSRS's first difficulty after
            # Again with the default parameters (w[4] = 6.4133; tests check it against fsrs).
            PerDialect(
                sqlite="""
            INSERT INTO review_card_fsrs
                (profile, question_id, due, stability, difficulty, last_review, updated_at)
            SELECT profile, question_id, due, days, 6.4133,
                   CASE WHEN box <= 5 THEN date(due, printf('-%d days', days))
                        ELSE substr(updated_at, 1, 10) END,
                   updated_at
            FROM (SELECT *, CASE box WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 4 WHEN 4 THEN 7 ELSE 15 END
                            AS days FROM review_card)
            """,
                # The same conversion with PostgreSQL's date arithmetic (date - integer = date).
                postgres="""
            INSERT INTO review_card_fsrs
                (profile, question_id, due, stability, difficulty, last_review, updated_at)
            SELECT profile, question_id, due, days, 6.4133,
                   CASE WHEN box <= 5 THEN to_char(CAST(due AS date) - days, 'YYYY-MM-DD')
                        ELSE substr(updated_at, 1, 10) END,
                   updated_at
            FROM (SELECT *, CASE box WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 4 WHEN 4 THEN 7 ELSE 15 END
                            AS days FROM review_card) AS leitner
            """,
            ),
            "DROP TABLE review_card",
            "ALTER TABLE review_card_fsrs RENAME TO review_card",
            "CREATE INDEX review_card_due ON review_card (profile, due)",
        ),
    ),
    Migration(
        version=4,
        description="lesson predictions and exercise hints shown",
        statements=(
            """
            CREATE TABLE prediction (
                profile     TEXT NOT NULL,
                lesson_id   TEXT NOT NULL,
                predicted   REAL,                   -- NULL: the learner skipped the prediction
                actual      REAL NOT NULL,          -- what the simulator gave
                within      INTEGER CHECK (within IN (0, 1)),  -- NULL when skipped
                answered_at TEXT NOT NULL,
                PRIMARY KEY (profile, lesson_id)    -- asked once per lesson: the first answer counts
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE exercise_hint (
                profile     TEXT NOT NULL,
                exercise_id TEXT NOT NULL,
                level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),  -- nudge, mechanism, answer
                shown_at    TEXT NOT NULL,
                PRIMARY KEY (profile, exercise_id, level)
            ) WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        version=5,
        description="learners who joined in a browser (PINs, the workshop roster) and resumable tabs",
        statements=(
            # Progress rows stay keyed by profile; a learner's profile is their display name, so
            # nothing written before this table existed has to move.
            """
            CREATE TABLE learner (
                learner_key    TEXT PRIMARY KEY,        -- tutor.locations.name_key: who the name means
                display_name   TEXT NOT NULL UNIQUE,    -- as first typed; the profile of their rows
                pin_hash       TEXT,                    -- NULL: no PIN yet, or the instructor reset it
                joined_at      TEXT,                    -- first login; NULL: on the roster, not come yet
                on_roster      INTEGER NOT NULL DEFAULT 0 CHECK (on_roster IN (0, 1)),
                join_code_hash TEXT                     -- roster only: needed while there is no PIN
            )
            """,
            # One row per browser tab that logged in: its token (hashed) lets a dropped connection
            # come back as the same learner, on the same screen, without the prompt.
            """
            CREATE TABLE resume_token (
                token_hash TEXT PRIMARY KEY,
                profile    TEXT NOT NULL,
                bound_at   TEXT NOT NULL,
                place_json TEXT,                        -- the screen the tab was on, and its values
                updated_at TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        version=6,
        description="the answer a learner gave to each question of a finished quiz",
        statements=(
            # NULL for attempts stored before this version: what was answered was not kept then.
            # The instructor's report lists the wrong answers chosen most often from it.
            "ALTER TABLE quiz_result ADD COLUMN response_json TEXT",
        ),
    ),
    Migration(
        version=7,
        description="learner keys compare names without accents as well as without case",
        statements=(),
        rewrite=rekey_learners,
    ),
)

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""

# Tables whose rows belong to a profile; reset and profiles() walk these.
PROFILE_TABLES = (
    "lesson_read",
    "last_lesson",
    "setting",
    "quiz_attempt",
    "review_card",
    "exercise_attempt",
    "kept_quiz",
    "prediction",
    "exercise_hint",
)
# What reset forgets: everything but the learner's preferences (theme and the like).
PROGRESS_TABLES = (
    "lesson_read",
    "last_lesson",
    "quiz_attempt",
    "review_card",
    "exercise_attempt",
    "kept_quiz",
    "prediction",
    "exercise_hint",
)
