"""Attempt limits and score leakage: what a hill-climbing attacker gets from raw scores and
from the public API."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import numpy as np
import pytest

import facegate.gate.attempts
import facegate.gate.decisions
from facegate.errors import AttemptsExceeded, CapabilityRequired
from facegate.gate import Capability, FaceGate
from facegate.keys import MasterKey
from facegate.matching import distance
from tests import peek
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, open_gate

PURPOSE = "hotel_check_in"
BUDGET = 10_000


@pytest.fixture
def gate(path: Path) -> FaceGate:
    gate = open_gate(path, MasterKey.generate())
    gate.grant_consent("lobby", "victim", CONSENT)
    gate.enroll("lobby", "victim", face("victim"), PURPOSE)
    return gate


def stranger(i: int) -> np.ndarray:
    return face(f"stranger-{i}")


def test_five_failures_lock_and_fifty_switch_off(
    gate: FaceGate, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = gate.handle(Capability.MATCH)
    for i in range(facegate.gate.attempts.LOCK_AFTER):
        assert device.verify("lobby", "victim", stranger(i), PURPOSE).match is False
    with pytest.raises(AttemptsExceeded, match="try again in") as locked:
        device.verify("lobby", "victim", face("victim"), PURPOSE)  # even the right face waits
    assert "Check in at the desk" in str(locked.value) and locked.value.rule == "R19"
    ((outcome, action),) = peek.rows(
        path, "SELECT outcome, action FROM audit ORDER BY seq DESC LIMIT 1"
    )
    assert (outcome, action) == ("refused", "verify")

    # The delay passes (a clock two hours on: the counters in the store are sealed, so time,
    # not an edit, must lift the lock).
    class Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Later:  # type: ignore[override]
            return cls.fromtimestamp(datetime.now(tz).timestamp() + 7200, tz)

    monkeypatch.setattr(facegate.gate.decisions, "datetime", Later)
    monkeypatch.setattr(facegate.gate.attempts, "FIRST_DELAY", timedelta(0))  # skip later waits
    monkeypatch.setattr(facegate.gate.attempts, "MAX_DELAY", timedelta(0))
    assert device.verify("lobby", "victim", face("victim"), PURPOSE).match is True  # resets
    for i in range(facegate.gate.attempts.DISABLE_AFTER):
        device.verify("lobby", "victim", stranger(i), PURPOSE)
    with pytest.raises(AttemptsExceeded, match="administrator must re-enable"):
        device.verify("lobby", "victim", face("victim"), PURPOSE)
    with pytest.raises(CapabilityRequired):
        device.reenable_verification("lobby", "victim")
    gate.reenable_verification("lobby", "victim")
    assert device.verify("lobby", "victim", face("victim"), PURPOSE).match is True


def test_scores_only_for_administrators(gate: FaceGate) -> None:
    assert gate.score("lobby", "victim", face("victim")) < 1e-5
    assert gate.score("lobby", "victim", stranger(0)) > 0.6
    assert gate.score("lobby", "nobody", stranger(0)) == float("inf")
    with pytest.raises(CapabilityRequired):
        gate.handle(Capability.MATCH).score("lobby", "victim", face("victim"))
    decision = gate.verify("lobby", "victim", face("victim"), PURPOSE)
    assert set(type(decision).__slots__) & {"distance", "score"} == set()


def climb(oracle: object, budget: int, seed: int = 0) -> tuple[bool, int]:
    """Random-restart-free hill climbing over encodings with step control: keeps a change when
    the oracle says it is better. ``oracle(x)`` returns a float (lower is better) or a bool."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(128).astype(np.float32)
    x /= np.linalg.norm(x)
    best, step = oracle(x), 0.3  # type: ignore[operator]
    for used in range(1, budget):
        if best is True:
            return True, used
        candidate = x + step * rng.standard_normal(128).astype(np.float32) / np.sqrt(128)
        value = oracle(candidate)  # type: ignore[operator]
        if value is True or (not isinstance(value, bool) and value < best):
            x, best = candidate, value
            step *= 1.1
        else:
            step = max(step * 0.98, 1e-3)
        if not isinstance(best, bool) and best <= 0.6:
            return True, used
    return False, budget


# About the API's scores and limits, not the store: once (10,000 calls) is enough.
@pytest.mark.sqlite_only
def test_a_hill_climber_wins_with_raw_scores_and_never_through_the_api(gate: FaceGate) -> None:
    target = face("victim")
    raw_won, raw_used = climb(lambda x: distance(x, target), BUDGET)
    device = gate.handle(Capability.MATCH)

    def public(x: np.ndarray) -> bool:
        try:
            return bool(device.verify("lobby", "victim", x, PURPOSE).match)
        except AttemptsExceeded:
            return False  # locked: the attacker learns nothing more

    api_won, _ = climb(public, BUDGET)
    print(
        f"\nhill climbing, {BUDGET:,} queries: raw scores {'won' if raw_won else 'lost'} "
        f"after {raw_used:,}; public API {'won' if api_won else 'lost'}"
    )
    assert raw_won  # the baseline: a continuous score leaks enough to reach acceptance
    assert not api_won  # match / no match, locked after 5 failures: nothing to climb
