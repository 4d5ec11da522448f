"""What someone with the database file and no key can do, for the demo to show it caught.

This is the one place outside the store package that reads or writes the database directly:
on purpose, as an attacker (or an auditor scanning the files) would, with SQLite's own tools.
A capable attacker also provides the do-nothing ``fg_row`` function the state seal's triggers
call, so that the edit goes through; the seal and the audit chain then catch it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["edit_audit_entry", "sealed_template"]


def sealed_template(path: Path, subject: str, deployment: str) -> bytes:
    """The sealed bytes of ``subject``'s template in ``deployment``, read straight from the
    file (to look for them in the files after an erasure)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (sealed,) = db.execute(
            "SELECT sealed FROM templates WHERE subject_id = ? AND deployment_id = ?",
            (subject, deployment),
        ).fetchone()
    finally:
        db.close()
    return bytes(sealed)


def edit_audit_entry(path: Path, seq: int) -> None:
    """Rewrites the outcome of audit entry ``seq``, dropping the trigger that forbids it."""
    db = sqlite3.connect(path)
    db.create_function("fg_row", -1, lambda *values: None)
    try:
        with db:
            db.execute("DROP TRIGGER audit_append_only")
            db.execute("UPDATE audit SET outcome = 'refused' WHERE seq = ?", (seq,))
    finally:
        db.close()
