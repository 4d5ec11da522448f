"""R26: no deployment goes live without a signed impact assessment of its current notice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from facegate import Assessment, MasterKey
from facegate.compliance.registry import Registry
from facegate.errors import AssessmentRequired, DuplicateId, UnknownId
from facegate.gate.opening import open_store
from tests.requirements.deployments import lobby

ASSESSMENT = Assessment(
    legality_and_necessity="Check-in identity verification, consented, 1:1 only",
    rights_impact="Guests may use the desk instead; data kept for the stay",
    risks="Template leak, tampering, loss, misuse by staff",
    safeguards="Sealed templates, per-guest keys, audit log, access roles",
    signed_off_by="Data protection officer",
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with open_store(tmp_path / "operator.db", MasterKey.generate()) as store:
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
