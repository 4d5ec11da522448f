"""The ``changes`` table: the recent changes to templates, written by triggers, which processes
holding galleries follow (facegate.gate.galleries); kept short."""

from __future__ import annotations

from dataclasses import dataclass

from facegate.store.database import Database

__all__ = ["Change", "Changes"]

KEEP = 10_000
"""How many changes are kept: a process further behind than this rebuilds its galleries."""


@dataclass(frozen=True, slots=True)
class Change:
    """That template ``ident`` of ``deployment`` was added, changed or removed."""

    seq: int
    kind: str
    deployment: str
    ident: int


class Changes:
    """The change log of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def since(self, seq: int) -> list[Change]:
        """Every change after ``seq``, oldest first."""
        found = self._db.rows(
            "SELECT seq, kind, deployment, ident FROM changes WHERE seq > ? ORDER BY seq", (seq,)
        )
        with self._db.reading("the change log"):
            return [Change(int(str(a)), str(b), str(c), int(str(d))) for a, b, c, d in found]

    def last(self) -> int:
        """The newest change's number (0 before any)."""
        return self._db.count("SELECT MAX(seq) FROM changes")

    def first(self) -> int:
        """The oldest change still kept (0 when none is)."""
        return self._db.count("SELECT MIN(seq) FROM changes")

    def prune(self) -> None:
        """Forgets all but the newest :data:`KEEP` changes (in the caller's transaction)."""
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM changes WHERE seq <= (SELECT MAX(seq) FROM changes) - ?", (KEEP,)
            )
