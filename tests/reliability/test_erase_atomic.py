"""R13 under kill -9: an erasure is one transaction, so a crash at any moment leaves each
person either wholly present or wholly erased, never half; and an acknowledged erasure holds.
FACEGATE_CRASH_ITERATIONS sets the count (200 by default, as for the other crash test)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facegate import FaceGate, MasterKey
from facegate.errors import StoreUnavailable
from facegate.store.subjects import Subjects
from tests import peek
from tests.reliability.common import ROOT, acknowledged, opened, whole
from tests.reliability.eraser import enroll
from tests.reliability.worker import face
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, FakeEncoder, open_gate

ITERATIONS = int(os.environ.get("FACEGATE_CRASH_ITERATIONS", "200"))
PEOPLE = 6

# Each table that holds something of a person, and how to count it.
HOLDINGS = {
    "subject": "SELECT COUNT(*) FROM subjects WHERE id = ?",
    "consents": "SELECT COUNT(*) FROM consent_events WHERE subject_id = ?",
    "data key": "SELECT COUNT(*) FROM data_keys WHERE subject_id = ?",
    "templates": "SELECT COUNT(*) FROM templates WHERE subject_id = ?",
    "attempts": "SELECT COUNT(*) FROM attempts WHERE subject_id = ?",
}


STATES = {
    (0, 0, 0, 0, 0),  # erased
    (1, 1, 0, 0, 0),  # enrolling again: consent in the lobby
    (1, 1, 1, 1, 0),  # enrolled in the lobby
    (1, 2, 1, 1, 0),  # consent in the spa
    (1, 2, 1, 2, 0),  # enrolled in the spa
    (1, 2, 1, 2, 1),  # the miss counted: wholly present
}
"""Every state a person passes through (subject, consents, data key, templates, attempts): an
erasure goes from the last to the first in one step; enrollment climbs back call by call. An
erasure that stopped half way (say, key and templates gone, subject and consents left) is none
of these."""


def two_deployments(folder: Path, store: Path | str) -> tuple[Path | str, Path, MasterKey]:
    key = folder / "master.key"
    master = MasterKey.generate(key)
    gate = open_gate(store, master, max_fnir=1.0)
    gate.register_deployment("hotel", lobby(name="spa"))
    gate.record_assessment("spa", ASSESSMENT)
    gate.activate("spa")
    for k in range(PEOPLE):
        enroll(gate, f"p-{k}")
    gate.close()
    return store, key, master


def holdings(store: Path, subject: str) -> dict[str, int]:
    return {name: peek.count(store, sql, (subject,)) for name, sql in HOLDINGS.items()}


def test_r13_erase_is_all_or_nothing_under_kill_9(tmp_path: Path, path: Path) -> None:
    store, key, _ = two_deployments(tmp_path, path)
    rng = random.Random(20261201)
    half: list[str] = []
    erasures = 0
    # A third as many kills on PostgreSQL, where each process starts slower.
    iterations = ITERATIONS if isinstance(store, Path) else max(1, ITERATIONS // 3)
    for iteration in range(iterations):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.eraser", str(store), str(key), str(PEOPLE)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        head = opened(process)
        time.sleep(0.05 + rng.random() * 0.3)  # kill mid-operation
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
        out = head + out
        assert "Traceback" not in err, err[-2000:]
        erasures += len(acknowledged(out).get("erase", []))
        whole(store, key)  # recovers the WAL the kill left, and checks the chain on the way
        for k in range(PEOPLE):
            held = tuple(holdings(store, f"p-{k}").values())
            if held not in STATES:
                half.append(f"iteration {iteration}: p-{k} half erased: {held}")
    state = whole(store, key)
    print(f"\nkill -9 x {iterations} during erasure: {erasures} acknowledged erasures")
    assert erasures, "the kills came before any erasure"
    assert not half, half[:5]
    assert state["audit_ok"] and state["integrity"] == "ok", state


def test_r13_an_erasure_that_fails_midway_changes_nothing(
    tmp_path: Path, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the templates and key are gone, before the subject row goes: the whole
    erasure rolls back (and is audited as refused)."""
    store, _, master = two_deployments(tmp_path, path)
    before = holdings(store, "p-0")
    gate = FaceGate.open(store, master, encoder=FakeEncoder())

    def fail(self: Subjects, subject: str) -> bool:
        raise StoreUnavailable("disk I/O error (injected)")

    monkeypatch.setattr(Subjects, "delete", fail)
    with pytest.raises(StoreUnavailable):
        gate.erase("p-0")
    assert holdings(store, "p-0") == before
    assert gate.verify("lobby", "p-0", face("p-0"), "hotel_check_in").match
    monkeypatch.undo()
    gate.erase("p-0")
    assert not any(holdings(store, "p-0").values())
    gate.close()
