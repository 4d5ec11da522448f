"""The schema, as numbered migrations, and the one runner that brings a store up to date.

A store records its schema version in ``meta``; opening it applies every later migration in one
transaction, and refuses a store from a newer facegate. Opening a current store writes nothing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from facegate.errors import CorruptStore
from facegate.store.database import Database
from facegate.store.meta import Meta
from facegate.store.postgres import PostgresDatabase, is_postgres
from facegate.store.seal import ADDED, SEALED, trigger_sql
from facegate.store.sqlite import SqliteDatabase

__all__ = ["SCHEMA_VERSION", "migrate", "open_database"]

SCHEMA_VERSION = 10
SEALED_SINCE = 8
SECOND_BEST_SINCE = 9
"""The schema version whose stores carry the state seal (facegate.gate.seal)."""

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
    -- The audit trail becomes a hash chain (facegate.gate.audit); ``detail`` holds non-biometric
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
    -- Consecutive failed verifications per subject and deployment (facegate.gate.attempts).
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
    -- How many photographs each template averages (multi-image enrollment, issue 10).
    ALTER TABLE templates ADD COLUMN photos INTEGER NOT NULL DEFAULT 1 CHECK (photos >= 1);
    -- Before version 6 every stored deployment carried the old default threshold 0.6, which
    -- nobody chose; it now means "derive the threshold from the target error rate" (R5).
    UPDATE deployments SET definition = json_set(definition, '$.threshold', NULL)
        WHERE json_extract(definition, '$.threshold') = 0.6;
    """,
    7: """
    -- One spelling (enroll): the two deployment fields named after it are renamed.
    UPDATE deployments SET definition = json_remove(json_set(definition,
        '$.expected_enrollments', json_extract(definition, '$.expected_enrolments')),
        '$.expected_enrolments')
        WHERE json_type(definition, '$.expected_enrolments') IS NOT NULL;
    UPDATE deployments SET definition = json_remove(json_set(definition,
        '$.enrollment_photos', json_extract(definition, '$.enrolment_photos')),
        '$.enrolment_photos')
        WHERE json_type(definition, '$.enrolment_photos') IS NOT NULL;
    """,
    8: """
    -- A deployment retired for good (R28): off line, never to be assessed or activated again.
    ALTER TABLE deployments ADD COLUMN decommissioned_at TEXT;
    -- What was destroyed, so that a row restored from an older copy is recognised (R13).
    CREATE TABLE destroyed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('template')),
        ident TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX destroyed_by_ident ON destroyed(kind, ident);
    -- Consecutive identifications without a match per device and deployment (attempt limits).
    CREATE TABLE identify_attempts (
        device TEXT NOT NULL,
        deployment_id TEXT NOT NULL REFERENCES deployments(id),
        failures INTEGER NOT NULL,
        locked_until TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device, deployment_id)
    );
    -- The recent changes to templates, which processes holding galleries follow instead of
    -- rebuilding them (kept short: a process further behind rebuilds).
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        deployment TEXT NOT NULL,
        ident INTEGER NOT NULL
    );
    CREATE TRIGGER changes_template_insert AFTER INSERT ON templates
    BEGIN INSERT INTO changes (kind, deployment, ident)
        VALUES ('template', NEW.deployment_id, NEW.id); END;
    CREATE TRIGGER changes_template_delete AFTER DELETE ON templates
    BEGIN INSERT INTO changes (kind, deployment, ident)
        VALUES ('template', OLD.deployment_id, OLD.id); END;
    CREATE TRIGGER changes_template_update AFTER UPDATE ON templates
    BEGIN INSERT INTO changes (kind, deployment, ident)
        VALUES ('template', NEW.deployment_id, NEW.id); END;
    CREATE TRIGGER changes_append_only BEFORE UPDATE ON changes
    BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
    CREATE TRIGGER destroyed_append_only BEFORE UPDATE ON destroyed
    BEGIN SELECT RAISE(ABORT, 'the record of destroyed templates is append-only'); END;
    -- Every row change of a sealed table reaches the state seal (facegate.store.seal).
    """
    + "".join(
        f"{statement};\n"
        for table in SEALED
        if table not in ADDED
        for statement in trigger_sql(table)
    ),
    9: """
    -- The second-best test (issue 17): 1:N decisions record the ratio they ran at beside the
    -- threshold. Entries written before have none, and their links are unchanged.
    ALTER TABLE audit ADD COLUMN ratio REAL;
    """,
    10: """
    -- Device keys (issue 19): a device reaches the gate through a service with a token that is
    -- stored only as its keyed hash, bound to capabilities and deployments (JSON lists; NULL
    -- deployments: every one), until it expires or is revoked. Rows are kept once revoked:
    -- the trail names devices, and a name is never given to another one.
    CREATE TABLE devices (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        capabilities TEXT NOT NULL,
        deployments TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
    );
    -- Every audit entry names the device whose handle made the call. Entries written before
    -- have none, and their links are unchanged.
    ALTER TABLE audit ADD COLUMN device TEXT;
    """
    + "".join(
        f"{statement};\n"
        for table, since in ADDED.items()
        if since == 10
        for statement in trigger_sql(table)
    ),
}


def open_database(location: str | os.PathLike[str]) -> Database:
    """The database at ``location`` (a SQLite file's path, or a ``postgresql://`` URL), opened
    on its engine and migrated to the current schema."""
    db: Database
    if is_postgres(location):
        db = PostgresDatabase.open(str(location))
    else:
        db = SqliteDatabase.open(Path(location))
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def migrate(db: Database) -> None:
    """Brings the store up to :data:`SCHEMA_VERSION`, all in one transaction."""
    meta = Meta(db)
    with db.transaction():
        meta.create()
        db.prepare()
        version = meta.schema_version()
        if version > SCHEMA_VERSION:
            raise CorruptStore(
                f"{db.location} has schema version {version}; this facegate reads up to "
                f"{SCHEMA_VERSION} (upgrade facegate)"
            )
        if version == SCHEMA_VERSION:
            return  # nothing to write: opening a current store changes nothing
        for step in range(version + 1, SCHEMA_VERSION + 1):
            db.script(db.spelled(_statements(_MIGRATIONS[step])))
        if 0 < version < SEALED_SINCE:
            # Its rows predate the seal: the gate seals them when it next opens the store.
            meta.set_seal_pending()
        if 0 < version < SECOND_BEST_SINCE:
            # Derived 1:N points now include the second-best test: the gate states it in the
            # trail when it next opens the store (facegate.gate.points).
            meta.set_rule_pending()
        meta.set_schema_version(SCHEMA_VERSION)


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
