"""R27 (the filing threshold and its deadline) and R28 (the dossier, change deadlines).

Enrolling 100,000 people would take minutes, so the threshold is passed as a keyword (10, with
the warning at half of it); the deadlines are those counted by hand in tests/test_workdays.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import facegate.gate.vault
from facegate import Alternative, FaceGate, Location, MasterKey, Mode
from facegate.cli.output import plain
from facegate.compliance.dossier import FilingDossier
from facegate.compliance.filing import (
    DEFAULT_WARNING_MARGIN,
    FILING_THRESHOLD,
    FILING_WORKING_DAYS,
    FilingState,
    check_filing,
    filing_status,
    stored_individuals,
)
from facegate.compliance.workdays import add_working_days
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import InactiveDeployment, InvalidArgument, UnknownId
from facegate.gate.opening import open_store
from facegate.reports import render_dossier
from facegate.store import Store
from tests import peek
from tests.requirements.deployments import NOTICE, lobby, notice
from tests.requirements.gate import ASSESSMENT, consent_to, open_gate

PURPOSE = "hotel_check_in"
FACES = synthetic_faces(12, 0, seed=4).centres
SMALL = 10
"""The threshold in these tests (the warning comes at half of it, 5)."""
HALF = 0.5
NATIONAL_DAY_EVE = datetime(2025, 9, 30, 4, tzinfo=UTC)
"""Noon in Beijing on Tue 30 Sep 2025: 30 working days later is Tue 18 Nov 2025."""


def enroll(gate: FaceGate, deployment: str, people: range) -> None:
    names = [f"p{i}" for i in people]
    consent = consent_to(gate.deployment(deployment))
    gate.grant_consents(deployment, [(name, consent) for name in names])
    gate.enroll_encodings(deployment, [(f"p{i}", FACES[i]) for i in people], PURPOSE)


@pytest.fixture
def gate(tmp_path: Path, master: MasterKey) -> Iterator[FaceGate]:
    """Operator "hotel" with two active deployments, "lobby" (1:N) and "spa" (1:1)."""
    gate = open_gate(tmp_path / "s.db", master)
    gate.register_deployment("hotel", lobby(name="spa"))
    gate.record_assessment("spa", ASSESSMENT)
    gate.activate("spa")
    yield gate
    gate.close()


@pytest.fixture
def path_of(tmp_path: Path) -> Path:
    """The gate's store file."""
    return tmp_path / "s.db"


@pytest.fixture
def store(gate: FaceGate, tmp_path: Path, master: MasterKey) -> Iterator[Store]:
    """The gate's store file opened on its own (sealed under its key, as the gate keeps it),
    for the filing functions that take a store (a custom threshold or margin)."""
    with open_store(tmp_path / "s.db", master) as store:
        yield store


def test_r27_the_defaults_are_those_of_the_measures() -> None:
    assert (FILING_THRESHOLD, FILING_WORKING_DAYS, DEFAULT_WARNING_MARGIN) == (100_000, 30, 0.9)


def test_r27_default_warning_is_at_90000(gate: FaceGate) -> None:
    status = gate.filing_status("hotel")
    assert (status.threshold, status.warning_at, status.state) == (
        100_000,
        90_000,
        FilingState.BELOW,
    )


def test_r27_individuals_are_counted_once_across_deployments(gate: FaceGate, store: Store) -> None:
    enroll(gate, "lobby", range(4))
    enroll(gate, "spa", range(2, 6))  # p2 and p3 are in both
    assert stored_individuals(store, "hotel") == 6
    assert gate.filing_status("hotel").individuals == 6


def test_r27_erased_and_withdrawn_subjects_are_no_longer_counted(gate: FaceGate) -> None:
    enroll(gate, "lobby", range(4))
    enroll(gate, "spa", range(2, 6))
    gate.erase("p2")  # gone everywhere
    gate.withdraw("spa", "p3")  # still in the lobby
    gate.withdraw("spa", "p5")  # only ever in the spa
    assert gate.filing_status("hotel").individuals == 4  # p0, p1, p3, p4


