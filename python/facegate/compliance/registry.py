"""Operators, deployments and impact assessments in the store.

A deployment is checked by :class:`~facegate.compliance.policy.Deployment` when it is built,
stored with its notice version, and can only be activated once an impact assessment covering
the four items of M9 has been signed off for its current declarations (R26): changing purpose,
method, retention or mode makes a new notice version, and changing any declaration the
assessment rests on (a threshold, a multi-face basis...) requires a new assessment, so an
update that does either takes the deployment off line. An assessment still holding the
placeholders of facegate's pre-filled draft is refused: a person must have judged it.

Where the operator's filing is required (R27), registering a deployment, changing what the
dossier states about one or recording a new assessment of one records a ``change`` filing
event, and decommissioning one records a ``decommission`` event, each with its
30-working-day deadline (R28).
"""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from facegate.accuracy import MAX_PHOTOS, OperatingPoint
from facegate.compliance import filing
from facegate.compliance.filing import FilingEvent
from facegate.compliance.policy import (
    FILED_DECLARATIONS,
    UNASSESSED_DECLARATIONS,
    Alternative,
    Deployment,
    Notice,
    differences,
)
from facegate.compliance.wording import Wording
from facegate.errors import (
    AssessmentRequired,
    FacegateError,
    InactiveDeployment,
    InvalidArgument,
    OperatingPointRefused,
)
from facegate.store import Store

__all__ = [
    "DRAFT_PLACEHOLDERS",
    "TO_BE_COMPLETED",
    "TO_CONFIRM",
    "Assessment",
    "DeploymentUpdate",
    "Registry",
    "assessment_from_json",
    "deployment_from_dict",
    "limit_message",
]

TO_CONFIRM = "To confirm:"
"""How facegate's pre-filled draft marks a judgement it cannot make (R26)."""

TO_BE_COMPLETED = "TO BE COMPLETED"
"""What an unsigned assessment document shows where a person still has to write or sign."""

DRAFT_PLACEHOLDERS = (TO_CONFIRM, TO_BE_COMPLETED)
"""Text that only a draft holds: an assessment containing any of it is refused (R26)."""

