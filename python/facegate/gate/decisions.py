"""Matching decisions: 1:1 verification, 1:N identification and the administrators' score.

A probe is encoded, turned by the deployment's rotation and compared with the gallery at the
deployment's current operating point: for 1:N its threshold and its ratio to the
second-nearest eligible person (:meth:`~facegate.gate.galleries.Galleries.nearest`). Decisions
say match or no match, never a distance (R4); identification searches only consented,
unexpired templates and names at most the best match (R3, R4, R14); verification counts
failures against the attempt limits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from facegate.compliance.consent import ConsentLedger
from facegate.compliance.policy import Deployment, Mode
from facegate.errors import (
    AttemptsExceeded,
    IdentificationNotEnabled,
    MultipleFacesRefused,
    NoFace,
)
from facegate.gate.attempts import Attempts
from facegate.gate.encoder import Encoder
from facegate.gate.galleries import Galleries
from facegate.gate.points import OperatingPoints
from facegate.gate.results import Decision, FaceResult
from facegate.gate.rotations import Rotations
from facegate.gate.vault import Vault
from facegate.matching import distances

if TYPE_CHECKING:
    from facegate.gate.guard import Call

__all__ = ["Decisions"]


class Decisions:
    """The matching decisions of one open store."""

    __slots__ = (
        "_attempts",
        "_encoder",
        "_galleries",
        "_identify_attempts",
        "_ledger",
        "_points",
        "_rotations",
        "_vault",
    )

    def __init__(
        self,
        *,
        encoder: Encoder,
        galleries: Galleries,
        rotations: Rotations,
        points: OperatingPoints,
        ledger: ConsentLedger,
        attempts: Attempts,
        identify_attempts: Attempts,
        vault: Vault,
    ) -> None:
        self._encoder, self._galleries, self._rotations = encoder, galleries, rotations
        self._points, self._ledger, self._attempts = points, ledger, attempts
        self._identify_attempts = identify_attempts
        self._vault = vault

    def may_try(self, call: Call) -> bool:
        """Whether the attempt limits, as stored now, let ``call`` process a face (read ahead
        of its transaction, facegate.gate.prepared): a person or device locked out is refused
        before their face is looked at."""
        if call.action == "verify":
            limits, who = self._attempts, call.subject
        elif call.action == "identify":
            limits, who = self._identify_attempts, call.device
        else:
            return True
        if call.deployment is None or who is None:
            return False
        try:
            limits.check(who, call.deployment, "", datetime.now(UTC))
        except AttemptsExceeded:
            return False
        return True

    def verify(self, policy: Deployment, subject: str, image: Any) -> Decision:
        """Whether the face in ``image`` is ``subject`` (whose consent the guard checked)."""
        now = datetime.now(UTC)
        offer = "; ".join(a.description for a in policy.alternatives) or "none"
        self._attempts.check(subject, policy.name, offer, now)
        probe = self._rotations.of(policy.name).apply(self._encoder.encode(image))
        point = self._points.now(policy)
        limit = point.threshold
        matched = self._distance(policy.name, subject, probe, now, limit) <= limit
        self._attempts.record(subject, policy.name, matched, now)
        return self._points.decision(policy, "ok", point, allowed=True, match=matched)

    def identify(self, policy: Deployment, image: Any, purpose: str, device: str) -> Decision:
        """The nearest consented person when the operating point's rule accepts them (within
        the threshold and, by the second-best test, clearly nearer than the next eligible
        person), or no match; ``device`` is the handle's, whose consecutive failures are
        limited."""
        if Mode(policy.mode) is not Mode.IDENTIFY:
            raise IdentificationNotEnabled(
                f"deployment {policy.name!r} is enabled for 1:1 verification only"
            )
        now = datetime.now(UTC)
        offer = "; ".join(a.description for a in policy.alternatives) or "none"
        self._identify_attempts.check(device, policy.name, offer, now)
        faces = self._encoder.encode_all(image)
        if not faces:
            raise NoFace("no face was found in the image; identification needs one")
        if len(faces) > 1 and not policy.multi_face_basis.strip():
            raise MultipleFacesRefused(
                f"{len(faces)} faces in the frame; identification takes one cooperating "
                "person at a time"
            )
        consent: dict[str, bool] = {}

        def eligible(template: int) -> bool:
            # Consent and locks are looked up for the nearest candidates only, at this moment.
            owner, expires = self._galleries.owner(policy.name, template)
            if expires <= now:  # expired templates never match (R14)
                return False
            if owner not in consent:
                consent[owner] = self._ledger.is_valid(
                    owner, policy.name, purpose, policy.notice.version, at=now
                ) and not self._attempts.blocked(owner, policy.name, now)
            return consent[owner]

        point = self._points.now(policy)
        turn = self._rotations.of(policy.name)
        results = []
        for face, encoding in faces:
            found = self._galleries.nearest(policy.name, turn.apply(encoding), point, eligible)
            subject = None if found is None else self._galleries.owner(policy.name, found)[0]
            results.append(FaceResult(face.box, subject is not None, subject))
        matched = any(result.match for result in results)
        self._identify_attempts.record(device, policy.name, matched, now)
        return self._points.decision(
            policy,
            "ok",
            point,
            allowed=True,
            match=matched,
            # One face: its subject. Several (a deployment with a legal basis): each face's
            # own result is in ``faces``, and no single subject speaks for the frame.
            subject=results[0].subject if len(results) == 1 else None,
            faces=tuple(results),
        )

    def score(self, deployment: str, subject: str, image: Any) -> float:
        """The distance between the face in ``image`` and the subject's nearest template (inf
        if none): for administrators only (R19)."""
        probe = self._rotations.of(deployment).apply(self._encoder.encode(image))
        return self._distance(deployment, subject, probe, datetime.now(UTC), float("inf"))

    def _distance(
        self, deployment: str, subject: str, probe: Any, now: datetime, limit: float
    ) -> float:
        """The distance from ``probe`` to the subject's nearest unexpired template (inf when
        there is none, or when it is beyond ``limit``): their own templates, opened from the
        store, so a 1:1 check needs no gallery in memory."""
        templates = self._vault.templates_of(deployment, subject, now)
        if not templates:
            return float("inf")
        nearest = float(np.min(distances(np.stack(templates), probe)))
        return nearest if nearest <= limit else float("inf")
