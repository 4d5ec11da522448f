"""The embedded SQLite store: one database file per operator.

Every connection runs with WAL, ``synchronous=FULL``, foreign keys, a busy timeout and
``secure_delete=ON`` (erased rows are overwritten, R13); every change that writes more than one
row runs in one ``BEGIN IMMEDIATE`` transaction, so an error or a crash leaves the database as it
was before the call. The schema is versioned and migrated forward on open. No image is ever
stored (R15): templates only sealed, data keys only wrapped.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from facegate.errors import FacegateError, InternalError, ResearchSeparation

__all__ = [
    "PRODUCTION_APPLICATION_ID",
    "RESEARCH_APPLICATION_ID",
    "SCHEMA_VERSION",
    "CorruptStore",
    "Store",
    "StoreUnavailable",
]

PRODUCTION_APPLICATION_ID = 0x46475052
"""``PRAGMA application_id`` of a production store ("FGPR")."""
RESEARCH_APPLICATION_ID = 0x46475253
"""``PRAGMA application_id`` of a research store ("FGRS", :mod:`facegate.research`)."""

SCHEMA_VERSION = 6

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE operators (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        contact TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        operator_id TEXT NOT NULL REFERENCES operators(id),
        definition TEXT NOT NULL,
        notice_version TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE subjects (
        id TEXT PRIMARY KEY,
        birth_date TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE consent_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        deployment_id TEXT NOT NULL REFERENCES deployments(id),
        kind TEXT NOT NULL CHECK (kind IN ('granted', 'withdrawn')),
        purposes TEXT NOT NULL,
        notice_version TEXT NOT NULL,
        channel TEXT NOT NULL,
        evidence_ref TEXT,
        guardian_id TEXT,
        guardian_relationship TEXT,
        transfer INTEGER NOT NULL DEFAULT 0,
        expires_at TEXT,
        at TEXT NOT NULL
    );
    -- The ledger is append-only: events are never rewritten (erasure deletes them whole).
    CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
    BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
    CREATE INDEX consent_by_subject ON consent_events(subject_id, deployment_id, seq);
    CREATE TABLE data_keys (
        subject_id TEXT PRIMARY KEY REFERENCES subjects(id) ON DELETE CASCADE,
        wrapped BLOB NOT NULL,
        master_key_id TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        deployment_id TEXT NOT NULL REFERENCES deployments(id),
        sealed BLOB NOT NULL,
        rotation_epoch INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX templates_by_deployment ON templates(deployment_id);
    """,
    2: """
    CREATE TABLE assessments (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        deployment_id TEXT NOT NULL REFERENCES deployments(id),
        notice_version TEXT NOT NULL,
        content TEXT NOT NULL,
        signed_off_by TEXT NOT NULL,
        signed_at TEXT NOT NULL
    );
    """,
    3: """
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        capability TEXT NOT NULL,
        action TEXT NOT NULL,
        deployment_id TEXT,
        purpose TEXT,
        subject_ref TEXT,
        outcome TEXT NOT NULL,
        rule TEXT NOT NULL,
        threshold REAL
    );
    """,
    4: """
    -- The audit trail becomes a hash chain (facegate.audit); ``detail`` holds non-biometric
    -- context such as which alternative a person chose (R11).
    ALTER TABLE audit ADD COLUMN detail TEXT;
    ALTER TABLE audit ADD COLUMN entry_hash BLOB;
    CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
    CREATE TRIGGER audit_kept BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit entries are kept at least three years (R21)'); END;
    -- Integrity incidents (R22): what a breach notification (PIPL art. 57) needs.
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        detected_at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('template_tag', 'wrong_key', 'audit_chain')),
        deployment_id TEXT,
        affected INTEGER NOT NULL,
        description TEXT NOT NULL,
        data_categories TEXT NOT NULL,
        possible_harm TEXT NOT NULL,
        measures_taken TEXT NOT NULL,
        individual_measures TEXT NOT NULL
    );
    -- Filing with the regulator (R27, R28): threshold crossings, changes, decommissioning.
    CREATE TABLE filing_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        operator_id TEXT NOT NULL REFERENCES operators(id),
        kind TEXT NOT NULL CHECK (kind IN ('warning', 'required', 'change', 'decommission')),
        individuals INTEGER NOT NULL,
        at TEXT NOT NULL,
        deadline TEXT,
        provisional INTEGER NOT NULL DEFAULT 0,
        detail TEXT
    );
    CREATE TRIGGER assessments_kept BEFORE DELETE ON assessments
    BEGIN SELECT RAISE(ABORT, 'impact assessments are kept at least three years (R21)'); END;
    CREATE INDEX templates_by_subject ON templates(subject_id);
    """,
    5: """
    -- Consecutive failed verifications per subject and deployment (facegate.attempts).
    CREATE TABLE attempts (
        subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        deployment_id TEXT NOT NULL REFERENCES deployments(id),
        failures INTEGER NOT NULL,
        locked_until TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (subject_id, deployment_id)
    );
    """,
    6: """
    -- How many photographs each template averages (multi-image enrolment, issue 10).
    ALTER TABLE templates ADD COLUMN photos INTEGER NOT NULL DEFAULT 1 CHECK (photos >= 1);
    -- Before version 6 every stored deployment carried the old default threshold 0.6, which
    -- nobody chose; it now means "derive the threshold from the target error rate" (R5).
    UPDATE deployments SET definition = json_set(definition, '$.threshold', NULL)
        WHERE json_extract(definition, '$.threshold') = 0.6;
    """,
}


