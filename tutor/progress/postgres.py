"""The progress store on PostgreSQL (psycopg 3), for a room served by several hosts.

The store's portable SQL runs unchanged: `PostgresConnection` turns `?` (and `:name`) placeholders
into psycopg's, and `PostgresDialect` rewrites SQLite's table definitions so that a column holds
the same values and sorts them the same way:

- `INTEGER` becomes BIGINT (SQLite's integers are 64-bit), `REAL` DOUBLE PRECISION (SQLite's
  floats are 8 bytes; PostgreSQL's REAL is 4 and would turn 0.6667 into 0.66670000553);
- `TEXT` becomes `TEXT COLLATE "C"`: SQLite compares text byte by byte, a PostgreSQL database
  by its locale, which would reorder ids and names;
- `INTEGER PRIMARY KEY AUTOINCREMENT` becomes an identity column (BY DEFAULT, since a kept quiz's
  reserved id is inserted explicitly), `WITHOUT ROWID` goes, and a table that has a rowid in SQLite
  but no INTEGER PRIMARY KEY to alias it gets a `rowid` identity column, so ordering by insertion
  (`ORDER BY rowid`) means the same on both.

Every write transaction first takes one transaction-scoped advisory lock, as SQLite's BEGIN
IMMEDIATE takes its write lock: writers from every process and host queue, each read-then-write
sees the rows committed before it, and migrations run once however many hosts open the store at
the same moment. Reads run in REPEATABLE READ so that a multi-query read sees one snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tutor.errors import UserError
from tutor.progress.backends import Connection, Cursor, Dialect, PerDialect, Statement

if TYPE_CHECKING:
    import psycopg

URL_SCHEMES = ("postgresql://", "postgres://")
# Any constant works as long as nothing else in the database uses it: it stands for "the store's
# write lock" ('ltpg' in ASCII, so it reads as ours in pg_locks).
WRITE_LOCK_KEY = 0x6C747067
DEFAULT_CONNECT_TIMEOUT_S = 10

_CREDENTIALS = re.compile(r"^(?P<scheme>[a-z]+://)(?P<user>[^:@/?]*):(?P<password>[^@/?]*)@", re.IGNORECASE)
_PASSWORD_PARAMETER = re.compile(r"(?P<key>[?&]password=)(?P<password>[^&]*)", re.IGNORECASE)
# Quoted text and comments are copied as they are; only the placeholders and `%` outside them change.
_SQL_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\?|%|(?<![:\w]):[A-Za-z_]\w*""")


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and `lambda-tutor locate`."""
    url = _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url, count=1)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m['key']}***", url)


def _passwords(url: str) -> list[str]:
    found = [m["password"] for m in (_CREDENTIALS.match(url), *_PASSWORD_PARAMETER.finditer(url)) if m]
    return [password for password in found if password]


def _scrubbed(message: str, url: str) -> str:
    """libpq quotes the whole URL in some errors: never let its password reach a message."""
    message = message.replace(url, masked_url(url))
    for password in _passwords(url):
        message = message.replace(password, "***")
    return " ".join(message.split())


def _host_of(url: str, settings: Mapping[str, str] | None = None) -> str:
    if settings is not None:
        host = settings.get("host") or settings.get("hostaddr") or "localhost"
        port = settings.get("port")
        return f"{host}:{port}" if port else host
    after_at = url.split("://", 1)[-1].rsplit("@", 1)[-1]
    return re.split(r"[/?]", after_at, maxsplit=1)[0] or "localhost"


def check_url(url: str) -> dict[str, str]:
    """Parse a postgresql:// URL; a malformed one is a one-line UserError naming its host."""
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    if not is_postgres_url(url):
        raise UserError(
            f"the progress database {masked_url(url)!r} is not a PostgreSQL URL: "
            "use postgresql://USER:PASSWORD@HOST:PORT/DATABASE, or leave it unset to keep progress "
            "in a SQLite file"
        )
    try:
        settings = conninfo_to_dict(url)
    except Error as error:
        raise UserError(
            f"the progress database URL for host {_host_of(url)} is not valid: {_scrubbed(str(error), url)}"
        ) from error
    port = settings.get("port")
    if port is not None and not (str(port).isdigit() and 0 < int(port) < 65536):
        raise UserError(
            f"the progress database URL for host {settings.get('host') or 'localhost'} has port {port!r}: "
            "use 1 to 65535"
        )
    return {key: str(value) for key, value in settings.items()}


