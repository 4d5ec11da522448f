"""A store moved to another engine: retired where it was, copied whole, verified where it is.

The source records the move in its own trail and is retired first (it refuses to open from
then on), so the copy, made from that very state, is the one store: two copies of one store
going on separately would each look rolled back to the other's checkpoints. A failed copy
writes nothing at the destination and takes the source's retirement back.
"""

from __future__ import annotations

import os

from facegate.gate.audit import Verification
from facegate.gate.facade import FaceGate
from facegate.keys import KmsMasterKey, MasterKey
from facegate.store.postgres import redacted
from facegate.store.schema import open_database
from facegate.store.transfer import copy_store

__all__ = ["move_store"]


def move_store(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    key: MasterKey | KmsMasterKey,
) -> tuple[dict[str, int], Verification]:
    """Moves the store at ``source`` to ``destination`` (a new SQLite file or an empty
    PostgreSQL database); returns the rows copied per table and the full verification of the
    copy (audit chain and state seal). Raises what opening or copying raises (DuplicateId for
    a destination that holds a store), with the source as it was."""
    gate = FaceGate.open(source, key, load_galleries=False)
    try:
        gate.retire_for_move(redacted(str(destination)))
    finally:
        gate.close()
    try:
        counts = copy_store(source, destination)
    except BaseException:
        db = open_database(source)
        try:
            with db.transaction():
                db.execute("DELETE FROM meta WHERE key = 'moved_to'")
        finally:
            db.close()
        raise
    moved = FaceGate.open(destination, key, load_galleries=False)
    try:
        return counts, moved.verify_audit()
    finally:
        moved.close()
