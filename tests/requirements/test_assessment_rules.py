"""R26: no deployment goes live without a signed impact assessment of its current declarations
(R3, R7: switching to 1:N is such a change); R28: decommissioning is for good."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from facegate import Assessment, MasterKey, Mode
from facegate.compliance.registry import Registry
from facegate.errors import AssessmentRequired, DuplicateId, InactiveDeployment, UnknownId
from facegate.gate.opening import open_store
from tests.requirements.deployments import lobby, notice

MASTER = MasterKey.generate()

ASSESSMENT = Assessment(
    legality_and_necessity="Check-in identity verification, consented, 1:1 only",
    rights_impact="Guests may use the desk instead; data kept for the stay",
    risks="Template leak, tampering, loss, misuse by staff",
    safeguards="Sealed templates, per-guest keys, audit log, access roles",
    signed_off_by="Data protection officer",
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with open_store(tmp_path / "operator.db", MASTER) as store:
        registry = Registry(store)
        registry.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
        registry.register_deployment("hotel", lobby())
        yield registry


def test_r26_activation_needs_a_signed_assessment(registry: Registry) -> None:
    with pytest.raises(AssessmentRequired, match="no signed impact assessment") as caught:
        registry.activate("lobby")
    assert caught.value.rule == "R26"
    assert not registry.is_active("lobby")
    registry.record_assessment("lobby", ASSESSMENT)
    registry.activate("lobby")
    assert registry.is_active("lobby")


@pytest.mark.parametrize("item", ["legality_and_necessity", "rights_impact", "risks", "safeguards"])
def test_r26_all_four_items_and_a_sign_off_are_required(item: str) -> None:
    fields = {
        "legality_and_necessity": "a",
        "rights_impact": "b",
        "risks": "c",
        "safeguards": "d",
        "signed_off_by": "e",
    }
    with pytest.raises(AssessmentRequired, match=item):
        Assessment(**{**fields, item: " "})


def test_deployments_round_trip_through_the_store(registry: Registry) -> None:
    assert registry.deployment("lobby") == lobby()
    with pytest.raises(DuplicateId):
        registry.register_deployment("hotel", lobby())
    with pytest.raises(UnknownId, match="'pool'"):
        registry.deployment("pool")
    with pytest.raises(UnknownId, match="operator 'spa'"):
        registry.register_deployment("spa", lobby(name="spa"))


@pytest.mark.parametrize(
    "change",
    [
        {"mode": Mode.IDENTIFY, "identification_justification": "VIP recognition"},
        {"threshold": 0.45},
        {"multi_face_basis": "Art. 12 of the venue safety regulation"},
        {"necessity": "Guests are verified to issue room keys and to open the spa"},
    ],
    ids=["1:N", "threshold", "multi-face", "necessity"],
)
def test_r26_r03_a_change_the_assessment_rests_on_needs_a_new_one(
    registry: Registry, change: dict[str, object]
) -> None:
    registry.record_assessment("lobby", ASSESSMENT)
    registry.activate("lobby")
    update = registry.update_deployment(lobby(**change))
    assert update.reassess and set(update.changed) >= set(change)
    # Only the mode is part of the notice version: a 1:1 consent does not count for 1:N.
    assert update.new_notice is ("mode" in change)
    assert not registry.is_active("lobby")
    with pytest.raises(AssessmentRequired, match="current declarations"):
        registry.activate("lobby")
    registry.record_assessment("lobby", ASSESSMENT)
    registry.activate("lobby")
    assert registry.is_active("lobby")


def test_r26_contact_details_and_sizing_leave_a_live_deployment_live(
    registry: Registry,
) -> None:
    registry.record_assessment("lobby", ASSESSMENT)
    registry.activate("lobby")
    update = registry.update_deployment(
        lobby(notice=notice(processor_contact="dpo@example.com"), expected_enrollments=500)
    )
    assert update.changed == ("expected_enrollments", "notice.processor_contact")
    assert not update.reassess and not update.new_notice and update.filing_event is None
    assert registry.is_active("lobby")


def test_r26_changing_back_needs_the_latest_assessment_to_cover_it(registry: Registry) -> None:
    """An older assessment of the same notice does not cover a deployment changed since."""
    registry.record_assessment("lobby", ASSESSMENT)
    registry.update_deployment(lobby(threshold=0.45))
    registry.record_assessment("lobby", ASSESSMENT)
    registry.update_deployment(lobby())
    with pytest.raises(AssessmentRequired):
        registry.activate("lobby")


def test_r26_an_assessment_that_does_not_say_what_it_judged_covers_nothing(
    registry: Registry, tmp_path: Path
) -> None:
    """One recorded before facegate stored what an assessment judged (or written by hand)."""
    with open_store(tmp_path / "operator.db", MASTER) as store:
        store.assessments.add(
            "lobby",
            notice_version=lobby().notice.version,
            content=json.dumps(asdict(ASSESSMENT)),
            signed_off_by="DPO",
            at=datetime.now(UTC).isoformat(),
        )
    assert registry.assessment("lobby") == ASSESSMENT
    with pytest.raises(AssessmentRequired):
        registry.activate("lobby")


@pytest.mark.parametrize("placeholder", ["To confirm: it is necessary", "TO BE COMPLETED"])
def test_r26_a_draft_still_holding_its_placeholders_is_refused(
    registry: Registry, placeholder: str
) -> None:
    draft = replace(ASSESSMENT, risks=f"Leaks and misuse. {placeholder}.")
    with pytest.raises(AssessmentRequired, match=r"placeholders .* in risks") as caught:
        registry.record_assessment("lobby", draft)
    assert caught.value.rule == "R26"
    assert registry.assessment("lobby") is None


def test_r28_a_decommissioned_deployment_is_off_line_for_good(registry: Registry) -> None:
    registry.record_assessment("lobby", ASSESSMENT)
    registry.activate("lobby")
    assert registry.decommission("lobby") is None  # filing not required: nothing to report
    assert not registry.is_active("lobby") and registry.is_decommissioned("lobby")
    for again in (
        lambda: registry.activate("lobby"),
        lambda: registry.update_deployment(lobby()),
        lambda: registry.record_assessment("lobby", ASSESSMENT),
        lambda: registry.decommission("lobby"),
    ):
        with pytest.raises(InactiveDeployment, match="decommissioned") as caught:
            again()
        assert caught.value.rule == "R28"
    assert registry.deployment("lobby") == lobby()  # its declarations stay on record
