"""Every connection facegate opens runs with the durability and deletion settings (issue 7):
WAL, synchronous=FULL, foreign keys, secure_delete=ON (not FAST) and a busy timeout."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import facegate.store.sqlite
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate

EXPECTED = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "secure_delete": 1,  # ON; FAST would be 2
    "busy_timeout": 30000,
}


def test_every_connection_has_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = real(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr("facegate.store.sqlite.sqlite3.connect", connect)
    master = MasterKey.generate()
    gate = open_gate(tmp_path / "s.db", master)
    gate.grant_consent("lobby", "g", CONSENT)
    gate.enroll("lobby", "g", face("g"), "hotel_check_in")
    again = FaceGate.open(tmp_path / "s.db", master, encoder=FakeEncoder())
    again.identify("lobby", face("g"), "hotel_check_in")
    again.assessment_facts("lobby")
    again.erase("g")
    assert len(opened) >= 2
    for connection in opened:
        settings = {name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in EXPECTED}
        assert settings == EXPECTED
    for connection in opened:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == (
            facegate.store.sqlite.PRODUCTION_APPLICATION_ID
        )
