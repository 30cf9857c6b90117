"""The small dialect layer: one connection API over ``sqlite3`` and psycopg 3.

Queries are written once, with ``?`` placeholders and the SQL both engines accept. What differs:

* placeholders: PostgreSQL's driver takes ``%s`` (queries here never contain a literal ``?`` or ``%``);
* ``greatest``/``least`` of two values: ``MAX(a, b)`` in SQLite, ``GREATEST(a, b)`` in PostgreSQL;
* ``FOR UPDATE`` row locks: PostgreSQL only (SQLite's ``BEGIN IMMEDIATE`` already serialises writers);
* the migration lock: a transaction-level advisory lock in PostgreSQL, so masters starting together
  migrate once;
* bulk rows: ``COPY`` in PostgreSQL, ``executemany`` in SQLite (in-process, already fast). A batch's
  Per Seat uses go through a temporary staging table (``ent_stage``, per connection) and are merged
  with set-based SQL that both engines accept.
"""

import abc
import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from applet.store.database import StoreError

Row = tuple[Any, ...]
STAGE_COLUMNS = (
    "origin_key",
    "product_key",
    "user_key",
    "user_name",
    "first_used",
    "last_used",
    "usage_count",
)
_STAGE_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS ent_stage (origin_key TEXT, product_key TEXT, user_key TEXT, "
    "user_name TEXT, first_used TEXT, last_used TEXT, usage_count BIGINT)"
)


class EnterpriseDatabaseError(StoreError):
    """The enterprise database cannot be reached or used."""


