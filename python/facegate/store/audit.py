"""The ``audit`` table: the hash-chained security audit trail (R20), never deleted (R21).

Rows are appended with their link; triggers refuse updates and deletions. The chain itself (how
links are computed and verified) is :mod:`facegate.gate.audit`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from facegate.errors import CorruptStore
from facegate.store.database import Database, Row, UniqueViolation

__all__ = ["AuditRow", "AuditRows"]

_COLUMNS = (
    "seq, at, capability, action, deployment_id, purpose, subject_ref, outcome, rule, "
    "threshold, detail, ratio, device"
)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored entry as the table holds it, with its link (None if the column is empty).
    Values are as stored: checking their types is the chain's job."""

    values: Row
    link: object


class AuditRows:
    """The audit entries of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, values: Row, link: bytes) -> None:
        """Appends one entry (``values`` in the order of the columns) with its link."""
        marks = ", ".join("?" * (len(values) + 1))
        try:
            with self._db.transaction():
                self._db.execute(
                    f"INSERT INTO audit ({_COLUMNS}, entry_hash) VALUES ({marks})",
                    (*values, link),
                )
        except UniqueViolation as exc:
            raise CorruptStore(
                f"{self._db.location}: the audit trail's entries do not match its head "
                f"(entry {values[0]} exists already); verify it and restore from a backup"
            ) from exc

    def since(self, start: int = 1) -> Iterator[AuditRow]:
        """Entries in sequence order from ``start``."""
        for row in self._db.stream(
            f"SELECT {_COLUMNS}, entry_hash FROM audit WHERE seq >= ? ORDER BY seq", (start,)
        ):
            yield AuditRow(row[:-1], row[-1])

    def count(self) -> int:
        return self._db.count("SELECT COUNT(*) FROM audit")

    def link_at(self, seq: int) -> bytes | None:
        """The stored link of entry ``seq`` (None if there is no such entry or no link)."""
        found = self._db.value("SELECT entry_hash FROM audit WHERE seq = ?", (seq,))
        return bytes(found) if isinstance(found, bytes | memoryview) else None

    def last_seq(self) -> int:
        """The highest sequence number stored (0 for an empty trail)."""
        return self._db.count("SELECT MAX(seq) FROM audit")

    def totals(self, deployment: str) -> tuple[int, int]:
        """(entries, refused) of the deployment's entries."""
        found = self._db.row(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END), 0) "
            "FROM audit WHERE deployment_id = ?",
            (deployment,),
        )
        total, refused = found if found is not None else (0, 0)
        return int(str(total)), int(str(refused))

    def refusals(self, deployment: str) -> list[tuple[str, int]]:
        """The deployment's refused entries by the rule that refused them."""
        found = self._db.rows(
            "SELECT rule, COUNT(*) FROM audit WHERE deployment_id = ? AND outcome = 'refused' "
            "GROUP BY rule",
            (deployment,),
        )
        return [(str(rule), int(str(count))) for rule, count in found]

    def declines(self, deployment: str) -> list[tuple[str, int]]:
        """Alternatives people chose instead of face recognition (R11), by the alternative; a
        decline that was itself refused is not an alternative used."""
        found = self._db.rows(
            "SELECT COALESCE(detail, ''), COUNT(*) FROM audit WHERE deployment_id = ? "
            "AND action = 'decline' AND outcome <> 'refused' GROUP BY detail",
            (deployment,),
        )
        return [(str(detail), int(str(count))) for detail, count in found]
