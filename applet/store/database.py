"""Opening the SQLite file: folder creation, pragmas, schema migrations, and environment errors.

Environment faults (locked, corrupt, too new, unwritable folder) are :class:`StoreError` subclasses with
a one-line message; the CLI maps them to exit 1. Rule violations are ``applet.domain.errors`` (exit 2).
"""

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from applet.store.paths import DataPaths, make_private_folder

DEFAULT_BUSY_TIMEOUT = 5.0
# How often (50 ms apart) an empty store file is looked at again before it is refused.
EMPTY_FILE_CHECKS = 6


def configured_busy_timeout() -> float:
    """Seconds a writer waits for another's lock: ``$LLS_BUSY_TIMEOUT``, else (unset or not a number) 5 s."""
    try:
        return float(os.environ.get("LLS_BUSY_TIMEOUT", DEFAULT_BUSY_TIMEOUT))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


class StoreError(Exception):
    """The store cannot be used: an environment fault, not a bad request."""


class DatabaseLocked(StoreError):
    """Another writer held the database for longer than the busy timeout."""


class DatabaseCorrupt(StoreError):
    """The file is not a SQLite database, or is damaged."""


class DatabaseTooNew(StoreError):
    """The database was written by a newer version of Licensing."""


class DataFolderUnwritable(StoreError):
    """The data folder cannot be created or written."""


_formatted_second: tuple[int, str] = (-1, "")


