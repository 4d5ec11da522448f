"""The ``destroyed`` table: what erasure, withdrawal, expiry and renewal destroyed (R13).

A template's id is recorded when it is deleted and never used again, so a template restored
from an older copy of the database (a backup, a tampered file) is recognised and refused when
its gallery loads, whatever else was restored with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from facegate.store.database import Database

__all__ = ["Destroyed"]


class Destroyed:
    """The record of destroyed templates of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def templates(self, ids: Sequence[int], *, at: str) -> None:
        """Records that templates ``ids`` were destroyed."""
        with self._db.transaction():
            self._db.execute_many(
                "INSERT INTO destroyed (kind, ident, at) VALUES ('template', ?, ?)",
                [(str(i), at) for i in ids],
            )

    def template_ids(self) -> set[int]:
        """Every destroyed template id."""
        found = self._db.rows("SELECT ident FROM destroyed WHERE kind = 'template'")
        with self._db.reading("the record of destroyed templates"):
            return {int(str(row[0])) for row in found}

    def highest_template(self) -> int:
        """The highest destroyed template id (0 if none): new ids go above it."""
        return self._db.count(
            "SELECT MAX(CAST(ident AS INTEGER)) FROM destroyed WHERE kind = 'template'"
        )