class Connection(abc.ABC):
    """One connection to the enterprise database; subclasses speak one engine."""

    dialect = ""
    description = ""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement; the rows it returns (empty for none)."""

    @abc.abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager["Connection"]:
        """A write transaction: committed on success, rolled back on any exception."""

    @abc.abstractmethod
    def greatest(self, left: str, right: str) -> str:
        """SQL for the larger of two expressions."""

    @abc.abstractmethod
    def least(self, left: str, right: str) -> str:
        """SQL for the smaller of two expressions."""

    @property
    def for_update(self) -> str:
        """`` FOR UPDATE`` where row locks exist."""
        return ""

    def lock_migrations(self) -> None:
        """Inside the migration transaction: keep other instances out until it commits."""
        return None  # a hook: SQLite's BEGIN IMMEDIATE already keeps other writers out

    @abc.abstractmethod
    def make_read_only(self) -> None:
        """Refuse every write on this connection from now on (a reader's connection)."""

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows (no conflict handling: the caller knows they are new)."""
        marks = ", ".join("?" * len(columns))
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def stage(self, rows: Sequence[Sequence[Any]]) -> None:
        """Replace the staging table's rows (:data:`STAGE_COLUMNS`), inside the caller's transaction."""
        self.execute(_STAGE_TABLE)
        self.execute("DELETE FROM ent_stage")
        self.bulk_insert("ent_stage", STAGE_COLUMNS, rows)

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection."""


class SqliteConnection(Connection):
    """The embedded default: a SQLite file (WAL, ``BEGIN IMMEDIATE`` transactions)."""

    dialect = "sqlite"

    def __init__(self, path: Path, busy_timeout: float = 30.0) -> None:
        self.path = path
        self.description = str(path)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            old_umask = os.umask(0o077)
            try:
                self._connection = sqlite3.connect(
                    path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
                )
            finally:
                os.umask(old_umask)
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = FULL")
        except (sqlite3.Error, OSError) as error:
            raise EnterpriseDatabaseError(f"cannot open the enterprise database {path}: {error}") from error

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return self._connection.execute(sql, tuple(params)).fetchall()
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise EnterpriseDatabaseError(f"enterprise database {self.path}: {error}") from error

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._connection.executemany(sql, rows)
        except sqlite3.Error as error:
            raise EnterpriseDatabaseError(f"enterprise database {self.path}: {error}") from error

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def make_read_only(self) -> None:
        self.execute("PRAGMA query_only = ON")

    def greatest(self, left: str, right: str) -> str:
        return f"MAX({left}, {right})"

    def least(self, left: str, right: str) -> str:
        return f"MIN({left}, {right})"

    def close(self) -> None:
        self._connection.close()


class PostgresConnection(Connection):
    """PostgreSQL through psycopg 3 (imported here only)."""

    dialect = "postgresql"

    def __init__(self, url: str, connect_timeout: float = 10.0) -> None:
        try:
            import psycopg
        except ImportError as error:  # pragma: no cover - psycopg is a dependency
            raise EnterpriseDatabaseError(
                "PostgreSQL needs the psycopg package (pip install psycopg)"
            ) from error
        self._psycopg = psycopg
        self.description = _without_password(url)
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self._connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
                break
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise EnterpriseDatabaseError(
                        f"cannot connect to the enterprise database {self.description}: "
                        f"{' '.join(str(error).split())}"
                    ) from error
                time.sleep(0.2)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cursor = self._connection.execute(sql.replace("?", "%s"), tuple(params))
            return cursor.fetchall() if cursor.description is not None else []
        except self._psycopg.errors.IntegrityError:
            raise
        except self._psycopg.Error as error:
            raise EnterpriseDatabaseError(
                f"enterprise database {self.description}: {' '.join(str(error).split())}"
            ) from error

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self._connection.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
        except self._psycopg.Error as error:
            raise EnterpriseDatabaseError(
                f"enterprise database {self.description}: {' '.join(str(error).split())}"
            ) from error

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self._connection.transaction():
                yield self
        except self._psycopg.Error as error:
            raise EnterpriseDatabaseError(
                f"enterprise database {self.description}: {' '.join(str(error).split())}"
            ) from error

    def make_read_only(self) -> None:
        # Each autocommit statement is a transaction of its own: every one of them read-only.
        self.execute("SET default_transaction_read_only = on")

    def greatest(self, left: str, right: str) -> str:
        return f"GREATEST({left}, {right})"

    def least(self, left: str, right: str) -> str:
        return f"LEAST({left}, {right})"

    @property
    def for_update(self) -> str:
        return " FOR UPDATE"

    def lock_migrations(self) -> None:
        # Any fixed number: every master instance takes the same lock before migrating.
        self.execute("SELECT pg_advisory_xact_lock(7531)")

    def stage(self, rows: Sequence[Sequence[Any]]) -> None:
        # TRUNCATE, not DELETE: a temporary table is never vacuumed, and dead rows would pile up.
        # ANALYZE: a temporary table has no statistics, and without them the planner merges a
        # thousand staged rows with a hash join over the whole of ent_seats (seen: each batch slower).
        self.execute(_STAGE_TABLE)
        self.execute("TRUNCATE ent_stage")
        self.bulk_insert("ent_stage", STAGE_COLUMNS, rows)
        self.execute("ANALYZE ent_stage")

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """``COPY`` the rows in (no conflict handling: the caller knows they are new)."""
        try:
            with (
                self._connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        except self._psycopg.Error as error:
            raise EnterpriseDatabaseError(
                f"enterprise database {self.description}: {' '.join(str(error).split())}"
            ) from error

    def close(self) -> None:
        self._connection.close()


def is_postgres_url(location: str) -> bool:
    """True for ``postgresql://`` and ``postgres://`` URLs."""
    return location.startswith(("postgresql://", "postgres://"))


def describe(location: str | Path) -> str:
    """How messages and comparisons name a database: the URL without its password, or the file."""
    text = str(location)
    return _without_password(text) if is_postgres_url(text) else str(Path(text).absolute())


def connect(location: str | Path) -> Connection:
    """A connection to a PostgreSQL URL or a SQLite file path."""
    text = str(location)
    if is_postgres_url(text):
        return PostgresConnection(text)
    return SqliteConnection(Path(text))


def _without_password(url: str) -> str:
    # postgresql://user:secret@host/db -> postgresql://user@host/db (for messages and logs)
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}://{credentials.partition(':')[0]}@{host}"
