"""Two and four worker processes on one store, each with its galleries in memory, enrolling,
identifying and erasing at once: nobody is matched by any worker after their erasure returned,
nothing acknowledged is lost, and the audit trail is one unbroken chain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import peek
from tests.reliability.common import ROOT, new_store, whole

ROUNDS = 40


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_in_step_never_match_anyone_erased(
    tmp_path: Path, path: Path, workers: int
) -> None:
    store, key = new_store(tmp_path, path)
    before = int(str(whole(store, key)["calls_audited"]))
    command = [sys.executable, "-m", "tests.reliability.crowd", str(store), str(key)]
    running = [
        subprocess.Popen(
            [*command, str(i), str(workers), str(ROUNDS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(workers)
    ]
    outputs = [p.communicate(timeout=600) for p in running]
    for process, (_, err) in zip(running, outputs, strict=True):
        incidents = peek.rows(store, "SELECT kind, description FROM incidents")
        assert process.returncode == 0, (err[-1500:], incidents)
    events: dict[str, dict[str, float]] = {"enrolled": {}, "erased": {}}
    matched: list[tuple[str, float]] = []
    for out, _ in outputs:
        for line in out.splitlines():
            kind, subject, moment = line.split()
            if kind == "matched":
                matched.append((subject, float(moment)))
            else:
                events[kind][subject] = float(moment)
    erased = events["erased"]
    late = [(s, t - erased[s]) for s, t in matched if s in erased and t > erased[s]]
    assert not late, f"matched after their erasure returned: {late[:5]}"
    assert matched, "no identification matched: the test exercised nothing"
    state = whole(store, key)
    assert state["held"] == set(events["enrolled"]) - set(erased)  # nothing acknowledged lost
    assert state["integrity"] == "ok" and state["audit_ok"] is True
    # Per round: consent, enrollment, two identifications, and an erasure every other round.
    calls = workers * (ROUNDS * 4 + ROUNDS // 2)
    assert state["calls_audited"] == before + calls  # one entry per call: no gaps, no forks
