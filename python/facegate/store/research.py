"""The research store's one table, ``encodings``: labelled encodings in a SQLite file of their
own, marked as research by its ``application_id`` (R12; the rules are :mod:`facegate.research`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from facegate.store.sqlite import RESEARCH_APPLICATION_ID

__all__ = ["ResearchEncodings"]


class ResearchEncodings:
    """The encodings table of one research store."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @classmethod
    def open(cls, path: Path) -> ResearchEncodings:
        """Opens or creates the research store at ``path`` (checked by the caller)."""
        db = sqlite3.connect(path, isolation_level=None)
        db.execute(f"PRAGMA application_id = {RESEARCH_APPLICATION_ID}")
        db.execute(
            "CREATE TABLE IF NOT EXISTS encodings (id INTEGER PRIMARY KEY, label TEXT NOT NULL, "
            "source TEXT NOT NULL, encoding BLOB NOT NULL)"
        )
        return cls(db)

    @staticmethod
    def application_id(path: Path) -> int | None:
        """The ``application_id`` of the SQLite database at ``path``, read by SQLite itself (so
        that no lock of this process is dropped), None if the file is not a database."""
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(db.execute("PRAGMA application_id").fetchone()[0])
        except sqlite3.DatabaseError:
            return None
        finally:
            db.close()

    def add(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Adds (label, source, encoding bytes) rows in one transaction."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO encodings (label, source, encoding) VALUES (?, ?, ?)", rows
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def all(self) -> list[tuple[str, bytes]]:
        """(label, encoding bytes) of every row, in insertion order."""
        found = self._db.execute("SELECT label, encoding FROM encodings ORDER BY id").fetchall()
        return [(str(label), bytes(data)) for label, data in found]

    def close(self) -> None:
        self._db.close()
