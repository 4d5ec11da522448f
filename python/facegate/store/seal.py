"""The state seal's part in the store: which tables are sealed, the triggers that report every
row change to the seal, and the scans that let it check a table against its digest.

Every insert, update and delete on a sealed table (cascades included) calls the SQL function
``fg_row(table, column values...)`` from a trigger; the gate's seal (:mod:`facegate.gate.seal`)
folds a keyed MAC of each row into that table's digest. A write made without facegate's
function (the ``sqlite3`` shell, another program) fails, or, if the triggers were dropped or
the function faked, leaves the digests behind the rows: the seal's next check finds it.

A migration that adds a column to a sealed table must list it in :data:`SEALED` and recreate
that table's triggers; one that adds a sealed table lists it in :data:`SEALED` and
:data:`ADDED`, and creates its triggers (:func:`trigger_sql`).
"""

from __future__ import annotations

from collections.abc import Iterator

from facegate.store.database import Database, Row

__all__ = [
    "ADDED",
    "AT_OPEN",
    "BINARY",
    "QUICK",
    "SEALED",
    "scan",
    "trigger_sql",
    "triggers_present",
]

SEALED: dict[str, tuple[str, ...]] = {
    "operators": ("id", "name", "contact", "created_at"),
    "deployments": (
        "id",
        "operator_id",
        "definition",
        "notice_version",
        "active",
        "created_at",
        "decommissioned_at",
    ),
    "assessments": (
        "seq",
        "deployment_id",
        "notice_version",
        "content",
        "signed_off_by",
        "signed_at",
    ),
    "incidents": (
        "id",
        "detected_at",
        "kind",
        "deployment_id",
        "affected",
        "description",
        "data_categories",
        "possible_harm",
        "measures_taken",
        "individual_measures",
    ),
    "filing_events": (
        "id",
        "operator_id",
        "kind",
        "individuals",
        "at",
        "deadline",
        "provisional",
        "detail",
    ),
    "attempts": ("subject_id", "deployment_id", "failures", "locked_until", "disabled"),
    "identify_attempts": ("device", "deployment_id", "failures", "locked_until", "disabled"),
    "destroyed": ("seq", "kind", "ident", "at"),
    "changes": ("seq", "kind", "deployment", "ident"),
    "subjects": ("id", "birth_date", "created_at"),
    "consent_events": (
        "seq",
        "subject_id",
        "deployment_id",
        "kind",
        "purposes",
        "notice_version",
        "channel",
        "evidence_ref",
        "guardian_id",
        "guardian_relationship",
        "transfer",
        "expires_at",
        "at",
    ),
    "data_keys": ("subject_id", "wrapped", "master_key_id", "created_at"),
    "devices": (
        "name",
        "token_hash",
        "capabilities",
        "deployments",
        "created_at",
        "expires_at",
        "revoked_at",
    ),
    "templates": (
        "id",
        "subject_id",
        "deployment_id",
        "sealed",
        "rotation_epoch",
        "created_at",
        "expires_at",
        "photos",
    ),
}
"""Each sealed table and its columns, in the order the triggers pass them."""

ADDED: dict[str, int] = {"devices": 10}
"""The sealed tables added after the seal itself (schema 8), each with the schema version that
added it: migration 8 creates no triggers for them, and the seal's record names one only once
its digest is not zero, so that a record written before the table existed keeps its tag."""

BINARY = frozenset({("data_keys", "wrapped"), ("templates", "sealed")})
"""The sealed columns that hold bytes (the rest hold text or integers)."""

QUICK = (
    "operators",
    "deployments",
    "assessments",
    "incidents",
    "filing_events",
    "attempts",
    "identify_attempts",
    "devices",
)
"""The tables small enough to check whenever another process has written to the store: what
decides whether a deployment runs, a person is locked and a device's key opens the gate. The
others (one row or more per person) are checked by the full verification."""

AT_OPEN = (*QUICK, "destroyed", "changes")
"""Checked when a store is opened: with the record of what was destroyed, against which every
template is loaded (and which the process then keeps in memory), and the change log it then
follows."""


def trigger_sql(table: str) -> list[str]:
    """The three triggers that report ``table``'s row changes to the seal."""
    columns = SEALED[table]

    def row(prefix: str) -> str:
        return ", ".join([f"'{table}'", *(f"{prefix}.{c}" for c in columns)])

    return [
        f"CREATE TRIGGER seal_{table}_insert AFTER INSERT ON {table} "
        f"BEGIN SELECT fg_row({row('NEW')}); END",
        f"CREATE TRIGGER seal_{table}_delete AFTER DELETE ON {table} "
        f"BEGIN SELECT fg_row({row('OLD')}); END",
        f"CREATE TRIGGER seal_{table}_update AFTER UPDATE ON {table} "
        f"BEGIN SELECT fg_row({row('OLD')}); SELECT fg_row({row('NEW')}); END",
    ]


def scan(db: Database, table: str) -> Iterator[Row]:
    """Every row of a sealed table, its columns as the triggers pass them."""
    return db.stream(f"SELECT {', '.join(SEALED[table])} FROM {table}")


def triggers_present(db: Database) -> set[str]:
    """The names of the triggers the schema holds."""
    return db.trigger_names()


def trigger_names() -> set[str]:
    """The names every current store must hold: the seal's, and those that keep the change
    log (a template changed with them dropped would escape the processes that follow it)."""
    sealed = {f"seal_{t}_{event}" for t in SEALED for event in ("insert", "delete", "update")}
    logged = {f"changes_template_{event}" for event in ("insert", "delete", "update")}
    return sealed | logged | {"changes_append_only", "destroyed_append_only"}
