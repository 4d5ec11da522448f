"""The gate's verbs for administrators: operators and deployments, erasure and retention,
exports, renewal, scores and operating points. Each is guarded (:mod:`facegate.gate.guard`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from facegate._time import utc
from facegate.accuracy import OperatingPoint
from facegate.compliance.policy import Deployment
from facegate.compliance.registry import Assessment
from facegate.errors import TransferNotConsented, UnknownId
from facegate.gate.guard import ALL, Call, Capability, Gated, guarded
from facegate.gate.results import (
    ConsentRecord,
    DeletionReceipt,
    DeploymentStatus,
    SealedTemplate,
    SubjectExport,
    TemplateRecord,
)

__all__ = ["AdministrationVerbs"]


class AdministrationVerbs(Gated):
    """Setting deployments up, and what only administrators may do to people's data (mixed
    into :class:`~facegate.FaceGate`)."""

    __slots__ = ()

    @guarded(Capability.ADMIN)
    def register_operator(self, call: Call, operator: str, *, name: str, contact: str) -> None:
        """Records the personal-information processor; ``operator`` is its id."""
        self._rooms.registry.register_operator(operator, name=name, contact=contact)

    @guarded(Capability.ADMIN)
    def register_deployment(self, call: Call, operator: str, deployment: Deployment) -> None:
        """Stores a deployment, checked when it was built; inactive until assessed and
        activated (R26)."""
        self._rooms.registry.register_deployment(operator, deployment)

    @guarded(Capability.ADMIN)
    def update_deployment(self, call: Call, deployment: Deployment) -> bool:
        """Changes a deployment's declarations; a new notice version takes it off line until
        it is assessed again (R7, R26). Returns whether the notice version changed."""
        return self._rooms.registry.update_deployment(deployment)

    @guarded(Capability.ADMIN)
    def record_assessment(self, call: Call, deployment: str, assessment: Assessment) -> None:
        """Records a signed impact assessment for the deployment's current notice (R26)."""
        self._rooms.registry.record_assessment(deployment, assessment)

    @guarded(Capability.ADMIN)
    def activate(self, call: Call, deployment: str) -> None:
        """Makes an assessed deployment live (R26; 1:N within its honest limits, R5)."""
        self._rooms.registry.activate(deployment)

    @guarded(*ALL, audited=False)
    def deployment(self, call: Call, deployment: str) -> Deployment:
        """The deployment's declarations: what its notice and signs say (any capability)."""
        return self._rooms.registry.deployment(deployment)

    @guarded(Capability.ADMIN, audited=False)
    def deployment_status(self, call: Call, deployment: str) -> DeploymentStatus:
        """The deployment as stored: declarations, operator, state, size, operating point."""
        return self._status(deployment)

    @guarded(Capability.ADMIN, audited=False)
    def deployments(self, call: Call) -> tuple[DeploymentStatus, ...]:
        """Every deployment of the store, by name."""
        return tuple(self._status(name) for name in self._rooms.store.deployments.names())

    @guarded(Capability.ADMIN, audited=False)
    def assessment(self, call: Call, deployment: str) -> Assessment | None:
        """The deployment's latest signed impact assessment, if any."""
        return self._rooms.registry.assessment(deployment)

    @guarded(Capability.ADMIN)
    def operating_point(self, call: Call, deployment: str) -> OperatingPoint:
        """Where ``deployment`` runs now: the threshold for its gallery's current size and the
        error rates expected there (FPIR/FNIR for 1:N, FMR/FNMR for 1:1), with how they were
        obtained. Administrators only: matching devices get match / no match (R4)."""
        return self._point(deployment)

    @guarded(Capability.ADMIN)
    def score(self, call: Call, deployment: str, subject: str, image: Any) -> float:
        """The distance between the face in ``image`` and ``subject``'s nearest template (inf
        if none). Administrators only (R19): public decisions carry match / no match, because a
        continuous score lets an attacker climb towards acceptance. The value is not audited."""
        return self._rooms.decisions.score(deployment, subject, image)

    @guarded(Capability.ADMIN)
    def reenable_verification(self, call: Call, deployment: str, subject: str) -> None:
        """Lifts an attempt lock or the switch-off after repeated failures."""
        self._rooms.attempts.reenable(subject, deployment)

    @guarded(Capability.ADMIN)
    def reenable_identification(self, call: Call, deployment: str, device: str) -> None:
        """Lifts a device's identification lock or switch-off after repeated identifications
        without a match (``device``: as the handle names it)."""
        self._rooms.identify_attempts.reenable(device, deployment)

    @guarded(Capability.ADMIN)
    def renew(self, call: Call, deployment: str) -> int:
        """Re-keys every template of ``deployment`` to a new rotation epoch (R18 renewal, e.g.
        after a suspected leak): each is opened, turned back, turned by the new rotation and
        sealed again inside Rust, all in one transaction. Old copies (backups, exports) no
        longer match anything. Returns how many templates were renewed."""
        self._rooms.registry.deployment(deployment)  # an unknown deployment is an error
        return self._rooms.vault.renew(deployment)

    @guarded(Capability.ADMIN)
    def erase(self, call: Call, subject: str) -> DeletionReceipt:
        """Erases the subject everywhere, in one transaction: data key, templates, consents,
        attempt counters, gallery entries (R13). UnknownId if nothing is held about them (the
        receipt would claim what did not happen)."""
        if not self._rooms.store.subjects.exists(subject):
            raise UnknownId(f"nothing is held about subject {subject!r}: there is nothing to erase")
        receipt = self._rooms.vault.destroy(subject, self._rooms.store.deployments.names())
        self._rooms.store.subjects.delete(subject)
        return receipt

    @guarded(Capability.ADMIN)
    def purge_expired(self, call: Call, now: datetime | None = None) -> int:
        """Deletes every template past its retention period (R14); returns how many."""
        moment = utc(now).isoformat()
        by_subject: dict[str, list[str]] = {}
        for subject, deployment in self._rooms.store.templates.expired(moment):
            by_subject.setdefault(subject, []).append(deployment)
        return sum(
            self._rooms.vault.destroy(subject, deployments, expiring_by=moment).templates_removed
            for subject, deployments in by_subject.items()
        )

    @guarded(Capability.ADMIN)
    def export_subject(self, call: Call, subject: str) -> SubjectExport:
        """What is held about ``subject``: consents and template metadata, never a template."""
        store = self._rooms.store
        with store.reading("a consent event"):
            consents = tuple(
                ConsentRecord(
                    deployment=e.deployment,
                    kind=e.kind,
                    purposes=tuple(json.loads(e.purposes)),
                    notice_version=e.notice_version,
                    channel=e.channel,
                    at=e.at,
                    expires_at=e.expires_at,
                )
                for e in store.consents.of_subject(subject)
            )
        return SubjectExport(
            subject=subject,
            consents=consents,
            templates=tuple(TemplateRecord(*row) for row in store.templates.metadata_of(subject)),
            data_key_held=store.data_keys.wrapped(subject) is not None,
        )

    @guarded(Capability.ADMIN)
    def export_sealed(
        self, call: Call, deployment: str, subjects: Sequence[str]
    ) -> tuple[SealedTemplate, ...]:
        """Sealed templates and wrapped keys of ``subjects`` for a remote backend holding the
        same master key. Refused as a whole unless every subject gave the separate transfer
        consent (R16): the store is local by default, and facegate itself sends nothing."""
        ledger = self._rooms.ledger
        refused = [s for s in subjects if not ledger.transfer_allowed(s, deployment)]
        if refused:
            raise TransferNotConsented(
                f"{len(refused)} of {len(subjects)} subjects have not consented to their face "
                "data leaving this device; nothing was exported"
            )
        return self._rooms.vault.export(deployment, subjects)

    def _status(self, deployment: str) -> DeploymentStatus:
        record = self._rooms.store.deployments.get(deployment)
        return DeploymentStatus(
            definition=self._rooms.registry.deployment(deployment),
            operator=record.operator,
            active=record.active,
            templates=self._rooms.store.templates.count(deployment),
            operating_point=self._point(deployment),
        )

    def _point(self, deployment: str) -> OperatingPoint:
        policy = self._rooms.registry.deployment(deployment)
        # The median photograph count of the stored templates, else the declared one.
        photos = self._rooms.store.templates.median_photos(deployment)
        return self._rooms.points.now(policy, photos)
