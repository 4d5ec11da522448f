"""The shared backend: one PostgreSQL database per operator, used by many processes and hosts.

Connections come from a pool (psycopg 3). Every write transaction begins by taking one
transaction-scoped advisory lock, so facegate's writers run one at a time across every host, as
SQLite's ``BEGIN IMMEDIATE`` makes them on one: the audit chain, the state seal, attempt counters
and filing counts are read and advanced under it, and keys (``seq``) are assigned gap-free in
commit order (a rolled-back insert takes none). Readers do not wait for it. Each committed write
sends one ``NOTIFY``; a listener thread per process turns the notifications of other processes
into :meth:`changed`, and after it reconnects (notifications are not sent again) it reports a
change, so the gallery catches up from the change log.

A connection that fails between transactions is replaced and the call retried once; one that
fails inside a transaction rolls it back and raises StoreUnavailable (the server has then applied
all of it or, where the failure came during the commit itself, the message says the outcome must
be checked: a transaction is never half applied).
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from facegate.errors import (
    CorruptStore,
    InternalError,
    InvalidArgument,
    MissingExtra,
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
from facegate.store.postgres_schema import spelled
from facegate.store.seal import BINARY, SEALED

__all__ = ["CHANNEL", "PostgresDatabase", "holds_store", "is_postgres", "redacted"]

CHANNEL = "facegate_commits"
"""The notification channel each committed write is announced on (payload: the writer's id)."""

_WRITERS = 0x46475752
"""The advisory lock every write transaction holds ("FGWR")."""

_COMMITS = "fg_commits"
"""A sequence every committed transaction advances, under the writers' lock: read after the
lock is taken, it tells a process at once whether another one committed since its own last
transaction (the notifications arrive a moment later, and a transaction begun in that moment
would work from a stale view: a gallery behind, data keys wrapped under a retired epoch)."""

# One round trip each. A sequence not created yet (the first migration) reads as NULL.
_BEGIN = (
    f"BEGIN; SELECT pg_advisory_xact_lock({_WRITERS}), "
    f"pg_sequence_last_value(to_regclass('{_COMMITS}'))"
)
_COMMIT = "SELECT pg_notify('{channel}', '{origin}'), nextval(to_regclass('{commits}')); COMMIT"
_SEALED_ROWS = (
    "CREATE TEMP TABLE IF NOT EXISTS fg_sealed_rows "
    "(n BIGSERIAL PRIMARY KEY, tbl TEXT NOT NULL, vals JSONB NOT NULL) ON COMMIT DELETE ROWS"
)
_POOL_SIZE = int(os.environ.get("FACEGATE_PG_POOL", "4"))


def is_postgres(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names a PostgreSQL database (a ``postgresql://`` URL)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def holds_store(url: str) -> bool:
    """Whether the database at ``url`` already holds a facegate store (its id is recorded).

    Raises StoreUnavailable when it cannot be reached."""
    db = PostgresDatabase.open(url)
    try:
        if db.value("SELECT to_regclass('meta')::text") is None:
            return False
        return db.value("SELECT value FROM meta WHERE key = 'store_id'") is not None
    finally:
        db.close()


def redacted(url: str) -> str:
    """The URL without its password, for messages (anything else as it is)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


_PLACEHOLDER = re.compile(r"\?")
_translated: dict[str, str] = {}


def _sql(statement: str) -> str:
    """A statement in the shared SQL with psycopg's placeholders (``?`` -> ``%s``)."""
    found = _translated.get(statement)
    if found is None:
        found = _PLACEHOLDER.sub("%s", statement.replace("%", "%%"))
        _translated[statement] = found
    return found


def _params(params: Params) -> tuple[object, ...]:
    # SQLite stores Python's booleans as 0 and 1; the shared schema keeps them integers.
    return tuple(int(p) if isinstance(p, bool) else p for p in params)


class _Local(threading.local):
    """One thread's transaction: its connection, depth, and the work that follows its commit."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.depth = 0
        self.pending: list[Callable[[], object]] = []


class PostgresDatabase(Database):
    """An open PostgreSQL store. Use :meth:`open`."""

    overwrites_deleted = False

    def __init__(self, url: str, pool: Any, origin: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.location = redacted(url)
        self._url = url
        self._pool = pool
        self._local = _Local()
        # A process's threads take turns, as on SQLite: the seal, the galleries and the work
        # that follows a commit see one transaction at a time (other processes wait for the
        # advisory lock). Reads outside a transaction do not take it.
        self._lock = threading.RLock()
        self._prepared: weakref.WeakSet[Any] = weakref.WeakSet()  # sessions with the table
        self._sealer: Sealer | None = None
        self._origin = origin  # in commit notifications: who wrote
        self._dirty = threading.Event()
        self._commits: int | None = None  # fg_commits after this process's last transaction
        self._commit = _COMMIT.format(channel=CHANNEL, origin=origin, commits=_COMMITS)
        self._open = True
        self._pid = os.getpid()
        self._listening = threading.Event()
        threading.Thread(
            target=_listen, args=(weakref.ref(self),), name="facegate-listen", daemon=True
        ).start()
        self._listening.wait(10.0)

    @classmethod
    def open(cls, url: str) -> PostgresDatabase:
        """Connects to the PostgreSQL database at ``url``.

        Raises MissingExtra when psycopg is not installed, StoreUnavailable when the
        server cannot be reached.
        """
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise MissingExtra(
                "a postgresql:// store needs psycopg 3: pip install 'facegate[postgres]'"
            ) from exc
        try:  # one direct connection first: the server's own words when it refuses
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailable(
                f"cannot connect to the store {redacted(url)}: {reason}"
            ) from exc
        origin = uuid.uuid4().hex
        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=_POOL_SIZE,
            kwargs={"autocommit": True},
            configure=lambda conn: _configure(conn, origin),
            check=ConnectionPool.check_connection,
            open=False,
            name="facegate",
        )
        try:
            pool.open(wait=True, timeout=10.0)
        except Exception as exc:
            pool.close()
            raise StoreUnavailable(
                f"cannot connect to the store {redacted(url)}: {type(exc).__name__}"
            ) from exc
        del psycopg
        return cls(url, pool, origin)

    # ----- transactions ---------------------------------------------------------------------

    def transaction(self) -> LockedTransaction:
        return LockedTransaction(self)

    def _begin(self) -> None:
        local = self._local
        if local.depth:
            local.depth += 1
            return
        for attempt in (1, 2):
            conn = self._checkout()
            try:
                if self._sealer is not None and conn not in self._prepared:
                    # Before BEGIN, so that a first transaction rolled back keeps the table.
                    conn.execute(_SEALED_ROWS)
                    self._prepared.add(conn)
                begun = conn.execute(_BEGIN)
                begun.nextset()
                ((_, commits),) = begun.fetchall()
            except self._psycopg.OperationalError as exc:
                self._discard(conn)
                if attempt == 2:
                    raise StoreUnavailable(
                        f"{self.location}: the server cannot be reached ({type(exc).__name__}); "
                        "nothing was changed"
                    ) from exc
                continue
            except BaseException:
                self._discard(conn)
                raise
            local.conn, local.depth = conn, 1
            if commits != self._commits:
                if self._commits is not None:
                    self._dirty.set()
                self._commits = commits
            return

    def _end(self, failed: bool) -> None:
        local = self._local
        if local.depth > 1:
            local.depth -= 1
            return
        conn = local.conn
        try:
            if failed:
                self._rollback(conn)
                return
            try:
                if self._sealer is not None:
                    self._seal_rows(conn)
                    self._sealer.before_commit()
            except BaseException:
                self._rollback(conn)
                raise
            try:
                # The origin is this store's own hex id: a literal, so one round trip.
                ((_, self._commits),) = conn.execute(self._commit).fetchall()
            except self._psycopg.Error as exc:
                if self._sealer is not None:
                    self._sealer.rolled_back()
                self._discard(conn)
                conn = None
                raise StoreUnavailable(
                    f"{self.location}: the connection failed while committing "
                    f"({type(exc).__name__}); the change was applied whole or not at all: "
                    "check before repeating it"
                ) from exc
        finally:
            local.depth, local.conn = 0, None
            pending, local.pending = local.pending, []
            if conn is not None:
                self._pool.putconn(conn)
        if not failed:
            for work in pending:
                work()

    def _rollback(self, conn: Any) -> None:
        if self._sealer is not None:
            self._sealer.rolled_back()
        # A broken connection: the server rolls it back; the pool replaces it.
        with suppress(self._psycopg.Error):
            conn.execute("ROLLBACK")

    def _seal_rows(self, conn: Any) -> None:
        """Hands the rows the seal's triggers collected in this transaction to the seal."""
        assert self._sealer is not None
        found = conn.execute("SELECT tbl, vals FROM pg_temp.fg_sealed_rows ORDER BY n").fetchall()
        for table, values in found:
            data = values if isinstance(values, dict) else json.loads(values)
            self._sealer.row(table, tuple(_value(table, c, data[c]) for c in SEALED[table]))

    def in_transaction(self) -> bool:
        return self._local.depth > 0

    def after_commit(self, work: Callable[[], object]) -> None:
        if self._local.depth:
            self._local.pending.append(work)
        else:
            work()

    # ----- statements -----------------------------------------------------------------------

    def execute(self, sql: str, params: Params = ()) -> int:
        conn = self._local.conn
        if conn is None:
            raise InternalError("a write outside a transaction; this is a bug in facegate")
        with self._translated():
            return int(conn.execute(_sql(sql), _params(params)).rowcount)

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        conn = self._local.conn
        if conn is None:
            raise InternalError("a write outside a transaction; this is a bug in facegate")
        if not rows:
            return
        with self._translated(), conn.cursor() as cursor:
            cursor.executemany(_sql(sql), [_params(r) for r in rows])

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        conn = self._local.conn
        if conn is not None:
            with self._translated():
                return [tuple(r) for r in conn.execute(_sql(sql), _params(params)).fetchall()]
        for attempt in (1, 2):
            conn = self._checkout()
            try:
                found = conn.execute(_sql(sql), _params(params)).fetchall()
                self._pool.putconn(conn)
                return [tuple(r) for r in found]
            except self._psycopg.OperationalError as exc:
                self._discard(conn)  # a broken connection: once more on a fresh one
                if attempt == 2:
                    raise self._mapped(exc) from exc
            except self._psycopg.Error as exc:
                self._release(conn)
                raise self._mapped(exc) from exc
        raise InternalError("unreachable")

    def stream(self, sql: str, params: Params = ()) -> Iterator[Row]:
        own = self._local.conn
        conn = own if own is not None else self._checkout()
        try:
            with self._translated():
                if own is None:
                    conn.execute("BEGIN READ ONLY")
                with conn.cursor(name=f"fg_{uuid.uuid4().hex}") as cursor:
                    cursor.itersize = 2048
                    cursor.execute(_sql(sql), _params(params))
                    for row in cursor:
                        yield tuple(row)
                if own is None:
                    conn.execute("COMMIT")
        finally:
            if own is None:
                self._release(conn)

    def script(self, statements: Sequence[str]) -> None:
        """Runs schema statements (a migration) inside the current transaction, as written."""
        conn = self._local.conn
        for statement in statements:
            with self._translated():
                conn.execute(statement)

    def spelled(self, statements: list[str]) -> list[str]:
        return spelled(statements)

    def prepare(self) -> None:
        self.execute(f"CREATE SEQUENCE IF NOT EXISTS {_COMMITS}")

    def columns(self, table: str) -> list[str]:
        found = self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return [str(row[0]) for row in found]

    def trigger_names(self) -> set[str]:
        found = self.rows(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
        return {str(row[0]) for row in found}

    # ----- the seal, changes, erasure, closing ----------------------------------------------

    def attach(self, sealer: Sealer) -> None:
        self._sealer = sealer

    def changed(self) -> bool:
        if self._dirty.is_set():
            self._dirty.clear()
            return True
        return False

    def compact(self, done: Callable[[], None] | None = None) -> None:
        """PostgreSQL keeps deleted rows in dead tuples, its WAL and base backups: what makes an
        erasure final there is the key handling (facegate.gate.vault), not the files. VACUUM
        runs as the server's autovacuum decides."""
        if done is not None:
            done()

    def close(self) -> None:
        if self._open:
            self._open = False
            self._pool.close()

    # ----- connections and errors -----------------------------------------------------------

    def _checkout(self) -> Any:
        if os.getpid() != self._pid:
            raise StoreUnavailable(
                f"{self.location} was opened in another process (this one was forked from it): "
                "open the store in each worker process"
            )
        try:
            return self._pool.getconn(timeout=30.0)
        except Exception as exc:
            raise StoreUnavailable(
                f"{self.location}: no connection to the server ({type(exc).__name__}); "
                "nothing was changed"
            ) from exc

    def _release(self, conn: Any) -> None:
        if conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            with suppress(self._psycopg.Error):
                conn.execute("ROLLBACK")
        self._pool.putconn(conn)

    def _discard(self, conn: Any) -> None:
        try:
            conn.close()
        finally:
            self._pool.putconn(conn)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._psycopg.Error as exc:
            raise self._mapped(exc) from exc

    def _mapped(self, error: Exception) -> Exception:
        errors = self._psycopg.errors
        text = str(error).split("\n")[0]
        if isinstance(error, errors.UndefinedTable) and "fg_sealed_rows" in text:
            return InvalidArgument(
                f"{self.location}: facegate's tables are written only through a FaceGate opened "
                "with the store's master key (their state is sealed with it)"
            )
        if isinstance(error, errors.UniqueViolation):
            return UniqueViolation(text)
        if isinstance(error, errors.ForeignKeyViolation):
            return ForeignKeyViolation(text)
        if isinstance(error, errors.IntegrityConstraintViolation | errors.RaiseException):
            return ConstraintViolation(text)
        if isinstance(error, errors.DataCorrupted | errors.IndexCorrupted):
            return CorruptStore(f"{self.location} is damaged ({text}); restore it from a backup")
        if isinstance(error, self._psycopg.OperationalError | errors.AdminShutdown):
            return StoreUnavailable(f"{self.location}: {text}; nothing was changed")
        return InternalError(f"{self.location}: unexpected PostgreSQL error ({text})")


def _value(table: str, column: str, value: object) -> object:
    """A column value as the seal's triggers report it (JSON) turned back into what a query of
    the column returns: bytea arrives as ``\\x`` and hex digits."""
    if value is not None and (table, column) in BINARY:
        return bytes.fromhex(str(value)[2:])
    return value


def _configure(conn: Any, origin: str) -> None:
    """Names the store's writer on a new session: the seal's triggers announce writes under it."""
    conn.execute("SELECT set_config('facegate.origin', %s, false)", (origin,))


def _listen(ref: weakref.ref[PostgresDatabase]) -> None:
    """Turns other processes' commit notifications into :meth:`PostgresDatabase.changed`;
    reconnects after a failure and then reports a change, since notifications sent meanwhile
    are lost. Ends when the store is closed (or dropped unclosed) or its database removed."""
    import psycopg

    first = True
    while (db := ref()) is not None and db._open:
        url, origin, dirty, listening = db._url, db._origin, db._dirty, db._listening
        del db
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                if not first:
                    dirty.set()
                first = False
                listening.set()
                while (db := ref()) is not None and db._open:
                    del db
                    for note in conn.notifies(timeout=0.5, stop_after=64):
                        if note.payload != origin:
                            dirty.set()
        except psycopg.Error as exc:
            listening.set()
            if exc.sqlstate == "3D000" or "does not exist" in str(exc):
                return  # the database is gone
            dirty.set()
            threading.Event().wait(0.2)
