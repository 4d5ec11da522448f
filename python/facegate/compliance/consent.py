"""The consent ledger: append-only grant and withdrawal events per subject and deployment.

A grant must be a separate consent to face processing, for purposes the deployment declares
(R2), tied to the deployment's current notice version, the one the person is shown (R7), with
its time and channel (R8); a subject under 14, by the birth date declared with the consent
(never estimated from the face), needs the consent of a guardian who is someone else (R9).
Withdrawal is one call and takes effect at once (R10). Whether a subject may be matched is
decided from the latest event at the moment of the call: granted, not expired, covering the
purpose, for the current notice version (R2, R7).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from facegate._time import utc
from facegate.compliance.registry import Registry
from facegate.errors import (
    ConsentNotSeparate,
    GuardianConsentRequired,
    InactiveDeployment,
    InvalidArgument,
    StaleNotice,
    UndeclaredPurpose,
    UnknownId,
)
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
        notice_version: the version of the notice shown: the deployment's current one,
            ``deployment.notice.version`` (a deployment's notice states its mode, so this is
            not the version of the :class:`~facegate.Notice` it was built from when it is 1:N).
        channel: how consent was given ("kiosk", "app", "paper form", ...).
        face_data: the separate consent to processing face data; must be true (R8).
        bundled: whether consent was part of other terms; bundled consent is refused (R8).
        written: whether written consent was required; then ``evidence_ref`` is too.
        evidence_ref: where the signed consent is kept.
        guardian: the consenting guardian, required under 14 (R9); not the subject.
        transfer: separate consent to send templates off the device (R16).
        expires_at: when the consent lapses, if it does.
        birth_date: the subject's declared birth date (a :class:`datetime.date`), which
            decides whether a guardian must consent (R9); facegate never estimates age.
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
    birth_date: date | None = None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _check_kinds(consent: ConsentGrant) -> None:
    """Each field of ``consent`` is of its kind (a typed error naming it, never an
    AttributeError from deep inside)."""
    purposes = consent.purposes
    if isinstance(purposes, str) or not isinstance(purposes, tuple | list | frozenset | set):
        raise InvalidArgument(
            f"purposes is a tuple of purpose ids, not a {type(purposes).__name__}"
        )
    if not all(isinstance(p, str) for p in purposes):
        raise InvalidArgument("purposes are purpose ids (text)")
    for name in ("notice_version", "channel"):
        if not isinstance(getattr(consent, name), str):
            raise InvalidArgument(f"{name} is text, not a {type(getattr(consent, name)).__name__}")
    if consent.evidence_ref is not None and not isinstance(consent.evidence_ref, str):
        raise InvalidArgument("evidence_ref is text (where the signed consent is kept) or None")
    born = consent.birth_date
    if born is not None and (isinstance(born, datetime) or not isinstance(born, date)):
        raise InvalidArgument(
            f"birth_date is a datetime.date (date(2012, 5, 31)), not a {type(born).__name__}"
        )
    guardian = consent.guardian
    if guardian is not None and (
        not isinstance(guardian, Guardian)
        or not isinstance(guardian.id, str)
        or not isinstance(guardian.relationship, str)
    ):
        raise InvalidArgument("guardian is a Guardian(id, relationship) of text, or None")


def _check_guardian(subject: str, consent: ConsentGrant, *, minor: bool) -> None:
    """A minor's consent comes from a guardian with an id and a relationship (R9); nobody is
    their own guardian."""
    guardian = consent.guardian
    if guardian is not None and guardian.id.strip() == subject.strip():
        raise GuardianConsentRequired(
            "the guardian's id is the subject's own: a guardian consents for someone else"
        )
    if minor and (guardian is None or not guardian.id.strip() or not guardian.relationship.strip()):
        raise GuardianConsentRequired(
            f"the subject is under {MINOR_AGE}: a parent or guardian must consent, "
            "with their id and relationship recorded"
        )


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
        at: datetime | None = None,
    ) -> int:
        """Records a grant after the R2, R7, R8 and R9 checks; returns its sequence number."""
        moment = utc(at)
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidArgument("a subject is known by an id: non-empty text")
        if not isinstance(consent, ConsentGrant):
            raise InvalidArgument(f"a consent is a ConsentGrant, not a {type(consent).__name__}")
        _check_kinds(consent)
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
        if consent.expires_at is not None and utc(consent.expires_at) <= moment:
            raise InvalidArgument("the consent expires before it is given; check expires_at")
        self._check_notice(deployment, consent)
        born = consent.birth_date
        if born is not None and born > moment.date():
            raise InvalidArgument("the declared birth date is after the day of the consent")
        stored = self._stored_birth_date(subject)
        if born is None:
            born = stored  # declared before: a minor stays one without it being said again
        elif stored is not None and stored != born:
            raise InvalidArgument(
                "the declared birth date differs from the one recorded for this subject; "
                "correct the record (erase and enroll again) rather than declare another"
            )
        _check_guardian(
            subject, consent, minor=born is not None and _age(born, moment.date()) < MINOR_AGE
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
                birth_date=born.isoformat() if born else None,
                at=moment.isoformat(),
            )
            return self._store.consents.grant(subject, deployment, row, at=moment.isoformat())

    def _stored_birth_date(self, subject: str) -> date | None:
        found = self._store.subjects.birth_date(subject)
        with self._store.reading("a subject's birth date"):
            return None if found is None else date.fromisoformat(found)

    def _check_notice(self, deployment: str, consent: ConsentGrant) -> None:
        """The consent names the deployment's current notice (R7) and purposes it declares
        (R2): a person consents to what the notice in force tells them, nothing else."""
        if self._store.deployments.decommissioned(deployment):
            raise InactiveDeployment(
                f"deployment {deployment!r} was decommissioned: nobody can consent to it",
                rule="R28",
            )
        declared = Registry(self._store).deployment(deployment)
        current = declared.notice.version
        if consent.notice_version != current:
            raise StaleNotice(
                f"the consent names notice version {consent.notice_version!r}, but deployment "
                f"{deployment!r} shows version {current!r} (deployment.notice.version): show "
                "the person the current notice and record their consent to that"
            )
        undeclared = sorted(set(consent.purposes) - set(declared.purposes))
        if undeclared:
            raise UndeclaredPurpose(
                f"the consent names {', '.join(undeclared)}, which deployment {deployment!r} "
                f"does not declare (it declares {', '.join(declared.purposes)})",
                rule="R2",
            )

    def withdraw(self, subject: str, deployment: str, *, at: datetime | None = None) -> int:
        """Records a withdrawal, effective at once; returns its sequence number. UnknownId when
        the deployment is unknown or the subject never consented there: a withdrawal of nothing
        would be a receipt for an act that never happened (as erasing nobody is, R13). A second
        withdrawal is recorded again, so that a repeated request still gets its receipt."""
        moment = utc(at)
        self._store.deployments.get(deployment)
        if self._store.consents.latest(subject, deployment) is None:
            raise UnknownId(f"no consent of this subject was ever recorded in {deployment!r}")
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
