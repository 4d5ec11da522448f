"""A store moved to another engine (SQLite to PostgreSQL and back), row for row.

Every row of every table is copied as it is, the store's id and its state seal included, so the
copy is the same store: its audit chain and its seal verify there as they did here, and its
checkpoints kept outside still apply. The copy is one transaction on the destination, read from
one snapshot of the source, into a destination that holds no store yet.

Rows are written with the seal's triggers let through and nothing folded: the seal record is
copied with them. The change log is copied last, over the entries the templates' triggers wrote
as they were copied, so it is the source's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from facegate.errors import DuplicateId
from facegate.store.database import Database, Row
from facegate.store.schema import open_database

__all__ = ["TABLES", "copy_store"]

TABLES = (
    "meta",
    "operators",
    "deployments",
    "assessments",
    "subjects",
    "consent_events",
    "data_keys",
    "templates",
    "destroyed",
    "audit",
    "incidents",
    "filing_events",
    "attempts",
    "identify_attempts",
    "devices",
    "changes",
)
"""Every table of a store, each after those it refers to."""

_BATCH = 2_000


class _Verbatim:
    """The seal's place during a copy: rows pass, the copied record stays as it is."""

    def row(self, table: str, values: Row) -> None:
        pass

    def before_commit(self) -> None:
        pass

    def rolled_back(self) -> None:
        pass


def copy_store(
    source: str | os.PathLike[str], destination: str | os.PathLike[str]
) -> dict[str, int]:
    """Copies the store at ``source`` into ``destination`` (a new SQLite file, or an empty
    PostgreSQL database); returns the rows copied per table.

    Raises DuplicateId if ``destination`` already holds a store; nothing is written then, nor
    when anything fails (one transaction).
    """
    src_db = open_database(source)
    try:
        dst_db = open_database(destination)
    except BaseException:
        src_db.close()
        raise
    try:
        held = dst_db.value("SELECT value FROM meta WHERE key = 'store_id'") is not None
        if held or dst_db.count("SELECT COUNT(*) FROM audit"):
            raise DuplicateId(
                f"{dst_db.location} already holds a facegate store; copy into a new one"
            )
        dst_db.attach(_Verbatim())
        counts: dict[str, int] = {}
        with src_db.transaction(), dst_db.transaction():
            for table in TABLES:
                columns = src_db.columns(table)
                if table == "changes":
                    dst_db.execute("DELETE FROM changes")
                elif table == "meta":
                    dst_db.execute("DELETE FROM meta")
                counts[table] = _copy(src_db, dst_db, table, columns)
            # The source says where it went (and is retired); the copy is the store.
            dst_db.execute("DELETE FROM meta WHERE key = 'moved_to'")
        return counts
    finally:
        dst_db.close()
        src_db.close()


def _copy(src: Database, dst: Database, table: str, columns: list[str]) -> int:
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    copied = 0
    for batch in _batches(src.stream(f"SELECT {names} FROM {table}")):
        dst.execute_many(insert, batch)
        copied += len(batch)
    return copied


def _batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
