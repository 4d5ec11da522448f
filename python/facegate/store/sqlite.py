"""The embedded backend: one SQLite file per operator.

Every connection runs with WAL, ``synchronous=FULL``, foreign keys, a busy timeout and
``secure_delete=ON`` (erased rows are overwritten, R13); a write transaction is ``BEGIN
IMMEDIATE`` ... ``COMMIT``, so an error or a crash leaves the database as it was before the call.
One connection serves every thread of a process: a thread holds the lock for its whole
transaction, so a transaction only ever nests within its own thread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from facegate._files import register_database, unregister_database
from facegate.errors import (
    CorruptStore,
    InternalError,
    InvalidArgument,
    ResearchSeparation,
    StoreUnavailable,
)
from facegate.store.database import (
    ConstraintViolation,
    Database,
    ForeignKeyViolation,
    LockedTransaction,
    Params,
    Row,
    Sealer,
    UniqueViolation,
)

__all__ = ["PRODUCTION_APPLICATION_ID", "RESEARCH_APPLICATION_ID", "SqliteDatabase"]

PRODUCTION_APPLICATION_ID = 0x46475052
"""``PRAGMA application_id`` of a production store ("FGPR")."""
RESEARCH_APPLICATION_ID = 0x46475253
"""``PRAGMA application_id`` of a research store ("FGRS", :mod:`facegate.research`)."""

_PRAGMAS = (
    "journal_mode = WAL",
    "synchronous = FULL",
    "foreign_keys = ON",
    "secure_delete = ON",
    "busy_timeout = 30000",
)
_CORRUPT = ("malformed", "not a database", "could not decode", "corrupt", "encrypted")


def _create_private(path: Path) -> None:
    """Creates a new store file readable by its owner only (0600): it holds subject ids, birth
    dates and evidence references. SQLite gives its -wal and -shm files the same mode."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreUnavailable(f"cannot create the store {path}: {exc.strerror}") from exc
    os.close(descriptor)


def translate(error: sqlite3.Error, path: str) -> Exception:
    """The typed error for a SQLite failure: constraint violations for the table owner to name,
    damage as CorruptStore, I/O and locking as StoreUnavailable."""
    text = str(error).lower()
    if isinstance(error, sqlite3.IntegrityError):
        if "unique" in text or "primary key" in text:
            return UniqueViolation(str(error))
        if "foreign key" in text:
            return ForeignKeyViolation(str(error))
        return ConstraintViolation(str(error))
    if any(word in text for word in _CORRUPT):
        return CorruptStore(f"{path} is damaged ({error}); restore it from a backup")
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return StoreUnavailable(f"{path}: {error}; nothing was changed")
    return InternalError(f"{path}: unexpected SQLite error ({error})")


