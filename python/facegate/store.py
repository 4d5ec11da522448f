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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from facegate.errors import FacegateError

__all__ = ["SCHEMA_VERSION", "CorruptStore", "Store"]

SCHEMA_VERSION = 3

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
}


class CorruptStore(FacegateError):
    """The database file cannot be read as a facegate store; restore it from a backup."""


class Store:
    """An open facegate database. Use :meth:`open`; close with :meth:`close` or ``with``."""

    __slots__ = ("_db", "path")

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path, self._db = path, db

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
            store = cls(path, db)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            db.close()
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
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[step]):
                    db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            # SQLite may already have rolled back (some errors end the transaction themselves).
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Rows of a read-only query."""
        return self._db.execute(sql, params).fetchall()

    def pragma(self, name: str) -> object:
        """The value of a connection setting (for checks and tests)."""
        return self._db.execute(f"PRAGMA {name}").fetchone()[0]

    def checkpoint(self) -> None:
        """Moves the WAL into the database file and truncates it, so deleted rows leave no
        copy in the -wal file (R13)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
