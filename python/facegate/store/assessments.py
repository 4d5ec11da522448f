"""The ``assessments`` table: signed impact assessments, kept at least three years (R21)."""

from __future__ import annotations

from dataclasses import dataclass

from facegate.store.database import Database

__all__ = ["AssessmentRecord", "Assessments"]


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """One signed assessment: its items (JSON), who signed it, when, for which notice."""

    content: str
    signed_off_by: str
    signed_at: str
    notice_version: str


class Assessments:
    """The impact assessments of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self, deployment: str, *, notice_version: str, content: str, signed_off_by: str, at: str
    ) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO assessments (deployment_id, notice_version, content, signed_off_by, "
                "signed_at) VALUES (?, ?, ?, ?, ?)",
                (deployment, notice_version, content, signed_off_by, at),
            )

    def signed_after(self, deployment: str, notice_version: str, since: str) -> bool:
        """Whether an assessment of ``notice_version`` was signed after ``since`` (ISO time)."""
        found = self._db.row(
            "SELECT 1 FROM assessments WHERE deployment_id = ? AND notice_version = ? "
            "AND signed_at > ?",
            (deployment, notice_version, since),
        )
        return found is not None

    def latest(self, deployment: str) -> AssessmentRecord | None:
        found = self._db.row(
            "SELECT content, signed_off_by, signed_at, notice_version FROM assessments "
            "WHERE deployment_id = ? ORDER BY seq DESC LIMIT 1",
            (deployment,),
        )
        if found is None:
            return None
        content, signed_by, signed_at, version = (str(value) for value in found)
        return AssessmentRecord(content, signed_by, signed_at, version)
