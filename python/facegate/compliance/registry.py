"""Operators, deployments and impact assessments in the store.

A deployment is checked by :class:`~facegate.policy.Deployment` when it is built, stored with its
notice version, and can only be activated once an impact assessment covering the four items of
M9 has been signed off for its current notice version (R26): changing purpose, method or
retention makes a new notice version and so requires a new assessment.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from facegate.accuracy import MAX_PHOTOS, OperatingPoint
from facegate.errors import (
    AssessmentRequired,
    DuplicateId,
    InvalidArgument,
    OperatingPointRefused,
    UnknownId,
)
from facegate.incidents import latest_incident_at
from facegate.policy import Alternative, Deployment, Notice
from facegate.store import Store

__all__ = ["Assessment", "Registry", "deployment_from_dict", "limit_message"]


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


def _from_json(text: str) -> Deployment:
    with warnings.catch_warnings():
        # The R31 warning was given when the deployment was registered.
        warnings.simplefilter("ignore")
        return deployment_from_dict(json.loads(text))


def deployment_from_dict(data: dict[str, Any]) -> Deployment:
    """A deployment from plain data (a JSON definition file, or the store's own copy): the
    :class:`~facegate.policy.Deployment` fields, with ``notice`` a dict of
    :class:`~facegate.policy.Notice` fields and its ``alternatives`` a list of
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


def limit_message(deployment: Deployment, point: OperatingPoint, what: str) -> str:
    """Why ``what`` (activation, enrolment) is refused by the honest limits, with the figures
    and the ways out."""
    ways = ["Use 1:1 verification of a claimed identity instead (R3)"]
    if point.photos < MAX_PHOTOS:
        more = deployment.operating_point(point.gallery_size, photos=MAX_PHOTOS)
        ways.append(
            f"enrol {MAX_PHOTOS} photographs per person (FNIR {more.false_non_match:.1%} at the "
            "same threshold)"
        )
    ways.append("or set a higher max_fnir after weighing the misses")
    return (
        f"{what} refused: 1:N identification of deployment {deployment.name!r} would run at: "
        f"{point.describe()}; that misses more than the limit of {deployment.max_fnir:.0%} of "
        f"enrolled people. {'; '.join(ways)}"
    )


class Registry:
    """Operators and deployments of one store."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def register_operator(self, operator: str, *, name: str, contact: str) -> None:
        """Records the personal-information processor; ``operator`` is its id."""
        try:
            with self._store.transaction() as db:
                db.execute(
                    "INSERT INTO operators (id, name, contact, created_at) VALUES (?, ?, ?, ?)",
                    (operator, name, contact, datetime.now(UTC).isoformat()),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateId(f"operator {operator!r} is already registered") from exc

    def register_deployment(self, operator: str, deployment: Deployment) -> None:
        """Stores a deployment (inactive until assessed and activated)."""
        if not self._store.query("SELECT 1 FROM operators WHERE id = ?", (operator,)):
            raise UnknownId(f"operator {operator!r} is not registered")
        try:
            with self._store.transaction() as db:
                db.execute(
                    "INSERT INTO deployments (id, operator_id, definition, notice_version, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        deployment.name,
                        operator,
                        _to_json(deployment),
                        deployment.notice.version,
                        datetime.now(UTC).isoformat(),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateId(f"deployment {deployment.name!r} is already registered") from exc

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
        with self._store.transaction() as db:
            db.execute(
                "UPDATE deployments SET definition = ?, notice_version = ?, "
                "active = CASE WHEN ? THEN 0 ELSE active END WHERE id = ?",
                (_to_json(deployment), deployment.notice.version, changed, deployment.name),
            )
        return changed

    def deployment(self, name: str) -> Deployment:
        """The stored deployment ``name``."""
        rows = self._store.query("SELECT definition FROM deployments WHERE id = ?", (name,))
        if not rows:
            raise UnknownId(f"deployment {name!r} is not registered")
        with self._store.reading(f"deployment {name!r}"):
            return _from_json(str(rows[0][0]))

    def record_assessment(self, name: str, assessment: Assessment) -> None:
        """Records a signed assessment for the deployment's current notice version."""
        deployment = self.deployment(name)
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO assessments (deployment_id, notice_version, content, signed_off_by, "
                "signed_at) VALUES (?, ?, ?, ?, ?)",
                (
                    name,
                    deployment.notice.version,
                    json.dumps(asdict(assessment), sort_keys=True),
                    assessment.signed_off_by,
                    datetime.now(UTC).isoformat(),
                ),
            )

    def activate(self, name: str) -> None:
        """Makes the deployment live; refused without an assessment of its current notice."""
        deployment = self.deployment(name)
        # A major incident (R22) calls for a new assessment: one signed after it.
        since = latest_incident_at(self._store, name) or ""
        assessed = self._store.query(
            "SELECT 1 FROM assessments WHERE deployment_id = ? AND notice_version = ? "
            "AND signed_at > ?",
            (name, deployment.notice.version, since),
        )
        if not assessed:
            raise AssessmentRequired(
                f"deployment {name!r} has no signed impact assessment for its current notice"
                + (" made after the integrity incident of " + since[:10] if since else "")
                + "; record one before activating it"
            )
        self._check_operating_point(deployment)
        with self._store.transaction() as db:
            db.execute("UPDATE deployments SET active = 1 WHERE id = ?", (name,))

    def _check_operating_point(self, deployment: Deployment) -> None:
        """Honest limits (R5): 1:N goes live only if, at its expected size (or its current one,
        if larger), it would miss at most ``max_fnir`` of the people enrolled."""
        if not deployment.identifies:
            return
        point = self._expected_point(deployment)
        if point.false_non_match > deployment.max_fnir:
            raise OperatingPointRefused(limit_message(deployment, point, "activation"))

    def templates(self, name: str) -> int:
        """How many templates the deployment holds (its 1:N gallery size)."""
        return self._store.count("SELECT COUNT(*) FROM templates WHERE deployment_id = ?", (name,))

    def operating_point(self, name: str) -> OperatingPoint:
        """The deployment's operating point at its stored gallery size, or at the size it
        declared it expects, whichever is larger (what activation and the documents state)."""
        return self._expected_point(self.deployment(name))

    def _expected_point(self, deployment: Deployment) -> OperatingPoint:
        size = max(deployment.expected_enrolments, self.templates(deployment.name))
        return deployment.operating_point(size)

    def is_active(self, name: str) -> bool:
        rows = self._store.query("SELECT active FROM deployments WHERE id = ?", (name,))
        if not rows:
            raise UnknownId(f"deployment {name!r} is not registered")
        return bool(rows[0][0])
