"""The ``attempts`` table: consecutive failed verifications per subject and deployment."""

from __future__ import annotations

from facegate.store.database import Database, Row

__all__ = ["AttemptCounters", "IdentifyCounters"]


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


class IdentifyCounters:
    """Consecutive identifications without a match per device and deployment."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, device: str, deployment: str) -> Row | None:
        """(failures, locked_until, disabled), or None when nothing has failed."""
        return self._db.row(
            "SELECT failures, locked_until, disabled FROM identify_attempts "
            "WHERE device = ? AND deployment_id = ?",
            (device, deployment),
        )

    def put(
        self,
        device: str,
        deployment: str,
        *,
        failures: int,
        locked_until: str | None,
        disabled: bool,
    ) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO identify_attempts (device, deployment_id, failures, locked_until, "
                "disabled) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device, deployment_id) DO "
                "UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, "
                "disabled = excluded.disabled",
                (device, deployment, failures, locked_until, int(disabled)),
            )

    def clear(self, device: str, deployment: str) -> None:
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM identify_attempts WHERE device = ? AND deployment_id = ?",
                (device, deployment),
            )
