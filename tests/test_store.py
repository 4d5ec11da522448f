"""The SQLite store: transactions, schema versions, migrations, corrupt files (the connection
settings are checked in tests/reliability/test_connections.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facegate.compliance.registry import Registry
from facegate.errors import CorruptStore
from facegate.keys import MasterKey
from facegate.store import SCHEMA_VERSION, Store
from tests import peek


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    def half_done(store: Store) -> None:
        with store.transaction():
            store.operators.add("op", name="n", contact="c", at="now")
            raise RuntimeError("crash between two writes")

    with Store.open(tmp_path / "a.db") as store:
        with pytest.raises(RuntimeError):
            half_done(store)
        assert not store.operators.exists("op")
        assert peek.count(tmp_path / "a.db", "SELECT COUNT(*) FROM operators") == 0


def test_reopening_keeps_data_and_schema_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        store.operators.add("op", name="n", contact="c", at="now")
    with Store.open(tmp_path / "a.db") as store:
        assert store.operators.exists("op")
        assert store.meta.schema_version() == SCHEMA_VERSION
    assert peek.rows(tmp_path / "a.db", "SELECT id FROM operators") == [("op",)]
    assert peek.rows(tmp_path / "a.db", "SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]


def test_garbage_and_newer_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorruptStore, match="not a readable facegate store"):
        Store.open(junk)
    Store.open(tmp_path / "new.db").close()
    peek.execute(tmp_path / "new.db", "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(CorruptStore, match="schema version 99"):
        Store.open(tmp_path / "new.db")


def test_an_older_store_is_migrated_forward(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    Store.open(old).close()
    peek.execute(
        old,
        "DROP TABLE assessments",  # as a version-1 store was
        "DROP TABLE audit",
        *(f"DROP TABLE {table}" for table in ("incidents", "filing_events", "attempts")),
        "DROP INDEX templates_by_subject",
        "ALTER TABLE templates DROP COLUMN photos",
        "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
    )
    with Store.open(old) as store:
        assert store.meta.schema_version() == SCHEMA_VERSION
    assert peek.rows(old, "SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]
    assert peek.count(old, "SELECT COUNT(*) FROM assessments") == 0
    assert peek.count(old, "SELECT COUNT(*) FROM audit") == 0
    assert peek.count(old, "SELECT COUNT(*) FROM incidents") == 0
    columns = [row[1] for row in peek.rows(old, "PRAGMA table_info(templates)")]
    assert columns[-1] == "photos"  # added by migration 6


def test_migration_6_forgets_the_old_default_threshold(tmp_path: Path) -> None:
    from tests.requirements.gate import open_gate

    path = tmp_path / "old.db"
    open_gate(path, MasterKey.generate()).close()
    # As a version-5 store held it: every deployment with the then default 0.6 written out,
    # and one with a threshold somebody chose.
    peek.execute(
        path,
        "UPDATE deployments SET definition = json_set(definition, '$.threshold', 0.6)",
        "INSERT INTO deployments SELECT 'chosen', operator_id, "
        "json_set(json_set(definition, '$.threshold', 0.5), '$.name', 'chosen'), "
        "notice_version, active, created_at FROM deployments WHERE id = 'lobby'",
        "ALTER TABLE templates DROP COLUMN photos",
        "UPDATE meta SET value = '5' WHERE key = 'schema_version'",
    )
    with Store.open(path) as store:
        registry = Registry(store)
        assert registry.deployment("lobby").threshold is None  # now derived from the target
        assert registry.deployment("chosen").threshold == 0.5
