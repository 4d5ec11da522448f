"""The ``templates`` table: sealed face templates (R15, R17), never a plaintext one.

Each row is one person's template in one deployment, sealed under their data key with its id,
subject and deployment authenticated; reads that need the key to open it join ``data_keys``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from facegate.store.database import Database, Row, blob

__all__ = ["SealedRow", "StoredTemplate", "Templates"]


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """A template to store: sealed already, with its bookkeeping (times in ISO form)."""

    id: int
    subject: str
    deployment: str
    sealed: bytes
    rotation_epoch: int
    created_at: str
    expires_at: str
    photos: int


@dataclass(frozen=True, slots=True)
class SealedRow:
    """A stored template with the wrapped key that opens it."""

    id: int
    subject: str
    sealed: bytes
    wrapped_key: bytes
    expires_at: str
    photos: int


_SEALED = (
    "SELECT t.id, t.subject_id, t.sealed, k.wrapped, t.expires_at, t.photos FROM templates t "
    "JOIN data_keys k ON k.subject_id = t.subject_id"
)


_CHUNK = 10_000
"""Ids per statement: well under SQLite's limit on bound parameters."""


def _in(values: Sequence[object]) -> str:
    return f"({','.join('?' * len(values))})"


class Templates:
    """The sealed templates of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def next_id(self) -> int:
        """The id the next template takes (inside the caller's transaction)."""
        return self._db.count("SELECT COALESCE(MAX(id), 0) + 1 FROM templates")

    def add(self, rows: Sequence[StoredTemplate]) -> None:
        with self._db.transaction():
            self._db.execute_many(
                "INSERT INTO templates (id, subject_id, deployment_id, sealed, rotation_epoch, "
                "created_at, expires_at, photos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.id,
                        r.subject,
                        r.deployment,
                        r.sealed,
                        r.rotation_epoch,
                        r.created_at,
                        r.expires_at,
                        r.photos,
                    )
                    for r in rows
                ],
            )

    def delete(self, ids: Sequence[int]) -> None:
        with self._db.transaction():
            self._db.execute_many("DELETE FROM templates WHERE id = ?", [(i,) for i in ids])

    def reseal(self, template: int, sealed: bytes, *, rotation_epoch: int) -> None:
        """Replaces a template's sealed bytes after renewal (R18)."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE templates SET sealed = ?, rotation_epoch = ? WHERE id = ?",
                (sealed, rotation_epoch, template),
            )

    def sealed(self, deployment: str) -> list[SealedRow]:
        """Every template of the deployment with its wrapped key (a gallery's load)."""
        with self._db.reading(f"deployment {deployment!r}'s templates"):
            return [
                _sealed(row)
                for row in self._db.rows(f"{_SEALED} WHERE t.deployment_id = ?", (deployment,))
            ]

    def sealed_columns(
        self, deployment: str, ids: Sequence[int] | None = None
    ) -> tuple[list[int], list[bytes], list[bytes], list[str], list[str]]:
        """The deployment's templates (those of ``ids`` when given) with their wrapped keys, as
        columns (ids, sealed, wrapped keys, subjects, expiry) built at C speed: a gallery's
        load is a million rows."""
        if ids is None:
            found = self._db.rows(f"{_SEALED} WHERE t.deployment_id = ?", (deployment,))
        else:
            found = []
            for start in range(0, len(ids), _CHUNK):
                part = ids[start : start + _CHUNK]
                found += self._db.rows(
                    f"{_SEALED} WHERE t.deployment_id = ? AND t.id IN {_in(part)}",
                    (deployment, *part),
                )
        if not found:
            return [], [], [], [], []
        ids, subjects, sealed, wrapped, expiries, _ = (list(c) for c in zip(*found, strict=True))
        return ids, sealed, wrapped, subjects, expiries

    def unexpired_of(self, subject: str, deployment: str, *, at: str) -> list[SealedRow]:
        """The subject's templates in the deployment that have not expired at ``at``."""
        found = self._db.rows(
            f"{_SEALED} WHERE t.subject_id = ? AND t.deployment_id = ? AND t.expires_at > ? "
            "ORDER BY t.id",
            (subject, deployment, at),
        )
        with self._db.reading("a template"):
            return [_sealed(row) for row in found]

    def latest(self, subject: str, deployment: str, *, unexpired_at: str) -> SealedRow | None:
        """The subject's newest template in the deployment that has not expired."""
        found = self._db.row(
            f"{_SEALED} WHERE t.subject_id = ? AND t.deployment_id = ? AND t.expires_at > ? "
            "ORDER BY t.id DESC LIMIT 1",
            (subject, deployment, unexpired_at),
        )
        with self._db.reading("a template"):
            return None if found is None else _sealed(found)

    def holders(self, deployment: str, *, unexpired_at: str) -> set[str]:
        """The subjects with a template in the deployment that has not expired."""
        found = self._db.rows(
            "SELECT DISTINCT subject_id FROM templates WHERE deployment_id = ? AND expires_at > ?",
            (deployment, unexpired_at),
        )
        return {str(row[0]) for row in found}

    def of_subject(
        self, subject: str, deployments: Sequence[str], *, expiring_by: str | None = None
    ) -> list[tuple[int, str]]:
        """(id, deployment) of the subject's templates in ``deployments`` (only those expiring
        by ``expiring_by`` when given)."""
        if not deployments:
            return []
        until, params = (
            ("", ()) if expiring_by is None else (" AND expires_at <= ?", (expiring_by,))
        )
        found = self._db.rows(
            f"SELECT id, deployment_id FROM templates WHERE subject_id = ? AND deployment_id "
            f"IN {_in(deployments)}{until} ORDER BY id",
            (subject, *deployments, *params),
        )
        return [(int(str(ident)), str(deployment)) for ident, deployment in found]

    def count_of_subject(self, subject: str) -> int:
        return self._db.count("SELECT COUNT(*) FROM templates WHERE subject_id = ?", (subject,))

    def count(self, deployment: str) -> int:
        """How many templates the deployment holds (its 1:N gallery size)."""
        return self._db.count(
            "SELECT COUNT(*) FROM templates WHERE deployment_id = ?", (deployment,)
        )

    def expired(self, at: str) -> list[tuple[str, str]]:
        """(subject, deployment) pairs with a template expired at ``at``."""
        found = self._db.rows(
            "SELECT DISTINCT subject_id, deployment_id FROM templates WHERE expires_at <= ? "
            "ORDER BY subject_id, deployment_id",
            (at,),
        )
        return [(str(subject), str(deployment)) for subject, deployment in found]

    def median_photos(self, deployment: str) -> int | None:
        """The median photograph count of the deployment's templates (None without any)."""
        found = self._db.value(
            "SELECT photos FROM templates WHERE deployment_id = ? ORDER BY photos "
            "LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM templates WHERE deployment_id = ?)",
            (deployment, deployment),
        )
        return None if found is None else int(str(found))

    def exported(self, deployment: str, subjects: Sequence[str]) -> list[SealedRow]:
        """The subjects' templates in the deployment with their wrapped keys, by id."""
        if not subjects:
            return []
        found = self._db.rows(
            f"{_SEALED} WHERE t.deployment_id = ? AND t.subject_id IN {_in(subjects)} "
            "ORDER BY t.id",
            (deployment, *subjects),
        )
        with self._db.reading("a template"):
            return [_sealed(row) for row in found]

    def metadata_of(self, subject: str) -> list[tuple[str, str, str]]:
        """(deployment, created, expires) of each of the subject's templates, by id."""
        found = self._db.rows(
            "SELECT deployment_id, created_at, expires_at FROM templates WHERE subject_id = ? "
            "ORDER BY id",
            (subject,),
        )
        return [(str(d), str(c), str(e)) for d, c, e in found]

    def facts(self, deployment: str, *, at: str) -> tuple[int, int, int]:
        """(templates, distinct subjects, templates expired at ``at``) of the deployment."""
        found = self._db.row(
            "SELECT COUNT(*), COUNT(DISTINCT subject_id), "
            "COALESCE(SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END), 0) "
            "FROM templates WHERE deployment_id = ?",
            (at, deployment),
        )
        templates, subjects, expired = found if found is not None else (0, 0, 0)
        return int(str(templates)), int(str(subjects)), int(str(expired))

    def individuals(self, deployments: Sequence[str]) -> tuple[int, int]:
        """(distinct subjects, templates) over ``deployments``: a person enrolled in two of
        them is one individual (R27)."""
        if not deployments:
            return 0, 0
        found = self._db.row(
            "SELECT COUNT(DISTINCT subject_id), COUNT(*) FROM templates WHERE deployment_id "
            f"IN {_in(deployments)}",
            tuple(deployments),
        )
        people, templates = found if found is not None else (0, 0)
        return int(str(people)), int(str(templates))

    def subjects_in(self, deployment: str) -> list[str]:
        """The distinct subjects with a template in the deployment, by id."""
        found = self._db.rows(
            "SELECT DISTINCT subject_id FROM templates WHERE deployment_id = ? ORDER BY subject_id",
            (deployment,),
        )
        return [str(row[0]) for row in found]

    def cap_expiry(self, deployment: str, *, days: int) -> int:
        """Brings every template of the deployment that would be kept longer than ``days``
        after it was stored down to that (a shorter retention period, R14), in the caller's
        transaction; returns how many were brought forward. Templates that expire sooner
        already keep their expiry."""
        found = self._db.rows(
            "SELECT id, created_at, expires_at FROM templates WHERE deployment_id = ?",
            (deployment,),
        )
        with self._db.reading(f"deployment {deployment!r}'s template times"):
            sooner = [
                (capped.isoformat(), int(str(ident)))
                for ident, created, expires in found
                if (capped := datetime.fromisoformat(str(created)) + timedelta(days=days))
                < datetime.fromisoformat(str(expires))
            ]
        with self._db.transaction():
            self._db.execute_many("UPDATE templates SET expires_at = ? WHERE id = ?", sooner)
        return len(sooner)


def _sealed(row: Row) -> SealedRow:
    ident, subject, sealed, wrapped, expires, photos = row
    return SealedRow(
        id=int(str(ident)),
        subject=str(subject),
        sealed=blob(sealed),
        wrapped_key=blob(wrapped),
        expires_at=str(expires),
        photos=int(str(photos)),
    )
