"""I/O faults injected with libfiu (Debian ``fiu-utils``): failing writes and syncs of the
database give typed errors, never an acknowledgement of something that did not happen, never a
crash; once the faults stop, the store is whole."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.common import ROOT, acknowledged, new_store, whole

FAULTS = [
    # SQLite writes pages with pwrite (Python's own output uses write, which stays healthy).
    "enable_random name=posix/io/rw/pwrite,probability=0.02",
    "enable_random name=posix/io/sync/fsync,probability=0.05",
    "enable_random name=posix/io/sync/fdatasync,probability=0.05",
]


@pytest.mark.skipif(shutil.which("fiu-run") is None, reason="needs fiu-run (apt fiu-utils)")
def test_failing_writes_and_syncs_give_typed_errors_only(tmp_path: Path) -> None:
    store, key = new_store(tmp_path)
    command = ["fiu-run", "-x"]
    for fault in FAULTS:
        command += ["-c", fault]
    command += [sys.executable, "-m", "tests.reliability.worker", str(store), str(key)]
    outputs = []
    for attempt in range(5):
        done = subprocess.run(
            [*command, f"a{attempt}", "1", "40"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "FACEGATE_WORKER_TOLERANT": "1"},
        )
        assert done.returncode == 0 and "error" not in done.stdout, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout)
    out = "\n".join(outputs)
    failures = [line for line in out.splitlines() if line.startswith("fail")]
    acks = acknowledged(out)
    state = whole(store, key)
    held = state["held"]
    assert isinstance(held, set)
    print(
        f"\nlibfiu: {sum(map(len, acks.values()))} calls acknowledged, {len(failures)} typed "
        f"failures ({sorted({line.split()[1] for line in failures})}); store {state['integrity']}"
    )
    assert failures, "no fault was injected: the test proves nothing"
    assert {line.split()[1] for line in failures} <= {"StoreUnavailable", "CorruptStore"}
    assert state["integrity"] == "ok" and state["audit_ok"] is True
    for problem in ("templates_without_key", "templates_without_consent", "keys_without_templates"):
        assert state[problem] == 0, problem
    enrolled, withdrawn = set(acks.get("enroll", [])), set(acks.get("withdraw", []))
    unsure = {line.split()[2] for line in failures}  # a failed call may or may not have landed
    assert enrolled, "the worker got nothing done between faults"
    assert enrolled - withdrawn - unsure <= held  # every acknowledged enrollment is there
    assert not withdrawn & held  # every acknowledged withdrawal took effect
