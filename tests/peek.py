"""Looks at a store's database as an auditor would: with the engine's own client, read only.

The tests check what facegate stored (or left behind) through this, never through facegate's
own store objects, so that a check cannot pass because facegate reads its own mistakes back.
``path`` is a SQLite file or a ``postgresql://`` URL; queries are written with ``?``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def _postgres(path: Path | str) -> bool:
    return str(path).startswith("postgresql://")


def rows(path: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of a query on the store at ``path``, read in a connection of its own."""
    if _postgres(path):
        import psycopg

        with psycopg.connect(str(path), autocommit=True) as conn:
            found = conn.execute(sql.replace("%", "%%").replace("?", "%s"), params).fetchall()
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in found]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def count(path: Path | str, sql: str, params: tuple[Any, ...] = ()) -> int:
    """The number a ``SELECT COUNT(...)`` query returns."""
    ((value,),) = rows(path, sql, params)
    return int(value)


def execute(path: Path | str, *statements: str) -> None:
    """Changes the store as someone with write access and no key could: a capable attacker,
    who lets the state seal's triggers through (a do-nothing ``fg_row`` in SQLite, the table
    they write to in PostgreSQL), so that the digests lag behind the rows, which is what the
    seal's checks catch."""
    if _postgres(path):
        import psycopg

        with psycopg.connect(str(path)) as conn:
            conn.execute(
                "CREATE TEMP TABLE fg_sealed_rows (n BIGSERIAL, tbl TEXT, vals JSONB) "
                "ON COMMIT DELETE ROWS"
            )
            for statement in statements:
                conn.execute(_spelled(conn, statement))
        return
    db = sqlite3.connect(path)
    db.create_function("fg_row", -1, lambda *values: None)
    try:
        with db:
            for statement in statements:
                db.execute(statement)
    finally:
        db.close()


def integrity(path: Path | str) -> str:
    """The engine's own check of the database's structure: "ok", or what it found. SQLite's
    ``integrity_check``; PostgreSQL's ``amcheck`` over every B-tree index of the store (heap and
    index, with ``heapallindexed``)."""
    if not _postgres(path):
        return str(rows(path, "PRAGMA integrity_check")[0][0])
    import psycopg

    try:
        with psycopg.connect(str(path), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            conn.execute(
                "SELECT bt_index_check(i.indexrelid, true) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = current_schema()"
            ).fetchall()
    except psycopg.Error as exc:
        return str(exc)
    return "ok"


def plain_write(path: Path | str, statement: str) -> str:
    """Runs one write as any program without facegate would (the ``sqlite3`` shell, ``psql``):
    the message of the error the store answers with, or AssertionError if it let it through."""
    if _postgres(path):
        import psycopg

        try:
            with psycopg.connect(str(path)) as conn:
                conn.execute(statement)
        except psycopg.Error as exc:
            return str(exc)
        raise AssertionError(f"the store accepted {statement!r} from a plain client")
    db = sqlite3.connect(path)
    try:
        db.execute(statement)
        db.commit()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        db.close()
    raise AssertionError(f"the store accepted {statement!r} from a plain client")


def _spelled(conn: Any, statement: str) -> str:
    """SQLite's ``DROP TRIGGER name`` as PostgreSQL spells it (naming the trigger's table)."""
    words = statement.split()
    if words[:2] == ["DROP", "TRIGGER"] and len(words) == 3:
        ((table,),) = conn.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s",
            (words[2],),
        ).fetchall()
        return f"{statement} ON {table}"
    return statement
