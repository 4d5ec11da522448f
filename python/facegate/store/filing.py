"""The ``filing_events`` table: threshold crossings, changes and decommissioning (R27, R28)."""

from __future__ import annotations

from facegate.store.database import Database, Row

__all__ = ["FilingEvents"]


class FilingEvents:
    """The filing events of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        operator: str,
        *,
        kind: str,
        individuals: int,
        at: str,
        deadline: str | None,
        provisional: bool,
        detail: str | None,
    ) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO filing_events (operator_id, kind, individuals, at, deadline, "
                "provisional, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (operator, kind, individuals, at, deadline, int(provisional), detail),
            )

    def kinds(self, operator: str) -> set[str]:
        """Which kinds of event the operator has recorded."""
        found = self._db.rows(
            "SELECT DISTINCT kind FROM filing_events WHERE operator_id = ?", (operator,)
        )
        return {str(row[0]) for row in found}

    def of_operator(self, operator: str) -> list[Row]:
        """(kind, individuals, at, deadline, provisional, detail) of each event, oldest first."""
        return self._db.rows(
            "SELECT kind, individuals, at, deadline, provisional, detail FROM filing_events "
            "WHERE operator_id = ? ORDER BY id",
            (operator,),
        )
