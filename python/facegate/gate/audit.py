"""The security audit trail (R20, R21): append-only, tamper-evident, with no biometric data.

Every entry is one operation or refusal: when, which capability, what action, deployment,
purpose, a pseudonymous subject reference, outcome, rule and threshold, and an optional
non-biometric detail (which alternative a person chose). Entries form a keyed hash chain: each
entry's link is HMAC-SHA256 (under a key that Rust derives from the master key) of the previous
link and the entry's canonical bytes, and the store keeps an authenticated head (size and last
link). So:

- editing, deleting, reordering or inserting an entry breaks the first affected link, which
  :meth:`AuditLog.verify` names, even if the attacker recomputes hashes (they lack the key);
- cutting entries off the end no longer matches the authenticated head;
- rolling the head back to an older authentic one is caught against a :class:`Checkpoint`
  exported outside the database (:meth:`AuditLog.checkpoint`).

Subjects appear only as keyed pseudonyms (:meth:`AuditLog.subject_ref`), so the log names no one
to a reader without the key. Entries are kept at least three years (R21): facegate never deletes
them, and the store refuses their deletion (as it does an impact assessment's).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from facegate.errors import CorruptStore, InvalidArgument
from facegate.keys import MasterKey
from facegate.store import Store

__all__ = [
    "AuditEntry",
    "AuditLog",
    "Checkpoint",
    "Verification",
]

_LINK = "audit link v1"
_HEAD = "audit head v1"
_SUBJECT = "audit subject v1"
_CHECKPOINT = "audit checkpoint v1"
_GENESIS = bytes(32)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record. ``subject_ref`` is a keyed pseudonym, never a raw subject id."""

    seq: int
    at: str
    capability: str
    action: str
    deployment: str | None
    purpose: str | None
    subject_ref: str | None
    outcome: str
    rule: str
    threshold: float | None
    detail: str | None

    def canonical(self) -> bytes:
        """The bytes the chain covers: sorted-key compact JSON of every field."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An authenticated statement of the log's size and last link, to keep outside the store."""

    size: int
    head: str
    tag: str
    at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        try:
            data = json.loads(text)
            return cls(int(data["size"]), str(data["head"]), str(data["tag"]), str(data["at"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgument(f"not an audit checkpoint ({exc})") from exc


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of :meth:`AuditLog.verify`: ``first_bad`` is the sequence number of the first
    entry that is altered, out of place or missing (``None`` when the log is intact)."""

    ok: bool
    entries: int
    first_bad: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.entries} entries verified"
        where = f" at entry {self.first_bad}" if self.first_bad is not None else ""
        return f"audit trail BROKEN{where}: {self.problem}"


def _head_message(size: int, head: bytes) -> bytes:
    return f"{size}|".encode() + head


class AuditLog:
    """The audit trail of one store, keyed by the operator's master key."""

    __slots__ = ("_every", "_folder", "_key", "_store")

    def __init__(
        self,
        store: Store,
        key: MasterKey,
        *,
        checkpoints: str | os.PathLike[str] | None = None,
        every: int = 1000,
    ) -> None:
        """``checkpoints``: a folder (ideally on other storage) that receives a checkpoint
        every ``every`` entries; :meth:`verify` then checks against the latest one."""
        if every < 1:
            raise InvalidArgument(f"checkpoints come every n >= 1 entries, not {every}")
        self._store, self._key = store, key
        self._folder = Path(checkpoints) if checkpoints is not None else None
        self._every = every

    def subject_ref(self, subject: str) -> str:
        """The log's name for ``subject``: a keyed hash, stable for one master key, meaningless
        without it (the log holds no raw id, R20)."""
        return self._key.tag(_SUBJECT, subject.encode()).hex()[:32]

    def append(
        self,
        *,
        capability: str,
        action: str,
        outcome: str,
        rule: str,
        deployment: str | None = None,
        purpose: str | None = None,
        subject: str | None = None,
        threshold: float | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Appends one entry, inside the caller's transaction when there is one.

        The entry follows the authenticated head. Where rows added behind facegate's back hold
        that number already, it is numbered after the highest stored instead, so that the trail
        (and the verification that finds them) can still be written; :meth:`verify` stops at
        the first of them."""
        with self._store.transaction():
            size, head = self._head()
            entry = AuditEntry(
                seq=size + 1,
                at=(at or datetime.now(UTC)).isoformat(),
                capability=capability,
                action=action,
                deployment=deployment,
                purpose=purpose,
                subject_ref=self.subject_ref(subject) if subject is not None else None,
                outcome=outcome,
                rule=rule,
                threshold=threshold,
                detail=detail,
            )
            try:
                link = self._insert(head, entry)
            except CorruptStore:
                # Rows were added behind the head: follow the highest stored entry instead.
                entry = replace(entry, seq=self._store.audit.last_seq() + 1)
                link = self._insert(head, entry)
            self._set_head(entry.seq, link)
            if self._folder is not None and entry.seq % self._every == 0:
                self._store.after_commit(self.save_checkpoint)
        return entry

    def _insert(self, head: bytes, entry: AuditEntry) -> bytes:
        link = self._link(head, entry)
        self._store.audit.append(_row(entry), link)
        return link

    def save_checkpoint(self) -> Path:
        """Writes the current checkpoint into the checkpoint folder (atomically)."""
        if self._folder is None:
            raise InvalidArgument("this audit log has no checkpoint folder")
        checkpoint = self.checkpoint()
        self._folder.mkdir(parents=True, exist_ok=True)
        target = self._folder / f"audit-{checkpoint.size:012d}.json"
        partial = target.with_suffix(".partial")
        partial.write_text(checkpoint.to_json() + "\n", encoding="utf-8")
        os.replace(partial, target)
        return target

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint in the checkpoint folder, if any."""
        if self._folder is None:
            return None
        saved = sorted(self._folder.glob("audit-*.json"))
        if not saved:
            return None
        return Checkpoint.from_json(saved[-1].read_text(encoding="utf-8"))

    def entries(self, start: int = 1) -> Iterator[AuditEntry]:
        """Entries in sequence order from ``start``."""
        for row in self._store.audit.since(start):
            with self._store.reading("an audit entry"):
                yield _entry(row.values)

    def __len__(self) -> int:
        return self._store.audit.count()

    def verify(self, checkpoint: Checkpoint | None = None) -> Verification:
        """Recomputes every link and checks the authenticated head (and ``checkpoint``, an
        earlier :meth:`checkpoint` kept elsewhere, which catches a rolled-back head; by default
        the latest one in the checkpoint folder)."""
        checkpoint = checkpoint or self.latest_checkpoint()
        expected, link, count = 1, _GENESIS, 0
        links: dict[int, bytes] = {}
        for row in self._store.audit.since():
            try:
                entry, stored = _entry(row.values), row.link
            except (ValueError, TypeError):
                return Verification(False, count, expected, "entry unreadable (damaged)")
            if entry.seq != expected:
                return Verification(False, count, expected, "entry missing (sequence gap)")
            link = self._link(link, entry)
            if not isinstance(stored, bytes) or stored != link:
                return Verification(False, count, entry.seq, "entry altered, reordered or inserted")
            if checkpoint is not None and entry.seq == checkpoint.size:
                links[entry.seq] = link
            count, expected = count + 1, expected + 1
        problem = self._check_head(count, link)
        if problem:
            return Verification(False, count, count + 1 if "missing" in problem else None, problem)
        if checkpoint is not None:
            seen = _GENESIS if checkpoint.size == 0 else links.get(checkpoint.size)
            problem = self._check_checkpoint(checkpoint, count, seen)
            if problem:
                return Verification(False, count, min(checkpoint.size, count + 1), problem)
        return Verification(True, count)

    def head_authentic(self) -> bool:
        """Whether the recorded head (if any) authenticates under this key: a cheap check at
        open that the store belongs to this master key before anything is appended."""
        try:
            stored = self._stored_head()
        except ValueError:
            return False
        return stored is None or self._authentic(*stored)

    def checkpoint(self, *, at: datetime | None = None) -> Checkpoint:
        """The current size and head, authenticated, for keeping outside the database."""
        size, head = self._head()
        moment = (at or datetime.now(UTC)).isoformat()
        tag = self._key.tag(_CHECKPOINT, _head_message(size, head) + moment.encode())
        return Checkpoint(size, head.hex(), tag.hex(), moment)

    def export_jsonl(self, out: TextIO, *, start: int = 1) -> int:
        """Writes entries as JSON lines (with their links, for independent checking)."""
        count = 0
        for row in self._store.audit.since(start):
            with self._store.reading("an audit entry"):
                record: dict[str, Any] = asdict(_entry(row.values))
            record["link"] = row.link.hex() if isinstance(row.link, bytes) else None
            out.write(json.dumps(record, sort_keys=True) + "\n")
            count += 1
        return count

    # ----- internals ------------------------------------------------------------------------

    def _link(self, previous: bytes, entry: AuditEntry) -> bytes:
        return self._key.tag(_LINK, previous + entry.canonical())

    def _head(self) -> tuple[int, bytes]:
        """The recorded size and last link (read on the store's one connection, so inside a
        transaction it sees that transaction's appends)."""
        with self._store.reading("the audit trail's head"):
            stored = self._stored_head()
        return (0, _GENESIS) if stored is None else stored[:2]

    def _stored_head(self) -> tuple[int, bytes, bytes] | None:
        """The recorded (size, last link, tag), None if nothing was ever appended; raises
        ValueError when the record does not parse."""
        stored = self._store.meta.audit_head()
        if stored is None:
            return None
        size, head, tag = stored.split(":")
        return int(size), bytes.fromhex(head), bytes.fromhex(tag)

    def _authentic(self, size: int, head: bytes, tag: bytes) -> bool:
        return self._key.check_tag(_HEAD, _head_message(size, head), tag)

    def _set_head(self, size: int, head: bytes) -> None:
        tag = self._key.tag(_HEAD, _head_message(size, head))
        self._store.meta.set_audit_head(f"{size}:{head.hex()}:{tag.hex()}")

    def _check_head(self, count: int, link: bytes) -> str | None:
        try:
            stored = self._stored_head()
        except ValueError:
            return "the authenticated head is malformed"
        if stored is None:
            return None if count == 0 else "the authenticated head is missing"
        size, head, tag = stored
        if not self._authentic(size, head, tag):
            return "the head's tag is invalid (altered, or another master key)"
        if size > count:
            return f"entries missing at the end: the head records {size}, the log holds {count}"
        if size < count or head != link:
            return f"entries after the authenticated head: it records {size}, the log holds {count}"
        return None

    def _check_checkpoint(
        self, checkpoint: Checkpoint, count: int, link: bytes | None
    ) -> str | None:
        try:
            head, tag = bytes.fromhex(checkpoint.head), bytes.fromhex(checkpoint.tag)
        except ValueError:
            return "the checkpoint is malformed"
        message = _head_message(checkpoint.size, head) + checkpoint.at.encode()
        if not self._key.check_tag(_CHECKPOINT, message, tag):
            return "the checkpoint's tag is invalid (altered, or another master key)"
        if checkpoint.size > count:
            return (
                f"the log was cut short: the checkpoint saw {checkpoint.size} entries, "
                f"the log holds {count}"
            )
        if link != head:
            return "the log was rewritten before the checkpoint"
        return None


def _row(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.seq,
        entry.at,
        entry.capability,
        entry.action,
        entry.deployment,
        entry.purpose,
        entry.subject_ref,
        entry.outcome,
        entry.rule,
        entry.threshold,
        entry.detail,
    )


def _entry(row: tuple[object, ...]) -> AuditEntry:
    seq, at, capability, action, deployment, purpose, ref, outcome, rule, threshold, detail = row
    return AuditEntry(
        seq=int(seq),  # type: ignore[call-overload]
        at=str(at),
        capability=str(capability),
        action=str(action),
        deployment=None if deployment is None else str(deployment),
        purpose=None if purpose is None else str(purpose),
        subject_ref=None if ref is None else str(ref),
        outcome=str(outcome),
        rule=str(rule),
        threshold=None if threshold is None else float(threshold),  # type: ignore[arg-type]
        detail=None if detail is None else str(detail),
    )