class CorruptStore(FacegateError):
    """The database file cannot be read as a facegate store; restore it from a backup."""


class StoreUnavailable(FacegateError):
    """The store could not be written or read just now (disk full, an I/O error, another
    process holding the lock past the busy timeout). Nothing was acknowledged; retry."""


_CORRUPT = ("malformed", "not a database", "could not decode", "corrupt", "encrypted")


def translate(error: sqlite3.Error, path: Path) -> Exception:
    """The typed error for a SQLite failure: constraint violations stay as they are (callers
    name what collided), damage becomes CorruptStore, I/O and locking StoreUnavailable."""
    if isinstance(error, sqlite3.IntegrityError):
        return error
    text = str(error).lower()
    if any(word in text for word in _CORRUPT):
        return CorruptStore(f"{path} is damaged ({error}); restore it from a backup")
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return StoreUnavailable(f"{path}: {error}; nothing was changed")
    return InternalError(f"{path}: unexpected SQLite error ({error})")


class Store:
    """An open facegate database. Use :meth:`open`; close with :meth:`close` or ``with``."""

    __slots__ = ("_checkpoint_due", "_db", "_depth", "_lock", "_pending", "path")

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path, self._db = path, db
        self._depth = 0
        self._pending: list[Callable[[], object]] = []
        self._lock = threading.RLock()
        self._checkpoint_due = False

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        """Opens (creating if needed) the store at ``path`` and migrates it to the current schema.

        Raises CorruptStore if the file is not a readable facegate database, or comes from a
        newer facegate.
        """
        path = Path(path)
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        try:
            for pragma in (
                "journal_mode = WAL",
                "synchronous = FULL",
                "foreign_keys = ON",
                "secure_delete = ON",
                "busy_timeout = 30000",
            ):
                db.execute(f"PRAGMA {pragma}")
            if db.execute("PRAGMA application_id").fetchone()[0] == RESEARCH_APPLICATION_ID:
                db.close()
                raise ResearchSeparation(
                    f"{path} is a research store: production never opens research data (M2)"
                )
            if db.execute("PRAGMA application_id").fetchone()[0] != PRODUCTION_APPLICATION_ID:
                db.execute(f"PRAGMA application_id = {PRODUCTION_APPLICATION_ID}")
            store = cls(path, db)
            store._migrate()
        except UnicodeDecodeError as exc:  # SQLite reporting on a damaged schema
            db.close()
            raise CorruptStore(f"{path} is not a readable facegate store ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            db.close()
            if isinstance(translate(exc, path), StoreUnavailable):
                raise StoreUnavailable(f"{path} cannot be opened now ({exc})") from exc
            raise CorruptStore(f"{path} is not a readable facegate store ({exc})") from exc
        return store

    def _migrate(self) -> None:
        with self.transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise CorruptStore(
                    f"{self.path} has schema version {version}; this facegate reads up to "
                    f"{SCHEMA_VERSION} (upgrade facegate)"
                )
            if version == SCHEMA_VERSION:
                return  # nothing to write: opening a current store changes nothing
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[step]):
                    db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception.

        Nested calls join the outermost transaction, so an operation and its audit entry commit
        together. Work registered with :meth:`after_commit` runs once the outermost commit has
        succeeded, and is dropped on rollback.
        """
        # One connection serves every thread of the process: a thread holds the lock for its
        # whole transaction, so a transaction only ever nests within its own thread.
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            with self._translated():
                self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                with self._translated():
                    yield self._db
                    self._db.execute("COMMIT")
            except BaseException:
                self._depth, self._pending = 0, []
                self._rollback()
                raise
            self._depth = 0
            pending, self._pending = self._pending, []
            for work in pending:
                work()
            if self._checkpoint_due:
                self.checkpoint_soon()

    def _rollback(self) -> None:
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
        except UnicodeDecodeError as exc:
            raise CorruptStore(f"{self.path} is damaged ({exc}); restore it from a backup") from exc
        except sqlite3.Error as exc:
            mapped = translate(exc, self.path)
            if mapped is exc:
                raise
            raise mapped from exc

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
                f"{self.path}: {what} is damaged ({type(exc).__name__}); restore from a backup"
            ) from exc

    def after_commit(self, work: Callable[[], object]) -> None:
        """Runs ``work`` after the current transaction commits (at once outside one): in-memory
        state such as a gallery changes only once the store has durably changed."""
        if self._depth:
            self._pending.append(work)
        else:
            work()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Rows of a read-only query."""
        with self._lock, self._translated():
            return self._db.execute(sql, params).fetchall()

    def count(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """The integer a ``SELECT COUNT(...)``-style query returns (0 for NULL)."""
        with self._lock, self._translated():
            row = self._db.execute(sql, params).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def query_iter(self, sql: str, params: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
        """Rows of a read-only query, fetched as they are consumed (for long scans)."""
        with self._lock, self._translated():
            cursor = self._db.execute(sql, params)
        while True:
            with self._lock, self._translated():
                rows = cursor.fetchmany(1024)
            if not rows:
                return
            yield from rows

    def pragma(self, name: str) -> object:
        """The value of a connection setting (for checks and tests)."""
        with self._lock, self._translated():
            return self._db.execute(f"PRAGMA {name}").fetchone()[0]

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: it changes when another connection (another process)
        commits, and only then."""
        return int(str(self.pragma("data_version")))

    def checkpoint(self) -> None:
        """Moves the WAL into the database file and truncates it, so deleted rows leave no
        copy in the -wal file (R13)."""
        with self._lock, self._translated():
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        self._checkpoint_due = bool(busy)  # a reader held the WAL: try again later

    def checkpoint_soon(self) -> None:
        """Checkpoints now if it can; if that fails (an I/O error, a reader in the way) the
        deletion it follows is still committed, so the caller is not told it failed, and the
        checkpoint is retried after each later commit until it succeeds."""
        try:
            self.checkpoint()
        except FacegateError:
            self._checkpoint_due = True

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _statements(script: str) -> list[str]:
    """Splits a migration script into statements, keeping trigger bodies whole."""
    statements, current = [], ""
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
