"""The facts of an impact assessment (R26), measured from the store.

The assessment must rest on what a deployment actually holds and did, not only on what it
declares; this module only reads the store, so measuring is safe at any time and the document
(:mod:`facegate.reports.assessment`) only formats what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from facegate.accuracy import OperatingPoint
from facegate.errors import InvalidArgument
from facegate.registry import Registry
from facegate.store import Store

__all__ = ["ENCRYPTION", "TRANSFORM", "AssessmentFacts", "Counts", "measure"]

ENCRYPTION = "AES-256-GCM-SIV, per-subject data keys wrapped by a master key held outside the store"
"""How templates are sealed at rest (R17); stated in the assessment's risk and safeguard items."""

TRANSFORM = "per-deployment secret orthogonal rotation, renewable"
"""How templates are made unlinkable and renewable before sealing (R18)."""

Counts = tuple[tuple[str, int], ...]
"""(key, count) pairs, most frequent first: an immutable mapping (``dict(counts)``)."""


@dataclass(frozen=True, slots=True)
class AssessmentFacts:
    """What one deployment holds and did, measured from the store, for its impact assessment.

    The assessment must rest on facts, not only on declarations (R26): these show whether
    retention is enforced, how often the gate refused and why, whether people use the
    alternatives, and which keys and incidents exist.

    Attributes:
        deployment: the deployment's id.
        measured_at: when the store was read (UTC).
        templates: sealed templates stored for the deployment.
        subjects: distinct subjects those templates belong to.
        consents_granted, consents_withdrawn: subjects whose latest consent event for the
            deployment is a grant / a withdrawal (erased subjects have no events left).
        data_keys: data keys of the subjects with templates here (keys are per subject).
        data_keys_oldest, data_keys_newest: their creation times (None without keys).
        master_key_ids: the master keys wrapping them.
        retention_days: the notice's retention period.
        expired_templates: templates past expiry still stored (0: retention is enforced).
        audit_entries, audit_allowed, audit_refused: the deployment's audit entries, in all
            and by outcome (allowed: anything not refused).
        refusals_by_rule: refused entries by the rule that refused them.
        alternatives_used: recorded declines (a person chose an alternative, R11).
        alternatives_by_detail: those declines by the alternative chosen.
        incidents: integrity incidents of the deployment or of the whole store (R22).
        incidents_by_kind: those incidents by kind.
        operating_point: the threshold and expected error rates at the gallery's size (or the
            size the deployment expects, if larger): FPIR/FNIR for 1:N, FMR/FNMR for 1:1 (R5).
        next_operating_point: for 1:N, the same at the next power of ten, where the gate
            re-derives the threshold and restates it in the audit trail (None for 1:1).
        encryption, transform: the protection of templates at rest (R17, R18).
    """

    deployment: str
    measured_at: datetime
    templates: int
    subjects: int
    consents_granted: int
    consents_withdrawn: int
    data_keys: int
    data_keys_oldest: datetime | None
    data_keys_newest: datetime | None
    master_key_ids: tuple[str, ...]
    retention_days: int
    expired_templates: int
    audit_entries: int
    audit_allowed: int
    audit_refused: int
    refusals_by_rule: Counts
    alternatives_used: int
    alternatives_by_detail: Counts
    incidents: int
    incidents_by_kind: Counts
    operating_point: OperatingPoint
    next_operating_point: OperatingPoint | None
    encryption: str = ENCRYPTION
    transform: str = TRANSFORM


