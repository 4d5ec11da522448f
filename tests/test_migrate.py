"""``facegate store migrate``: a store moved from SQLite to PostgreSQL and back keeps every
template, consent, assessment and audit entry, and its audit chain and state seal verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from facegate import FaceGate, MasterKey
from facegate.cli import main
from facegate.errors import DuplicateId, StoreUnavailable
from facegate.store.transfer import copy_store
from tests import peek
from tests.conftest import POSTGRES, postgres_database
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, FakeEncoder, audit_entries, open_gate

PURPOSE = "hotel_check_in"
COUNTED = ("subjects", "consent_events", "templates", "data_keys", "assessments", "audit")

pytestmark = pytest.mark.skipif(POSTGRES is None, reason="no PostgreSQL server for the tests")


def _counts(location: Path | str) -> dict[str, int]:
    return {t: peek.count(location, f"SELECT COUNT(*) FROM {t}") for t in COUNTED}


def _reopened(location: Path | str, master: MasterKey) -> FaceGate:
    return FaceGate.open(location, master, encoder=FakeEncoder())


def test_a_store_moves_to_postgresql_and_back_whole(tmp_path: Path, master: MasterKey) -> None:
    source = tmp_path / "hotel.db"
    gate = open_gate(source, master)
    for k in range(6):
        gate.grant_consent("lobby", f"g{k}", CONSENT)
        gate.enroll("lobby", f"g{k}", face(f"g{k}"), PURPOSE)
    gate.erase("g5")
    gate.identify("lobby", face("g2"), PURPOSE)
    gate.close()
    before = _counts(source)
    (store_id,) = peek.rows(source, "SELECT value FROM meta WHERE key = 'store_id'")[0]

    there = postgres_database()
    url = next(there)
    back = tmp_path / "back.db"
    try:
        copied = copy_store(source, url)
        assert copied["templates"] == before["templates"] == 5
        assert _counts(url) == before
        moved = _reopened(url, master)
        assert moved.verify_audit().ok
        assert moved.identify("lobby", face("g3"), PURPOSE).subject == "g3"
        assert moved.identify("lobby", face("g5"), PURPOSE).subject is None
        moved.erase("g4")  # the PostgreSQL store works on: its erasure epochs begin
        moved.close()
        assert peek.rows(url, "SELECT value FROM meta WHERE key = 'store_id'") == [(store_id,)]
        with pytest.raises(DuplicateId):
            copy_store(source, url)  # never into a store
        copy_store(url, back)
    finally:
        there.close()
    returned = _reopened(back, master)
    assert returned.verify_audit().ok
    assert returned.identify("lobby", face("g1"), PURPOSE).subject == "g1"
    assert returned.identify("lobby", face("g4"), PURPOSE).subject is None
    assert _counts(back)["templates"] == 4
    returned.close()


def test_the_command_moves_a_store_and_verifies_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "hotel.key"
    master = MasterKey.generate(key)
    source = tmp_path / "hotel.db"
    open_gate(source, master).close()
    there = postgres_database()
    url = next(there)
    try:
        code = main(["store", "migrate", str(source), url, "--key", str(key)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "audit trail intact" in out and "retired" in out
        with pytest.raises(StoreUnavailable, match="was moved to"):
            FaceGate.open(source, master)  # the one store is the copy
        moved = _reopened(url, master)
        (last,) = audit_entries(moved)[-2:-1]  # before the verification of the copy
        assert (last["action"], last["outcome"]) == ("retire_for_move", "ok")
        moved.close()
        again = tmp_path / "again.db"
        open_gate(again, master).close()
        assert main(["store", "migrate", str(again), url, "--key", str(key)]) == 5  # a store there
        assert _reopened(again, master).verify_audit().ok  # a failed move takes nothing back
    finally:
        there.close()
