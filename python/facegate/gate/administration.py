"""The gate's verbs for administrators: operators and deployments, erasure and retention,
exports, renewal, scores and operating points. Each is guarded (:mod:`facegate.gate.guard`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from facegate._text import encodable
from facegate._time import utc_past
from facegate.accuracy import OperatingPoint
from facegate.compliance.filing import FilingEvent
from facegate.compliance.policy import Deployment
from facegate.compliance.registry import Assessment, DeploymentUpdate, deployment_from_dict
from facegate.errors import InvalidArgument, TransferNotConsented, UnknownId
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
    def register_deployment(
        self, call: Call, operator: str, definition: Deployment | Mapping[str, Any]
    ) -> FilingEvent | None:
        """Stores a deployment, inactive until assessed and activated (R26). ``definition`` is
        a :class:`~facegate.Deployment` or its plain data (a JSON definition file's dict, as
        :func:`~facegate.compliance.registry.deployment_from_dict` takes): built here, so that
        a refusal (a private space, R23; 1:N without a justification, R3...) is audited (R20).
        Where the operator's filing is required, returns the ``change`` filing event it
        recorded (R28)."""
        deployment = _built(call, definition)
        return self._rooms.registry.register_deployment(operator, deployment)

    @guarded(Capability.ADMIN)
    def update_deployment(
        self, call: Call, definition: Deployment | Mapping[str, Any]
    ) -> DeploymentUpdate:
        """Changes a deployment's declarations (``definition`` as in
        :meth:`register_deployment`, built and audited here). A new notice version (purpose,
        method, retention or mode) needs new consents (R7); a change of anything the impact
        assessment rests on (mode, threshold, multi-face basis...) takes the deployment off
        line until it is assessed again (R26); a shorter retention period shortens every
        stored template's too (R14); a change to filed matters records a filing event where
        the operator's filing is required (R28). Returns what changed."""
        deployment = _built(call, definition)
        old = self._rooms.registry.deployment(deployment.name)
        update = self._rooms.registry.update_deployment(deployment)
        if deployment.notice.retention_days < old.notice.retention_days:
            # The gallery in memory holds each template's expiry: it follows the store.
            self._rooms.galleries.renewed(deployment.name)
        return update

    @guarded(Capability.ADMIN)
    def record_assessment(
        self, call: Call, deployment: str, assessment: Assessment
    ) -> FilingEvent | None:
        """Records a signed impact assessment of the deployment's current declarations (R26);
        one still holding the pre-filled draft's placeholders is refused. Where the operator's
        filing is required, returns the ``change`` filing event it recorded (R28)."""
        return self._rooms.registry.record_assessment(deployment, assessment)

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
        """Where ``deployment`` runs now: the threshold (and for 1:N the second-best ratio) for
        its gallery's current size and the error rates expected there (FPIR/FNIR for 1:N,
        FMR/FNMR for 1:1), with how they were obtained. Administrators only: matching devices
        get match / no match (R4)."""
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
        moment = utc_past(now, what="now").isoformat()
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

    @guarded(Capability.ADMIN)
    def decommission(self, call: Call, deployment: str) -> FilingEvent | None:
        """Retires the deployment for good (R28): it goes off line and can never be changed,
        assessed or activated again, and every template stored for it is destroyed (its
        purpose has ended, PIPL 47). Where the operator's filing is required, records the
        ``decommission`` filing event with its 30-working-day deadline and returns it."""
        event = self._rooms.registry.decommission(deployment)
        for subject in self._rooms.store.templates.subjects_in(deployment):
            self._rooms.vault.destroy(subject, (deployment,))
        return event

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


def _built(call: Call, definition: object) -> Deployment:
    """The deployment ``definition`` describes, built inside the guard so that a refusal is
    audited under the deployment's name (where it has a usable one)."""
    name = (
        definition.name
        if isinstance(definition, Deployment)
        else definition.get("name")
        if isinstance(definition, Mapping)
        else None
    )
    if isinstance(name, str) and name.strip() and encodable(name):
        call.deployment = name
    if isinstance(definition, Deployment):
        return definition
    if isinstance(definition, Mapping):
        return deployment_from_dict(dict(definition))
    raise InvalidArgument(
        f"a deployment is a Deployment or its definition (a dict), not a "
        f"{type(definition).__name__}"
    )
