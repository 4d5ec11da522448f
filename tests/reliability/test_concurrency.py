"""Several processes and threads on one store: no lock error reaches a caller, the final state
equals the sequential model, the audit trail has no gaps or forks, and each process sees the
others' changes."""

from __future__ import annotations

from pathlib import Path

from facegate.gate import FaceGate
from facegate.keys import MasterKey
from tests.reliability.common import acknowledged, new_store, whole, worker
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, FakeEncoder

PROCESSES, THREADS, ROUNDS = 3, 2, 9


def test_processes_and_threads_on_one_store(tmp_path: Path, path: Path) -> None:
    store, key = new_store(tmp_path, path)
    before = int(str(whole(store, key)["calls_audited"]))
    running = [worker(store, key, f"w{i}", THREADS, ROUNDS) for i in range(PROCESSES)]
    outputs = [p.communicate(timeout=600) for p in running]
    for process, (out, err) in zip(running, outputs, strict=True):
        assert process.returncode == 0, (out[-2000:], err[-2000:])
        assert "locked" not in out + err
    acks = acknowledged("".join(out for out, _ in outputs))
    people = PROCESSES * THREADS * ROUNDS
    assert len(acks["grant"]) == len(acks["enroll"]) == len(acks["verify"]) == people
    assert "verify-miss" not in acks
    model = set(acks["enroll"]) - set(acks["withdraw"])  # the sequential outcome
    state = whole(store, key)
    assert state["held"] == model
    assert state["integrity"] == "ok" and state["audit_ok"] is True
    for problem in ("templates_without_key", "templates_without_consent", "keys_without_templates"):
        assert state[problem] == 0, problem
    calls = sum(len(subjects) for subjects in acks.values())
    assert state["calls_audited"] == before + calls  # one entry per call: no gaps, no forks


def test_a_device_sees_enrollments_made_elsewhere(tmp_path: Path, path: Path) -> None:
    store, key = new_store(tmp_path, path)
    master = MasterKey.from_file(key)
    desk = FaceGate.open(store, master, encoder=FakeEncoder())
    kiosk = FaceGate.open(store, master, encoder=FakeEncoder())  # another connection
    assert kiosk.identify("lobby", face("guest"), "hotel_check_in").subject is None
    desk.grant_consent("lobby", "guest", CONSENT)
    desk.enroll("lobby", "guest", face("guest"), "hotel_check_in")
    assert kiosk.identify("lobby", face("guest"), "hotel_check_in").subject == "guest"
    desk.withdraw("lobby", "guest")
    assert kiosk.identify("lobby", face("guest"), "hotel_check_in").subject is None