def connect(url: str, busy_timeout_s: float, failure: Callable[[str], UserError]) -> PostgresConnection:
    """Open a connection (one per store, in autocommit: the store issues BEGIN and COMMIT itself)."""
    import psycopg

    settings = check_url(url)
    extra: dict[str, Any] = {}
    if "connect_timeout" not in settings:
        # Without one, a host that drops packets keeps the app waiting for minutes.
        extra["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT_S
    try:
        raw = psycopg.connect(url, autocommit=True, application_name="lambda-tutor", **extra)
    except psycopg.Error as error:
        raise failure(
            f"cannot connect to the progress database on {_host_of(url, settings)}: "
            f"{_scrubbed(str(error), url)}"
        ) from error
    try:
        # A writer waits this long for the write lock, as SQLite's busy timeout makes it wait.
        raw.execute(f"SET lock_timeout = {max(1, int(busy_timeout_s * 1000))}")
    except psycopg.Error as error:
        raw.close()
        raise failure(
            f"cannot use the progress database on {_host_of(url, settings)}: {_scrubbed(str(error), url)}"
        ) from error
    return PostgresConnection(raw)


@lru_cache(maxsize=512)
def _psycopg_sql(sql: str, named: bool) -> str:
    """`?` (or `:name` when the parameters are a mapping) to psycopg's `%s` / `%(name)s`."""

    def replace(match: re.Match[str]) -> str:
        token = match[0]
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token.startswith(":") and named:
            return f"%({token[1:]})s"
        return token

    return _SQL_TOKENS.sub(replace, sql)


class PostgresConnection:
    """A psycopg connection that takes the store's portable SQL as sqlite3 does."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        if not parameters:
            return self.raw.execute(sql)
        query = _psycopg_sql(sql, isinstance(parameters, Mapping))
        return self.raw.execute(query, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Cursor:
        cursor = self.raw.cursor()
        cursor.executemany(_psycopg_sql(sql, False), parameters)
        return cursor

    def close(self) -> None:
        self.raw.close()


# -- the dialect ---------------------------------------------------------------------------------

_COMMENT = re.compile(r"--[^\n]*")
_AUTOINCREMENT = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.IGNORECASE)
_ROWID_ALIAS = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*$", re.IGNORECASE)
_TYPES = {
    re.compile(r"\bINTEGER\b", re.IGNORECASE): "BIGINT",
    re.compile(r"\bREAL\b", re.IGNORECASE): "DOUBLE PRECISION",
    re.compile(r"\bTEXT\b", re.IGNORECASE): 'TEXT COLLATE "C"',
}
_TABLE_DEFINITION = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE\s+\S+\s+ADD\b)", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\b", re.IGNORECASE)


def _outside_literals(sql: str, change: Callable[[str], str]) -> str:
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(part if index % 2 else change(part) for index, part in enumerate(parts))


def table_definition(sql: str) -> str:
    """SQLite's CREATE TABLE / ALTER TABLE .. ADD text as PostgreSQL's, holding the same values."""
    sql = _COMMENT.sub("", sql).strip()
    if not _TABLE_DEFINITION.match(sql):
        return sql
    creates = bool(_CREATE_TABLE.match(sql))
    without_rowid = bool(_WITHOUT_ROWID.search(sql))
    has_rowid_alias = bool(_ROWID_ALIAS.search(sql))

    def rewrite(text: str) -> str:
        text = _WITHOUT_ROWID.sub(")", text)
        text = _AUTOINCREMENT.sub("INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text)
        for pattern, replacement in _TYPES.items():
            text = pattern.sub(replacement, text)
        return text

    sql = _outside_literals(sql, rewrite)
    if creates and not without_rowid and not has_rowid_alias and sql.endswith(")"):
        sql = sql[:-1].rstrip() + ",\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY\n)"
    return sql


class PostgresDialect(Dialect):
    name = "postgresql"

    def __init__(self) -> None:
        import psycopg

        self.errors = (psycopg.Error,)

    def begin_write(self, connection: Connection) -> None:
        connection.execute("BEGIN")
        connection.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

    def begin_read(self, connection: Connection) -> None:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")

    def table_exists(self, connection: Connection, table: str) -> bool:
        row = connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = ?",
            (table,),
        ).fetchone()
        return row is not None

    def reserve_quiz_attempt_id(self, connection: Connection) -> int:
        (attempt_id,) = connection.execute(
            "SELECT nextval(pg_get_serial_sequence('quiz_attempt', 'id'))"
        ).fetchone()
        return int(attempt_id)

    def migration_text(self, statement: Statement) -> str:
        if isinstance(statement, PerDialect):
            return statement.postgres
        return table_definition(statement)
