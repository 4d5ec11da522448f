"""The consent ledger: append-only grant and withdrawal events per subject and deployment.

A grant must be a separate consent to face processing, for named purposes, tied to the notice
version the person saw, with its time and channel (R8); a subject under 14, by a declared birth
date (never estimated from the face), needs a guardian's consent (R9). Withdrawal is one call
and takes effect at once (R10). Whether a subject may be matched is decided from the latest event
at the moment of the call: granted, not expired, covering the purpose, for the current notice
version (R2, R7).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from facegate._time import utc
from facegate.errors import ConsentNotSeparate, GuardianConsentRequired
from facegate.store import Store
from facegate.store.consents import ConsentEvent, ConsentRow

__all__ = ["MINOR_AGE", "ConsentGrant", "ConsentLedger", "Guardian"]

MINOR_AGE = 14
"""Below this age (PIPL art. 28/31) a guardian consents for the subject."""


@dataclass(frozen=True, slots=True)
class Guardian:
    """Who consents for a minor, and how they are related to the subject."""

    id: str
    relationship: str


@dataclass(frozen=True, slots=True)
class ConsentGrant:
    """One consent event as the person gave it.

    Args:
        purposes: the purposes consented to (a subset of the deployment's).
        notice_version: the version of the notice shown (``Notice.version``).
        channel: how consent was given ("kiosk", "app", "paper form", ...).
        face_data: the separate consent to processing face data; must be true (R8).
        bundled: whether consent was part of other terms; bundled consent is refused (R8).
        written: whether written consent was required; then ``evidence_ref`` is too.
        evidence_ref: where the signed consent is kept.
        guardian: the consenting guardian, required under 14 (R9).
        transfer: separate consent to send templates off the device (R16).
        expires_at: when the consent lapses, if it does.
    """

    purposes: tuple[str, ...]
    notice_version: str
    channel: str
    face_data: bool
    bundled: bool = False
    written: bool = False
    evidence_ref: str | None = None
    guardian: Guardian | None = None
    transfer: bool = False
    expires_at: datetime | None = None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class ConsentLedger:
    """Consent events in a :class:`~facegate.store.Store`."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def grant(
        self,
        subject: str,
        deployment: str,
        consent: ConsentGrant,
        *,
        birth_date: date | None = None,
        at: datetime | None = None,
    ) -> int:
        """Records a grant after the R8 and R9 checks; returns its sequence number."""
        moment = utc(at)
        if not consent.face_data or consent.bundled:
            raise ConsentNotSeparate(
                "face data needs its own consent, separate from other terms; ask for it on its own"
            )
        if not consent.purposes or not consent.channel.strip() or not consent.notice_version:
            raise ConsentNotSeparate(
                "a consent must name its purposes, the notice version shown and the channel"
            )
        if consent.written and not (consent.evidence_ref or "").strip():
            raise ConsentNotSeparate("written consent is required here: record where it is kept")
        if birth_date is not None and _age(birth_date, moment.date()) < MINOR_AGE:
            guardian = consent.guardian
            if guardian is None or not guardian.id.strip() or not guardian.relationship.strip():
                raise GuardianConsentRequired(
                    f"the subject is under {MINOR_AGE}: a parent or guardian must consent, "
                    "with their id and relationship recorded"
                )
        guardian = consent.guardian or Guardian("", "")
        row = ConsentRow(
            purposes=json.dumps(sorted(consent.purposes)),
            notice_version=consent.notice_version,
            channel=consent.channel,
            evidence_ref=consent.evidence_ref,
            guardian_id=guardian.id or None,
            guardian_relationship=guardian.relationship or None,
            transfer=consent.transfer,
            expires_at=utc(consent.expires_at).isoformat() if consent.expires_at else None,
        )
        with self._store.transaction():
            self._store.subjects.ensure(
                subject,
                birth_date=birth_date.isoformat() if birth_date else None,
                at=moment.isoformat(),
            )
            return self._store.consents.grant(subject, deployment, row, at=moment.isoformat())

    def withdraw(self, subject: str, deployment: str, *, at: datetime | None = None) -> int:
        """Records a withdrawal, effective at once; returns its sequence number (0 when the
        subject never consented: there is nothing to withdraw, and no record is made of them)."""
        moment = utc(at)
        if not self._store.subjects.exists(subject):
            return 0
        return self._store.consents.withdraw(subject, deployment, at=moment.isoformat())

    def is_valid(
        self,
        subject: str,
        deployment: str,
        purpose: str,
        notice_version: str,
        *,
        at: datetime | None = None,
    ) -> bool:
        """Whether ``subject`` may be processed for ``purpose`` under the current notice now."""
        moment = utc(at).isoformat()
        event = self._store.consents.latest(subject, deployment, at=moment)
        return event is not None and self._covers(event, purpose, notice_version, moment)

    def transfer_allowed(self, subject: str, deployment: str) -> bool:
        """Whether the subject's current consent includes the separate transfer consent (R16)."""
        event = self._store.consents.latest(subject, deployment)
        return event is not None and event.kind == "granted" and event.transfer

    def valid_subjects(
        self,
        deployment: str,
        purpose: str,
        notice_version: str,
        *,
        at: datetime | None = None,
    ) -> set[str]:
        """Every subject whose latest event for ``deployment`` is a grant that covers
        ``purpose``, for ``notice_version``, unexpired at ``at``."""
        moment = utc(at).isoformat()
        return {
            event.subject
            for event in self._store.consents.latest_of_each(deployment, at=moment)
            if self._covers(event, purpose, notice_version, moment)
        }

    def _covers(self, event: ConsentEvent, purpose: str, notice_version: str, moment: str) -> bool:
        """Whether ``event`` is a grant for ``purpose`` under ``notice_version``, unexpired at
        ``moment``."""
        return (
            event.kind == "granted"
            and event.notice_version == notice_version
            and (event.expires_at is None or event.expires_at > moment)
            and purpose in self._purposes(event.purposes)
        )

    def _purposes(self, stored: str) -> list[str]:
        with self._store.reading("a consent event"):
            purposes = json.loads(stored)
            if not isinstance(purposes, list):
                raise TypeError("purposes are not a list")
            return [str(p) for p in purposes]
