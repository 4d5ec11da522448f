"""Looks at a store's database file as an auditor would: with SQLite itself, read only.

The tests check what facegate stored (or left behind) through this, never through facegate's
own store objects, so that a check cannot pass because facegate reads its own mistakes back.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of a query on the store file at ``path``, read in a connection of its own."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def count(path: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    """The number a ``SELECT COUNT(...)`` query returns."""
    ((value,),) = rows(path, sql, params)
    return int(value)


def execute(path: Path, *statements: str) -> None:
    """Changes the file as someone with write access and no key could: a capable attacker,
    who provides a do-nothing ``fg_row`` so that the state seal's triggers let the writes
    through (the digests then lag behind the rows, which is what the seal's checks catch)."""
    db = sqlite3.connect(path)
    db.create_function("fg_row", -1, lambda *values: None)
    try:
        with db:
            for statement in statements:
                db.execute(statement)
    finally:
        db.close()