def test_r27_warning_at_the_margin_then_required_at_the_threshold(
    gate: FaceGate, store: Store
) -> None:
    enroll(gate, "lobby", range(4))
    assert check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF) is None
    assert filing_status(store, "hotel", threshold=SMALL, margin=HALF).state is FilingState.BELOW

    enroll(gate, "lobby", range(4, 5))  # 5: exactly the margin
    warning = check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF)
    assert warning is not None and warning.kind == "warning" and warning.individuals == 5
    assert warning.deadline is None and not warning.provisional
    assert filing_status(store, "hotel", threshold=SMALL, margin=HALF).state is FilingState.WARNING

    enroll(gate, "spa", range(5, 9))  # 9: still below
    assert (
        check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF) is None
    )  # warned once

    enroll(gate, "spa", range(9, 10))  # 10: the threshold
    required = check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF)
    assert required is not None and required.kind == "required" and required.individuals == 10
    assert required.at == NATIONAL_DAY_EVE
    assert required.deadline == date(2025, 11, 18) and not required.provisional

    enroll(gate, "spa", range(10, 12))
    assert (
        check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF) is None
    )  # required once
    status = filing_status(store, "hotel", threshold=SMALL, margin=HALF)
    assert status.state is FilingState.REQUIRED and status.required_since == NATIONAL_DAY_EVE
    assert status.deadline == add_working_days(date(2025, 9, 30), 30)
    assert status.deadline.due == date(2025, 11, 18)
    assert [e.kind for e in status.events] == ["warning", "required"]


def test_r27_reaching_the_threshold_at_once_records_only_the_requirement(
    gate: FaceGate, store: Store
) -> None:
    enroll(gate, "lobby", range(10))
    event = check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF)
    assert event is not None and event.kind == "required"
    assert check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF) is None
    assert [e.kind for e in filing_status(store, "hotel", threshold=SMALL, margin=HALF).events] == [
        "required"
    ]


def test_r27_the_requirement_stands_after_erasures(gate: FaceGate, store: Store) -> None:
    enroll(gate, "lobby", range(10))
    check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF)
    for i in range(5):
        gate.erase(f"p{i}")
    status = filing_status(store, "hotel", threshold=SMALL, margin=HALF)
    assert status.individuals == 5 and status.state is FilingState.REQUIRED
    assert status.deadline is not None and status.deadline.due == date(2025, 11, 18)


def test_r27_the_deadline_counts_from_the_date_in_beijing(gate: FaceGate, store: Store) -> None:
    # 17:00 UTC on Thu 23 Jan 2025 is 01:00 on Fri 24 Jan in Beijing: 30 working days from the
    # Friday is Thu 13 Mar (from the Thursday it would be Wed 12 Mar).
    enroll(gate, "lobby", range(10))
    late_evening_utc = datetime(2025, 1, 23, 17, tzinfo=UTC)
    event = check_filing(store, "hotel", now=late_evening_utc, threshold=SMALL, margin=HALF)
    assert event is not None and event.deadline == date(2025, 3, 13)
    assert add_working_days(date(2025, 1, 23), 30).due == date(2025, 3, 12)


def test_r27_a_deadline_past_the_calendar_is_provisional(gate: FaceGate, store: Store) -> None:
    enroll(gate, "lobby", range(10))
    december = datetime(2026, 12, 1, 4, tzinfo=UTC)
    event = check_filing(store, "hotel", now=december, threshold=SMALL, margin=HALF)
    assert event is not None and event.provisional and event.deadline == date(2027, 1, 12)
    deadline = filing_status(store, "hotel", threshold=SMALL, margin=HALF).deadline
    assert deadline is not None and deadline.provisional
    assert "provisional" in str(deadline) and "earliest" in str(deadline)


def test_r27_status_before_any_check_counts_the_deadline_from_now(
    gate: FaceGate, store: Store
) -> None:
    enroll(gate, "lobby", range(10))
    status = filing_status(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF)
    assert status.state is FilingState.REQUIRED and status.required_since is None
    assert status.events == ()
    assert status.deadline is not None and status.deadline.due == date(2025, 11, 18)


