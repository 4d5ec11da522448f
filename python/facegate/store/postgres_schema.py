"""The schema's migrations, written once for SQLite (facegate.store.schema), as PostgreSQL spells
them: column types, keys, and triggers as PL/pgSQL functions.

The translation is mechanical, so both backends run the same migrations from one runner:

- ``INTEGER``, ``REAL`` and ``BLOB`` become ``BIGINT``, ``DOUBLE PRECISION`` and ``BYTEA``;
- an ``INTEGER PRIMARY KEY [AUTOINCREMENT]`` left empty gets the largest value plus one (an
  index lookup; writers hold one lock): a rolled-back insert leaves no gap in ``seq``, where a
  sequence would (the change log and the audit trail are read as unbroken sequences). Unlike
  ``AUTOINCREMENT``, a number can come back once the row holding the largest was deleted, which
  only erasure does, and only to consent events; the trail and the change log lose rows only
  from their old end. (A counter row would not reuse, but updating one row per insert makes a
  bulk transaction quadratic in PostgreSQL.)
- ``CREATE TRIGGER name ... BEGIN body; END`` becomes a function ``name()`` running the body
  (``NEW`` and ``OLD`` mean the same there), ``SELECT RAISE(ABORT, 'why')`` becomes ``RAISE
  EXCEPTION``, and the seal's ``SELECT fg_row('table', NEW.a, ...)`` records the row in this
  session's ``pg_temp.fg_sealed_rows``, which only a store attached to its seal creates: a write
  from any other session fails, as one without facegate's SQL function does in SQLite; and
  announces the commit (a write made some other way still reaches every running process);
- statements that fix rows written by facegate versions before PostgreSQL support (the JSON
  rewrites of migrations 6 and 7) have no rows to fix in a PostgreSQL store and are skipped.
"""

from __future__ import annotations

import re

__all__ = ["spelled"]

_TYPES = ((r"\bINTEGER\b", "BIGINT"), (r"\bREAL\b", "DOUBLE PRECISION"), (r"\bBLOB\b", "BYTEA"))
_KEY = re.compile(r"(\w+) INTEGER PRIMARY KEY( AUTOINCREMENT)?")
_TABLE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)")
_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) (BEFORE|AFTER) (INSERT|UPDATE|DELETE) ON (\w+)\s+BEGIN(.*)END;?\s*$",
    re.S,
)
_RAISE = re.compile(r"SELECT RAISE\(ABORT, ('(?:[^']|'')*')\)")
_SEAL_ROW = re.compile(r"SELECT fg_row\('(\w+)', (NEW|OLD)\.[^;]*\)")

_ANNOUNCE = (
    "PERFORM pg_notify('facegate_commits', COALESCE(current_setting('facegate.origin', true), ''));"
)
"""Every write to a sealed table is announced (at its commit), facegate's own under the
writer's id and anyone else's under none, so that running processes check what they did."""


def spelled(statements: list[str]) -> list[str]:
    """``statements`` (SQLite's) as PostgreSQL runs them."""
    out: list[str] = []
    for statement in statements:
        out += _statement(statement)
    return out


def _statement(statement: str) -> list[str]:
    if "json_" in statement:
        return []
    trigger = _TRIGGER.match(statement)
    if trigger:
        return _trigger(*trigger.groups())
    table = _TABLE.match(statement)
    key = _KEY.search(statement)
    translated = _KEY.sub(r"\1 BIGINT PRIMARY KEY", statement)
    for pattern, replacement in _TYPES:
        translated = re.sub(pattern, replacement, translated)
    if table is None or key is None:
        return [translated]
    return [translated, *_key_trigger(table.group(1), key.group(1))]


def _key_trigger(table: str, column: str) -> list[str]:
    name = f"key_{table}"
    return [
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.{column} IS NULL THEN
                SELECT COALESCE(MAX({column}), 0) + 1 INTO NEW.{column} FROM {table};
            END IF;
            RETURN NEW;
        END $$""",
        f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def _trigger(name: str, when: str, event: str, table: str, body: str) -> list[str]:
    body = _RAISE.sub(r"RAISE EXCEPTION \1 USING ERRCODE = 'restrict_violation'", body)
    body = _SEAL_ROW.sub(
        r"INSERT INTO pg_temp.fg_sealed_rows (tbl, vals) VALUES ('\1', to_jsonb(\2))", body
    )
    if name.startswith("seal_"):
        body += _ANNOUNCE
    result = "NULL" if when == "AFTER" else ("OLD" if event == "DELETE" else "NEW")
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN {body.strip()}\nRETURN {result};\nEND $$",
        f"CREATE TRIGGER {name} {when} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]
