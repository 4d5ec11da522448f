"""The SQLite store: transactions, schema versions, migrations, corrupt files (the connection
settings are checked in tests/reliability/test_connections.py)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

import pytest

from facegate import FaceGate
from facegate.compliance.registry import Registry
from facegate.errors import CorruptStore, InvalidArgument
from facegate.gate.opening import open_store
from facegate.keys import MasterKey
from facegate.store import SCHEMA_VERSION, Store
from facegate.store.schema import _MIGRATIONS, _statements
from tests import peek
from tests.requirements.deployments import lobby
from tests.requirements.gate import FakeEncoder, open_gate


def old_store(path: Path, version: int) -> None:
    """A store as facegate of schema ``version`` left it: its migrations and nothing after."""
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            for step in range(1, version + 1):
                for statement in _statements(_MIGRATIONS[step]):
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    finally:
        db.close()


def test_writes_need_the_seal(path: Path) -> None:
    """A store opened without its key reads, but writes to no sealed table."""
    with Store.open(path) as store, pytest.raises(InvalidArgument, match="seal"):
        store.operators.add("op", name="n", contact="c", at="now")
    assert peek.count(path, "SELECT COUNT(*) FROM operators") == 0


class _Counting:
    """A stand-in for the state seal that counts the rows it is handed."""

    def __init__(self) -> None:
        self.rows = 0

    def row(self, table: str, values: object) -> None:
        self.rows += 1

    def before_commit(self) -> None:
        pass

    def rolled_back(self) -> None:
        pass


def test_a_rolled_back_first_transaction_leaves_the_seal_working(path: Path) -> None:
    """The first transaction after the seal is attached rolls back; the next still writes
    (on PostgreSQL the session's table for the seal's rows must outlive that rollback)."""
    with Store.open(path) as store:
        sealer = _Counting()
        store.attach(sealer)
        with pytest.raises(RuntimeError), store.transaction():
            raise RuntimeError("refused before writing anything")
        store.operators.add("op", name="n", contact="c", at="now")
        assert store.operators.exists("op") and sealer.rows == 1


def test_a_failed_transaction_leaves_nothing(path: Path) -> None:
    def half_done(store: Store) -> None:
        with store.transaction():
            store.operators.add("op", name="n", contact="c", at="now")
            raise RuntimeError("crash between two writes")

    with open_store(path, MasterKey.generate()) as store:
        with pytest.raises(RuntimeError):
            half_done(store)
        assert not store.operators.exists("op")
        assert peek.count(path, "SELECT COUNT(*) FROM operators") == 0


def test_reopening_keeps_data_and_schema_version(path: Path) -> None:
    master = MasterKey.generate()
    with open_store(path, master) as store:
        store.operators.add("op", name="n", contact="c", at="now")
    with Store.open(path) as store:
        assert store.operators.exists("op")
        assert store.meta.schema_version() == SCHEMA_VERSION
    assert peek.rows(path, "SELECT id FROM operators") == [("op",)]
    versions = peek.rows(path, "SELECT value FROM meta WHERE key = 'schema_version'")
    assert versions == [(str(SCHEMA_VERSION),)]


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
    old_store(old, 1)
    with Store.open(old) as store:
        assert store.meta.schema_version() == SCHEMA_VERSION
    assert peek.rows(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    assert peek.count(old, "SELECT COUNT(*) FROM assessments") == 0
    assert peek.count(old, "SELECT COUNT(*) FROM audit") == 0
    assert peek.count(old, "SELECT COUNT(*) FROM incidents") == 0
    columns = [row[1] for row in peek.rows(old, "PRAGMA table_info(templates)")]
    assert columns[-1] == "photos"  # added by migration 6


def test_migration_6_forgets_the_old_default_threshold(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_store(path, 5)
    # As a version-5 store held it: every deployment with the then default 0.6 written out,
    # and one with a threshold somebody chose.
    chosen = asdict(lobby(name="chosen")) | {"threshold": 0.5, "expected_enrolments": 0}
    default = asdict(lobby()) | {"threshold": 0.6, "enrolment_photos": 1}
    for row in (chosen, default):
        row.pop("expected_enrollments"), row.pop("enrollment_photos")
        row["extra_purposes"] = []
    peek.execute(
        path,
        "INSERT INTO operators VALUES ('hotel', 'Hotel', 'dpo@example.com', 'now')",
        *(
            f"INSERT INTO deployments VALUES ('{row['name']}', 'hotel', "
            "'" + json.dumps(row).replace("'", "''") + "', 'v', 0, 'now')"
            for row in (chosen, default)
        ),
    )
    with Store.open(path) as store:
        registry = Registry(store)
        assert registry.deployment("lobby").threshold is None  # now derived from the target
        assert registry.deployment("chosen").threshold == 0.5
        # migration 7: one spelling of the fields named after enrollment
        assert registry.deployment("chosen").expected_enrollments == 0


def test_an_upgraded_store_is_sealed_once_as_it_is(tmp_path: Path) -> None:
    """Rows from before the seal are sealed at the first open with the key; from then on a
    change behind facegate's back is caught."""
    path = tmp_path / "old.db"
    old_store(path, 7)
    peek.execute(path, "INSERT INTO operators VALUES ('hotel', 'Hotel', 'dpo@example.com', 'x')")
    master = MasterKey.generate()
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    assert gate.verify_audit().ok
    gate.close()
    peek.execute(path, "UPDATE operators SET contact = 'attacker@example.com'")
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    result = gate.verify_audit()
    assert not result.ok and "operators" in str(result.problem)


def test_a_store_stripped_of_its_seal_is_not_sealed_again(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    master = MasterKey.generate()
    open_gate(path, master).close()
    peek.execute(path, "DELETE FROM meta WHERE key = 'seal'")
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    assert "seal is missing" in gate.incidents()[0].description  # found at open
    assert not gate.verify_audit().ok
