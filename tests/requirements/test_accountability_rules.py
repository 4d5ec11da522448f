"""R11 (the alternative recorded), R20-R22: the audit trail, its retention and incidents."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from facegate import Capability, FaceGate, MasterKey
from facegate.compliance.incidents import IncidentKind
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import AssessmentRequired, InvalidArgument, TamperedData, WrongKey
from tests import peek
from tests.requirements.gate import (
    ASSESSMENT,
    CONSENT,
    FakeEncoder,
    audit_entries,
    open_gate,
    subject_ref,
)

PURPOSE = "hotel_check_in"
DESK = "Check in at the desk with an identity document"


def enrolled(path: Path, master: MasterKey, n: int = 3) -> FaceGate:
    gate = open_gate(path, master)
    faces = synthetic_faces(n, 0, seed=2).centres
    for i in range(n):
        gate.grant_consent("lobby", f"g{i}", CONSENT)
        gate.enroll("lobby", f"g{i}", faces[i], PURPOSE)
    return gate


def test_r11_declining_is_recorded_with_the_service_path(tmp_path: Path, master: MasterKey) -> None:
    gate = open_gate(tmp_path / "s.db", master)
    device = gate.handle(Capability.MATCH)
    decision = device.decline("lobby", DESK, "walk-in")
    assert decision.allowed and decision.rule == "R11" and decision.detail == DESK
    last = audit_entries(gate)[-1]  # the export's own entry comes after it
    assert (last["action"], last["outcome"], last["detail"]) == ("decline", "ok", DESK)
    assert last["subject_ref"] == subject_ref(master, "walk-in")
    with pytest.raises(InvalidArgument, match="not an alternative"):
        device.decline("lobby", "pay a fee")


def test_r20_the_trail_is_verified_and_names_no_one(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "s.db"
    gate = enrolled(path, master)
    result = gate.verify_audit()
    # its own entry comes after
    assert result.ok and result.entries == peek.count(path, "SELECT COUNT(*) FROM audit") - 1
    rows = peek.rows(path, "SELECT * FROM audit")
    assert not any(str(v) == "g1" for row in rows for v in row)


def test_r21_audit_entries_and_assessments_cannot_be_deleted(
    tmp_path: Path, master: MasterKey
) -> None:
    path = tmp_path / "s.db"
    gate = enrolled(path, master)
    entries = peek.count(path, "SELECT COUNT(*) FROM audit")
    gate.erase("g1")  # erasing a person keeps the (pseudonymous) record of what was done
    assert peek.count(path, "SELECT COUNT(*) FROM audit") == entries + 1
    for sql in ("DELETE FROM audit", "DELETE FROM assessments"):
        with pytest.raises(sqlite3.DatabaseError, match="three years"):
            peek.execute(path, sql)
    assert peek.count(path, "SELECT COUNT(*) FROM audit") == entries + 1
    assert peek.count(path, "SELECT COUNT(*) FROM assessments") == 1


def test_r22_a_failed_tag_is_an_incident_and_needs_a_new_assessment(
    tmp_path: Path, master: MasterKey
) -> None:
    path = tmp_path / "s.db"
    enrolled(path, master).close()  # the last connection's close leaves everything in the file
    ((sealed,),) = peek.rows(path, "SELECT sealed FROM templates WHERE id = 2")
    clean = path.read_bytes()
    at = clean.index(sealed) + 40  # one bit of the template, flipped in the file: bit rot
    path.write_bytes(clean[:at] + bytes([clean[at] ^ 1]) + clean[at + 1 :])
    with pytest.raises(TamperedData):
        FaceGate.open(path, master, encoder=FakeEncoder())
    ((active,),) = peek.rows(path, "SELECT active FROM deployments WHERE id = 'lobby'")
    assert active == 0
    damaged = path.read_bytes()  # the incident is in it now, and the bit still flipped
    path.write_bytes(damaged[:at] + bytes([damaged[at] ^ 1]) + damaged[at + 1 :])  # repaired
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    (incident,) = gate.incidents()
    assert incident.kind is IncidentKind.TEMPLATE_TAG and incident.deployment == "lobby"
    assert incident.affected == 3
    for text in (incident.data_categories, incident.possible_harm, incident.measures_taken):
        assert len(text) > 40
    assert "alternative" in incident.individual_measures
    with pytest.raises(AssessmentRequired, match="after the integrity incident"):
        gate.activate("lobby")
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    assert gate.identify("lobby", synthetic_faces(3, 0, seed=2).centres[1], PURPOSE).match


def test_r22_a_wrong_master_key_is_refused_and_recorded_once(
    tmp_path: Path, master: MasterKey
) -> None:
    enrolled(tmp_path / "s.db", master).close()
    intruders = [MasterKey.generate() for _ in range(3)]
    for key in [*intruders, intruders[0]]:  # four refused opens, three keys
        with pytest.raises(WrongKey, match="does not authenticate under master key"):
            FaceGate.open(tmp_path / "s.db", key, encoder=FakeEncoder())
    assert peek.count(tmp_path / "s.db", "SELECT COUNT(*) FROM incidents") == 0  # unwritten
    gate = FaceGate.open(tmp_path / "s.db", master, encoder=FakeEncoder())
    (incident,) = gate.incidents()  # one incident, however many attempts
    assert incident.kind is IncidentKind.WRONG_KEY
    assert "4 attempt(s)" in incident.description
    assert all(key.id in incident.description for key in intruders)
    gate.close()
    assert len(FaceGate.open(tmp_path / "s.db", master, encoder=FakeEncoder()).incidents()) == 1


def test_r22_a_broken_audit_chain_is_an_incident(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "s.db"
    enrolled(path, master).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER audit_append_only")
        db.execute("UPDATE audit SET outcome = 'refused' WHERE seq = 7")
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    entries = peek.count(path, "SELECT COUNT(*) FROM audit")
    result = gate.verify_audit()
    assert not result.ok and result.first_bad == 7
    (incident,) = gate.incidents()
    assert incident.kind is IncidentKind.AUDIT_CHAIN and incident.deployment is None
    assert "entry 7" in incident.description
    assert not gate.deployment_status("lobby").active
    assert incident.affected == entries - 6  # entries 7 .. n can no longer be trusted
