"""Several enrollment photographs on real faces: transformed copies of the public-domain
photographs match their template more closely when it averages three of them (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from facegate import FaceDetector, FaceGate, MasterKey
from tests.faces import astronaut, hopper, transformed
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, consent_to

PURPOSE = "hotel_check_in"
ENROLL = ("mirror", "rescale", "brighter")
PROBES = ("jpeg", "rotate", "crop")


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> FaceGate:
    path = Path(tmp_path_factory.mktemp("photos")) / "hotel.db"
    gate = FaceGate.open(path, MasterKey.generate(), encoder=FaceDetector())
    gate.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
    gate.register_deployment("hotel", lobby())
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    return gate


@pytest.mark.parametrize("photo", [astronaut, hopper], ids=["astronaut", "hopper"])
def test_three_photographs_match_closer_than_one(
    gate: FaceGate, photo: Callable[[], npt.NDArray[np.uint8]]
) -> None:
    copies = transformed(photo())
    one, three = f"{photo.__name__}-one", f"{photo.__name__}-three"
    for subject in (one, three):
        gate.grant_consent("lobby", subject, consent_to(gate.deployment("lobby")))
    gate.enroll("lobby", one, copies[ENROLL[0]], PURPOSE)
    gate.enroll("lobby", three, [copies[name] for name in ENROLL], PURPOSE)
    probes = [copies[name] for name in PROBES] + [photo()]
    single = [gate.score("lobby", one, probe) for probe in probes]
    averaged = [gate.score("lobby", three, probe) for probe in probes]
    # Every probe is a genuine match either way; the average is closer on the whole.
    assert max(single + averaged) < 0.45
    print(f"{photo.__name__}: one photo {np.mean(single):.4f}, three {np.mean(averaged):.4f}")
    assert np.mean(averaged) < np.mean(single)
