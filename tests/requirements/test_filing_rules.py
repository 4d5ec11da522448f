"""R27 (the filing threshold and its deadline) and R28 (the dossier, change deadlines)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import facegate.api
import facegate.errors
from facegate.api import FaceGate
from facegate.filing import (
    FilingState,
    check_filing,
    filing_dossier,
    filing_status,
    record_change,
    render_dossier_markdown,
)
from facegate.keys import MasterKey
from facegate.synthetic import synthetic_faces
from facegate.workdays import add_working_days
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, CONSENT, open_gate

PURPOSE = "hotel_check_in"
FACES = synthetic_faces(12, 0, seed=4).centres


def enrol(gate: FaceGate, deployment: str, people: range) -> None:
    names = [f"p{i}" for i in people]
    gate.grant_consents(deployment, [(name, CONSENT) for name in names])
    gate.enroll_encodings(deployment, [(f"p{i}", FACES[i]) for i in people], PURPOSE)


@pytest.fixture
def gate(tmp_path: Path) -> FaceGate:
    gate = open_gate(tmp_path / "s.db", MasterKey.generate())
    gate.register_deployment("hotel", lobby(name="spa"))
    gate.record_assessment("spa", ASSESSMENT)
    gate.activate("spa")
    return gate


def test_r27_individuals_are_counted_once_across_deployments(gate: FaceGate) -> None:
    enrol(gate, "lobby", range(4))
    enrol(gate, "spa", range(2, 6))  # p2 and p3 are in both
    assert filing_status(gate._store, "hotel").individuals == 6
    gate.erase("p2")
    gate.withdraw("spa", "p3")
    assert filing_status(gate._store, "hotel").individuals == 5  # p3 is still in the lobby


def test_r27_warning_then_requirement_with_a_30_working_day_deadline(gate: FaceGate) -> None:
    store, when = gate._store, datetime(2025, 9, 30, 4, tzinfo=UTC)  # noon in Beijing
    enrol(gate, "lobby", range(4))
    assert check_filing(store, "hotel", threshold=10, margin=0.5, now=when) is None
    enrol(gate, "lobby", range(4, 6))
    warning = check_filing(store, "hotel", threshold=10, margin=0.5, now=when)
    assert warning is not None and warning.kind == "warning" and warning.deadline is None
    assert check_filing(store, "hotel", threshold=10, margin=0.5, now=when) is None  # once
    enrol(gate, "spa", range(6, 10))
    required = check_filing(store, "hotel", threshold=10, margin=0.5, now=when)
    assert required is not None and required.kind == "required" and required.individuals == 10
    assert required.deadline == "2025-11-18" and not required.provisional  # see test_workdays
    assert check_filing(store, "hotel", threshold=10, margin=0.5, now=when) is None
    status = filing_status(store, "hotel", threshold=10, margin=0.5)
    assert status.state is FilingState.REQUIRED
    assert status.deadline is not None and status.deadline.due == date(2025, 11, 18)
    assert [e.kind for e in status.events] == ["warning", "required"]


def test_r27_enrolment_raises_the_event_itself(
    gate: FaceGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facegate.api, "FILING_THRESHOLD", 5)
    enrol(gate, "lobby", range(3))
    assert filing_status(gate._store, "hotel").events == ()
    enrol(gate, "lobby", range(3, 5))
    (event,) = filing_status(gate._store, "hotel").events
    assert event.kind == "required" and event.individuals == 5
    expected = add_working_days(datetime.now(UTC).date(), 30)
    assert abs((date.fromisoformat(str(event.deadline)) - expected.due).days) <= 3
    assert event.provisional == expected.provisional


def test_r28_the_dossier_has_the_five_materials(gate: FaceGate) -> None:
    enrol(gate, "lobby", range(3))
    dossier = filing_dossier(gate._store, "hotel")
    assert dossier["operator"] == {
        "id": "hotel",
        "name": "Example Hotel",
        "contact": "dpo@example.com",
    }
    methods = {d["deployment"]: d for d in dossier["purposes_and_methods"]}
    assert set(methods) == {"lobby", "spa"} and methods["lobby"]["purposes"] == [PURPOSE]
    assert dossier["stored_count_and_security"]["individuals"] == 3
    assert "AES-256-GCM-SIV" in dossier["stored_count_and_security"]["encryption"]
    rules = {r["deployment"]: r for r in dossier["processing_rules"]}
    assert rules["lobby"]["retention_days"] == 30 and rules["lobby"]["alternatives"]
    assert dossier["assessment"]["lobby"]["signed_off_by"] == "DPO"
    text = render_dossier_markdown(dossier)
    for heading in ("1. Operator", "2. Purposes", "3. Stored count", "4. Processing", "5. Impact"):
        assert f"## {heading}" in text


def test_r28_changes_and_decommissioning_get_their_own_deadlines(gate: FaceGate) -> None:
    when = datetime(2025, 1, 24, 4, tzinfo=UTC)
    change = record_change(gate._store, "hotel", "change", "spa added", now=when)
    assert change.deadline == add_working_days(date(2025, 1, 24), 30).due.isoformat()
    late = datetime(2026, 12, 1, 4, tzinfo=UTC)
    gone = record_change(gate._store, "hotel", "decommission", "kiosks removed", now=late)
    assert gone.provisional and gone.deadline is not None and gone.deadline > "2027-01-01"
    with pytest.raises(facegate.errors.InvalidArgument):
        record_change(gate._store, "hotel", "change", " ", now=when)
    with pytest.raises(facegate.errors.UnknownId):
        filing_status(gate._store, "nobody")
