"""The state seal: one authenticated record of the audit trail's head and of every table's rows.

The store's ``meta`` holds one record: the trail's size and last link, and for each sealed table
(:data:`facegate.store.seal.SEALED`) a digest, the XOR of a keyed MAC (HMAC-SHA256, under a key
derived from the master key) of each of its rows; a tag under the same key covers the record and
the store's id. Triggers report every row change, so the digests follow facegate's own writes
transaction by transaction, and the record is rewritten once per transaction, just before it
commits. Anyone who changes rows without the key (restores an erased person from an older copy,
deletes an attempt counter, rewrites a deployment) leaves the digests behind the rows; replacing
the record breaks its tag. :meth:`Seal.check` finds either.

XOR makes the digest independent of row order and lets a deletion remove exactly what its
insertion added; as each row's MAC is keyed, no one without the key can choose rows whose MACs
cancel out.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from facegate.errors import CorruptStore, TamperedData
from facegate.keys import MasterKey
from facegate.store import Store
from facegate.store.database import Row
from facegate.store.seal import ADDED, SEALED

__all__ = ["GENESIS", "Seal", "SealRecord"]

GENESIS = bytes(32)
"""The link before the first audit entry."""

_ROW = "state row v1"
_RECORD = "state seal v1"


@dataclass(frozen=True, slots=True)
class SealRecord:
    """The sealed state: the audit trail's size and last link, each table's digest."""

    size: int
    link: bytes
    digests: dict[str, int]

    def message(self, store_id: str) -> bytes:
        # A table added after the seal (ADDED) is named once it holds rows: a record written
        # before it existed, which has no digest for it, keeps its tag.
        digests = ",".join(
            f"{t}:{self.digests.get(t, 0):064x}"
            for t in sorted(SEALED)
            if t not in ADDED or self.digests.get(t, 0)
        )
        return f"{store_id}|{self.size}|{self.link.hex()}|{digests}".encode()


def _encode(table: str, values: Iterable[object]) -> bytes:
    """A row's canonical bytes: the table, then each value with its type and length."""
    parts = [table.encode(), b"\0"]
    for value in values:
        if value is None:
            parts.append(b"N")
        elif isinstance(value, int):
            parts += [b"I", value.to_bytes(8, "big", signed=True)]
        elif isinstance(value, float):
            parts += [b"F", struct.pack(">d", value)]
        elif isinstance(value, str):
            data = value.encode("utf-8", "surrogatepass")
            parts += [b"S", len(data).to_bytes(4, "big"), data]
        else:
            data = bytes(value)  # type: ignore[call-overload]
            parts += [b"B", len(data).to_bytes(4, "big"), data]
    return b"".join(parts)


class Seal:
    """The state seal of one open store (the store's :class:`~facegate.store.database.Sealer`)."""

    __slots__ = ("_head", "_key", "_pending", "_read", "_store", "committed", "store_id")

    def __init__(self, store: Store, key: MasterKey, store_id: str) -> None:
        self._store, self._key, self.store_id = store, key, store_id
        self._pending: dict[str, int] = {}
        self._head: tuple[int, bytes] | None = None
        # The record as read in the current transaction (reading and checking its tag costs
        # more than the rest of an append), and as the last commit wrote it.
        self._read: SealRecord | None = None
        self.committed: SealRecord | None = None

    # ----- the store's Sealer ---------------------------------------------------------------

    def row(self, table: str, values: Row) -> None:
        self._pending[table] = self._pending.get(table, 0) ^ self.mac(table, values)

    def before_commit(self) -> None:
        """Writes the record once, with this transaction's rows and audit entries folded in."""
        if not self._pending and self._head is None:
            self._read = None
            return
        stored = self._read or self.stored()
        base = stored if stored is not None else SealRecord(0, GENESIS, {})
        digests = dict(base.digests)
        for table, delta in self._pending.items():
            digests[table] = digests.get(table, 0) ^ delta
        size, link = self._head if self._head is not None else (base.size, base.link)
        record = SealRecord(size, link, digests)
        self.write(record)
        self._pending, self._head, self._read, self.committed = {}, None, None, record

    def rolled_back(self) -> None:
        self._pending, self._head, self._read = {}, None, None

    # ----- the audit trail's head -----------------------------------------------------------

    def head(self) -> tuple[int, bytes]:
        """The trail's size and last link, this transaction's appends included."""
        if self._head is not None:
            return self._head
        if self._read is not None:
            stored: SealRecord | None = self._read
        else:
            stored = self.stored()
            if self._store.in_transaction():  # outside one, another process may write next
                self._read = stored
        return (0, GENESIS) if stored is None else (stored.size, stored.link)

    def advance(self, size: int, link: bytes) -> None:
        """Records an appended entry; written with the record at commit."""
        self._head = (size, link)

    # ----- the record -----------------------------------------------------------------------

    def mac(self, table: str, values: Iterable[object]) -> int:
        return int.from_bytes(self._key.tag(_ROW, _encode(table, values)), "big")

    def stored(self) -> SealRecord | None:
        """The record as stored, None before the first: CorruptStore if it does not parse,
        TamperedData if its tag does not verify (altered, or made with another key)."""
        text = self._store.meta.seal()
        if text is None:
            return None
        with self._store.reading("the state seal"):
            data = json.loads(text)
            record = SealRecord(
                int(data["size"]),
                bytes.fromhex(data["link"]),
                {str(t): int(d, 16) for t, d in data["digests"].items()},
            )
            tag = bytes.fromhex(data["tag"])
        if not self._key.check_tag(_RECORD, record.message(self.store_id), tag):
            raise TamperedData(
                f"{self._store.location}: the state seal's tag does not verify (altered, or "
                "made with another master key)"
            )
        return record

    def authentic(self) -> bool:
        """Whether the stored record (if any) was made with this key, for this store."""
        try:
            self.stored()
        except (TamperedData, CorruptStore):
            return False
        return True

    def write(self, record: SealRecord) -> None:
        tag = self._key.tag(_RECORD, record.message(self.store_id))
        self._store.meta.set_seal(
            json.dumps(
                {
                    "size": record.size,
                    "link": record.link.hex(),
                    "digests": {t: f"{d:064x}" for t, d in sorted(record.digests.items())},
                    "tag": tag.hex(),
                },
                sort_keys=True,
            )
        )

    def digest(self, table: str) -> int:
        """``table``'s digest computed from its rows now."""
        total = 0
        with self._store.reading(f"the rows of {table}"):
            for values in self._store.scan(table):
                total ^= self.mac(table, values)
        return total

    def check(self, tables: Iterable[str]) -> str | None:
        """Why the stored state does not match the record (None when it does), checking the
        digests of ``tables`` against their rows."""
        try:
            stored = self.stored()
        except CorruptStore:
            return "the state seal is unreadable"
        except TamperedData:
            return "the state seal's tag is invalid (altered, or another master key)"
        digests = {t: self.digest(t) for t in tables}
        if stored is None:
            held = sorted(t for t, d in digests.items() if d)
            return (
                f"the state seal is missing while {', '.join(held)} hold rows (removed outside "
                "facegate)"
                if held
                else None
            )
        wrong = [t for t, digest in digests.items() if digest != stored.digests.get(t, 0)]
        if wrong:
            return (
                f"rows of {', '.join(wrong)} were changed outside facegate (added, removed, "
                "restored or rewritten since facegate last wrote them)"
            )
        return None
