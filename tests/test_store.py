"""The SQLite store: connection settings, transactions, schema versions, corrupt files."""

from __future__ import annotations

from pathlib import Path

import pytest

from facegate.keys import MasterKey
from facegate.registry import Registry
from facegate.store import SCHEMA_VERSION, CorruptStore, Store


def test_every_connection_has_the_durability_settings(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        assert store.pragma("journal_mode") == "wal"
        assert store.pragma("synchronous") == 2  # FULL
        assert store.pragma("foreign_keys") == 1
        assert store.pragma("secure_delete") == 1
        assert store.pragma("busy_timeout") == 30000


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    def half_done(store: Store) -> None:
        with store.transaction() as db:
            db.execute("INSERT INTO operators VALUES ('op', 'n', 'c', 'now')")
            raise RuntimeError("crash between two writes")

    with Store.open(tmp_path / "a.db") as store:
        with pytest.raises(RuntimeError):
            half_done(store)
        assert store.query("SELECT COUNT(*) FROM operators") == [(0,)]


def test_reopening_keeps_data_and_schema_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store, store.transaction() as db:
        db.execute("INSERT INTO operators VALUES ('op', 'n', 'c', 'now')")
    with Store.open(tmp_path / "a.db") as store:
        assert store.query("SELECT id FROM operators") == [("op",)]
        assert store.query("SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]


def test_garbage_and_newer_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorruptStore, match="not a readable facegate store"):
        Store.open(junk)
    with Store.open(tmp_path / "new.db") as store, store.transaction() as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(CorruptStore, match="schema version 99"):
        Store.open(tmp_path / "new.db")


def test_an_older_store_is_migrated_forward(tmp_path: Path) -> None:
    with Store.open(tmp_path / "old.db") as store, store.transaction() as db:
        db.execute("DROP TABLE assessments")  # as a version-1 store was
        db.execute("DROP TABLE audit")
        for table in ("incidents", "filing_events", "attempts"):
            db.execute(f"DROP TABLE {table}")
        db.execute("DROP INDEX templates_by_subject")
        db.execute("ALTER TABLE templates DROP COLUMN photos")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with Store.open(tmp_path / "old.db") as store:
        assert store.query("SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]
        assert store.query("SELECT COUNT(*) FROM assessments") == [(0,)]
        assert store.query("SELECT COUNT(*) FROM audit") == [(0,)]
        assert store.query("SELECT COUNT(*) FROM incidents") == [(0,)]
        columns = [row[1] for row in store.query("PRAGMA table_info(templates)")]
        assert columns[-1] == "photos"  # added by migration 6


def test_migration_6_forgets_the_old_default_threshold(tmp_path: Path) -> None:
    from tests.requirements.gate import open_gate

    path = tmp_path / "old.db"
    open_gate(path, MasterKey.generate()).close()
    with Store.open(path) as store, store.transaction() as db:
        # As a version-5 store held it: every deployment with the then default 0.6 written out,
        # and one with a threshold somebody chose.
        db.execute("UPDATE deployments SET definition = json_set(definition, '$.threshold', 0.6)")
        chosen = db.execute("SELECT definition FROM deployments").fetchone()[0]
        db.execute(
            "INSERT INTO deployments SELECT 'chosen', operator_id, "
            "json_set(json_set(?, '$.threshold', 0.5), '$.name', 'chosen'), notice_version, "
            "active, created_at FROM deployments WHERE id = 'lobby'",
            (chosen,),
        )
        db.execute("ALTER TABLE templates DROP COLUMN photos")
        db.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with Store.open(path) as store:
        registry = Registry(store)
        assert registry.deployment("lobby").threshold is None  # now derived from the target
        assert registry.deployment("chosen").threshold == 0.5