_COVERS = "covers"
"""The key under which a stored assessment names the declarations it judged."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """A personal-information impact assessment (M9, PIPL 55), signed off by a named person.

    Args:
        legality_and_necessity: whether purpose and method are lawful, legitimate and necessary.
        rights_impact: the impact on people's rights and how it is mitigated.
        risks: the risks of leaks, tampering, loss and misuse.
        safeguards: whether the protective measures are lawful, effective and proportionate.
        signed_off_by: who approved it.
    """

    legality_and_necessity: str
    rights_impact: str
    risks: str
    safeguards: str
    signed_off_by: str

    def __post_init__(self) -> None:
        missing = [name for name, value in asdict(self).items() if not str(value).strip()]
        if missing:
            raise AssessmentRequired(
                f"the impact assessment lacks {', '.join(missing)}; all four items of M9 and a "
                "sign-off are required"
            )


@dataclass(frozen=True, slots=True)
class DeploymentUpdate:
    """What an update changed: the declarations (``notice.<field>`` for the notice's), whether
    the notice version changed (consents must be given again, R7), whether the deployment was
    taken off line for a new assessment (R26), and the filing event recorded for it (R28)."""

    changed: tuple[str, ...]
    new_notice: bool
    reassess: bool
    filing_event: FilingEvent | None


def _to_json(deployment: Deployment) -> str:
    data = asdict(deployment)
    data["extra_purposes"] = sorted(deployment.extra_purposes)
    return json.dumps(data, sort_keys=True)


@functools.lru_cache(maxsize=256)
def _from_json(text: str) -> Deployment:
    """The deployment a stored definition describes. Every call reads one, so a definition
    already checked is not parsed and checked again (the text is the whole definition, and a
    Deployment is immutable)."""
    with warnings.catch_warnings():
        # The R31 warning was given when the deployment was registered.
        warnings.simplefilter("ignore")
        return deployment_from_dict(json.loads(text))


def deployment_from_dict(data: dict[str, Any]) -> Deployment:
    """A deployment from plain data (a JSON definition file, or the store's own copy): the
    :class:`~facegate.compliance.policy.Deployment` fields, with ``notice`` a dict of
    :class:`~facegate.compliance.policy.Notice` fields, its ``alternatives`` a list of
    ``{"description": ..., "accessible": ...}`` and its ``translations`` a list of
    :class:`~facegate.compliance.wording.Wording` fields (``{"language": "zh", ...}``).
    Checked as any deployment is."""
    if not isinstance(data, dict):
        raise InvalidArgument(f"a deployment definition is a dict, not a {type(data).__name__}")
    try:
        fields = dict(data)
        notice = dict(fields.pop("notice"))
        # The mode a stored notice carries is the deployment's own: the deployment sets it.
        notice.pop("mode", None)
        notice["alternatives"] = tuple(Alternative(**a) for a in notice.get("alternatives", ()))
        notice["translations"] = tuple(Wording(**w) for w in notice.get("translations", ()))
        notice["purposes"] = tuple(notice.get("purposes", ()))
        fields["purposes"] = tuple(fields.get("purposes", ()))
        fields["extra_purposes"] = frozenset(fields.get("extra_purposes", ()))
        return Deployment(**fields, notice=Notice(**notice))
    except FacegateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidArgument(f"not a deployment definition: {exc}") from exc


def assessment_from_json(text: str) -> Assessment:
    """An assessment as the store keeps it (a JSON object of its fields)."""
    data = json.loads(text)
    data.pop(_COVERS, None)
    return Assessment(**data)


def limit_message(deployment: Deployment, point: OperatingPoint, what: str) -> str:
    """Why ``what`` (activation, enrollment) is refused by the honest limits, with the figures
    and the ways out."""
    ways = ["Use 1:1 verification of a claimed identity instead (R3)"]
    more = deployment.operating_point(point.gallery_size, photos=MAX_PHOTOS)
    if point.photos < MAX_PHOTOS and more.false_non_match < point.false_non_match:
        ways.append(
            f"enroll {MAX_PHOTOS} photographs per person (FNIR {more.false_non_match:.1%} at the "
            "same target)"
        )
    ways.append("or set a higher max_fnir after weighing the misses")
    return (
        f"{what} refused: 1:N identification of deployment {deployment.name!r} would run at: "
        f"{point.describe()}; that misses more than the limit of {deployment.max_fnir:.0%} of "
        f"enrolled people. {'; '.join(ways)}"
    )


class Registry:
    """Operators, deployments and assessments of one store, with the rules of activation."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def register_operator(self, operator: str, *, name: str, contact: str) -> None:
        """Records the personal-information processor; ``operator`` is its id."""
        self._store.operators.add(operator, name=name, contact=contact, at=_now())

    def register_deployment(self, operator: str, deployment: Deployment) -> FilingEvent | None:
        """Stores a deployment (inactive until assessed and activated). Where the operator's
        filing is required, a new deployment is a change to filed matters: the ``change``
        event recorded for it is returned (R28)."""
        self._store.deployments.add(
            deployment.name,
            operator=operator,
            definition=_to_json(deployment),
            notice_version=deployment.notice.version,
            at=_now(),
        )
        return filing.record_filed_change(
            self._store, operator, f"deployment {deployment.name!r} registered"
        )

    def update_deployment(self, deployment: Deployment) -> DeploymentUpdate:
        """Replaces a deployment's declarations (R7, R26, R28).

        A new notice version (purpose, method, retention or mode changed) means consents must
        be given again; a change of any declaration the assessment rests on (all but
        :data:`~facegate.compliance.policy.UNASSESSED_DECLARATIONS`) takes the deployment off
        line until a new assessment is recorded and it is activated again. A live deployment
        that stays live must pass activation's honest limits with its new declarations (R5).
        A shorter retention period brings every stored template's expiry down to it (R14).
        Where the operator's filing is required, a change to filed matters records a
        ``change`` filing event. A decommissioned deployment cannot be changed."""
        self._refuse_decommissioned(deployment.name, "changed")
        record = self._store.deployments.get(deployment.name)
        old = self.deployment(deployment.name)
        changed = differences(old, deployment)
        new_notice = old.notice.version != deployment.notice.version
        reassess = bool(set(changed) - UNASSESSED_DECLARATIONS)
        if not reassess and record.active:
            # A live deployment stays live, so its new declarations must pass activation's
            # honest limits too (a larger expected gallery, a lower limit).
            self._check_operating_point(deployment)
        self._store.deployments.replace(
            deployment.name,
            definition=_to_json(deployment),
            notice_version=deployment.notice.version,
            deactivate=reassess,
        )
        if deployment.notice.retention_days < old.notice.retention_days:
            self._store.templates.cap_expiry(deployment.name, days=deployment.notice.retention_days)
        filed = sorted(set(changed) & FILED_DECLARATIONS)
        event = (
            filing.record_filed_change(
                self._store,
                record.operator,
                f"deployment {deployment.name!r}: {', '.join(filed)} changed",
            )
            if filed
            else None
        )
        return DeploymentUpdate(changed, new_notice, reassess, event)

    def decommission(self, name: str) -> FilingEvent | None:
        """Takes the deployment off line for good: it can no longer be changed, assessed,
        consented to or activated. Where the operator's filing is required, records the
        ``decommission`` filing event and returns it (R28)."""
        self._refuse_decommissioned(name, "decommissioned again")
        record = self._store.deployments.get(name)
        self._store.deployments.decommission(name, at=_now())
        return filing.record_filed_change(
            self._store, record.operator, f"deployment {name!r} decommissioned", "decommission"
        )

    def is_decommissioned(self, name: str) -> bool:
        """Whether ``name`` was decommissioned (UnknownId for an unknown deployment)."""
        self._store.deployments.get(name)
        return self._store.deployments.decommissioned(name)

    def deployment(self, name: str) -> Deployment:
        """The stored deployment ``name``."""
        return self.deployment_state(name)[0]

    def deployment_state(self, name: str) -> tuple[Deployment, bool]:
        """The stored deployment ``name`` and whether it is active, in one read."""
        record = self._store.deployments.get(name)
        with self._store.reading(f"deployment {name!r}"):
            return _from_json(record.definition), record.active

    def record_assessment(self, name: str, assessment: Assessment) -> FilingEvent | None:
        """Records a signed assessment of the deployment's current declarations. Refused while
        any item still holds a placeholder of facegate's pre-filled draft (R26): the draft
        states facts, and a person must state the judgement. The assessment is one of the
        filing materials: where the operator's filing is required, the ``change`` event
        recorded for it is returned (R28)."""
        self._refuse_decommissioned(name, "assessed")
        deployment = self.deployment(name)
        unedited = [
            item
            for item, text in asdict(assessment).items()
            if any(mark.casefold() in str(text).casefold() for mark in DRAFT_PLACEHOLDERS)
        ]
        if unedited:
            raise AssessmentRequired(
                f"the impact assessment of {name!r} still holds the pre-filled draft's "
                f"placeholders ({' / '.join(DRAFT_PLACEHOLDERS)}) in {', '.join(unedited)}; "
                "replace each with the assessor's own judgement before signing"
            )
        content = asdict(assessment) | {_COVERS: deployment.assessment_basis}
        self._store.assessments.add(
            name,
            notice_version=deployment.notice.version,
            content=json.dumps(content, sort_keys=True),
            signed_off_by=assessment.signed_off_by,
            at=_now(),
        )
        operator = self._store.deployments.get(name).operator
        return filing.record_filed_change(
            self._store, operator, f"deployment {name!r}: new impact assessment"
        )

    def assessment(self, name: str) -> Assessment | None:
        """The deployment's latest signed assessment, if any."""
        self.deployment(name)  # an unknown deployment is an error, not "no assessment"
        record = self._store.assessments.latest(name)
        if record is None:
            return None
        with self._store.reading(f"the impact assessment of {name!r}"):
            return assessment_from_json(record.content)

    def activate(self, name: str) -> None:
        """Makes the deployment live; refused without a signed assessment of its current
        declarations, made after the latest integrity incident (R26)."""
        self._refuse_decommissioned(name, "activated")
        deployment = self.deployment(name)
        # A major incident (R22) calls for a new assessment: one signed after it.
        since = self._store.incidents.latest_at(name) or ""
        if not self._assessed(deployment, since):
            raise AssessmentRequired(
                f"deployment {name!r} has no signed impact assessment of its current "
                "declarations"
                + (" made after the integrity incident of " + since[:10] if since else "")
                + "; record one before activating it"
            )
        self._check_operating_point(deployment)
        self._store.deployments.set_active(name, True)

    def _assessed(self, deployment: Deployment, since: str) -> bool:
        """Whether the latest assessment covers the deployment as declared now: signed after
        ``since``, for the current notice version and the current declarations. An assessment
        recorded before facegate stored what it judged covers nothing: it cannot show that it
        judged the declarations in force."""
        record = self._store.assessments.latest(deployment.name)
        if record is None or record.notice_version != deployment.notice.version:
            return False
        if record.signed_at <= since:
            return False
        with self._store.reading(f"the impact assessment of {deployment.name!r}"):
            content = json.loads(record.content)
            covers = content.get(_COVERS) if isinstance(content, dict) else None
        return covers == deployment.assessment_basis

    def _refuse_decommissioned(self, name: str, what: str) -> None:
        if self._store.deployments.decommissioned(name):
            raise InactiveDeployment(
                f"deployment {name!r} was decommissioned and cannot be {what}; register a "
                "new deployment (with a new name) instead",
                rule="R28",
            )

    def is_active(self, name: str) -> bool:
        return self._store.deployments.get(name).active

    def operating_point(self, name: str) -> OperatingPoint:
        """The deployment's operating point at its stored gallery size, or at the size it
        declared it expects, whichever is larger (what activation and the documents state)."""
        return self._expected_point(self.deployment(name))

    def _check_operating_point(self, deployment: Deployment) -> None:
        """Honest limits (R5): 1:N goes live only if, at its expected size (or its current one,
        if larger), it would miss at most ``max_fnir`` of the people enrolled."""
        if not deployment.identifies:
            return
        point = self._expected_point(deployment)
        if point.false_non_match > deployment.max_fnir:
            raise OperatingPointRefused(limit_message(deployment, point, "activation"))

    def _expected_point(self, deployment: Deployment) -> OperatingPoint:
        size = max(deployment.expected_enrollments, self._store.templates.count(deployment.name))
        return deployment.operating_point(size)


def _now() -> str:
    return datetime.now(UTC).isoformat()
