"""Faces are encoded before the call's transaction, once the call is admitted
(facegate.gate.prepared): a slow photograph holds up no other call, and a call that would be
refused never has its face processed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import facegate.gate.attempts
from facegate import Capability, FaceGate, MasterKey
from facegate.errors import AttemptsExceeded, CapabilityRequired, ConsentRequired, NoFace
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, FakeEncoder, audit_entries, open_gate

PURPOSE = "hotel_check_in"


class SlowEncoder(FakeEncoder):
    """The fake encoder taking ``delay`` seconds per photograph, counting them."""

    def __init__(self, delay: float) -> None:
        self.delay, self.calls = delay, 0

    def encode(self, image: Any) -> npt.NDArray[np.float32]:
        self.calls += 1
        time.sleep(self.delay)
        return super().encode(image)


def _opened(path: Path | str, master: MasterKey, encoder: SlowEncoder) -> FaceGate:
    open_gate(path, master).close()
    return FaceGate.open(path, master, encoder=encoder)


def test_a_slow_photograph_holds_up_no_other_call(path: Path | str, master: MasterKey) -> None:
    gate = _opened(path, master, SlowEncoder(1.0))
    gate.grant_consent("lobby", "slow", CONSENT)
    done: dict[str, float] = {}

    def enroll() -> None:
        gate.enroll("lobby", "slow", face("slow"), PURPOSE)
        done["enroll"] = time.monotonic()

    started = threading.Thread(target=enroll)
    started.start()
    time.sleep(0.3)  # the photograph is being encoded
    gate.grant_consent("lobby", "quick", CONSENT)
    done["consent"] = time.monotonic()
    started.join()
    assert done["consent"] < done["enroll"] - 0.3  # it did not wait for the encoding
    assert gate.verify("lobby", "slow", face("slow"), PURPOSE).match is True


def test_a_call_that_would_be_refused_never_processes_the_face(
    path: Path | str, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = SlowEncoder(0.0)
    gate = _opened(path, master, encoder)
    gate.grant_consent("lobby", "guest", CONSENT)
    gate.enroll("lobby", "guest", face("guest"), PURPOSE)
    encoder.calls = 0
    with pytest.raises(ConsentRequired):
        gate.verify("lobby", "stranger", face("stranger"), PURPOSE)
    with pytest.raises(CapabilityRequired):
        gate.handle(Capability.ENROLL).verify("lobby", "guest", face("guest"), PURPOSE)
    with pytest.raises(CapabilityRequired):  # bound to another deployment
        gate.handle(Capability.MATCH, deployments=["elsewhere"]).identify(
            "lobby", face("guest"), PURPOSE
        )
    monkeypatch.setattr(facegate.gate.attempts, "LOCK_AFTER", 1)
    assert gate.verify("lobby", "guest", face("other"), PURPOSE).match is False
    calls = encoder.calls
    with pytest.raises(AttemptsExceeded):
        gate.verify("lobby", "guest", face("guest"), PURPOSE)
    assert encoder.calls == calls == 1  # only the one admitted attempt was encoded


def test_a_quality_error_found_ahead_is_refused_and_audited_as_before(
    path: Path | str, master: MasterKey
) -> None:
    gate = _opened(path, master, SlowEncoder(0.0))
    gate.grant_consent("lobby", "guest", CONSENT)
    with pytest.raises(NoFace):
        gate.enroll("lobby", "guest", np.zeros((0, 128), np.float32), PURPOSE)
    with pytest.raises(NoFace):  # one bad photograph of several fails the call
        gate.enroll("lobby", "guest", [face("guest"), np.zeros((0, 128), np.float32)], PURPOSE)
    assert gate.export_subject("guest").templates == ()
    refused = [e for e in audit_entries(gate) if e["action"] == "enroll"]
    assert [(e["outcome"], e["rule"]) for e in refused] == [("refused", "NoFace")] * 2