def _counts(rows: list[tuple[object, ...]]) -> Counts:
    pairs = [(str(key), int(str(count))) for key, count in rows]
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def _utc(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise InvalidArgument("times must be timezone-aware (for example datetime.now(UTC))")
    return moment.astimezone(UTC)


def _time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _template_facts(store: Store, deployment: str, now: datetime) -> tuple[int, int, int]:
    """(templates, distinct subjects, templates past expiry at ``now``)."""
    templates, subjects = store.query(
        "SELECT COUNT(*), COUNT(DISTINCT subject_id) FROM templates WHERE deployment_id = ?",
        (deployment,),
    )[0]
    expired = store.count(
        "SELECT COUNT(*) FROM templates WHERE deployment_id = ? AND expires_at <= ?",
        (deployment, now.isoformat()),
    )
    return int(str(templates)), int(str(subjects)), expired


def _consent_facts(store: Store, deployment: str) -> tuple[int, int]:
    """(granted, withdrawn) now: the latest event of each subject for the deployment decides."""
    kinds = dict(
        _counts(
            store.query(
                "SELECT kind, COUNT(*) FROM consent_events e WHERE deployment_id = ? AND seq = "
                "(SELECT MAX(seq) FROM consent_events WHERE subject_id = e.subject_id AND "
                "deployment_id = e.deployment_id) GROUP BY kind",
                (deployment,),
            )
        )
    )
    return kinds.get("granted", 0), kinds.get("withdrawn", 0)


@dataclass(frozen=True, slots=True)
class _Keys:
    count: int
    oldest: datetime | None
    newest: datetime | None
    masters: tuple[str, ...]


def _key_facts(store: Store, deployment: str) -> _Keys:
    """Data keys are per subject, shared across deployments: those of the subjects with
    templates here are the ones this deployment's data depends on."""
    holders = "subject_id IN (SELECT subject_id FROM templates WHERE deployment_id = ?)"
    count, oldest, newest = store.query(
        f"SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM data_keys WHERE {holders}",
        (deployment,),
    )[0]
    masters = store.query(
        f"SELECT DISTINCT master_key_id FROM data_keys WHERE {holders} ORDER BY master_key_id",
        (deployment,),
    )
    return _Keys(
        int(str(count)), _time(oldest), _time(newest), tuple(str(row[0]) for row in masters)
    )


def _audit_totals(store: Store, deployment: str) -> tuple[int, int]:
    """(entries, refused) of the deployment's audit entries."""
    total, refused = store.query(
        "SELECT COUNT(*), COALESCE(SUM(outcome = 'refused'), 0) FROM audit WHERE deployment_id = ?",
        (deployment,),
    )[0]
    return int(str(total)), int(str(refused))


def _refusals(store: Store, deployment: str) -> Counts:
    return _counts(
        store.query(
            "SELECT rule, COUNT(*) FROM audit WHERE deployment_id = ? AND outcome = 'refused' "
            "GROUP BY rule",
            (deployment,),
        )
    )


def _declines(store: Store, deployment: str) -> Counts:
    """Alternatives people chose (R11), by the alternative; a decline that was itself refused
    is not an alternative used."""
    return _counts(
        store.query(
            "SELECT COALESCE(detail, ''), COUNT(*) FROM audit WHERE deployment_id = ? "
            "AND action = 'decline' AND outcome != 'refused' GROUP BY detail",
            (deployment,),
        )
    )


def _incidents(store: Store, deployment: str) -> Counts:
    """Incidents of this deployment and of the whole store (a broken audit chain belongs to no
    one deployment but undermines the evidence of all), by kind."""
    return _counts(
        store.query(
            "SELECT kind, COUNT(*) FROM incidents WHERE deployment_id = ? "
            "OR deployment_id IS NULL GROUP BY kind",
            (deployment,),
        )
    )


def measure(store: Store, deployment: str, *, now: datetime | None = None) -> AssessmentFacts:
    """Measures the facts of ``deployment`` in ``store`` at ``now`` (default: the current time,
    which decides which templates count as expired). Raises UnknownId for an unknown
    deployment. Reads only; the store is not changed."""
    moment = _utc(now)
    registry = Registry(store)
    declared = registry.deployment(deployment)
    point = registry.operating_point(deployment)
    templates, subjects, expired = _template_facts(store, deployment, moment)
    granted, withdrawn = _consent_facts(store, deployment)
    keys = _key_facts(store, deployment)
    entries, refused = _audit_totals(store, deployment)
    declines = _declines(store, deployment)
    incidents = _incidents(store, deployment)
    return AssessmentFacts(
        deployment=deployment,
        measured_at=moment,
        templates=templates,
        subjects=subjects,
        consents_granted=granted,
        consents_withdrawn=withdrawn,
        data_keys=keys.count,
        data_keys_oldest=keys.oldest,
        data_keys_newest=keys.newest,
        master_key_ids=keys.masters,
        retention_days=declared.notice.retention_days,
        expired_templates=expired,
        audit_entries=entries,
        audit_allowed=entries - refused,
        audit_refused=refused,
        refusals_by_rule=_refusals(store, deployment),
        alternatives_used=sum(count for _, count in declines),
        alternatives_by_detail=declines,
        incidents=sum(count for _, count in incidents),
        incidents_by_kind=incidents,
        operating_point=point,
        next_operating_point=declared.operating_point(10 ** len(str(point.gallery_size)))
        if point.identify
        else None,
    )
