"""The whole pipeline with the public-domain photographs: consent, enrollment, identification,
verification, withdrawal."""

from __future__ import annotations

from pathlib import Path

import pytest

from facegate import FaceGate, MasterKey, Mode
from facegate.errors import ConsentRequired
from tests import faces
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, CONSENT


def test_enroll_identify_verify_withdraw_with_real_photographs(tmp_path: Path) -> None:
    gate = FaceGate.open(tmp_path / "hotel.db", MasterKey.generate())
    gate.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
    gate.register_deployment(
        "hotel", lobby(mode=Mode.IDENTIFY, identification_justification="returning guests")
    )
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    with pytest.raises(ConsentRequired):
        gate.enroll("lobby", "astronaut", faces.astronaut(), "hotel_check_in")
    gate.grant_consent("lobby", "astronaut", CONSENT)
    assert gate.enroll("lobby", "astronaut", faces.astronaut(), "hotel_check_in").allowed
    copy = faces.transformed(faces.astronaut())["jpeg"]
    assert gate.identify("lobby", copy, "hotel_check_in").subject == "astronaut"
    assert gate.identify("lobby", faces.hopper(), "hotel_check_in").subject is None
    assert gate.verify("lobby", "astronaut", copy, "hotel_check_in").match is True
    receipt = gate.withdraw("lobby", "astronaut")
    assert receipt.key_destroyed
    assert gate.identify("lobby", copy, "hotel_check_in").subject is None
    gate.close()