def utc_now() -> str:
    """The current time as ISO 8601 UTC with seconds, the store's time format.

    Formatted once per second and reused: the service stamps every lease with it, and formatting was a
    measurable part of a license request.
    """
    global _formatted_second
    second = int(time.time())
    cached = _formatted_second  # one read: another thread may replace the tuple, never half of it
    if cached[0] != second:
        cached = (second, datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds"))
        _formatted_second = cached
    return cached[1]


def translate_error(error: sqlite3.Error, path: Path) -> StoreError:
    """Map a sqlite3 error to the environment fault it stands for."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return DatabaseLocked(f"the database {path} is locked by another program; try again later")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseCorrupt(f"the database {path} is corrupt or not a Licensing store")
    if "full" in text:
        return DataFolderUnwritable(f"cannot write the database {path}: the disk is full")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "disk i/o" in text:
        return DataFolderUnwritable(f"cannot write the database {path}: {error}")
    return StoreError(f"database error in {path}: {error}")


Migration = Callable[[sqlite3.Connection], None]


class Database:
    """One connection to the store file, with explicit transactions.

    The connection runs in autocommit mode; :meth:`transaction` opens ``BEGIN IMMEDIATE`` so that a
    writer takes the write lock up front and waits at most the busy timeout for it.

    A store whose folder this user cannot write but whose file it can read (a machine-wide store shared
    for reading) is opened read-only (:attr:`read_only`): reads work, every write is
    :class:`DataFolderUnwritable`.
    """

    def __init__(self, paths: DataPaths, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.paths = paths
        self.path = paths.database
        self.busy_timeout = busy_timeout
        self._transaction_depth = 0  # > 0 inside :meth:`transaction`
        self.read_only = not self._ensure_folder()
        self._refuse_empty_file()
        if self.read_only:
            self.connection = self._connect_read_only()
            return
        try:
            old_umask = os.umask(0o077)
            try:
                self.connection = sqlite3.connect(
                    self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
                )
            finally:
                os.umask(old_umask)
            self.connection.execute("PRAGMA foreign_keys = ON")
            self._set_journal_mode()
            self.connection.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error

    def _ensure_folder(self) -> bool:
        """Create the folder if needed; False when only reading is possible (an existing, readable
        store in a folder this user cannot write)."""
        folder = self.paths.data_dir
        try:
            make_private_folder(folder)
        except OSError as error:
            raise DataFolderUnwritable(f"cannot create the data folder {folder}: {error.strerror}") from error
        if os.access(folder, os.W_OK | os.X_OK):
            return True
        if os.access(folder, os.X_OK) and os.access(self.path, os.R_OK):
            return False
        raise DataFolderUnwritable(f"the data folder {folder} is not writable")

    def _connect_read_only(self) -> sqlite3.Connection:
        """A read-only connection to a store in a folder this user cannot write.

        SQLite reads a WAL store through its ``-wal`` and ``-shm`` files: while a writer (the service)
        has them open, they are read as they are. Without them, and no way to create them, the file is
        read as immutable: no writer has it open then, as a writer would have created them.
        """
        uri = self.path.absolute().as_uri()

        def connect(options: str) -> sqlite3.Connection:
            connection = sqlite3.connect(
                f"{uri}?{options}",
                uri=True,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except BaseException:
                connection.close()
                raise
            return connection

        try:
            try:
                connection = connect("mode=ro")
            except sqlite3.OperationalError:
                if self.path.with_name(self.path.name + "-wal").exists():
                    raise  # a writer's log this user cannot read: reading past it would be wrong
                connection = connect("mode=ro&immutable=1")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error
        return connection

    def _refuse_empty_file(self) -> None:
        """A 0-byte store file (a failed copy, a truncated disk) is damaged, not new: SQLite would
        quietly make it an empty store and every purchase would be gone. A program creating the store
        at this very moment leaves it empty only for an instant, so wait that instant out first."""
        for _ in range(EMPTY_FILE_CHECKS):
            try:
                if self.path.stat().st_size > 0:
                    return
            except FileNotFoundError:
                return  # a new store
            except OSError as error:
                raise DataFolderUnwritable(
                    f"cannot read the database {self.path}: {error.strerror}"
                ) from error
            time.sleep(0.05)
        raise DatabaseCorrupt(
            f"the database {self.path} is empty (0 bytes), so it is not a Licensing store; "
            "restore it from a backup or move it away (it was left untouched)"
        )

    def quick_check(self) -> None:
        """Read every page once (SQLite's ``quick_check``); :class:`DatabaseCorrupt` when one is damaged."""
        with self.errors():
            result = self.connection.execute("PRAGMA quick_check(1)").fetchone()
        if result is None or result[0] != "ok":
            detail = result[0] if result else "no answer"
            raise DatabaseCorrupt(f"the database {self.path} is damaged ({detail}); restore it from a backup")

    def _set_journal_mode(self) -> None:
        # Switching to WAL needs a moment of exclusive access; wait like any writer would.
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                self.connection.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any exception.

        A transaction opened inside another joins it: the outermost commits or rolls back everything.
        The service writes each batch (usage, samples, peaks, events) as one transaction that way: one
        commit waits for the disk instead of four, and a batch is saved whole or not at all.
        """
        connection = self.connection
        if self._transaction_depth:
            self._transaction_depth += 1
            try:
                yield connection
            except sqlite3.Error as error:
                raise translate_error(error, self.path) from error
            finally:
                self._transaction_depth -= 1
            return
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error
        self._transaction_depth = 1
        try:
            yield connection
        except BaseException as error:
            # SQLite may have rolled back already (a full disk, a damaged page): nothing to undo then.
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise translate_error(error, self.path) from error
            raise
        finally:
            self._transaction_depth = 0
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise translate_error(error, self.path) from error

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn sqlite3 errors raised inside into :class:`StoreError`."""
        try:
            yield
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: changes when another connection commits to the file.

        Cheap to poll (no table is read); a reader uses it to notice the service's writes.
        """
        with self.errors():
            return int(self.connection.execute("PRAGMA data_version").fetchone()[0])

    def schema_version(self) -> int:
        """The schema version of the file (0 for a new file)."""
        with self.errors():
            return int(self.connection.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, migrations: list[Migration]) -> None:
        """Bring the file to ``len(migrations)``, one transaction per step, after a backup copy.

        Raises:
            DatabaseTooNew: the file's version is above what this program knows.
        """
        target = len(migrations)
        current = self.schema_version()
        if current > target:
            raise DatabaseTooNew(
                f"the database {self.path} has schema version {current}, newer than this program's "
                f"{target}; use a newer Licensing or another --data-dir"
            )
        if current == target:
            return
        if self.read_only:
            raise DataFolderUnwritable(
                f"the database {self.path} needs an upgrade (schema {current} to {target}), which needs "
                f"write access to {self.paths.data_dir}; run Licensing once as its administrator"
            )
        if current > 0:
            self._backup(current)
        for version in range(current, target):
            with self.transaction() as connection:
                migrations[version](connection)
                # user_version lives in the file header and is part of this transaction.
                connection.execute(f"PRAGMA user_version = {version + 1}")

    def _backup(self, version: int) -> Path:
        folder = self.paths.backups_dir
        make_private_folder(folder)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = folder / f"{self.path.stem}.v{version}.{stamp}.sqlite3"
        with self.errors():
            backup = sqlite3.connect(target)
            try:
                self.connection.backup(backup)
            finally:
                backup.close()
        return target
