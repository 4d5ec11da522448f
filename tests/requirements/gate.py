"""A FaceGate on a temporary store with a fake encoder: "images" are synthetic encodings."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.api import FaceGate
from facegate.consent import ConsentGrant
from facegate.detect import Box, Face
from facegate.errors import MultipleFaces, NoFace
from facegate.keys import MasterKey
from facegate.policy import Mode
from facegate.registry import Assessment
from tests.requirements.deployments import NOTICE, lobby

ASSESSMENT = Assessment("lawful", "mitigated", "assessed", "proportionate", "DPO")
CONSENT = ConsentGrant(
    purposes=("hotel_check_in",), notice_version=NOTICE.version, channel="kiosk", face_data=True
)


class FakeEncoder:
    """Treats a 128-vector as one face and a [n, 128] array as n faces."""

    def encode(self, image: Any) -> npt.NDArray[np.float32]:
        rows = np.atleast_2d(np.asarray(image, dtype=np.float32))
        if len(rows) == 0:
            raise NoFace("no face")
        if len(rows) > 1:
            raise MultipleFaces(f"{len(rows)} faces")
        return rows[0]

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        rows = np.atleast_2d(np.asarray(image, dtype=np.float32))
        face = Face(Box(0, 0, 100, 100), 1.0, np.zeros((5, 2), np.int32), None)
        return [(face, row) for row in rows]


def open_gate(path: Any, master: MasterKey, *, identify: bool = True) -> FaceGate:
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    gate.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
    mode = {"mode": Mode.IDENTIFY, "identification_justification": "VIP"} if identify else {}
    gate.register_deployment("hotel", lobby(**mode))
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    return gate