def test_r27_the_check_joins_the_callers_transaction(gate: FaceGate, store: Store) -> None:
    enroll(gate, "lobby", range(10))

    def enroll_then_fail() -> None:
        with store.transaction():
            event = check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL)
            assert event is not None and event.kind == "required"
            raise RuntimeError("the enrollment failed after the check")

    with pytest.raises(RuntimeError, match="enrollment failed"):
        enroll_then_fail()
    assert (
        filing_status(store, "hotel", threshold=SMALL, margin=HALF).events == ()
    )  # rolled back with it
    with store.transaction():
        assert (
            check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=SMALL, margin=HALF)
            is not None
        )
    assert len(filing_status(store, "hotel", threshold=SMALL, margin=HALF).events) == 1


def test_r27_enrollment_raises_the_event_itself(
    gate: FaceGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The gate checks the threshold where it stores templates (its vault).
    monkeypatch.setattr(facegate.gate.vault, "FILING_THRESHOLD", 5)
    enroll(gate, "lobby", range(3))
    assert gate.filing_status("hotel").events == ()
    enroll(gate, "lobby", range(3, 5))
    (event,) = gate.filing_status("hotel").events
    assert event.kind == "required" and event.individuals == 5
    expected = add_working_days(event.at.astimezone(ZoneInfo("Asia/Shanghai")).date(), 30)
    assert (event.deadline, event.provisional) == (expected.due, expected.provisional)


@pytest.mark.parametrize(
    "bad",
    [
        {"margin": 0.0},
        {"margin": 1.5},
        {"threshold": 0},
        {"now": datetime(2025, 1, 1)},  # naive: which day it is in Beijing is unknown
    ],
)
def test_r27_bad_arguments_are_refused(store: Store, bad: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        check_filing(store, "hotel", **bad)  # type: ignore[arg-type]


def test_r27_unknown_operators_are_refused(gate: FaceGate, store: Store) -> None:
    with pytest.raises(UnknownId):
        check_filing(store, "nobody")
    with pytest.raises(UnknownId):
        filing_status(store, "nobody")
    with pytest.raises(UnknownId):
        gate.filing_status("nobody")
    with pytest.raises(UnknownId):
        gate.filing_dossier("nobody")


def test_r28_the_dossier_has_the_five_materials(gate: FaceGate) -> None:
    enroll(gate, "lobby", range(3))
    enroll(gate, "spa", range(2, 4))  # p2 twice: 4 individuals, 5 templates
    dossier = gate.filing_dossier("hotel", now=NATIONAL_DAY_EVE)
    as_json = plain(dossier)  # what `facegate dossier --format json` prints
    assert json.loads(json.dumps(as_json)) == as_json
    assert set(as_json) == {field.name for field in fields(FilingDossier)}
    assert as_json["generated_at"] == NATIONAL_DAY_EVE.isoformat()
    assert as_json["filing"]["state"] == "below"

    operator = dossier.operator
    assert (operator.id, operator.name, operator.contact) == (
        "hotel",
        "Example Hotel",
        "dpo@example.com",
    )

    methods = {d.deployment: d for d in dossier.purposes_and_methods}
    assert set(methods) == {"lobby", "spa"}
    assert methods["lobby"].purposes == (PURPOSE,) and methods["lobby"].active
    assert (methods["lobby"].mode, methods["spa"].mode) == (Mode.IDENTIFY, Mode.VERIFY)
    assert methods["lobby"].identification_justification == "VIP"
    assert methods["spa"].identification_justification is None  # 1:1 needs none
    assert methods["spa"].location is Location.HOTEL_LOBBY
    assert methods["spa"].method == NOTICE.method
    assert methods["spa"].necessity == lobby().necessity

    security = dossier.stored_count_and_security
    assert (security.individuals, security.templates) == (4, 5)
    assert "AES-256-GCM-SIV" in security.encryption and "master key" in security.encryption
    assert "ISO/IEC 24745" in security.transform and "HMAC" in security.audit

    rules = {r.deployment: r for r in dossier.processing_rules}
    assert rules["lobby"].retention_days == NOTICE.retention_days == 30
    # The threshold stated is the one the 1:N lobby runs at for its 3 templates (R5): the point
    # at its stored size or the size it declared it expects, whichever is larger.
    declared = gate.deployment("lobby")
    stored = gate.deployment_status("lobby").templates
    point = declared.operating_point(max(declared.expected_enrollments, stored))
    assert (point.identify, point.gallery_size) == (True, 3)
    assert rules["lobby"].threshold == point.threshold < 0.6
    assert rules["lobby"].operating_point == point.describe()
    assert "FPIR" in point.describe() and "FNIR" in point.describe()
    assert rules["lobby"].alternatives == (
        Alternative(NOTICE.alternatives[0].description, accessible=True),
    )
    version = gate.deployment("lobby").notice.version  # the 1:N lobby's, which covers its mode
    assert version in rules["lobby"].consent and "guardian" in rules["lobby"].consent
    assert "deletion receipt" in rules["lobby"].withdrawal_and_erasure

    on_file = {a.deployment: a for a in dossier.assessments}
    assert set(on_file) == {"lobby", "spa"}
    assessment = on_file["lobby"]
    assert assessment.assessment == ASSESSMENT and assessment.assessment.signed_off_by == "DPO"
    assert assessment.covers_current_notice and assessment.signed_at
    assert assessment.notice_version == version

    assert dossier.filing.state is FilingState.BELOW and dossier.filing.individuals == 4
    assert dossier.generated_at == NATIONAL_DAY_EVE


def test_r28_the_dossier_renders_as_markdown(gate: FaceGate, store: Store) -> None:
    enroll(gate, "lobby", range(10))
    check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=10)
    text = render_dossier(gate.filing_dossier("hotel"))
    for heading in ("1. Operator", "2. Purposes", "3. Stored count", "4. Processing", "5. Impact"):
        assert f"\n## {heading}" in text
    assert "Example Hotel" in text and NOTICE.method in text and "signed off by DPO" in text
    assert "required at 2025-09-30 04:00 UTC (10 individuals), due 2025-11-18" in text


def test_r28_the_dossier_carries_the_filing_deadline(gate: FaceGate, store: Store) -> None:
    enroll(gate, "lobby", range(10))
    check_filing(store, "hotel", now=NATIONAL_DAY_EVE, threshold=10)
    filing = gate.filing_dossier("hotel").filing
    # The dossier uses the default threshold, yet the recorded requirement stands.
    assert filing.threshold == FILING_THRESHOLD
    assert filing.state is FilingState.REQUIRED
    assert filing.deadline is not None and filing.deadline.due == date(2025, 11, 18)
    assert filing.required_since == NATIONAL_DAY_EVE
    assert str(filing.deadline).startswith("2025-11-18 (30 Chinese working days from 2025-09-30)")


def test_r28_changes_and_decommissioning_get_their_own_deadlines(gate: FaceGate) -> None:
    enroll(gate, "lobby", range(3))
    spring = datetime(2025, 1, 24, 4, tzinfo=UTC)
    change = gate.record_filing_change("hotel", "change", "spa added", now=spring)
    assert (change.kind, change.individuals, change.detail) == ("change", 3, "spa added")
    assert change.deadline == date(2025, 3, 13) and not change.provisional  # see test_workdays
    gone = gate.record_filing_change(
        "hotel", "decommission", "kiosks removed", now=NATIONAL_DAY_EVE
    )
    assert gone.deadline == date(2025, 11, 18)
    late = gate.record_filing_change(
        "hotel", "change", "new notice", now=datetime(2026, 12, 1, 4, tzinfo=UTC)
    )
    assert late.provisional and late.deadline == date(2027, 1, 12)

    status = gate.filing_status("hotel")
    assert [(e.kind, e.deadline) for e in status.events] == [
        ("change", date(2025, 3, 13)),
        ("decommission", date(2025, 11, 18)),
        ("change", date(2027, 1, 12)),
    ]
    assert status.state is FilingState.BELOW and status.deadline is None  # no filing duty
    events = gate.filing_dossier("hotel").filing.events
    assert [e.detail for e in events] == ["spa added", "kiosks removed", "new notice"]


def test_r28_a_change_must_say_what_changed(gate: FaceGate) -> None:
    with pytest.raises(InvalidArgument):
        gate.record_filing_change("hotel", "change", " ")
    with pytest.raises(InvalidArgument):
        gate.record_filing_change("hotel", "rename", "x")  # type: ignore[arg-type]
    with pytest.raises(UnknownId):
        gate.record_filing_change("nobody", "decommission", "x")
    assert gate.filing_status("hotel").events == ()


def require_filing(gate: FaceGate, store: Store) -> None:
    """The operator reaches the (small) threshold: its filing is required from then on."""
    enroll(gate, "lobby", range(10))
    assert check_filing(store, "hotel", threshold=SMALL, margin=HALF) is not None


def test_r28_a_change_to_filed_matters_records_its_event(gate: FaceGate, store: Store) -> None:
    require_filing(gate, store)
    contact = lobby(name="spa", notice=notice(processor_contact="dpo@example.com"))
    assert gate.update_deployment(contact).filing_event is None  # nothing filed changed
    update = gate.update_deployment(
        lobby(name="spa", notice=notice(retention_days=7), capture_area="Desk 2")
    )
    event = update.filing_event
    assert event is not None and event.kind == "change" and event.individuals == 10
    assert event.detail == "deployment 'spa': capture_area, notice.retention_days changed"
    registered = gate.register_deployment("hotel", lobby(name="bar"))
    assert registered is not None and registered.detail == "deployment 'bar' registered"
    assessed = gate.record_assessment("spa", ASSESSMENT)  # a filing material changes too
    assert assessed is not None and assessed.detail == "deployment 'spa': new impact assessment"
    assert [(e.kind, e.detail) for e in gate.filing_status("hotel").events] == [
        ("required", None),
        ("change", event.detail),
        ("change", "deployment 'bar' registered"),
        ("change", assessed.detail),
    ]
    due = add_working_days(event.at.astimezone(ZoneInfo("Asia/Shanghai")).date(), 30)
    assert (event.deadline, event.provisional) == (due.due, due.provisional)


def test_r28_without_a_filing_duty_no_change_is_recorded(gate: FaceGate) -> None:
    enroll(gate, "lobby", range(3))
    update = gate.update_deployment(lobby(name="spa", notice=notice(retention_days=7)))
    assert update.filing_event is None and update.changed == ("notice.retention_days",)
    assert gate.register_deployment("hotel", lobby(name="bar")) is None
    assert gate.record_assessment("bar", ASSESSMENT) is None
    assert gate.decommission("bar") is None
    assert gate.filing_status("hotel").events == ()


def test_r28_decommissioning_records_its_event_and_ends_the_deployment(
    gate: FaceGate, store: Store, path_of: Path
) -> None:
    require_filing(gate, store)
    enroll(gate, "spa", range(8, 12))  # p8, p9 are in the lobby too; p10, p11 only here
    event = gate.decommission("spa")
    assert event is not None and event.kind == "decommission" and event.individuals == 12
    assert event.detail == "deployment 'spa' decommissioned" and event.deadline is not None
    assert gate.filing_status("hotel").events[-1] == event
    # Its purpose has ended: its face data is destroyed, keys of people held nowhere else too.
    assert gate.deployment_status("spa").templates == 0 and not gate.deployment_status("spa").active
    assert peek.count(path_of, "SELECT COUNT(*) FROM data_keys WHERE subject_id = 'p11'") == 0
    assert peek.count(path_of, "SELECT COUNT(*) FROM data_keys WHERE subject_id = 'p9'") == 1
    with pytest.raises(InactiveDeployment, match="decommissioned"):
        gate.activate("spa")
    with pytest.raises(InactiveDeployment, match="nobody can consent"):
        gate.grant_consent("spa", "p20", consent_to(lobby()))
    with pytest.raises(InactiveDeployment):
        gate.verify("spa", "p9", FACES[9], PURPOSE)
    rows = peek.rows(path_of, "SELECT action, deployment_id, outcome FROM audit")
    assert ("decommission", "spa", "ok") in rows
    assert ("activate", "spa", "refused") in rows
