"""The ``operators`` table: the personal-information processors of a store."""

from __future__ import annotations

from dataclasses import dataclass

from facegate.errors import DuplicateId
from facegate.store.database import Database, UniqueViolation

__all__ = ["OperatorRecord", "Operators"]


@dataclass(frozen=True, slots=True)
class OperatorRecord:
    """A registered operator: its id, name and contact."""

    id: str
    name: str
    contact: str


class Operators:
    """The operators of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, operator: str, *, name: str, contact: str, at: str) -> None:
        """Registers an operator; DuplicateId if ``operator`` is taken."""
        try:
            with self._db.transaction():
                self._db.execute(
                    "INSERT INTO operators (id, name, contact, created_at) VALUES (?, ?, ?, ?)",
                    (operator, name, contact, at),
                )
        except UniqueViolation as exc:
            raise DuplicateId(f"operator {operator!r} is already registered") from exc

    def get(self, operator: str) -> OperatorRecord | None:
        found = self._db.row("SELECT id, name, contact FROM operators WHERE id = ?", (operator,))
        if found is None:
            return None
        ident, name, contact = (str(value) for value in found)
        return OperatorRecord(ident, name, contact)

    def exists(self, operator: str) -> bool:
        return self._db.row("SELECT 1 FROM operators WHERE id = ?", (operator,)) is not None
