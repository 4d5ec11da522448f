"""The attempt counters: consecutive failed verifications per subject and deployment
(``attempts``), and consecutive identifications without a match per device and deployment
(``identify_attempts``). One shape, two tables."""

from __future__ import annotations

from typing import ClassVar

from facegate.store.database import Database, Row

__all__ = ["AttemptCounters", "IdentifyCounters"]


class _Counters:
    """The counters of one table, keyed by ``_WHO`` and the deployment."""

    __slots__ = ("_db",)
    _TABLE: ClassVar[str]
    _WHO: ClassVar[str]

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, who: str, deployment: str) -> Row | None:
        """(failures, locked_until, disabled), or None when nothing has failed."""
        return self._db.row(
            f"SELECT failures, locked_until, disabled FROM {self._TABLE} "
            f"WHERE {self._WHO} = ? AND deployment_id = ?",
            (who, deployment),
        )

    def put(
        self,
        who: str,
        deployment: str,
        *,
        failures: int,
        locked_until: str | None,
        disabled: bool,
    ) -> None:
        with self._db.transaction():
            self._db.execute(
                f"INSERT INTO {self._TABLE} ({self._WHO}, deployment_id, failures, "
                f"locked_until, disabled) VALUES (?, ?, ?, ?, ?) ON CONFLICT ({self._WHO}, "
                "deployment_id) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until, disabled = excluded.disabled",
                (who, deployment, failures, locked_until, int(disabled)),
            )

    def clear(self, who: str, deployment: str) -> None:
        with self._db.transaction():
            self._db.execute(
                f"DELETE FROM {self._TABLE} WHERE {self._WHO} = ? AND deployment_id = ?",
                (who, deployment),
            )


class AttemptCounters(_Counters):
    """Consecutive failed verifications per subject and deployment."""

    __slots__ = ()
    _TABLE, _WHO = "attempts", "subject_id"


class IdentifyCounters(_Counters):
    """Consecutive identifications without a match per device and deployment."""

    __slots__ = ()
    _TABLE, _WHO = "identify_attempts", "device"
