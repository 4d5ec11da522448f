"""The ``data_keys`` table: each subject's data key, stored only wrapped by the master key.

Deleting a subject's wrapped key destroys every template sealed under it (crypto-shredding).
"""

from __future__ import annotations

from dataclasses import dataclass

from facegate.store.database import Database, blob

__all__ = ["DataKeys", "KeyFacts"]


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """The data keys a deployment's templates depend on: how many, their creation times (ISO),
    and the master keys that wrap them."""

    count: int
    oldest: str | None
    newest: str | None
    masters: tuple[str, ...]


class DataKeys:
    """The wrapped data keys of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def wrapped(self, subject: str) -> bytes | None:
        """The subject's wrapped data key, if they have one."""
        found = self._db.value("SELECT wrapped FROM data_keys WHERE subject_id = ?", (subject,))
        with self._db.reading("the data key of a subject"):
            return None if found is None else blob(found)

    def add(self, subject: str, wrapped: bytes, *, master_key_id: str, at: str) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO data_keys (subject_id, wrapped, master_key_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (subject, wrapped, master_key_id, at),
            )

    def all(self) -> list[tuple[str, bytes]]:
        """Every (subject, wrapped key), for re-wrapping them all under another key."""
        found = self._db.rows("SELECT subject_id, wrapped FROM data_keys ORDER BY subject_id")
        with self._db.reading("the data keys"):
            return [(str(s), blob(w)) for s, w in found]

    def rewrap(self, rows: list[tuple[str, bytes]], *, master_key_id: str) -> None:
        """Stores each subject's key as ``rows`` wrap it now, under key ``master_key_id``."""
        with self._db.transaction():
            self._db.execute_many(
                "UPDATE data_keys SET wrapped = ?, master_key_id = ? WHERE subject_id = ?",
                [(wrapped, master_key_id, subject) for subject, wrapped in rows],
            )

    def wrapped_by(self, key_id: str) -> tuple[int, int]:
        """How many data keys there are, and how many are wrapped under another key."""
        found = self._db.row(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN master_key_id = ? THEN 0 ELSE 1 END), 0) "
            "FROM data_keys",
            (key_id,),
        )
        return (0, 0) if found is None else (int(str(found[0])), int(str(found[1])))

    def delete(self, subject: str) -> bool:
        """Destroys the subject's key (crypto-shredding); whether there was one."""
        with self._db.transaction():
            return self._db.execute("DELETE FROM data_keys WHERE subject_id = ?", (subject,)) > 0

    def facts(self, deployment: str) -> KeyFacts:
        """Keys are per subject, shared across deployments: those of the subjects with
        templates in ``deployment`` are the ones its data depends on."""
        holders = "subject_id IN (SELECT subject_id FROM templates WHERE deployment_id = ?)"
        found = self._db.row(
            f"SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM data_keys WHERE {holders}",
            (deployment,),
        )
        count, oldest, newest = found if found is not None else (0, None, None)
        masters = self._db.rows(
            f"SELECT DISTINCT master_key_id FROM data_keys WHERE {holders} ORDER BY master_key_id",
            (deployment,),
        )
        return KeyFacts(
            int(str(count)),
            None if oldest is None else str(oldest),
            None if newest is None else str(newest),
            tuple(str(row[0]) for row in masters),
        )
