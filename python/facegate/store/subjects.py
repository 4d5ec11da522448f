"""The ``subjects`` table: the people a store knows, by the integrator's opaque id.

Deleting a subject deletes everything of theirs with it (consent events, data key, templates,
attempt counters: the schema's cascades), in the caller's transaction.
"""

from __future__ import annotations

from facegate.store.database import Database

__all__ = ["Subjects"]


class Subjects:
    """The subjects of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def ensure(self, subject: str, *, birth_date: str | None, at: str) -> None:
        """Records the subject if new; a birth date given now is kept, one given before stays
        unless replaced."""
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO subjects (id, birth_date, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET birth_date = COALESCE(excluded.birth_date, "
                "subjects.birth_date)",
                (subject, birth_date, at),
            )

    def birth_date(self, subject: str) -> str | None:
        """The birth date declared for the subject (ISO), None if none was or they are new."""
        found = self._db.value("SELECT birth_date FROM subjects WHERE id = ?", (subject,))
        return None if found is None else str(found)

    def exists(self, subject: str) -> bool:
        return self._db.row("SELECT 1 FROM subjects WHERE id = ?", (subject,)) is not None

    def delete(self, subject: str) -> bool:
        """Deletes the subject and, by cascade, all their rows; whether they were stored."""
        with self._db.transaction():
            return self._db.execute("DELETE FROM subjects WHERE id = ?", (subject,)) > 0
