"""``FaceGate``: the public API through which every biometric operation passes the gate.

Each call checks, in order: the handle's capability (R19), that the deployment is active (R26),
that the purpose is declared (R2) and, for enrolment, verification and identification, that the
subject holds valid consent for it under the current notice (R2, R7, R8). Then it detects and
encodes, seals or matches, and returns a :class:`Decision` listing the alternatives (R11).
Every call, allowed or refused, appends an audit entry with ids, purpose, outcome, rule and
threshold, never biometric data (R20). Identification searches only consented templates and
returns at most the best match, as match or no match (R4).

Thresholds come from the deployment's operating point (R5): derived from its target error rate
for the gallery's current size, re-derived as enrolments and erasures change that size, and
stated in the audit trail whenever the size crosses a power of ten (:mod:`facegate.accuracy`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from facegate._arrays import as_matrix
from facegate._galleries import Shared, kms_root, load_gallery
from facegate._photos import encode_photos, folded
from facegate._time import utc
from facegate.accuracy import OperatingPoint
from facegate.attempts import Attempts
from facegate.audit import AuditLog, Checkpoint, Verification
from facegate.consent import ConsentGrant, ConsentLedger
from facegate.decisions import ALL, Capability, Decision, DeletionReceipt, Encoder
from facegate.detect import FaceDetector
from facegate.errors import (
    CapabilityRequired,
    ConsentRequired,
    FacegateError,
    IdentificationNotEnabled,
    InactiveDeployment,
    IntegrityError,
    InvalidArgument,
    InvalidTemplate,
    MultipleFacesRefused,
    OperatingPointRefused,
    PolicyRefusal,
    TransferNotConsented,
    UndeclaredPurpose,
    UnknownId,
    WrongKey,
)
from facegate.filing import DEFAULT_WARNING_MARGIN, FILING_THRESHOLD, check_filing
from facegate.incidents import IncidentKind, record_incident
from facegate.keys import (
    DataKey,
    KmsMasterKey,
    MasterKey,
    Rotation,
    open_template,
    renew_template,
    seal_template,
)
from facegate.matching import NO_MATCH, Gallery
from facegate.policy import Deployment, Mode
from facegate.registry import Assessment, Registry, limit_message
from facegate.store import Store

__all__ = ["Capability", "Decision", "DeletionReceipt", "Encoder", "FaceGate"]

T = TypeVar("T")


class FaceGate:
    """An operator's store, opened with its master key. See the module docs for the gate."""

    def __init__(
        self,
        store: Store,
        master: MasterKey | KmsMasterKey,
        secrets: MasterKey,
        encoder: Encoder,
        capabilities: frozenset[Capability],
        shared: Shared,
    ) -> None:
        self._store, self._master, self._encoder = store, master, encoder
        # Rotations and audit tags are derived from ``secrets``: the master key itself, or for a
        # KMS-held master key a random root that the service wraps (KmsMasterKey.derivation_root).
        self._secrets = secrets
        self._capabilities = capabilities
        self._shared = shared
        self._galleries, self._rotations = shared.galleries, shared.rotations
        self.registry = Registry(store)
        self.ledger = ConsentLedger(store)
        self.audit = AuditLog(store, secrets)
        self.attempts = Attempts(store)

    @classmethod
    def open(
        cls,
        path: str | Path,
        key: MasterKey | KmsMasterKey,
        *,
        encoder: Encoder | None = None,
        capabilities: frozenset[Capability] = ALL,
        checkpoints: str | Path | None = None,
    ) -> FaceGate:
        """Opens (or creates) the store at ``path``; every deployment's gallery is rebuilt from
        its sealed templates inside Rust (no plaintext template becomes a Python object).
        ``checkpoints`` names a folder, best on other storage, that receives an authenticated
        audit checkpoint every 1,000 entries (see :class:`~facegate.audit.AuditLog`)."""
        store = Store.open(path)
        try:
            secrets = key if isinstance(key, MasterKey) else kms_root(store, key)
        except BaseException:
            store.close()
            raise
        shared = Shared({}, {}, store.data_version())
        gate = cls(store, key, secrets, encoder or FaceDetector(), frozenset(capabilities), shared)
        gate.audit = AuditLog(store, secrets, checkpoints=checkpoints)
        if not gate.audit.head_authentic():
            store.close()
            raise WrongKey(
                f"{path}: the audit trail's head does not authenticate under master key "
                f"{key.id} (another operator's key, or the head was altered)"
            )
        for (deployment,) in store.query("SELECT id FROM deployments"):
            try:
                gate._load(str(deployment))
            except IntegrityError as exc:
                # Fail closed (R17), and record it as an incident (R22) before refusing.
                kind = (
                    IncidentKind.WRONG_KEY
                    if isinstance(exc, WrongKey)
                    else (IncidentKind.TEMPLATE_TAG)
                )
                record_incident(
                    store,
                    kind,
                    f"opening deployment {deployment!s}: {type(exc).__name__}",
                    deployment=str(deployment),
                    affected=store.count(
                        "SELECT COUNT(*) FROM templates WHERE deployment_id = ?", (deployment,)
                    ),
                )
                store.close()
                raise
        return gate

    def verify_audit(self, checkpoint: Checkpoint | None = None) -> Verification:
        """Verifies the audit trail (and an exported checkpoint); a break is recorded as an
        integrity incident (R22) that deactivates every deployment until re-assessed."""

        def run() -> Verification:
            result = self.audit.verify(checkpoint)
            if not result.ok:
                record_incident(
                    self._store,
                    IncidentKind.AUDIT_CHAIN,
                    str(result),
                    affected=len(self.audit) - (result.first_bad or 1) + 1,
                )
            return result

        return self._guarded(Capability.ADMIN, "verify_audit", None, None, None, run)

    def renew(self, deployment: str) -> int:
        """Re-keys every template of ``deployment`` to a new rotation epoch (R18 renewal, e.g.
        after a suspected leak): each is opened, turned back, turned by the new rotation and
        sealed again inside Rust, all in one transaction. Old copies (backups, exports) no
        longer match anything. Returns how many templates were renewed."""

        def run() -> int:
            epoch = self._epoch(deployment) + 1
            old = self._rotation(deployment)
            new = Rotation.derive(self._secrets, deployment, epoch=epoch)
            rows = self._store.query(
                "SELECT t.id, t.subject_id, t.sealed, k.wrapped FROM templates t JOIN data_keys k "
                "ON k.subject_id = t.subject_id WHERE t.deployment_id = ?",
                (deployment,),
            )
            with self._store.transaction() as db:
                self.registry.deployment(deployment)  # an unknown deployment is an error
                for template_id, subject, sealed, wrapped in rows:
                    renewed = renew_template(
                        bytes(sealed),  # type: ignore[call-overload]
                        self._master.unwrap(bytes(wrapped), str(subject)),  # type: ignore[call-overload]
                        deployment=deployment,
                        subject=str(subject),
                        template_id=int(template_id),  # type: ignore[call-overload]
                        old=old,
                        new=new,
                    )
                    db.execute(
                        "UPDATE templates SET sealed = ?, rotation_epoch = ? WHERE id = ?",
                        (renewed, epoch, template_id),
                    )
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (f"rotation_epoch:{deployment}", str(epoch)),
                )

            def switch() -> None:
                self._rotations[deployment] = new
                self._load(deployment)

            self._store.after_commit(switch)
            return len(rows)

        return self._guarded(Capability.ADMIN, "renew", deployment, None, None, run)

    def handle(self, *capabilities: Capability) -> FaceGate:
        """A handle on the same store limited to ``capabilities`` (e.g. a matching device)."""
        narrowed = frozenset(capabilities) & self._capabilities
        handle = FaceGate(
            self._store, self._master, self._secrets, self._encoder, narrowed, self._shared
        )
        handle.audit = self.audit  # one log, with its checkpoint schedule
        return handle

    def close(self) -> None:
        self._store.close()

    # ----- administration -------------------------------------------------------------------

    def register_operator(self, operator: str, *, name: str, contact: str) -> None:
        self._guarded(
            Capability.ADMIN,
            "register_operator",
            None,
            None,
            None,
            lambda: self.registry.register_operator(operator, name=name, contact=contact),
        )

    def register_deployment(self, operator: str, deployment: Deployment) -> None:
        def run() -> None:
            self.registry.register_deployment(operator, deployment)
            self._store.after_commit(lambda: self._new_gallery(deployment.name))

        self._guarded(Capability.ADMIN, "register_deployment", deployment.name, None, None, run)

    def update_deployment(self, deployment: Deployment) -> bool:
        """Changes a deployment; see :meth:`Registry.update_deployment` (R7, R26)."""
        return self._guarded(
            Capability.ADMIN,
            "update_deployment",
            deployment.name,
            None,
            None,
            lambda: self.registry.update_deployment(deployment),
        )

    def record_assessment(self, deployment: str, assessment: Assessment) -> None:
        self._guarded(
            Capability.ADMIN,
            "record_assessment",
            deployment,
            None,
            None,
            lambda: self.registry.record_assessment(deployment, assessment),
        )

    def activate(self, deployment: str) -> None:
        self._guarded(
            Capability.ADMIN,
            "activate",
            deployment,
            None,
            None,
            lambda: self.registry.activate(deployment),
        )

    def grant_consent(
        self, deployment: str, subject: str, consent: ConsentGrant, **kw: Any
    ) -> None:
        """Records a consent grant (R8, R9); see :class:`~facegate.consent.ConsentLedger`."""
        self._guarded(
            Capability.ENROL,
            "grant_consent",
            deployment,
            None,
            subject,
            lambda: self.ledger.grant(subject, deployment, consent, **kw),
        )

    def grant_consents(
        self, deployment: str, people: list[tuple[str, ConsentGrant]], **kw: Any
    ) -> int:
        """Records many consent grants (a roll-out at a residential community, say) in one
        transaction, each checked and audited as :meth:`grant_consent` would: all or none.
        Returns how many were recorded."""

        def run() -> int:
            for subject, consent in people:
                self.ledger.grant(subject, deployment, consent, **kw)
                self._audit(
                    Capability.ENROL, "grant_consent", deployment, None, subject, "ok", "ok"
                )
            return len(people)

        return self._guarded(Capability.ENROL, "grant_consents", deployment, None, None, run)

    def decline(self, deployment: str, alternative: str, subject: str | None = None) -> Decision:
        """Records that a person chose a non-biometric alternative instead of face recognition
        (R11): no face is processed, nothing counts against them, and the service path they
        took is recorded. ``alternative`` is one of the deployment's alternatives."""

        def run() -> Decision:
            policy = self.registry.deployment(deployment)
            offered = [a.description for a in policy.alternatives]
            if alternative not in offered:
                raise InvalidArgument(
                    f"{alternative!r} is not an alternative of deployment {deployment!r}; it "
                    f"offers: {'; '.join(offered) or 'none (a legal mandate applies)'}"
                )
            return self._decision(policy, "R11", allowed=True, detail=alternative)

        return self._guarded(Capability.MATCH, "decline", deployment, None, subject, run)

    # ----- biometric operations -------------------------------------------------------------

    def enroll(self, deployment: str, subject: str, image: Any, purpose: str) -> Decision:
        """Encodes the one face in ``image`` and stores it sealed for ``subject``.

        ``image`` may be a list or tuple of photographs of the person: each must pass the
        quality gates, and the stored template is their average, which misses the person less
        often than one photograph does (``docs/ACCURACY.md``)."""

        def run(policy: Deployment) -> Decision:
            self._require_consent(policy, subject, purpose)
            mean, photos = encode_photos(image, self._encoder.encode)
            template = self._rotation(deployment).apply(mean)
            self._store_templates(policy, [(subject, template[0], photos)])
            return self._decision(policy, "ok", allowed=True)

        return self._operate(Capability.ENROL, "enroll", deployment, purpose, subject, run)

    def add_photos(self, deployment: str, subject: str, image: Any, purpose: str) -> Decision:
        """Adds one photograph (or a list of them) to ``subject``'s latest template here: it
        becomes the average over every photograph enrolled so far. Needs the same consent as
        enrolment and is audited as ``add_photos``."""

        def run(policy: Deployment) -> Decision:
            self._require_consent(policy, subject, purpose)
            mean, photos = encode_photos(image, self._encoder.encode)
            added = self._rotation(deployment).apply(mean)[0]
            old_id, old, old_photos, expires = self._latest_template(deployment, subject)
            combined = folded(old, old_photos, added, photos)
            with self._store.transaction() as db:
                # Stored first, so the new template takes a fresh id and is published before
                # the old one is forgotten. It keeps the old expiry: the first photograph's
                # retention period does not start again.
                self._store_templates(
                    policy, [(subject, combined, old_photos + photos)], replacing=1, expires=expires
                )
                db.execute("DELETE FROM templates WHERE id = ?", (old_id,))
            gallery, owners = self._galleries[deployment]

            def forget() -> None:
                gallery.remove([old_id])
                owners.pop(old_id, None)

            self._store.after_commit(forget)
            return self._decision(policy, "ok", allowed=True)

        return self._operate(Capability.ENROL, "add_photos", deployment, purpose, subject, run)

    def enroll_many(self, deployment: str, people: list[tuple[str, Any]], purpose: str) -> Decision:
        """Bulk enrolment (R30): every subject needs their own valid consent, every image must
        pass the quality gates, and then all are stored in one transaction; otherwise none is.
        A person's image may be a list of photographs, averaged as in :meth:`enroll`."""

        def encode(image: Any) -> tuple[npt.NDArray[np.float32], int]:
            return encode_photos(image, self._encoder.encode)

        return self._enroll_batch("enroll_many", deployment, people, purpose, encode)

    def enroll_encodings(
        self, deployment: str, people: list[tuple[str, Any]], purpose: str
    ) -> Decision:
        """Like :meth:`enroll_many` for 128-d encodings computed elsewhere (a migration from
        another system, with each person's consent): the same gate, without detection."""

        def as_encoding(value: Any) -> tuple[npt.NDArray[np.float32], int]:
            rows = as_matrix(value, name="an encoding", dim=128)
            if len(rows) != 1:
                raise InvalidTemplate(f"one encoding per person, got {len(rows)}")
            return rows.reshape(-1), 1

        return self._enroll_batch("enroll_encodings", deployment, people, purpose, as_encoding)

    def _enroll_batch(
        self,
        action: str,
        deployment: str,
        people: list[tuple[str, Any]],
        purpose: str,
        encode: Callable[[Any], tuple[npt.NDArray[np.float32], int]],
    ) -> Decision:
        def run(policy: Deployment) -> Decision:
            lacking = sorted(
                {
                    subject
                    for subject, _ in people
                    if not self.ledger.is_valid(subject, deployment, purpose, policy.notice.version)
                }
            )
            if lacking:
                raise ConsentRequired(
                    f"{len(lacking)} of {len(people)} subjects have no valid consent; bulk "
                    "enrolment needs a consent event for every subject and enrols none without"
                )
            turn = self._rotation(deployment)
            encoded = [encode(item) for _, item in people]
            templates = turn.apply(np.stack([encoding for encoding, _ in encoded]))
            rows = zip(people, templates, encoded, strict=True)
            self._store_templates(policy, [(s, t, n) for (s, _), t, (_, n) in rows])
            return self._decision(policy, "ok", allowed=True)

        return self._operate(Capability.ENROL, action, deployment, purpose, None, run)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Deletes every template past its retention period (R14); returns how many."""
        moment = utc(now).isoformat()

        def run() -> int:
            subjects = [
                str(row[0])
                for row in self._store.query(
                    "SELECT DISTINCT subject_id FROM templates WHERE expires_at <= ?", (moment,)
                )
            ]
            removed = 0
            for subject in subjects:
                expired = self._store.query(
                    "SELECT DISTINCT deployment_id FROM templates "
                    "WHERE subject_id = ? AND expires_at <= ?",
                    (subject, moment),
                )
                removed += self._destroy(
                    subject, tuple(str(r[0]) for r in expired), before=moment
                ).templates_removed
            return removed

        return self._guarded(Capability.ADMIN, "purge_expired", None, None, None, run)

    def export_sealed(self, deployment: str, subjects: list[str]) -> list[dict[str, Any]]:
        """Sealed templates and wrapped keys of ``subjects`` for a remote backend holding the
        same master key. Refused as a whole unless every subject gave the separate transfer
        consent (R16): the store is local by default, and facegate itself sends nothing."""

        def run() -> list[dict[str, Any]]:
            refused = [s for s in subjects if not self.ledger.transfer_allowed(s, deployment)]
            if refused:
                raise TransferNotConsented(
                    f"{len(refused)} of {len(subjects)} subjects have not consented to their face "
                    "data leaving this device; nothing was exported"
                )
            rows = self._store.query(
                f"SELECT t.id, t.subject_id, t.sealed, k.wrapped FROM templates t JOIN data_keys k "
                f"ON k.subject_id = t.subject_id WHERE t.deployment_id = ? AND t.subject_id IN "
                f"({','.join('?' * len(subjects))}) ORDER BY t.id",
                (deployment, *subjects),
            )
            names = ("template_id", "subject", "sealed", "wrapped_key")
            return [dict(zip(names, row, strict=True)) for row in rows]

        return self._guarded(Capability.ADMIN, "export_sealed", deployment, None, None, run)

    def export_subject(self, subject: str) -> dict[str, Any]:
        """What is held about ``subject``: consents and template metadata, never a template."""

        def run() -> dict[str, Any]:
            consents = self._store.query(
                "SELECT deployment_id, kind, purposes, notice_version, channel, at, expires_at "
                "FROM consent_events WHERE subject_id = ? ORDER BY seq",
                (subject,),
            )
            templates = self._store.query(
                "SELECT deployment_id, created_at, expires_at FROM templates "
                "WHERE subject_id = ? ORDER BY id",
                (subject,),
            )
            names = (
                "deployment",
                "kind",
                "purposes",
                "notice_version",
                "channel",
                "at",
                "expires_at",
            )
            return {
                "subject": subject,
                "consents": [dict(zip(names, row, strict=True)) for row in consents],
                "templates": [
                    dict(zip(("deployment", "created_at", "expires_at"), row, strict=True))
                    for row in templates
                ],
                "data_key_held": bool(
                    self._store.query("SELECT 1 FROM data_keys WHERE subject_id = ?", (subject,))
                ),
            }

        return self._guarded(Capability.ADMIN, "export_subject", None, None, subject, run)

    def verify(self, deployment: str, subject: str, image: Any, purpose: str) -> Decision:
        """1:1: whether the face in ``image`` is ``subject`` (coarse match / no match)."""

        def run(policy: Deployment) -> Decision:
            self._require_consent(policy, subject, purpose)
            now = datetime.now(UTC)
            offer = "; ".join(a.description for a in policy.alternatives) or "none"
            self.attempts.check(subject, deployment, offer, now)
            probe = self._rotation(deployment).apply(self._encoder.encode(image))
            limit = self._point(policy).threshold
            matched = self._subject_distance(deployment, subject, probe, now, limit) <= limit
            self.attempts.record(subject, deployment, matched, now)
            return self._decision(policy, "ok", allowed=True, match=matched)

        return self._operate(Capability.MATCH, "verify", deployment, purpose, subject, run)

    def score(self, deployment: str, subject: str, image: Any) -> float:
        """The distance between the face in ``image`` and ``subject``'s nearest template (inf
        if none). Administrators only (R19): public decisions carry match / no match, because a
        continuous score lets an attacker climb towards acceptance. The value is not audited."""

        def run() -> float:
            probe = self._rotation(deployment).apply(self._encoder.encode(image))
            now = datetime.now(UTC)
            return self._subject_distance(deployment, subject, probe, now, float("inf"))

        return self._guarded(Capability.ADMIN, "score", deployment, None, subject, run)

    def operating_point(self, deployment: str) -> OperatingPoint:
        """Where ``deployment`` runs now: the threshold for its gallery's current size and the
        error rates expected there (FPIR/FNIR for 1:N, FMR/FNMR for 1:1), with how they were
        obtained. Administrators only: matching devices get match / no match (R4)."""

        def run() -> OperatingPoint:
            policy = self.registry.deployment(deployment)
            # The median photograph count of the stored templates, else the declared one.
            photos = self._store.query(
                "SELECT photos FROM templates WHERE deployment_id = ? ORDER BY photos "
                "LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM templates WHERE deployment_id = ?)",
                (deployment, deployment),
            )
            return self._point(policy, int(cast(int, photos[0][0])) if photos else None)

        return self._guarded(Capability.ADMIN, "operating_point", deployment, None, None, run)

    def reenable_verification(self, deployment: str, subject: str) -> None:
        """Lifts an attempt lock or the switch-off after repeated failures (administrators)."""
        self._guarded(
            Capability.ADMIN,
            "reenable_verification",
            deployment,
            None,
            subject,
            lambda: self.attempts.reenable(subject, deployment),
        )

    def identify(self, deployment: str, image: Any, purpose: str) -> Decision:
        """1:N: the best consented match above the threshold, or no match (R3, R4, R25)."""

        def run(policy: Deployment) -> Decision:
            if Mode(policy.mode) is not Mode.IDENTIFY:
                raise IdentificationNotEnabled(
                    f"deployment {deployment!r} is enabled for 1:1 verification only"
                )
            faces = self._encoder.encode_all(image)
            if len(faces) > 1 and not policy.multi_face_basis.strip():
                raise MultipleFacesRefused(
                    f"{len(faces)} faces in the frame; identification takes one cooperating "
                    "person at a time"
                )
            now = datetime.now(UTC)
            owners = self._galleries[deployment][1]
            turn = self._rotation(deployment)
            consent: dict[str, bool] = {}

            def eligible(template: int) -> bool:
                # Consent is looked up for the nearest candidates only, at this moment.
                owner, expires = owners[template]
                if expires <= now:  # expired templates never match (R14)
                    return False
                if owner not in consent:
                    consent[owner] = self.ledger.is_valid(
                        owner, deployment, purpose, policy.notice.version, at=now
                    )
                return consent[owner]

            best: str | None = None
            threshold = self._point(policy).threshold
            for _, encoding in faces[:1]:
                found = self._nearest(deployment, turn.apply(encoding), threshold, eligible)
                best = owners[found[0]][0] if found is not None else None
            return self._decision(policy, "ok", allowed=True, match=best is not None, subject=best)

        return self._operate(Capability.MATCH, "identify", deployment, purpose, None, run)

    def withdraw(self, deployment: str, subject: str) -> DeletionReceipt:
        """Withdraws consent at once and destroys the subject's face data there (R10, R13)."""

        def run() -> DeletionReceipt:
            self.ledger.withdraw(subject, deployment)
            return self._destroy(subject, (deployment,))

        return self._guarded(Capability.ENROL, "withdraw", deployment, None, subject, run)

    def erase(self, subject: str) -> DeletionReceipt:
        """Erases the subject everywhere: data key, templates, consents, gallery entries (R13)."""

        def run() -> DeletionReceipt:
            receipt = self._destroy(subject, tuple(self._galleries))
            with self._store.transaction() as db:
                db.execute("DELETE FROM subjects WHERE id = ?", (subject,))
            return receipt

        return self._guarded(Capability.ADMIN, "erase", None, None, subject, run)

    # ----- internals ------------------------------------------------------------------------

    def _operate(
        self,
        capability: Capability,
        action: str,
        deployment: str,
        purpose: str,
        subject: str | None,
        work: Callable[[Deployment], Decision],
    ) -> Decision:
        def run() -> Decision:
            policy = self.registry.deployment(deployment)
            if not self.registry.is_active(deployment):
                raise InactiveDeployment(
                    f"deployment {deployment!r} is not active: record an impact assessment and "
                    "activate it first"
                )
            if purpose not in policy.purposes:
                raise UndeclaredPurpose(
                    f"purpose {purpose!r} is not declared by deployment {deployment!r}", rule="R2"
                )
            return work(policy)

        return self._guarded(capability, action, deployment, purpose, subject, run)

    def _guarded(
        self,
        capability: Capability,
        action: str,
        deployment: str | None,
        purpose: str | None,
        subject: str | None,
        run: Callable[[], T],
    ) -> T:
        """Runs ``run`` and its audit entry in one transaction; a refusal rolls the work back
        and is then audited on its own."""
        try:
            with self._store.transaction():
                if capability not in self._capabilities:
                    raise CapabilityRequired(
                        f"this handle may not {action}: it needs the {capability.value!r} "
                        "capability"
                    )
                self._sync()
                result = run()
                decision = result if isinstance(result, Decision) else None
                self._audit(
                    capability,
                    action,
                    deployment,
                    purpose,
                    subject,
                    "match" if decision and decision.match else "ok",
                    "ok",
                    decision.threshold if decision else None,
                    decision.detail if decision else None,
                )
        except FacegateError as exc:
            rule = exc.rule if isinstance(exc, PolicyRefusal) else type(exc).__name__
            self._audit(capability, action, deployment, purpose, subject, "refused", rule)
            raise
        return result

    def _audit(
        self,
        capability: Capability,
        action: str,
        deployment: str | None,
        purpose: str | None,
        subject: str | None,
        outcome: str,
        rule: str,
        threshold: float | None = None,
        detail: str | None = None,
    ) -> None:
        self.audit.append(
            capability=capability.value,
            action=action,
            deployment=deployment,
            purpose=purpose,
            subject=subject,
            outcome=outcome,
            rule=rule,
            threshold=threshold,
            detail=detail,
        )

    def _check_filing(self, deployment: str, *, extra: int) -> None:
        """Raises the filing events (R27) when the operator's stored individuals reach the
        warning margin or the threshold. Counting distinct people costs a scan, so it runs only
        once the operator's templates (an upper bound on people) could have got there."""
        (operator,) = self._store.query(
            "SELECT operator_id FROM deployments WHERE id = ?", (deployment,)
        )[0]
        held = extra + sum(
            len(self._galleries[str(name)][0])
            for (name,) in self._store.query(
                "SELECT id FROM deployments WHERE operator_id = ?", (operator,)
            )
            if str(name) in self._galleries
        )
        if held >= DEFAULT_WARNING_MARGIN * FILING_THRESHOLD:
            check_filing(self._store, str(operator), threshold=FILING_THRESHOLD)

    def _epoch(self, deployment: str) -> int:
        return self._store.count(
            "SELECT value FROM meta WHERE key = ?", (f"rotation_epoch:{deployment}",)
        )

    def _sync(self) -> None:
        """Catches up with commits by other processes (another device or worker on the same
        store): SQLite's data_version changes only then, and the galleries are rebuilt."""
        version = self._store.data_version()
        if version == self._shared.version:
            return
        self._rotations.clear()
        for (deployment,) in self._store.query("SELECT id FROM deployments"):
            self._load(str(deployment))
        self._shared.version = version

    def _new_gallery(self, deployment: str) -> None:
        self._galleries.setdefault(deployment, (Gallery(), {}))

    def _rotation(self, deployment: str) -> Rotation:
        """The deployment's rotation, derived once per process (deriving costs milliseconds)."""
        rotation = self._rotations.get(deployment)
        if rotation is None:
            epoch = self._epoch(deployment)
            rotation = Rotation.derive(self._secrets, deployment, epoch=epoch)
            self._rotations[deployment] = rotation
        return rotation

    def _nearest(
        self, deployment: str, probe: Any, threshold: float, eligible: Callable[[int], bool]
    ) -> tuple[int, float] | None:
        """The nearest template within ``threshold`` that ``eligible`` accepts, and its
        distance. Looks at the 16 nearest first and widens only when all of them are close but
        ineligible."""
        gallery = self._galleries[deployment][0]
        k = 16
        while True:
            found = gallery.search(probe, k=min(k, max(len(gallery), 1)), max_distance=threshold)
            for template, distance in zip(found.ids[0], found.distances[0], strict=True):
                if template == NO_MATCH:
                    return None
                if eligible(int(template)):
                    return int(template), float(distance)
            if k >= len(gallery):
                return None
            k *= 4

    def _subject_distance(
        self, deployment: str, subject: str, probe: Any, now: datetime, limit: float
    ) -> float:
        """The distance from ``probe`` to the subject's nearest unexpired template within
        ``limit`` (inf when there is none)."""
        owners = self._galleries[deployment][1]

        def theirs(template: int) -> bool:
            owner, expires = owners[template]
            return owner == subject and expires > now

        found = self._nearest(deployment, probe, limit, theirs)
        return found[1] if found else float("inf")

    def _require_consent(self, policy: Deployment, subject: str, purpose: str) -> None:
        if not self.ledger.is_valid(subject, policy.name, purpose, policy.notice.version):
            raise ConsentRequired(
                f"no valid consent for purpose {purpose!r} under the current notice; ask the "
                "person, or offer: " + "; ".join(a.description for a in policy.alternatives)
            )

    def _decision(self, policy: Deployment, rule: str, **fields: Any) -> Decision:
        alternatives = tuple(a.description for a in policy.alternatives)
        threshold = self._point(policy).threshold
        return Decision(rule=rule, alternatives=alternatives, threshold=threshold, **fields)

    def _point(self, policy: Deployment, photos: int | None = None) -> OperatingPoint:
        """The deployment's operating point at its gallery's current size (cached per size)."""
        held = self._galleries.get(policy.name)
        return policy.operating_point(len(held[0]) if held else 0, photos)

    def _resized(self, policy: Deployment, before: int, after: int) -> None:
        """When a change in this transaction takes a 1:N gallery from ``before`` to ``after``
        templates: refuses growth past the deployment's honest limit (R5), and audits the
        operating point when the size crosses a power of ten (the threshold follows the size;
        the record says what the deployment now runs at)."""
        if not policy.identifies or before == after:
            return  # 1:1 rates do not depend on the gallery's size
        point = policy.operating_point(after)
        if after > before and point.false_non_match > policy.max_fnir:
            raise OperatingPointRefused(limit_message(policy, point, "enrolment"))
        if len(str(max(before, 1))) == len(str(max(after, 1))):
            return
        self.audit.append(
            capability="gate",
            action="operating_point",
            deployment=policy.name,
            outcome="ok",
            rule="R5",
            threshold=point.threshold,
            detail=point.describe(),
        )

    def _latest_template(
        self, deployment: str, subject: str
    ) -> tuple[int, npt.NDArray[np.float32], int, datetime]:
        """The subject's latest unexpired template here, opened, with its id, photograph count
        and expiry."""
        rows = self._store.query(
            "SELECT t.id, t.sealed, t.photos, k.wrapped, t.expires_at FROM templates t "
            "JOIN data_keys k ON k.subject_id = t.subject_id WHERE t.subject_id = ? AND "
            "t.deployment_id = ? AND t.expires_at > ? ORDER BY t.id DESC LIMIT 1",
            (subject, deployment, datetime.now(UTC).isoformat()),
        )
        if not rows:
            raise UnknownId(
                f"subject {subject!r} has no unexpired template in deployment {deployment!r}; "
                "enrol first"
            )
        template_id, sealed, photos, wrapped, expires = cast(
            tuple[int, bytes, int, bytes, str], rows[0]
        )
        key = self._master.unwrap(bytes(wrapped), subject)
        template = open_template(
            bytes(sealed), key, deployment=deployment, subject=subject, template_id=template_id
        )
        return int(template_id), template, int(photos), datetime.fromisoformat(expires)

    def _data_key(self, db: Any, subject: str) -> DataKey:
        row = db.execute(
            "SELECT wrapped FROM data_keys WHERE subject_id = ?", (subject,)
        ).fetchone()
        if row:
            return self._master.unwrap(bytes(row[0]), subject)
        key = DataKey.generate()
        db.execute(
            "INSERT INTO data_keys (subject_id, wrapped, master_key_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            (
                subject,
                self._master.wrap(key, subject),
                self._master.id,
                datetime.now(UTC).isoformat(),
            ),
        )
        return key

    def _store_templates(
        self,
        policy: Deployment,
        rows: list[tuple[str, npt.NDArray[np.float32], int]],
        *,
        replacing: int = 0,
        expires: datetime | None = None,
    ) -> None:
        """Seals and stores every (subject, rotated template, photograph count) in one
        transaction, then adds them to the gallery: all or nothing. ``replacing``: how many
        templates the caller removes in the same transaction; ``expires``: their expiry (by
        default the retention period from now)."""
        now = datetime.now(UTC)
        expires = expires or now + timedelta(days=policy.notice.retention_days)
        with self._store.transaction() as db:
            (first,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM templates").fetchone()
            ids = list(range(int(first), int(first) + len(rows)))
            for template_id, (subject, template, photos) in zip(ids, rows, strict=True):
                sealed = seal_template(
                    template,
                    self._data_key(db, subject),
                    deployment=policy.name,
                    subject=subject,
                    template_id=template_id,
                )
                db.execute(
                    "INSERT INTO templates (id, subject_id, deployment_id, sealed, "
                    "rotation_epoch, created_at, expires_at, photos) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        template_id,
                        subject,
                        policy.name,
                        sealed,
                        self._epoch(policy.name),
                        now.isoformat(),
                        expires.isoformat(),
                        photos,
                    ),
                )
            self._check_filing(policy.name, extra=len(rows))
            # Enrolment stores once per transaction, so the gallery in memory is the size before.
            gallery, owners = self._galleries[policy.name]
            self._resized(policy, len(gallery), len(gallery) + len(rows) - replacing)
        stacked = np.stack([template for _, template, _ in rows])

        def publish() -> None:
            gallery.add(ids, stacked)
            for template_id, (subject, _, _) in zip(ids, rows, strict=True):
                owners[template_id] = (subject, expires)

        self._store.after_commit(publish)

    def _destroy(
        self, subject: str, deployments: tuple[str, ...], *, before: str | None = None
    ) -> DeletionReceipt:
        """Destroys the subject's templates in ``deployments`` (only those expiring by
        ``before`` when given), and their data key if no template is left."""
        with self._store.transaction() as db:
            rows = db.execute(
                f"SELECT id, deployment_id FROM templates WHERE subject_id = ? AND deployment_id "
                f"IN ({','.join('?' * len(deployments))}) AND (? IS NULL OR expires_at <= ?)",
                (subject, *deployments, before, before),
            ).fetchall()
            # The key goes first: once it is gone no copy of the templates can be opened.
            remaining = db.execute(
                "SELECT COUNT(*) FROM templates WHERE subject_id = ?", (subject,)
            ).fetchone()[0]
            destroy_key = remaining == len(rows)
            if destroy_key:
                db.execute("DELETE FROM data_keys WHERE subject_id = ?", (subject,))
            db.executemany("DELETE FROM templates WHERE id = ?", [(r[0],) for r in rows])
            for deployment in sorted({str(r[1]) for r in rows}):
                # Counted in the store: a purge erases several subjects in one transaction.
                (after,) = db.execute(
                    "SELECT COUNT(*) FROM templates WHERE deployment_id = ?", (deployment,)
                ).fetchone()
                gone = sum(1 for r in rows if str(r[1]) == deployment)
                self._resized(self.registry.deployment(deployment), after + gone, after)

        def forget() -> None:
            for template_id, deployment in rows:
                gallery, owners = self._galleries[str(deployment)]
                gallery.remove([int(template_id)])
                owners.pop(int(template_id), None)
            # The WAL still holds the deleted pages until it is checkpointed and truncated.
            self._store.checkpoint_soon()

        self._store.after_commit(forget)
        return DeletionReceipt(subject, deployments, len(rows), destroy_key, datetime.now(UTC))

    def _load(self, deployment: str) -> None:
        with self._store.reading(f"deployment {deployment!r}'s templates"):
            self._load_rows(deployment)

    def _load_rows(self, deployment: str) -> None:
        self._galleries[deployment] = load_gallery(self._store, self._master, deployment)
