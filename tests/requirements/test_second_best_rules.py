"""The second-best test in identification (R5, R4; issue 17): the nearest person is named only
when they are clearly nearer than the next eligible person; a person alone is judged on the
distance; the distance rule stays as ratio 1; the trail records the ratio."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from facegate import FaceGate, MasterKey
from facegate.errors import InvalidArgument
from tests.requirements.deployments import lobby
from tests.requirements.gate import (
    IDENTIFY,
    audit_entries,
    consent_to,
    open_gate,
)

PURPOSE = "hotel_check_in"
RNG = np.random.default_rng(17)
PROBE = RNG.normal(0, 0.05, 128).astype(np.float32)
AXES = np.linalg.qr(RNG.normal(size=(128, 128)))[0].astype(np.float32)


def _at(distance: float, axis: int) -> npt.NDArray[np.float32]:
    """An encoding ``distance`` from :data:`PROBE`, along its own direction (so that two of them
    lie at the given distances from the probe, whatever their distance from each other)."""
    return (PROBE + distance * AXES[axis]).astype(np.float32)


def _enroll(gate: FaceGate, people: dict[str, npt.NDArray[np.float32]]) -> None:
    grant = consent_to(gate.deployment("lobby"))
    gate.grant_consents("lobby", [(name, grant) for name in people])
    gate.enroll_encodings("lobby", list(people.items()), PURPOSE)


@pytest.fixture
def master() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def gate(path: Path, master: MasterKey) -> Iterator[FaceGate]:
    gate = open_gate(path, master)
    yield gate
    gate.close()


def _distances(gate: FaceGate) -> tuple[float, float, float]:
    """A nearest distance well within the threshold, and second-nearest distances that fail
    and pass the ratio of the gallery of two (the operating point it will run at)."""
    point = gate.deployment("lobby").operating_point(2)
    assert point.second_best, point.describe()
    nearest = point.threshold / 2
    return nearest, nearest / ((point.ratio + 1) / 2), nearest / (point.ratio * 0.9)


def test_r05_a_probe_between_two_people_names_neither(gate: FaceGate) -> None:
    nearest, ambiguous, _ = _distances(gate)
    _enroll(gate, {"alice": _at(nearest, 0), "bob": _at(ambiguous, 1)})
    decision = gate.identify("lobby", PROBE, PURPOSE)
    assert decision.match is False and decision.subject is None
    assert decision.ratio == gate.operating_point("lobby").ratio < 1


def test_r05_a_clearly_nearest_person_is_named(gate: FaceGate) -> None:
    nearest, _, clear = _distances(gate)
    _enroll(gate, {"alice": _at(nearest, 0), "bob": _at(clear, 1)})
    assert gate.identify("lobby", PROBE, PURPOSE).subject == "alice"


def test_r05_the_distance_rule_is_ratio_one(path: Path, master: MasterKey) -> None:
    # Ratio 1 is the rule before the second-best test: the same two people, and the nearest is
    # named however close the second.
    gate = open_gate(path, master, ratio=1.0)
    point = gate.deployment("lobby").operating_point(2)
    assert point.ratio == 1.0 and not point.second_best
    nearest = point.threshold / 2
    _enroll(gate, {"alice": _at(nearest, 0), "bob": _at(nearest * 1.01, 1)})
    decision = gate.identify("lobby", PROBE, PURPOSE)
    assert decision.subject == "alice" and decision.ratio == 1.0
    gate.close()


def test_r05_a_person_alone_is_judged_on_the_distance(gate: FaceGate) -> None:
    point = gate.deployment("lobby").operating_point(1)
    _enroll(gate, {"alice": _at(point.threshold * 0.95, 0)})
    assert gate.identify("lobby", PROBE, PURPOSE).subject == "alice"
    beyond = _at(-0.3 * point.threshold, 0)  # 1.25 thresholds from her
    assert gate.identify("lobby", beyond, PURPOSE).match is False


def test_r14_the_second_nearest_is_an_eligible_person(gate: FaceGate) -> None:
    # Bob is nearly as close but has withdrawn: he is not in the search, so nobody competes
    # with Alice and she is named.
    nearest, ambiguous, _ = _distances(gate)
    _enroll(gate, {"alice": _at(nearest, 0), "bob": _at(ambiguous, 1)})
    assert gate.identify("lobby", PROBE, PURPOSE).match is False
    gate.withdraw("lobby", "bob")
    assert gate.identify("lobby", PROBE, PURPOSE).subject == "alice"


def test_r20_the_trail_records_the_ratio(gate: FaceGate) -> None:
    nearest, _, clear = _distances(gate)
    _enroll(gate, {"alice": _at(nearest, 0), "bob": _at(clear, 1)})
    decision = gate.identify("lobby", PROBE, PURPOSE)
    entry = audit_entries(gate)[-1]
    assert entry["action"] == "identify" and entry["outcome"] == "match"
    assert entry["threshold"] == decision.threshold and entry["ratio"] == decision.ratio < 1
    assert all("ratio" not in e for e in audit_entries(gate) if e["action"] == "grant_consent")
    assert gate.verify_audit().ok


def test_r05_an_explicit_ratio_is_checked() -> None:
    with pytest.raises(InvalidArgument, match="ratio lies in"):
        lobby(**IDENTIFY, ratio=0.3)
    with pytest.raises(InvalidArgument, match="1:N identification only"):
        lobby(ratio=0.8)
    with pytest.raises(InvalidArgument, match="ratio is a number"):
        lobby(**IDENTIFY, ratio="0.8")
    explicit = lobby(**IDENTIFY, threshold=0.45)
    assert explicit.operating_point(100).ratio == 1.0  # an explicit threshold keeps its rule
    both = lobby(**IDENTIFY, threshold=0.45, ratio=0.8).operating_point(100)
    assert (both.threshold, both.ratio) == (0.45, 0.8)