class SqliteDatabase(Database):
    """An open SQLite store file. Use :meth:`open`."""

    __slots__ = (
        "_compact_due",
        "_db",
        "_depth",
        "_lock",
        "_open",
        "_pending",
        "_retry",
        "_sealer",
        "_unsealed",
        "_version",
        "_waiting",
        "location",
    )

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.location, self._db = str(path), db
        self._depth = 0
        self._pending: list[Callable[[], object]] = []
        self._lock = threading.RLock()
        self._compact_due = False
        self._waiting: list[Callable[[], None]] = []
        self._retry: threading.Timer | None = None
        self._open = True
        self._sealer: Sealer | None = None
        self._unsealed = False
        self._version = self._data_version()
        db.create_function("fg_row", -1, self._row)

    @classmethod
    def open(cls, path: Path) -> SqliteDatabase:
        """Opens (creating if needed) the SQLite file at ``path`` as a production store.

        Raises CorruptStore if the file is not a readable database, or is empty (a store cut
        to nothing is not silently begun again), ResearchSeparation for a research store (R12).
        """
        if path.is_file() and path.stat().st_size == 0:
            raise CorruptStore(
                f"{path} is empty: a facegate store is never empty once created. Restore it "
                "from a backup; to begin a new store, remove the file first"
            )
        _create_private(path)
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        try:
            for pragma in _PRAGMAS:
                db.execute(f"PRAGMA {pragma}")
            application = db.execute("PRAGMA application_id").fetchone()[0]
            if application == RESEARCH_APPLICATION_ID:
                raise ResearchSeparation(
                    f"{path} is a research store: production never opens research data (M2)"
                )
            if application != PRODUCTION_APPLICATION_ID:
                db.execute(f"PRAGMA application_id = {PRODUCTION_APPLICATION_ID}")
            opened = cls(path, db)
            register_database(path)
            return opened
        except UnicodeDecodeError as exc:  # SQLite reporting on a damaged schema
            db.close()
            raise CorruptStore(f"{path} is not a readable facegate store ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            db.close()
            if isinstance(translate(exc, str(path)), StoreUnavailable):
                raise StoreUnavailable(f"{path} cannot be opened now ({exc})") from exc
            raise CorruptStore(f"{path} is not a readable facegate store ({exc})") from exc
        except BaseException:
            db.close()
            raise

    def transaction(self) -> LockedTransaction:
        return LockedTransaction(self)

    def attach(self, sealer: Sealer) -> None:
        self._sealer = sealer

    def _row(self, table: str, *values: object) -> None:
        """``fg_row``, called by the seal's triggers for each changed row."""
        if self._sealer is None:
            self._unsealed = True
            raise PermissionError("sealed table written without the store's seal")
        self._sealer.row(table, values)

    def _begin(self) -> None:
        """Enters a transaction (the lock is held): BEGIN IMMEDIATE at the outermost level."""
        if self._depth:
            self._depth += 1
            return
        with self._translated():
            self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1

    def _end(self, failed: bool) -> None:
        """Leaves a transaction (the lock is held): COMMIT, or ROLLBACK when ``failed``, at the
        outermost level, then the work registered to follow the commit."""
        if self._depth > 1:
            self._depth -= 1
            return
        if failed:
            self._depth, self._pending = 0, []
            self._rollback()
            return
        try:
            if self._sealer is not None:
                self._sealer.before_commit()
            with self._translated():
                self._db.execute("COMMIT")
        except BaseException:
            self._depth, self._pending = 0, []
            self._rollback()
            raise
        self._depth = 0
        pending, self._pending = self._pending, []
        for work in pending:
            work()
        if self._compact_due:
            self.compact()

    def in_transaction(self) -> bool:
        # A transaction holds the lock for its thread: another thread sees one only by
        # waiting for the lock, which a test of the depth must not do.
        if not self._lock.acquire(blocking=False):
            return False
        try:
            return self._depth > 0
        finally:
            self._lock.release()

    def after_commit(self, work: Callable[[], object]) -> None:
        if self._depth:
            self._pending.append(work)
        else:
            work()

    # The statement methods run once or more per operation: plain try/except, not a context
    # manager, keeps the wrapper's cost per statement at a few hundred nanoseconds.
    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock:
            if not self._depth:
                raise InternalError("a write outside a transaction; this is a bug in facegate")
            try:
                return self._db.execute(sql, params).rowcount
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._mapped(exc) from exc

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        with self._lock:
            if not self._depth:
                raise InternalError("a write outside a transaction; this is a bug in facegate")
            try:
                self._db.executemany(sql, rows)
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._mapped(exc) from exc

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise self._mapped(exc) from exc

    def stream(self, sql: str, params: Params = ()) -> Iterator[Row]:
        with self._lock, self._translated():
            cursor = self._db.execute(sql, params)
        while True:
            with self._lock, self._translated():
                batch = cursor.fetchmany(1024)
            if not batch:
                return
            yield from batch

    def script(self, statements: Sequence[str]) -> None:
        """Runs schema statements (a migration) inside the current transaction."""
        for statement in statements:
            self.execute(statement)

    def columns(self, table: str) -> list[str]:
        return [str(row[1]) for row in self.rows(f"PRAGMA table_info({table})")]

    def trigger_names(self) -> set[str]:
        found = self.rows("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {str(row[0]) for row in found}

    def prepare(self) -> None:
        """Nothing: SQLite's own ``data_version`` tells other connections' commits apart."""

    def changed(self) -> bool:
        """SQLite's ``data_version`` changes when another connection commits, and only then."""
        with self._lock:
            version = self._data_version()
            seen, self._version = self._version, version
        return version != seen

    def compact(self, done: Callable[[], None] | None = None) -> None:
        """Moves the WAL into the database file and truncates it, so deleted rows leave no copy
        in the -wal file (R13), without waiting: a reader in another process that still holds
        an older snapshot keeps those pages alive until it moves on, and the checkpoint is then
        retried (every half second, and after each commit) until it succeeds. ``done`` runs
        once the files are clean. A failure here never fails the deletion it follows."""
        if done is not None:
            self._waiting.append(done)
        if self._checkpointed():
            waiting, self._waiting = self._waiting, []
            for callback in waiting:
                callback()
            return
        self._compact_due = True
        with self._lock:
            if self._retry is None and self._open:
                self._retry = threading.Timer(0.5, self._retry_compact)
                self._retry.daemon = True
                self._retry.start()

    def _retry_compact(self) -> None:
        with self._lock:
            self._retry = None
            if not self._open:
                return
        self.compact()

    def _checkpointed(self) -> bool:
        """One non-blocking TRUNCATE checkpoint; whether it moved and truncated the whole WAL."""
        try:
            with self._lock, self._translated():
                if self._depth:
                    return False  # inside a transaction: after it commits
                self._db.execute("PRAGMA busy_timeout = 0")
                try:
                    busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                finally:
                    self._db.execute("PRAGMA busy_timeout = 30000")
        except (StoreUnavailable, CorruptStore):
            return False
        self._compact_due = bool(busy)
        return not busy

    def close(self) -> None:
        if self._open:
            with self._lock:
                if self._retry is not None:
                    self._retry.cancel()
            self._open = False
            self._db.close()
            unregister_database(self.location)

    def _data_version(self) -> int:
        with self._translated():
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _rollback(self) -> None:
        if self._sealer is not None:
            self._sealer.rolled_back()
        # SQLite may already have rolled back (some errors end the transaction themselves).
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the original error is the one to report; SQLite rolls back on close

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise self._mapped(exc) from exc

    def _mapped(self, error: sqlite3.Error | UnicodeDecodeError) -> Exception:
        if self._unsealed:
            self._unsealed = False
            return InvalidArgument(
                f"{self.location}: facegate's tables are written only through a FaceGate opened "
                "with the store's master key (their state is sealed with it)"
            )
        if isinstance(error, UnicodeDecodeError):
            return CorruptStore(f"{self.location} is damaged ({error}); restore it from a backup")
        return translate(error, self.location)
