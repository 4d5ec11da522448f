"""The facts of an impact assessment (R26), measured from the store.

The assessment must rest on what a deployment actually holds and did, not only on what it
declares; this module only reads the store, so measuring is safe at any time and the document
(:mod:`facegate.reports.assessment`) only formats what was measured; the gate offers it to
administrators as :meth:`FaceGate.assessment_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facegate._time import utc
from facegate.accuracy import OperatingPoint
from facegate.compliance import safeguards
from facegate.compliance.registry import Registry
from facegate.store import Store

__all__ = ["AssessmentFacts", "Counts", "measure"]

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
        master_key_ids: the master keys wrapping them (none while no data key exists).
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
        master_key_id: the master key the store was opened with (None where the caller did
            not say): it exists, and wraps every data key made, even before there is one.
        erasure_epoch: on PostgreSQL, the erasure epoch whose key (``master_key_ids``) wraps
            the data keys instead of the master key (facegate.gate.wrapping); None on SQLite.
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
    encryption: str = safeguards.ENCRYPTION
    transform: str = safeguards.TRANSFORM
    master_key_id: str | None = None
    erasure_epoch: int | None = None


def _counts(pairs: list[tuple[str, int]]) -> Counts:
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def measure(
    store: Store,
    deployment: str,
    *,
    now: datetime | None = None,
    master_key_id: str | None = None,
) -> AssessmentFacts:
    """Measures the facts of ``deployment`` in ``store`` at ``now`` (default: the current time,
    which decides which templates count as expired); ``master_key_id`` names the master key
    the store is open with. Raises UnknownId for an unknown deployment. Reads only; the store
    is not changed."""
    moment = utc(now)
    registry = Registry(store)
    declared = registry.deployment(deployment)
    point = registry.operating_point(deployment)
    templates, subjects, expired = store.templates.facts(deployment, at=moment.isoformat())
    consents = store.consents.current_kinds(deployment)
    with store.reading(f"the data keys of {deployment!r}"):
        keys = store.data_keys.facts(deployment)
        oldest, newest = _time(keys.oldest), _time(keys.newest)
    entries, refused = store.audit.totals(deployment)
    declines = _counts(store.audit.declines(deployment))
    incidents = _counts(store.incidents.by_kind(deployment))
    return AssessmentFacts(
        deployment=deployment,
        measured_at=moment,
        templates=templates,
        subjects=subjects,
        consents_granted=consents.get("granted", 0),
        consents_withdrawn=consents.get("withdrawn", 0),
        data_keys=keys.count,
        data_keys_oldest=oldest,
        data_keys_newest=newest,
        master_key_ids=keys.masters,
        retention_days=declared.notice.retention_days,
        expired_templates=expired,
        audit_entries=entries,
        audit_allowed=entries - refused,
        audit_refused=refused,
        refusals_by_rule=_counts(store.audit.refusals(deployment)),
        alternatives_used=sum(count for _, count in declines),
        alternatives_by_detail=declines,
        incidents=sum(count for _, count in incidents),
        incidents_by_kind=incidents,
        operating_point=point,
        next_operating_point=declared.operating_point(10 ** len(str(point.gallery_size)))
        if point.identify
        else None,
        master_key_id=master_key_id,
        erasure_epoch=store.meta.erasure_epoch(),
    )
