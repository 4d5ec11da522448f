"""What a storage backend provides to the table owners: transactions, statements, rows.

The table modules of this package hold every statement facegate runs, written once in the SQL
that SQLite and PostgreSQL share (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``); a
backend is one :class:`Database` subclass that runs them (and rewrites what its engine spells
differently), as Alembic keeps one implementation per dialect behind one interface. SQLite is
the embedded default (:mod:`facegate.store.sqlite`), PostgreSQL the shared one
(:mod:`facegate.store.postgres`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from facegate.errors import CorruptStore, FacegateError

__all__ = [
    "ConstraintViolation",
    "Database",
    "ForeignKeyViolation",
    "LockedTransaction",
    "Params",
    "Row",
    "Sealer",
    "UniqueViolation",
    "blob",
]

Row = tuple[object, ...]
Params = Sequence[object]


def blob(value: object) -> bytes:
    """A stored binary value as bytes; anything else is a damaged row (TypeError, which
    :meth:`Database.reading` reports as CorruptStore)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"expected binary data, found {type(value).__name__}")


class Sealer(Protocol):
    """What follows every change to the sealed tables (:mod:`facegate.store.seal`): each changed
    row as it was or now is, then the commit or the rollback of the transaction."""

    def row(self, table: str, values: Row) -> None: ...

    def before_commit(self) -> None: ...

    def rolled_back(self) -> None: ...


class _Locked(Protocol):
    _lock: threading.RLock

    def _begin(self) -> None: ...

    def _end(self, failed: bool) -> None: ...


class LockedTransaction:
    """``with db.transaction():`` for a backend whose threads take turns under ``db._lock``: as
    a plain class, since nested transactions are entered once or more per row of a bulk
    operation, where a generator-based context manager costs too much."""

    __slots__ = ("_db",)

    def __init__(self, db: _Locked) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db._lock.acquire()
        try:
            self._db._begin()
        except BaseException:
            self._db._lock.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        try:
            self._db._end(failed=kind is not None)
        finally:
            self._db._lock.release()


class ConstraintViolation(Exception):
    """A write the schema refused (a trigger, a check). Internal: the table owner that ran it
    turns it into the typed error that names what collided."""


class UniqueViolation(ConstraintViolation):
    """A row whose key is already stored."""


class ForeignKeyViolation(ConstraintViolation):
    """A row that names something (an operator, a deployment, a subject) that is not stored."""


class Database(ABC):
    """One open connection to a store's database, shared by the threads of a process.

    Every write runs inside :meth:`transaction` (nested calls join the outermost one, so an
    operation and its audit entry commit together); reads may run outside one.
    """

    location: str
    """Where the database is (a path), for messages."""

    overwrites_deleted: bool = True
    """Whether :meth:`compact` leaves no copy of deleted rows in the database's files."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Begins a write transaction (or joins the one this thread has open) and commits it
        at the end of the outermost block, or rolls it back on any exception."""

    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection (for this thread)."""

    @abstractmethod
    def after_commit(self, work: Callable[[], object]) -> None:
        """Runs ``work`` once the current transaction has committed (at once outside one);
        dropped on rollback. In-memory state follows the store only once it durably changed."""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Runs one write inside the current transaction; returns the rows it changed."""

    @abstractmethod
    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Runs one write for each of ``rows`` inside the current transaction."""

    @abstractmethod
    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""

    @abstractmethod
    def stream(self, sql: str, params: Params = ()) -> Iterator[Row]:
        """The rows of a long query, fetched as they are consumed."""

    @abstractmethod
    def attach(self, sealer: Sealer) -> None:
        """Routes every row change of the sealed tables to ``sealer`` from now on; before it,
        such changes are refused (the store is written through a gate that holds its key)."""

    @abstractmethod
    def changed(self) -> bool:
        """Whether another process has committed since the previous call (a cheap check made
        before each operation, so in-memory galleries follow other workers)."""

    @abstractmethod
    def compact(self, done: Callable[[], None] | None = None) -> None:
        """Leaves no copy of deleted rows in the database's own files (for erasure, R13)
        where the engine allows it, without waiting for other connections; never fails the
        committed deletion it follows. ``done`` runs once the files are clean."""

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """The columns of ``table``, in the schema's order."""

    @abstractmethod
    def trigger_names(self) -> set[str]:
        """The names of the triggers the schema holds."""

    def spelled(self, statements: list[str]) -> list[str]:
        """A migration's statements (written for SQLite) as this engine runs them."""
        return statements

    @abstractmethod
    def prepare(self) -> None:
        """Creates what this engine itself needs beside the schema (in the migration's
        transaction, at every open)."""

    @abstractmethod
    def script(self, statements: Sequence[str]) -> None:
        """Runs schema statements (a migration) inside the current transaction."""

    @abstractmethod
    def close(self) -> None:
        """Closes the connection."""

    def insert(self, sql: str, params: Params = ()) -> int:
        """Runs an ``INSERT ... RETURNING <key>`` and returns the new key."""
        with self.transaction():
            found = self.rows(sql, params)
        return int(str(found[0][0]))

    def row(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, if any."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: Params = ()) -> object:
        """The first column of the first row of a query (None without rows)."""
        found = self.row(sql, params)
        return None if found is None else found[0]

    def count(self, sql: str, params: Params = ()) -> int:
        """The integer a ``SELECT COUNT(...)``-style query returns (0 for NULL)."""
        found = self.value(sql, params)
        return 0 if found is None else int(str(found))

    @contextmanager
    def reading(self, what: str) -> Iterator[None]:
        """Turns a stored value that does not parse (a damaged row) into CorruptStore naming
        ``what`` was being read, instead of a bare ValueError from deep inside."""
        try:
            yield
        except FacegateError:
            raise
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise CorruptStore(
                f"{self.location}: {what} is damaged ({type(exc).__name__}); restore from a backup"
            ) from exc
