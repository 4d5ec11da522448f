"""kill -9 at random moments while a process enrolls, verifies and withdraws: afterwards the
store is whole, nothing acknowledged is missing, nothing is half applied, and the audit trail
verifies. FACEGATE_CRASH_ITERATIONS sets the count (200 by default)."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from tests import peek
from tests.reliability.common import acknowledged, new_store, opened, whole, worker

ITERATIONS = int(os.environ.get("FACEGATE_CRASH_ITERATIONS", "200"))
"""Kills on SQLite; on PostgreSQL a third as many (each worker starts slower there)."""


def test_kill_9_never_loses_or_half_applies_anything(tmp_path: Path, path: Path) -> None:
    store, key = new_store(tmp_path, path)
    rng = random.Random(20261124)
    enrolled: set[str] = set()
    withdrawn: set[str] = set()
    problems: dict[str, int] = {}
    in_flight: set[str] = set()
    iterations = ITERATIONS if isinstance(store, Path) else max(1, ITERATIONS // 3)
    for iteration in range(iterations):
        process = worker(store, key, f"i{iteration}", 1, 0)
        head = opened(process)
        time.sleep(rng.random() * 0.35)  # kill mid-operation
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=60)
        out = head + out
        assert "error" not in out, out[-1000:]
        acks = acknowledged(out)
        enrolled |= set(acks.get("enroll", []))
        withdrawn |= set(acks.get("withdraw", []))
        # The call in flight at the kill may have committed without its acknowledgement: a
        # withdrawal then, legitimately, leaves an acknowledged enrollment absent.
        last = out.split()[-1] if out.split() else ""
        if "-" in last and int(last.rsplit("-", 1)[1]) % 3 == 2:
            in_flight.add(last)
        if iteration % 20 == 19 or iteration == iterations - 1:
            state = whole(store, key)
            held = state["held"]
            assert isinstance(held, set)
            counts = {
                "integrity not ok": int(state["integrity"] != "ok"),
                "acknowledged enrollment missing": len(enrolled - withdrawn - in_flight - held),
                "acknowledged withdrawal still held": len(withdrawn & held),
                "template without key": int(str(state["templates_without_key"])),
                "template without consent": int(str(state["templates_without_consent"])),
                "key without template": int(str(state["keys_without_templates"])),
                "audit chain broken": int(not state["audit_ok"]),
            }
            for name, count in counts.items():
                problems[name] = problems.get(name, 0) + count
    print(
        f"\nkill -9 x {iterations}: {len(enrolled)} acknowledged enrollments, "
        f"{len(withdrawn)} withdrawals; problems: {problems}"
    )
    assert enrolled, "the worker never got to enroll: the kills came too early"
    assert all(count == 0 for count in problems.values()), problems


def test_withdrawal_is_idempotent(tmp_path: Path, path: Path) -> None:
    from facegate.gate import FaceGate
    from facegate.keys import MasterKey
    from tests.reliability.worker import face
    from tests.requirements.gate import CONSENT, FakeEncoder

    store, key = new_store(tmp_path, path)
    gate = FaceGate.open(store, MasterKey.from_file(key), encoder=FakeEncoder())
    gate.grant_consent("lobby", "g", CONSENT)
    gate.enroll("lobby", "g", face("g"), "hotel_check_in")
    first = gate.withdraw("lobby", "g")
    again = gate.withdraw("lobby", "g")
    assert (first.templates_removed, first.key_destroyed) == (1, True)
    assert (again.templates_removed, again.key_destroyed) == (0, True)  # nothing left to destroy
    assert peek.count(store, "SELECT COUNT(*) FROM data_keys") == 0
