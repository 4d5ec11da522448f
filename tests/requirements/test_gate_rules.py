"""The gate on every call: R2, R3, R4, R7, R8, R9, R10, R11, R13, R14, R19, R20, R25, R26
(R29 in test_inference_rules.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import time_machine

import facegate.gate.decisions
from facegate import Capability, Deployment, FaceGate, Guardian, MasterKey, Mode
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import (
    AssessmentRequired,
    CapabilityRequired,
    ConsentNotSeparate,
    ConsentRequired,
    GuardianConsentRequired,
    IdentificationNotEnabled,
    InactiveDeployment,
    InvalidArgument,
    MultipleFacesRefused,
    ProhibitedPlace,
    UndeclaredPurpose,
)
from facegate.gate import TemplateRecord
from tests import peek
from tests.requirements.deployments import lobby, notice
from tests.requirements.gate import (
    ASSESSMENT,
    CONSENT,
    IDENTIFY,
    VERIFY_CONSENT,
    consent_to,
    open_gate,
)

FACES = synthetic_faces(20, 20, seed=4)
PURPOSE = "hotel_check_in"


@pytest.fixture
def gate(path: Path, master: MasterKey) -> Iterator[FaceGate]:
    gate = open_gate(path, master)
    for i in range(5):
        gate.grant_consent("lobby", f"guest-{i}", CONSENT)
        gate.enroll("lobby", f"guest-{i}", FACES.centres[i], PURPOSE)
    yield gate
    gate.close()


def probe_of(i: int) -> np.ndarray:
    return FACES.centres[i] + 0.02


def test_r02_purpose_must_be_declared_and_consented(gate: FaceGate) -> None:
    with pytest.raises(UndeclaredPurpose) as caught:
        gate.verify("lobby", "guest-1", probe_of(1), "payment")
    assert caught.value.rule == "R2"


def test_r03_identification_only_where_enabled(tmp_path: Path, master: MasterKey) -> None:
    gate = open_gate(tmp_path / "verify-only.db", master, identify=False)
    with pytest.raises(IdentificationNotEnabled):
        gate.identify("lobby", probe_of(0), PURPOSE)


def test_r04_identify_returns_only_the_best_match_coarsely(gate: FaceGate) -> None:
    decision = gate.identify("lobby", probe_of(3), PURPOSE)
    assert decision.allowed and decision.match and decision.subject == "guest-3"
    assert not hasattr(decision, "distance") and not hasattr(decision, "candidates")
    stranger = gate.identify("lobby", FACES.centres[15], PURPOSE)
    assert stranger.match is False and stranger.subject is None


def test_r08_no_enrollment_or_match_without_consent(gate: FaceGate) -> None:
    with pytest.raises(ConsentRequired, match="no valid consent"):
        gate.enroll("lobby", "walk-in", FACES.centres[9], PURPOSE)
    with pytest.raises(ConsentRequired):
        gate.verify("lobby", "walk-in", FACES.centres[9], PURPOSE)


@pytest.mark.sqlite_only
def test_r10_r13_withdrawal_destroys_and_unmatches_at_once(
    gate: FaceGate, path: Path, tmp_path: Path
) -> None:
    sealed = peek.rows(path, "SELECT sealed FROM templates WHERE subject_id = 'guest-2'")[0][0]
    before = b"".join(p.read_bytes() for p in tmp_path.glob("hotel.db*"))
    assert bytes(sealed)[22:60] in before  # the scan can see the bytes while they exist
    receipt = gate.withdraw("lobby", "guest-2")
    assert receipt.templates_removed == 1 and receipt.key_destroyed
    assert gate.identify("lobby", probe_of(2), PURPOSE).subject != "guest-2"
    with pytest.raises(ConsentRequired):
        gate.verify("lobby", "guest-2", probe_of(2), PURPOSE)
    assert peek.count(path, "SELECT COUNT(*) FROM data_keys WHERE subject_id = 'guest-2'") == 0
    assert peek.count(path, "SELECT COUNT(*) FROM templates WHERE subject_id = 'guest-2'") == 0
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("hotel.db*"))
    assert bytes(sealed)[22:60] not in raw  # no ciphertext bytes remain in any file


def test_r11_every_decision_lists_the_alternatives(gate: FaceGate) -> None:
    decision = gate.verify("lobby", "guest-1", probe_of(1), PURPOSE)
    assert decision.match is True
    assert decision.alternatives == tuple(a.description for a in lobby().alternatives)
    # R5: the threshold used is recorded: the deployment's operating point at this size.
    assert decision.threshold == gate.operating_point("lobby").threshold < 0.6


def test_r19_a_matching_handle_cannot_enroll_or_erase(gate: FaceGate) -> None:
    device = gate.handle(Capability.MATCH)
    assert device.verify("lobby", "guest-0", probe_of(0), PURPOSE).match is True
    with pytest.raises(CapabilityRequired) as caught:
        device.enroll("lobby", "guest-0", FACES.centres[0], PURPOSE)
    assert caught.value.rule == "R19"
    with pytest.raises(CapabilityRequired):
        device.erase("guest-0")


def test_r20_every_call_is_audited_without_raw_ids(gate: FaceGate, path: Path) -> None:
    with pytest.raises(ConsentRequired):
        gate.enroll("lobby", "walk-in", FACES.centres[9], PURPOSE)
    rows = peek.rows(path, "SELECT action, outcome, rule, subject_ref FROM audit")
    assert ("enroll", "refused", "R8") in [r[:3] for r in rows]
    assert sum(1 for r in rows if r[0] == "enroll" and r[1] == "ok") == 5
    assert all("guest" not in str(r[3]) and "walk-in" not in str(r[3]) for r in rows)


def test_r25_several_faces_are_refused_for_identification(gate: FaceGate) -> None:
    with pytest.raises(MultipleFacesRefused) as caught:
        gate.identify("lobby", np.stack([probe_of(0), probe_of(1)]), PURPOSE)
    assert caught.value.rule == "R25"


def test_r26_nothing_runs_on_an_inactive_deployment(tmp_path: Path, master: MasterKey) -> None:
    gate = FaceGate.open(tmp_path / "new.db", master)
    gate.register_operator("hotel", name="Hotel", contact="dpo@example.com")
    gate.register_deployment("hotel", lobby())
    with pytest.raises(InactiveDeployment):
        gate.enroll("lobby", "guest", FACES.centres[0], PURPOSE)


def test_reopening_rebuilds_the_galleries_from_sealed_templates(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    gate.erase("guest-4")
    gate.close()
    from tests.requirements.gate import FakeEncoder

    again = FaceGate.open(path, master, encoder=FakeEncoder())
    for i in range(4):
        assert again.identify("lobby", probe_of(i), PURPOSE).subject == f"guest-{i}"
    assert again.identify("lobby", probe_of(4), PURPOSE).subject is None
    status = again.deployment_status("lobby")
    # The gallery in memory (its 1:N size) holds the four stored templates.
    assert status.templates == status.operating_point.gallery_size == 4


def test_r14_expired_templates_never_match_and_are_purged(gate: FaceGate, path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(days=31)  # the notice keeps data 30 days
    assert gate.purge_expired(now=datetime.now(UTC)) == 0
    with time_machine.travel(later):  # a purge acts on what has expired by now, never later
        assert gate.purge_expired() == 5
    assert peek.count(path, "SELECT COUNT(*) FROM templates") == 0
    assert peek.count(path, "SELECT COUNT(*) FROM data_keys") == 0
    assert gate.identify("lobby", probe_of(0), PURPOSE).subject is None


def test_r30_bulk_enrollment_is_all_or_nothing(gate: FaceGate) -> None:
    gate.grant_consent("lobby", "group-a", CONSENT)
    people = [("group-a", FACES.centres[10]), ("group-b", FACES.centres[11])]
    with pytest.raises(ConsentRequired, match="1 of 2 subjects"):
        gate.enroll_many("lobby", people, PURPOSE)
    assert gate.identify("lobby", FACES.centres[10], PURPOSE).subject is None
    gate.grant_consent("lobby", "group-b", CONSENT)
    gate.enroll_many("lobby", people, PURPOSE)
    assert gate.identify("lobby", FACES.centres[11] + 0.01, PURPOSE).subject == "group-b"


def test_export_subject_tells_what_is_held_but_never_the_template(gate: FaceGate) -> None:
    held = gate.export_subject("guest-1")
    assert held.subject == "guest-1" and held.data_key_held is True
    assert [c.kind for c in held.consents] == ["granted"]
    assert held.consents[0].purposes == (PURPOSE,)
    (template,) = held.templates
    assert isinstance(template, TemplateRecord) and template.deployment == "lobby"
    # Metadata only: where and until when, never the sealed template or its key.
    assert {f.name for f in fields(TemplateRecord)} == {"deployment", "created_at", "expires_at"}


def test_r07_a_new_notice_version_needs_new_consent_and_a_new_assessment(gate: FaceGate) -> None:
    from dataclasses import replace

    from facegate import Mode
    from tests.requirements.deployments import notice
    from tests.requirements.gate import ASSESSMENT

    longer = lobby(
        mode=Mode.IDENTIFY,
        identification_justification="VIP",
        notice=notice(retention_days=90),
    )
    update = gate.update_deployment(longer)
    assert update.new_notice and update.reassess and update.changed == ("notice.retention_days",)
    with pytest.raises(InactiveDeployment):
        gate.identify("lobby", probe_of(1), PURPOSE)
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    # Consents were given to the old notice: nobody is matched until they consent again.
    assert gate.identify("lobby", probe_of(1), PURPOSE).subject is None
    gate.grant_consent("lobby", "guest-1", replace(CONSENT, notice_version=longer.notice.version))
    assert gate.identify("lobby", probe_of(1), PURPOSE).subject == "guest-1"


def test_r16_templates_leave_the_device_only_with_transfer_consent(gate: FaceGate) -> None:
    from dataclasses import replace

    from facegate.errors import TransferNotConsented

    with pytest.raises(TransferNotConsented) as caught:
        gate.export_sealed("lobby", ["guest-0", "guest-1"])
    assert caught.value.rule == "R16"
    gate.grant_consent("lobby", "guest-0", replace(CONSENT, transfer=True))
    with pytest.raises(TransferNotConsented, match="1 of 2"):
        gate.export_sealed("lobby", ["guest-0", "guest-1"])
    (row,) = gate.export_sealed("lobby", ["guest-0"])
    assert row.subject == "guest-0" and len(row.wrapped_key) == 70


def test_r03_r07_r26_switching_to_1_to_n_needs_an_assessment_and_new_consents(
    tmp_path: Path, master: MasterKey
) -> None:
    gate = open_gate(tmp_path / "one.db", master, identify=False)
    gate.grant_consent("lobby", "guest-0", VERIFY_CONSENT)
    gate.enroll("lobby", "guest-0", FACES.centres[0], PURPOSE)
    search = lobby(mode=Mode.IDENTIFY, identification_justification="VIP")
    update = gate.update_deployment(search)
    assert update.reassess and update.new_notice
    assert "mode" in update.changed and not gate.deployment_status("lobby").active
    with pytest.raises(AssessmentRequired):
        gate.activate("lobby")
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    # The guest agreed to be compared with their own template, not to be searched for.
    assert gate.identify("lobby", probe_of(0), PURPOSE).subject is None
    with pytest.raises(ConsentNotSeparate, match="shows version"):
        gate.grant_consent("lobby", "guest-0", VERIFY_CONSENT)
    gate.grant_consent("lobby", "guest-0", consent_to(search))
    assert gate.identify("lobby", probe_of(0), PURPOSE).subject == "guest-0"


def test_r26_a_new_threshold_takes_a_live_deployment_off_line(gate: FaceGate) -> None:
    update = gate.update_deployment(lobby(**IDENTIFY, threshold=0.45))
    assert update.reassess and not update.new_notice  # consents still count
    with pytest.raises(InactiveDeployment):
        gate.identify("lobby", probe_of(1), PURPOSE)
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    assert gate.identify("lobby", probe_of(1), PURPOSE).subject == "guest-1"
    assert gate.operating_point("lobby").threshold == 0.45


def test_r09_bulk_consents_carry_birth_dates_and_need_guardians(gate: FaceGate, path: Path) -> None:
    child = replace(CONSENT, birth_date=date(date.today().year - 8, 1, 1))
    people = [("adult", replace(CONSENT, birth_date=date(1980, 1, 1))), ("child", child)]
    with pytest.raises(GuardianConsentRequired) as caught:
        gate.grant_consents("lobby", people)
    assert caught.value.rule == "R9"
    assert peek.count(path, "SELECT COUNT(*) FROM subjects WHERE id IN ('adult', 'child')") == 0
    (refusal,) = peek.rows(
        path, "SELECT action, outcome, rule FROM audit ORDER BY seq DESC LIMIT 1"
    )
    assert refusal == ("grant_consents", "refused", "R9")
    with_guardian = replace(child, guardian=Guardian("parent-1", "father"))
    assert gate.grant_consents("lobby", [people[0], ("child", with_guardian)]) == 2
    born = peek.rows(path, "SELECT id, birth_date FROM subjects WHERE id IN ('adult', 'child')")
    assert dict(born) == {"adult": "1980-01-01", "child": child.birth_date.isoformat()}
    with pytest.raises(InvalidArgument, match=r"birth_date is a datetime\.date"):
        gate.grant_consent("lobby", "x", replace(CONSENT, birth_date="2010-01-01"))


def test_r14_a_shorter_retention_brings_every_template_down_to_it(
    gate: FaceGate, path: Path
) -> None:
    shorter = lobby(**IDENTIFY, notice=notice(retention_days=2))
    assert gate.update_deployment(shorter).reassess  # a new notice version
    rows = peek.rows(path, "SELECT created_at, expires_at FROM templates")
    assert len(rows) == 5
    for created, expires in rows:
        kept = datetime.fromisoformat(expires) - datetime.fromisoformat(created)
        assert kept == timedelta(days=2)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
        assert gate.purge_expired() == 5
    # A longer period leaves what was stored as it was: the person was told the shorter one.
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    gate.grant_consent("lobby", "guest-9", consent_to(shorter))
    gate.enroll("lobby", "guest-9", FACES.centres[9], PURPOSE)
    gate.update_deployment(lobby(**IDENTIFY, notice=notice(retention_days=60)))
    ((created, expires),) = peek.rows(path, "SELECT created_at, expires_at FROM templates")
    assert datetime.fromisoformat(expires) - datetime.fromisoformat(created) == timedelta(days=2)


def test_r14_the_gallery_follows_a_shorter_retention_at_once(
    gate: FaceGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matching reads each template's expiry from the gallery in memory, not the store."""
    gate.update_deployment(lobby(**IDENTIFY, notice=notice(retention_days=1)))
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    gate.grant_consent("lobby", "guest-1", consent_to(gate.deployment("lobby")))
    assert gate.identify("lobby", probe_of(1), PURPOSE).subject == "guest-1"
    real = datetime
    tomorrow = real.now(UTC) + timedelta(days=1, minutes=1)

    class Later(real):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return tomorrow

    monkeypatch.setattr(facegate.gate.decisions, "datetime", Later)
    assert gate.identify("lobby", probe_of(1), PURPOSE).subject is None


