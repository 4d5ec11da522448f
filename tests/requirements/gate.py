"""A FaceGate on a temporary store with a fake encoder: "images" are synthetic encodings."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate import Assessment, ConsentGrant, Deployment, FaceGate, MasterKey, Mode
from facegate._arrays import as_matrix
from facegate.errors import FacegateError, InvalidImage, MultipleFaces, NoFace
from facegate.faces import Box, Face
from tests.requirements.deployments import NOTICE, lobby

AUDIT_SUBJECT = "audit subject v1"
"""The label under which the audit trail derives its subject pseudonyms from the master key."""

ASSESSMENT = Assessment("lawful", "mitigated", "assessed", "proportionate", "DPO")
IDENTIFY: dict[str, Any] = {"mode": Mode.IDENTIFY, "identification_justification": "VIP"}
"""What :func:`open_gate` declares by default: 1:N identification, justified."""

CONSENT = ConsentGrant(
    purposes=("hotel_check_in",),
    notice_version=lobby(**IDENTIFY).notice.version,
    channel="kiosk",
    face_data=True,
)
"""A consent to the notice of :func:`open_gate`'s 1:N lobby (its version covers the mode)."""

VERIFY_CONSENT = replace(CONSENT, notice_version=NOTICE.version)
"""A consent to the notice of a 1:1 lobby (``lobby()``, ``open_gate(identify=False)``)."""


def consent_to(deployment: Deployment, **changes: Any) -> ConsentGrant:
    """A valid consent to ``deployment``'s current notice, with ``changes``."""
    return replace(CONSENT, notice_version=deployment.notice.version, **changes)


def _rows(image: Any) -> npt.NDArray[np.float32]:
    """What a real detector does with something that is not an image: InvalidImage."""
    try:
        return as_matrix(image, name="a fake image")
    except FacegateError as exc:
        raise InvalidImage("not an image the fake encoder understands") from exc


class FakeEncoder:
    """Treats a 128-vector as one face and a [n, 128] array as n faces."""

    def encode(self, image: Any) -> npt.NDArray[np.float32]:
        rows = _rows(image)
        if len(rows) == 0:
            raise NoFace("no face")
        if len(rows) > 1:
            raise MultipleFaces(f"{len(rows)} faces")
        return rows[0]

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        rows = _rows(image)
        face = Face(Box(0, 0, 100, 100), 1.0, np.zeros((5, 2), np.int32))
        return [(face, row) for row in rows]


def open_gate(path: Any, master: MasterKey, *, identify: bool = True, **declared: Any) -> FaceGate:
    """A gate with an active ``lobby`` (1:N unless ``identify`` is false) declared with
    ``declared`` on top of the test deployment."""
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    gate.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
    mode = IDENTIFY if identify else {}
    gate.register_deployment("hotel", lobby(**mode, **declared))
    gate.record_assessment("lobby", ASSESSMENT)
    gate.activate("lobby")
    return gate


def audit_entries(gate: FaceGate, start: int = 1) -> list[dict[str, Any]]:
    """The audit entries from ``start`` as the gate exports them (its own export comes after)."""
    out = io.StringIO()
    gate.export_audit(out, start=start)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def subject_ref(master: MasterKey, subject: str) -> str:
    """The audit trail's pseudonym for ``subject``, computed with the master key."""
    return master.tag(AUDIT_SUBJECT, subject.encode()).hex()[:32]
