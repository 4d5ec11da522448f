"""The filing dossier (R28): the five materials an operator files with the regulator, assembled
from the store. :mod:`facegate.reports.dossier` renders it.

1. the operator; 2. purposes and methods; 3. the stored count and security measures; 4. the
processing rules and procedures; 5. the impact assessment; and the filing state with deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facegate._time import utc
from facegate.compliance import safeguards
from facegate.compliance.consent import MINOR_AGE
from facegate.compliance.filing import FilingStatus, filing_status, stored_templates
from facegate.compliance.policy import Alternative, Deployment, Location, Mode
from facegate.compliance.registry import Assessment, Registry, assessment_from_json
from facegate.errors import UnknownId
from facegate.store import Store
from facegate.store.operators import OperatorRecord

__all__ = [
    "AssessmentOnFile",
    "DeploymentMethod",
    "FilingDossier",
    "ProcessingRules",
    "SecurityMeasures",
    "filing_dossier",
]


@dataclass(frozen=True, slots=True)
class DeploymentMethod:
    """Material 2 for one deployment: what it is for, where, and how faces are compared.
    The last four fields apply only to 1:N (the justification) and to public places."""

    deployment: str
    location: Location
    purposes: tuple[str, ...]
    mode: Mode
    necessity: str
    method: str
    active: bool
    notice_version: str
    identification_justification: str | None = None
    public_security_basis: str | None = None
    capture_area: str | None = None
    signage: bool | None = None


@dataclass(frozen=True, slots=True)
class SecurityMeasures:
    """Material 3: how many individuals and templates are stored, and how they are protected."""

    individuals: int
    templates: int
    encryption: str = safeguards.ENCRYPTION
    transform: str = safeguards.TRANSFORM
    audit: str = safeguards.AUDIT
    storage: str = safeguards.STORAGE


@dataclass(frozen=True, slots=True)
class ProcessingRules:
    """Material 4 for one deployment: retention, matching, alternatives, consent, erasure."""

    deployment: str
    retention_days: int
    threshold: float
    ratio: float | None
    operating_point: str
    alternatives: tuple[Alternative, ...]
    consent: str
    withdrawal_and_erasure: str
    rights_contact: str


@dataclass(frozen=True, slots=True)
class AssessmentOnFile:
    """Material 5 for one deployment: its latest signed assessment (None if none yet)."""

    deployment: str
    assessment: Assessment | None
    signed_at: str | None = None
    notice_version: str | None = None
    covers_current_notice: bool = False


@dataclass(frozen=True, slots=True)
class FilingDossier:
    """The five filing materials of R28, the filing state, and when it was generated."""

    operator: OperatorRecord
    purposes_and_methods: tuple[DeploymentMethod, ...]
    stored_count_and_security: SecurityMeasures
    processing_rules: tuple[ProcessingRules, ...]
    assessments: tuple[AssessmentOnFile, ...]
    filing: FilingStatus
    generated_at: datetime


def filing_dossier(store: Store, operator: str, *, now: datetime | None = None) -> FilingDossier:
    """Assembles the operator's dossier from the store (reads only)."""
    moment = utc(now)
    status = filing_status(store, operator, now=moment)
    record = store.operators.get(operator)
    if record is None:  # filing_status has checked; a concurrent deletion is not possible
        raise UnknownId(f"operator {operator!r} is not registered")
    registry = Registry(store)
    deployments = [
        (registry.deployment(found.id), found.active) for found in store.deployments.all(operator)
    ]
    return FilingDossier(
        operator=record,
        purposes_and_methods=tuple(_method(d, active) for d, active in deployments),
        stored_count_and_security=SecurityMeasures(
            individuals=status.individuals, templates=stored_templates(store, operator)
        ),
        processing_rules=tuple(_rules(d, registry) for d, _ in deployments),
        assessments=tuple(_on_file(store, d) for d, _ in deployments),
        filing=status,
        generated_at=moment,
    )


def _method(deployment: Deployment, active: bool) -> DeploymentMethod:
    public = Location(deployment.location) is Location.PUBLIC_PLACE
    return DeploymentMethod(
        deployment=deployment.name,
        location=Location(deployment.location),
        purposes=tuple(deployment.purposes),
        mode=Mode(deployment.mode),
        necessity=deployment.necessity,
        method=deployment.notice.method,
        active=active,
        notice_version=deployment.notice.version,
        identification_justification=(
            deployment.identification_justification if deployment.identifies else None
        ),
        public_security_basis=deployment.public_security_basis if public else None,
        capture_area=deployment.capture_area if public else None,
        signage=deployment.signage if public else None,
    )


def _rules(deployment: Deployment, registry: Registry) -> ProcessingRules:
    notice = deployment.notice
    point = registry.operating_point(deployment.name)
    return ProcessingRules(
        deployment=deployment.name,
        retention_days=notice.retention_days,
        threshold=point.threshold,
        ratio=point.ratio if point.identify else None,
        operating_point=point.describe(),
        alternatives=tuple(deployment.alternatives),
        consent=(
            f"separate consent to face processing for {', '.join(deployment.purposes)}, tied to "
            f"notice version {notice.version} and recorded with its time and channel; a "
            f"guardian consents for a subject under {MINOR_AGE} (by declared birth date); a "
            "consent given to an older notice version no longer counts"
        ),
        withdrawal_and_erasure=(
            "withdrawal is one call and takes effect at once: the subject's templates in the "
            "deployment are deleted, and the data key with them when no other template remains; "
            "erasure deletes data key, templates and consents everywhere and issues a deletion "
            f"receipt; templates are deleted after {notice.retention_days} days"
        ),
        rights_contact=notice.rights_contact,
    )


def _on_file(store: Store, deployment: Deployment) -> AssessmentOnFile:
    record = store.assessments.latest(deployment.name)
    if record is None:
        return AssessmentOnFile(deployment.name, None)
    with store.reading(f"the impact assessment of {deployment.name!r}"):
        assessment = assessment_from_json(record.content)
    return AssessmentOnFile(
        deployment=deployment.name,
        assessment=assessment,
        signed_at=record.signed_at,
        notice_version=record.notice_version,
        covers_current_notice=record.notice_version == deployment.notice.version,
    )