@pytest.mark.parametrize(
    ("change", "error", "rule"),
    [
        ({"location": "hotel_guest_room"}, ProhibitedPlace, "R23"),
        ({"mode": "identify", "identification_justification": ""}, IdentificationNotEnabled, "R3"),
        ({"location": "moon"}, InvalidArgument, "InvalidArgument"),
    ],
)
def test_r20_a_deployment_refused_as_it_is_built_is_audited(
    gate: FaceGate, path: Path, change: dict[str, object], error: type[Exception], rule: str
) -> None:
    definition = definition_of(lobby(name="spa")) | change
    with pytest.raises(error):
        gate.register_deployment("hotel", definition)
    with pytest.raises(error):
        gate.update_deployment(definition_of(lobby(**IDENTIFY)) | change)
    entries = peek.rows(
        path, "SELECT action, deployment_id, outcome, rule FROM audit ORDER BY seq DESC LIMIT 2"
    )
    assert entries == [
        ("update_deployment", "lobby", "refused", rule),
        ("register_deployment", "spa", "refused", rule),
    ]


def test_deployments_are_registered_and_updated_from_their_definitions(gate: FaceGate) -> None:
    gate.register_deployment("hotel", definition_of(lobby(name="spa")))
    assert gate.deployment("spa") == lobby(name="spa")
    update = gate.update_deployment(definition_of(lobby(name="spa", capture_area="Desk")))
    assert update.changed == ("capture_area",)
    with pytest.raises(InvalidArgument, match="not a deployment definition"):
        gate.register_deployment("hotel", {"name": "bar"})
    with pytest.raises(InvalidArgument, match="a Deployment or its definition"):
        gate.register_deployment("hotel", "bar")  # type: ignore[arg-type]


def definition_of(deployment: Deployment) -> dict[str, object]:
    """``deployment`` as a JSON definition file holds it."""
    data = json.loads(json.dumps(asdict(deployment), default=sorted))
    assert isinstance(data, dict)
    return data
