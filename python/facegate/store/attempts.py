"""The ``attempts`` table: consecutive failed verifications per subject and deployment."""

from __future__ import annotations

from facegate.store.database import Database, Row

__all__ = ["AttemptCounters"]


class AttemptCounters:
    """The attempt counters of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, subject: str, deployment: str) -> Row | None:
        """(failures, locked_until, disabled), or None when nothing has failed."""
        return self._db.row(
            "SELECT failures, locked_until, disabled FROM attempts "
            "WHERE subject_id = ? AND deployment_id = ?",
            (subject, deployment),
        )

    def put(
        self,
        subject: str,
        deployment: str,
        *,
        failures: int,
        locked_until: str | None,
        disabled: bool,
    ) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO attempts (subject_id, deployment_id, failures, locked_until, "
                "disabled) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject_id, deployment_id) DO "
                "UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, "
                "disabled = excluded.disabled",
                (subject, deployment, failures, locked_until, int(disabled)),
            )

    def clear(self, subject: str, deployment: str) -> None:
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM attempts WHERE subject_id = ? AND deployment_id = ?",
                (subject, deployment),
            )
