"""The ``incidents`` table: integrity incidents with what a breach notice needs (R22)."""

from __future__ import annotations

from facegate.store.database import Database, Row

__all__ = ["Incidents"]

_COLUMNS = (
    "detected_at, kind, deployment_id, affected, description, data_categories, possible_harm, "
    "measures_taken, individual_measures"
)


class Incidents:
    """The recorded incidents of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, values: Row) -> int:
        """Records one incident (``values`` in the order of the columns); returns its id."""
        marks = ", ".join("?" * len(values))
        return self._db.insert(
            f"INSERT INTO incidents ({_COLUMNS}) VALUES ({marks}) RETURNING id", values
        )

    def touching(self, deployment: str | None = None) -> list[Row]:
        """(id, then the columns) of each incident, oldest first: every one, or those of
        ``deployment`` and of the whole store."""
        which, params = (
            ("", ())
            if deployment is None
            else (" WHERE deployment_id IS NULL OR deployment_id = ?", (deployment,))
        )
        return self._db.rows(f"SELECT id, {_COLUMNS} FROM incidents{which} ORDER BY id", params)

    def latest_at(self, deployment: str) -> str | None:
        """When the latest incident touching ``deployment`` (or the whole store) was detected."""
        found = self._db.value(
            "SELECT MAX(detected_at) FROM incidents WHERE deployment_id IS NULL "
            "OR deployment_id = ?",
            (deployment,),
        )
        return None if found is None else str(found)

    def by_kind(self, deployment: str) -> list[tuple[str, int]]:
        """Incidents of the deployment and of the whole store, by kind."""
        found = self._db.rows(
            "SELECT kind, COUNT(*) FROM incidents WHERE deployment_id = ? "
            "OR deployment_id IS NULL GROUP BY kind",
            (deployment,),
        )
        return [(str(kind), int(str(count))) for kind, count in found]
