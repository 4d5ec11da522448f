"""The ``consent_events`` table: the append-only consent ledger (R8, R10).

Events are never rewritten (a trigger refuses it); erasure deletes a subject's events whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from facegate.errors import UnknownId
from facegate.store.database import Database, ForeignKeyViolation

__all__ = ["ConsentEvent", "ConsentRow", "Consents"]


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """What a grant records, as the ledger stores it (purposes as JSON, times in ISO form)."""

    purposes: str
    notice_version: str
    channel: str
    evidence_ref: str | None
    guardian_id: str | None
    guardian_relationship: str | None
    transfer: bool
    expires_at: str | None


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One stored event: a grant or a withdrawal, for one subject and deployment."""

    subject: str
    deployment: str
    kind: str
    purposes: str
    notice_version: str
    channel: str
    transfer: bool
    expires_at: str | None
    at: str


_EVENT = (
    "subject_id, deployment_id, kind, purposes, notice_version, channel, transfer, expires_at, at"
)


class Consents:
    """The consent ledger of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def grant(self, subject: str, deployment: str, row: ConsentRow, *, at: str) -> int:
        """Appends a grant; returns its sequence number. UnknownId for an unknown deployment
        or subject."""
        try:
            return self._db.insert(
                "INSERT INTO consent_events (subject_id, deployment_id, kind, purposes, "
                "notice_version, channel, evidence_ref, guardian_id, guardian_relationship, "
                "transfer, expires_at, at) VALUES (?, ?, 'granted', ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING seq",
                (
                    subject,
                    deployment,
                    row.purposes,
                    row.notice_version,
                    row.channel,
                    row.evidence_ref,
                    row.guardian_id,
                    row.guardian_relationship,
                    int(row.transfer),
                    row.expires_at,
                    at,
                ),
            )
        except ForeignKeyViolation as exc:
            raise UnknownId(f"unknown deployment {deployment!r} or subject") from exc

    def withdraw(self, subject: str, deployment: str, *, at: str) -> int:
        """Appends a withdrawal, effective at once; returns its sequence number."""
        try:
            return self._db.insert(
                "INSERT INTO consent_events (subject_id, deployment_id, kind, purposes, "
                "notice_version, channel, at) VALUES (?, ?, 'withdrawn', '[]', '', "
                "'withdrawal', ?) RETURNING seq",
                (subject, deployment, at),
            )
        except ForeignKeyViolation as exc:
            raise UnknownId(f"unknown deployment {deployment!r} or subject") from exc

    def latest(
        self, subject: str, deployment: str, *, at: str | None = None
    ) -> ConsentEvent | None:
        """The subject's latest event for the deployment (as of ``at`` when given)."""
        until, params = ("", ()) if at is None else (" AND at <= ?", (at,))
        found = self._db.row(
            f"SELECT {_EVENT} FROM consent_events WHERE subject_id = ? AND deployment_id = ?"
            f"{until} ORDER BY seq DESC LIMIT 1",
            (subject, deployment, *params),
        )
        return None if found is None else _event(found)

    def latest_of_each(self, deployment: str, *, at: str) -> list[ConsentEvent]:
        """Each subject's latest event for the deployment as of ``at``."""
        found = self._db.rows(
            f"SELECT {', '.join('e.' + c.strip() for c in _EVENT.split(','))} "
            "FROM consent_events e JOIN ("
            "  SELECT subject_id, MAX(seq) AS seq FROM consent_events"
            "  WHERE deployment_id = ? AND at <= ?"
            "  GROUP BY subject_id) latest ON latest.seq = e.seq",
            (deployment, at),
        )
        return [_event(row) for row in found]

    def current_kinds(self, deployment: str) -> dict[str, int]:
        """How many subjects' latest event for the deployment is a grant, a withdrawal."""
        found = self._db.rows(
            "SELECT kind, COUNT(*) FROM consent_events e WHERE deployment_id = ? AND seq = "
            "(SELECT MAX(seq) FROM consent_events WHERE subject_id = e.subject_id AND "
            "deployment_id = e.deployment_id) GROUP BY kind",
            (deployment,),
        )
        return {str(kind): int(str(count)) for kind, count in found}

    def of_subject(self, subject: str) -> list[ConsentEvent]:
        """Every event of the subject, oldest first (for their export)."""
        found = self._db.rows(
            f"SELECT {_EVENT} FROM consent_events WHERE subject_id = ? ORDER BY seq", (subject,)
        )
        return [_event(row) for row in found]


def _event(row: tuple[object, ...]) -> ConsentEvent:
    subject, deployment, kind, purposes, version, channel, transfer, expires, at = row
    return ConsentEvent(
        subject=str(subject),
        deployment=str(deployment),
        kind=str(kind),
        purposes=str(purposes),
        notice_version=str(version),
        channel=str(channel),
        transfer=bool(transfer),
        expires_at=None if expires is None else str(expires),
        at=str(at),
    )
