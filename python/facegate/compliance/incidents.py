"""Integrity incidents (R22): a failed template tag, a wrong master key or a broken audit chain.

Each is recorded with what a notification under PIPL art. 57 needs: the categories of personal
information involved, the cause and possible harm, the remedial measures taken, and what the
people affected can do. An incident is major: the deployments it touches go inactive and need a
new impact assessment before they can be activated again (R26).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from facegate.store import Store

__all__ = ["Incident", "IncidentKind", "incidents", "record_incident"]


class IncidentKind(StrEnum):
    TEMPLATE_TAG = "template_tag"
    """A sealed template or wrapped key failed its authentication tag: altered bytes."""
    WRONG_KEY = "wrong_key"
    """Data was sealed under another master key than the one presented."""
    AUDIT_CHAIN = "audit_chain"
    """The audit trail failed verification: entries altered, removed or out of place."""


_CATEGORIES = "facial recognition templates (sensitive personal information, PIPL art. 28)"
_NOTICE: dict[IncidentKind, tuple[str, str, str, str]] = {
    IncidentKind.TEMPLATE_TAG: (
        _CATEGORIES,
        "stored face data was modified outside facegate: possible tampering with the store, "
        "an attempt to substitute a person's template, or storage corruption",
        "the store was refused (fail closed: no template was opened or matched); the affected "
        "deployments were deactivated pending a new impact assessment; restore from a backup "
        "and investigate access to the database file",
        "use the deployment's non-biometric alternative; you may ask the operator what is held "
        "about you, withdraw consent or ask for erasure",
    ),
    IncidentKind.WRONG_KEY: (
        _CATEGORIES,
        "the store was opened with a master key that did not seal it: a misconfiguration, or "
        "a store copied to another system",
        "the store was refused (fail closed: nothing was decrypted); the deployments were "
        "deactivated pending review; check which key sealed the store and how it was moved",
        "no action is needed unless the operator reports a disclosure; the alternative remains "
        "available",
    ),
    IncidentKind.AUDIT_CHAIN: (
        "security audit records (pseudonymous identifiers, operations, outcomes)",
        "audit records were altered, removed or reordered: the record of who processed face "
        "data, and when, can no longer be trusted from that entry on",
        "the break was recorded with the first bad entry; all deployments were deactivated "
        "pending a new impact assessment; compare with the exported checkpoints and backups",
        "you may ask the operator what processing of your face data took place and request erasure",
    ),
}


@dataclass(frozen=True, slots=True)
class Incident:
    """One recorded incident, with the fields a breach notification needs."""

    id: int
    detected_at: str
    kind: IncidentKind
    deployment: str | None
    affected: int
    description: str
    data_categories: str
    possible_harm: str
    measures_taken: str
    individual_measures: str


def record_incident(
    store: Store,
    kind: IncidentKind,
    description: str,
    *,
    deployment: str | None = None,
    affected: int = 0,
    at: datetime | None = None,
) -> Incident:
    """Records an incident and deactivates what it touches (``deployment``, or every deployment
    when None). ``description`` must hold no biometric data (ids and counts only). The same
    incident found again (the latest recorded has the same kind, deployment and description:
    a damaged store refused at every open) is not recorded again; the deployments it touches
    still go off line."""
    latest = incidents(store)[-1:]
    if latest and (latest[0].kind, latest[0].deployment, latest[0].description) == (
        kind,
        deployment,
        description,
    ):
        store.deployments.deactivate(deployment)
        return latest[0]
    categories, harm, measures, individual = _NOTICE[kind]
    moment = (at or datetime.now(UTC)).isoformat()
    incident = Incident(
        0, moment, kind, deployment, affected, description, categories, harm, measures, individual
    )
    with store.transaction():
        ident = store.incidents.add(astuple(incident)[1:])
        store.deployments.deactivate(deployment)
    return replace(incident, id=ident)


def incidents(store: Store, deployment: str | None = None) -> list[Incident]:
    """Recorded incidents, oldest first (those touching ``deployment`` when given)."""
    with store.reading("an incident"):
        return [_incident(row) for row in store.incidents.touching(deployment)]


def _incident(row: tuple[object, ...]) -> Incident:
    ident, at, kind, deployment, affected, *texts = row
    description, categories, harm, measures, individual = (str(t) for t in texts)
    return Incident(
        int(ident),  # type: ignore[call-overload]
        str(at),
        IncidentKind(str(kind)),
        None if deployment is None else str(deployment),
        int(affected),  # type: ignore[call-overload]
        description,
        categories,
        harm,
        measures,
        individual,
    )
