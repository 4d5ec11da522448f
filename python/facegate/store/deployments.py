"""The ``deployments`` table: each deployment's stored definition, notice version and state."""

from __future__ import annotations

from dataclasses import dataclass

from facegate.errors import DuplicateId, UnknownId
from facegate.store.database import Database, ForeignKeyViolation, UniqueViolation

__all__ = ["DeploymentRecord", "Deployments"]


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """One stored deployment: its definition (JSON) and whether it is live."""

    id: str
    operator: str
    definition: str
    notice_version: str
    active: bool


class Deployments:
    """The deployments of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self, deployment: str, *, operator: str, definition: str, notice_version: str, at: str
    ) -> None:
        """Stores a new, inactive deployment; DuplicateId if the name is taken, UnknownId if
        the operator is not registered."""
        try:
            with self._db.transaction():
                self._db.execute(
                    "INSERT INTO deployments (id, operator_id, definition, notice_version, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    (deployment, operator, definition, notice_version, at),
                )
        except UniqueViolation as exc:
            raise DuplicateId(f"deployment {deployment!r} is already registered") from exc
        except ForeignKeyViolation as exc:
            raise UnknownId(f"operator {operator!r} is not registered") from exc

    def get(self, deployment: str) -> DeploymentRecord:
        """The stored deployment; UnknownId if there is none of that name."""
        found = self._db.row(
            "SELECT id, operator_id, definition, notice_version, active FROM deployments "
            "WHERE id = ?",
            (deployment,),
        )
        if found is None:
            raise UnknownId(f"deployment {deployment!r} is not registered")
        return _record(found)

    def all(self, operator: str | None = None) -> list[DeploymentRecord]:
        """Every deployment (of ``operator`` when given), by name."""
        which, params = ("", ()) if operator is None else (" WHERE operator_id = ?", (operator,))
        found = self._db.rows(
            "SELECT id, operator_id, definition, notice_version, active FROM deployments"
            f"{which} ORDER BY id",
            params,
        )
        return [_record(row) for row in found]

    def names(self) -> list[str]:
        return [str(row[0]) for row in self._db.rows("SELECT id FROM deployments ORDER BY id")]

    def replace(
        self, deployment: str, *, definition: str, notice_version: str, deactivate: bool
    ) -> None:
        """Replaces the definition; ``deactivate`` takes the deployment off line (R26)."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE deployments SET definition = ?, notice_version = ?, "
                "active = CASE WHEN ? = 1 THEN 0 ELSE active END WHERE id = ?",
                (definition, notice_version, int(deactivate), deployment),
            )

    def set_active(self, deployment: str, active: bool) -> None:
        with self._db.transaction():
            self._db.execute(
                "UPDATE deployments SET active = ? WHERE id = ?", (int(active), deployment)
            )

    def deactivate(self, deployment: str | None) -> None:
        """Takes ``deployment`` off line, or every deployment when None (an incident, R22)."""
        which, params = ("", ()) if deployment is None else (" WHERE id = ?", (deployment,))
        with self._db.transaction():
            self._db.execute(f"UPDATE deployments SET active = 0{which}", params)

    def decommission(self, deployment: str, *, at: str) -> None:
        """Takes the deployment off line for good (R28): nothing can be consented to,
        assessed or activated there again."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE deployments SET active = 0, decommissioned_at = ? WHERE id = ?",
                (at, deployment),
            )

    def decommissioned(self, deployment: str) -> bool:
        """Whether the deployment was decommissioned (False for an unknown one)."""
        found = self._db.row(
            "SELECT 1 FROM deployments WHERE id = ? AND decommissioned_at IS NOT NULL",
            (deployment,),
        )
        return found is not None


def _record(row: tuple[object, ...]) -> DeploymentRecord:
    ident, operator, definition, version, active = row
    return DeploymentRecord(str(ident), str(operator), str(definition), str(version), bool(active))
