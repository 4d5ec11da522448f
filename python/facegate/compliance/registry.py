"""Operators, deployments and impact assessments in the store.

A deployment is checked by :class:`~facegate.compliance.policy.Deployment` when it is built,
stored with its notice version, and can only be activated once an impact assessment covering
the four items of M9 has been signed off for its current notice version (R26): changing
purpose, method or retention makes a new notice version and so requires a new assessment.
"""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from facegate.accuracy import MAX_PHOTOS, OperatingPoint
from facegate.compliance.policy import Alternative, Deployment, Notice
from facegate.errors import AssessmentRequired, InvalidArgument, OperatingPointRefused
from facegate.store import Store

__all__ = [
    "Assessment",
    "Registry",
    "assessment_from_json",
    "deployment_from_dict",
    "limit_message",
]


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
    :class:`~facegate.compliance.policy.Notice` fields and its ``alternatives`` a list of
    ``{"description": ..., "accessible": ...}``. Checked as any deployment is."""
    try:
        fields = dict(data)
        notice = dict(fields.pop("notice"))
        notice["alternatives"] = tuple(Alternative(**a) for a in notice.get("alternatives", ()))
        notice["purposes"] = tuple(notice.get("purposes", ()))
        fields["purposes"] = tuple(fields.get("purposes", ()))
        fields["extra_purposes"] = frozenset(fields.get("extra_purposes", ()))
        return Deployment(**fields, notice=Notice(**notice))
    except (KeyError, TypeError) as exc:
        raise InvalidArgument(f"not a deployment definition: {exc}") from exc


def assessment_from_json(text: str) -> Assessment:
    """An assessment as the store keeps it (a JSON object of its fields)."""
    return Assessment(**json.loads(text))


def limit_message(deployment: Deployment, point: OperatingPoint, what: str) -> str:
    """Why ``what`` (activation, enrollment) is refused by the honest limits, with the figures
    and the ways out."""
    ways = ["Use 1:1 verification of a claimed identity instead (R3)"]
    if point.photos < MAX_PHOTOS:
        more = deployment.operating_point(point.gallery_size, photos=MAX_PHOTOS)
        ways.append(
            f"enroll {MAX_PHOTOS} photographs per person (FNIR {more.false_non_match:.1%} at the "
            "same threshold)"
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

    def register_deployment(self, operator: str, deployment: Deployment) -> None:
        """Stores a deployment (inactive until assessed and activated)."""
        self._store.deployments.add(
            deployment.name,
            operator=operator,
            definition=_to_json(deployment),
            notice_version=deployment.notice.version,
            at=_now(),
        )

    def update_deployment(self, deployment: Deployment) -> bool:
        """Replaces a deployment's declarations. A change of purpose, method or retention makes a
        new notice version (R7): the deployment goes inactive until a new assessment is recorded
        and it is activated again (R26); a live deployment's new declarations must pass the
        operating-point limits of activation (R5). Returns whether the notice version changed."""
        old = self.deployment(deployment.name)
        changed = old.notice.version != deployment.notice.version
        if not changed and self.is_active(deployment.name):
            # A live deployment stays live, so its new declarations must pass activation's
            # honest limits too (a larger expected gallery, a lower limit).
            self._check_operating_point(deployment)
        self._store.deployments.replace(
            deployment.name,
            definition=_to_json(deployment),
            notice_version=deployment.notice.version,
            deactivate=changed,
        )
        return changed

    def deployment(self, name: str) -> Deployment:
        """The stored deployment ``name``."""
        return self.deployment_state(name)[0]

    def deployment_state(self, name: str) -> tuple[Deployment, bool]:
        """The stored deployment ``name`` and whether it is active, in one read."""
        record = self._store.deployments.get(name)
        with self._store.reading(f"deployment {name!r}"):
            return _from_json(record.definition), record.active

    def record_assessment(self, name: str, assessment: Assessment) -> None:
        """Records a signed assessment for the deployment's current notice version."""
        deployment = self.deployment(name)
        self._store.assessments.add(
            name,
            notice_version=deployment.notice.version,
            content=json.dumps(asdict(assessment), sort_keys=True),
            signed_off_by=assessment.signed_off_by,
            at=_now(),
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
        """Makes the deployment live; refused without an assessment of its current notice."""
        deployment = self.deployment(name)
        # A major incident (R22) calls for a new assessment: one signed after it.
        since = self._store.incidents.latest_at(name) or ""
        if not self._store.assessments.signed_after(name, deployment.notice.version, since):
            raise AssessmentRequired(
                f"deployment {name!r} has no signed impact assessment for its current notice"
                + (" made after the integrity incident of " + since[:10] if since else "")
                + "; record one before activating it"
            )
        self._check_operating_point(deployment)
        self._store.deployments.set_active(name, True)

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
