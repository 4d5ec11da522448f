"""Attempt limits shared by several processes: four guessers at once on one person's template
get exactly as many decided attempts as the limit allows between them, and the counter in the
store says so (no lost increment lets a fifth, sixth... guess through)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import facegate.gate.attempts
from facegate import MasterKey
from tests import peek
from tests.reliability.common import ROOT, new_store
from tests.reliability.worker import PURPOSE, face
from tests.requirements.gate import CONSENT, FakeEncoder

GUESSERS, TRIES = 4, 8


def test_guessers_in_four_processes_share_one_limit(tmp_path: Path, path: Path) -> None:
    from facegate import FaceGate

    store, key = new_store(tmp_path, path)
    gate = FaceGate.open(store, MasterKey.from_file(key), encoder=FakeEncoder())
    gate.grant_consent("lobby", "victim", CONSENT)
    gate.enroll("lobby", "victim", face("victim"), PURPOSE)
    gate.close()
    command = [sys.executable, "-m", "tests.reliability.guesser", str(store), str(key)]
    running = [
        subprocess.Popen(
            [*command, f"g{i}", str(TRIES)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(GUESSERS)
    ]
    outputs = [p.communicate(timeout=300) for p in running]
    for process, (_, err) in zip(running, outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
    lines = "".join(out for out, _ in outputs).split()
    limit = facegate.gate.attempts.LOCK_AFTER
    assert lines.count("miss") == limit, lines
    assert lines.count("locked") == GUESSERS * TRIES - limit
    ((failures,),) = peek.rows(store, "SELECT failures FROM attempts WHERE subject_id = 'victim'")
    assert failures == limit
