"""What the progress store needs from a database, and SQLite's answers.

The store's SQL is written once, in a subset both SQLite and PostgreSQL run: `?` placeholders,
`INSERT .. ON CONFLICT (..) DO NOTHING / DO UPDATE SET x = excluded.x`, `RETURNING id`, an alias on
every subquery in FROM, no SQLite functions and no `rowid` outside the tables that already order by
it. A `Dialect` supplies only what cannot be shared: how a transaction starts, how to tell whether a
table exists, how a quiz attempt's id is reserved, and how migration text becomes its own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The part of `sqlite3.Connection` the store uses; `postgres.PostgresConnection` has it too."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PerDialect:
    """A migration statement whose text differs between databases (data conversions that need each
    database's own date functions); everything else in a migration is one text for both."""

    sqlite: str
    postgres: str


Statement = str | PerDialect


class Dialect:
    """SQLite: the store's native dialect, so its migration text is used as written."""

    name = "sqlite"
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def begin_write(self, connection: Connection) -> None:
        # IMMEDIATE takes the write lock now, so a read-then-write cannot interleave with another writer.
        connection.execute("BEGIN IMMEDIATE")

    def begin_read(self, connection: Connection) -> None:
        connection.execute("BEGIN")

    def table_exists(self, connection: Connection, table: str) -> bool:
        row = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    def reserve_quiz_attempt_id(self, connection: Connection) -> int:
        """Take the next id of quiz_attempt's AUTOINCREMENT sequence without inserting a row."""
        row = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'quiz_attempt'").fetchone()
        attempt_id = (row[0] if row else 0) + 1
        if row:
            connection.execute(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = 'quiz_attempt'", (attempt_id,)
            )
        else:
            connection.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('quiz_attempt', ?)", (attempt_id,)
            )
        return attempt_id

    def migration_text(self, statement: Statement) -> str:
        return statement.sqlite if isinstance(statement, PerDialect) else statement


SQLITE = Dialect()
