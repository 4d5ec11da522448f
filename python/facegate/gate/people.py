"""The gate's verbs for people: consent, enrollment, verification, identification, decline,
withdrawal. Each is guarded (:mod:`facegate.gate.guard`) and delegates to a room."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from facegate._text import encodable
from facegate.compliance.consent import ConsentGrant
from facegate.errors import InvalidArgument
from facegate.gate.enrollment import encoding_of
from facegate.gate.guard import Call, Capability, Gated, guarded
from facegate.gate.results import Decision, DeletionReceipt

__all__ = ["PeopleVerbs"]


class PeopleVerbs(Gated):
    """Consent, enrollment and matching (mixed into :class:`~facegate.FaceGate`)."""

    __slots__ = ()

    @guarded(Capability.ENROLL)
    def grant_consent(
        self,
        call: Call,
        deployment: str,
        subject: str,
        consent: ConsentGrant,
        *,
        at: datetime | None = None,
    ) -> None:
        """Records a person's separate consent (R8) to the deployment's current notice (R7); a
        subject under 14 by the consent's declared ``birth_date`` needs a guardian's (R9).
        ``at``: when it was given (default now)."""
        self._rooms.ledger.grant(subject, deployment, consent, at=at)

    @guarded(Capability.ENROLL)
    def grant_consents(
        self,
        call: Call,
        deployment: str,
        people: Sequence[tuple[str, ConsentGrant]],
        *,
        at: datetime | None = None,
    ) -> int:
        """Records many consent grants (a roll-out at a residential community, say) in one
        transaction, each checked and audited as :meth:`grant_consent` would, its declared
        birth date included: all or none. Returns how many were recorded."""
        for subject, consent in _pairs(people):
            self._rooms.ledger.grant(subject, deployment, consent, at=at)
            self._rooms.guard.note(call, action="grant_consent", subject=subject)
        return len(people)

    @guarded(Capability.ENROLL)
    def withdraw(self, call: Call, deployment: str, subject: str) -> DeletionReceipt:
        """Withdraws consent at once and destroys the subject's face data there (R10, R13)."""
        self._rooms.ledger.withdraw(subject, deployment)
        return self._rooms.vault.destroy(subject, (deployment,))

    @guarded(Capability.ENROLL, live=True, consent=True, encodes="photos")
    def enroll(
        self, call: Call, deployment: str, subject: str, image: Any, purpose: str
    ) -> Decision:
        """Encodes the one face in ``image`` and stores it sealed for ``subject``.

        ``image`` may be a list or tuple of photographs of the person: each must pass the
        quality gates, and the stored template is their average, which misses the person less
        often than one photograph does (``docs/ACCURACY.md``)."""
        self._rooms.enrollments.enroll(call.declared(), subject, image)
        return self._rooms.points.decision(call.declared(), "ok", allowed=True)

    @guarded(Capability.ENROLL, live=True, consent=True, encodes="photos")
    def add_photos(
        self, call: Call, deployment: str, subject: str, image: Any, purpose: str
    ) -> Decision:
        """Adds one photograph (or a list of them) to ``subject``'s latest template here: it
        becomes the average over every photograph enrolled so far. Needs the same consent as
        enrollment."""
        self._rooms.enrollments.add_photos(call.declared(), subject, image)
        return self._rooms.points.decision(call.declared(), "ok", allowed=True)

    @guarded(Capability.ENROLL, live=True)
    def enroll_many(
        self, call: Call, deployment: str, people: Sequence[tuple[str, Any]], purpose: str
    ) -> Decision:
        """Bulk enrollment (R30): every subject needs their own valid consent, every image must
        pass the quality gates, and then all are stored in one transaction; otherwise none is.
        A person's image may be a list of photographs, averaged as in :meth:`enroll`."""
        self._rooms.enrollments.enroll_many(call.declared(), people, purpose)
        return self._rooms.points.decision(call.declared(), "ok", allowed=True)

    @guarded(Capability.ENROLL, live=True)
    def enroll_encodings(
        self, call: Call, deployment: str, people: Sequence[tuple[str, Any]], purpose: str
    ) -> Decision:
        """Like :meth:`enroll_many` for 128-d encodings computed elsewhere (a migration from
        another system, with each person's consent): the same gate, without detection."""
        self._rooms.enrollments.enroll_many(call.declared(), people, purpose, encoding_of)
        return self._rooms.points.decision(call.declared(), "ok", allowed=True)

    @guarded(Capability.MATCH, live=True, consent=True, encodes="one")
    def verify(
        self, call: Call, deployment: str, subject: str, image: Any, purpose: str
    ) -> Decision:
        """1:1: whether the face in ``image`` is ``subject`` (coarse match / no match)."""
        return self._rooms.decisions.verify(call.declared(), subject, image)

    @guarded(Capability.MATCH, live=True, encodes="all")
    def identify(self, call: Call, deployment: str, image: Any, purpose: str) -> Decision:
        """1:N: the nearest consented person within the threshold and clearly nearer than the
        next (the second-best test: the operating point's ratio), or no match (R3, R4), for the
        one face in ``image``; for each face where the deployment cites a legal basis for
        frames with several (R25, ``Decision.faces``). The audit entry names the person
        matched, as a pseudonym (R20); with several faces, an entry per face does."""
        decision = self._rooms.decisions.identify(call.declared(), image, purpose, self._device)
        if len(decision.faces) == 1:
            call.subject = decision.subject
        else:
            for face in decision.faces:
                self._rooms.guard.note(
                    call,
                    action="identify_face",
                    subject=face.subject,
                    outcome="match" if face.match else "ok",
                    threshold=decision.threshold,
                    ratio=decision.ratio,
                )
        return decision

    @guarded(Capability.MATCH)
    def decline(
        self, call: Call, deployment: str, alternative: str, subject: str | None = None
    ) -> Decision:
        """Records that a person chose a non-biometric alternative instead of face recognition
        (R11): no face is processed, nothing counts against them, and the service path they
        took is recorded. ``alternative`` is one of the deployment's alternatives."""
        policy = self._rooms.registry.deployment(deployment)
        offered = [a.description for a in policy.alternatives]
        if alternative not in offered:
            raise InvalidArgument(
                f"{alternative!r} is not an alternative of deployment {deployment!r}; it "
                f"offers: {'; '.join(offered) or 'none (a legal mandate applies)'}"
            )
        return self._rooms.points.decision(policy, "R11", allowed=True, detail=alternative)


def _pairs(people: object) -> list[tuple[str, ConsentGrant]]:
    """The (subject, consent) pairs of a bulk grant; InvalidArgument for anything else (each
    subject is written to the audit trail, so it must be text)."""
    if isinstance(people, str | bytes) or not isinstance(people, Sequence):
        kind = type(people).__name__
        raise InvalidArgument(f"people is a list of (subject, consent) pairs, not a {kind}")
    pairs = []
    for number, item in enumerate(people, 1):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise InvalidArgument(f"item {number} of people is not a (subject, consent) pair")
        subject, consent = item
        if not isinstance(subject, str) or not subject.strip() or not encodable(subject):
            raise InvalidArgument(f"the subject of item {number} is not an id (non-empty text)")
        pairs.append((subject, consent))
    return pairs
