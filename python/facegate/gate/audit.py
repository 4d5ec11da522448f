"""The security audit trail (R20, R21): append-only, tamper-evident, with no biometric data.

Every entry is one operation or refusal: when, which capability, what action, deployment,
purpose, a pseudonymous subject reference, outcome, rule, threshold (and ratio), an optional
non-biometric detail (which alternative a person chose), and the device whose handle made the
call (``"local"`` for the gate itself; none for what the gate states on its own). Entries form
a keyed hash chain: each entry's link is HMAC-SHA256 (under a key that Rust derives from the
master key) of the previous link and the entry's canonical bytes; the state seal
(:mod:`facegate.gate.seal`) keeps the authenticated head (size and last link), and after every
commit that appends, the head is also kept outside the store as a checkpoint. So:

- editing, deleting, reordering or inserting an entry breaks the first affected link, which
  :meth:`AuditLog.verify` names, even if the attacker recomputes hashes (they lack the key);
- cutting entries off the end no longer matches the authenticated head;
- rolling the store back to an older authentic state, or wiping the trail with its head, is
  caught against the checkpoint kept outside it, which nobody has to remember to export.

Subjects appear only as keyed pseudonyms (:meth:`AuditLog.subject_ref`), so the log names no one
to a reader without the key. Entries are kept at least three years (R21): facegate never deletes
them, and the store refuses their deletion (as it does an impact assessment's).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from facegate._text import checked_text
from facegate.errors import (
    CorruptStore,
    FacegateError,
    InvalidArgument,
    TamperedData,
    WrongKey,
)
from facegate.gate.checkpoints import Checkpoint, CheckpointFolder
from facegate.gate.seal import GENESIS, Seal
from facegate.keys import MasterKey
from facegate.store import Store

__all__ = [
    "AuditEntry",
    "AuditLog",
    "Checkpoint",
    "Verification",
    "legacy_head",
]

_LINK = "audit link v1"
_HEAD = "audit head v1"
_SUBJECT = "audit subject v1"
_CHECKPOINT = "audit checkpoint v1"

_LATER = ("ratio", "device")
"""The fields added after the chain: left out of an entry's bytes (and its export) when absent."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record. ``subject_ref`` is a keyed pseudonym, never a raw subject id;
    ``device`` names the device whose handle made the call (None in entries the gate states on
    its own, and in those written before devices were recorded)."""

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
    ratio: float | None = None
    device: str | None = None

    def canonical(self) -> bytes:
        """The bytes the chain covers: sorted-key compact JSON of every field. ``ratio`` (added
        with the second-best test) and ``device`` (added with device keys) are left out where
        they are absent, so that the entries written before them keep their links."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        for name in _LATER:
            if fields[name] is None:
                del fields[name]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


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


def _check_fields(**fields: str | None) -> None:
    """Every text field of an entry is text (or absent): an entry is covered by its canonical
    bytes, so a value SQLite would store as another type (an int purpose) must never reach it;
    a typed error comes before anything is written (the guard checks the caller's arguments
    first, so this only ever stops a facegate bug)."""
    for name, value in fields.items():
        if value is None and name not in ("capability", "action", "outcome", "rule"):
            continue
        checked_text(value, f"audit field {name}")


def legacy_head(store: Store, key: MasterKey) -> tuple[int, bytes] | None:
    """The head a store kept before the state seal (schema 7 and earlier): its size and last
    link, None if it has none; WrongKey if it does not authenticate under ``key``."""
    stored = store.meta.audit_head()
    if stored is None:
        return None
    try:
        size, head, tag = stored.split(":")
        parsed = int(size), bytes.fromhex(head), bytes.fromhex(tag)
    except ValueError as exc:
        raise CorruptStore(f"{store.location}: the audit trail's head is damaged") from exc
    if not key.check_tag(_HEAD, _head_message(*parsed[:2]), parsed[2]):
        raise WrongKey(
            f"{store.location}: the audit trail's head does not authenticate under master key "
            f"{key.id} (another operator's key, or the head was altered)"
        )
    return parsed[:2]


def _head_message(size: int, head: bytes) -> bytes:
    return f"{size}|".encode() + head


class AuditLog:
    """The audit trail of one store, keyed by the operator's master key."""

    __slots__ = ("_every", "_folder", "_key", "_seal", "_store", "_witnessing")

    def __init__(
        self,
        store: Store,
        key: MasterKey,
        seal: Seal,
        *,
        checkpoints: str | os.PathLike[str],
        every: int = 1000,
    ) -> None:
        """``checkpoints``: the folder (best on other storage than the store) that keeps this
        store's checkpoints: ``head.json``, rewritten after every commit that appends, and one
        ``audit-<size>.json`` every ``every`` entries. :meth:`verify` checks against the
        newest, so a trail cut short or rolled back is caught without anyone exporting
        checkpoints by hand."""
        if every < 1:
            raise InvalidArgument(f"checkpoints come every n >= 1 entries, not {every}")
        self._store, self._key, self._seal = store, key, seal
        self._folder = CheckpointFolder(checkpoints)
        self._every = every
        self._witnessing = False

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
        ratio: float | None = None,
        detail: str | None = None,
        device: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Appends one entry, inside the caller's transaction when there is one.

        The entry follows the authenticated head. Where rows added behind facegate's back hold
        that number already, it is numbered after the highest stored instead, so that the trail
        (and the verification that finds them) can still be written; :meth:`verify` stops at
        the first of them."""
        _check_fields(
            capability=capability,
            action=action,
            outcome=outcome,
            rule=rule,
            deployment=deployment,
            purpose=purpose,
            subject=subject,
            detail=detail,
            device=device,
        )
        for name, number in (("threshold", threshold), ("ratio", ratio)):
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, int | float)
            ):
                raise InvalidArgument(f"an audit {name} is a number, not {type(number).__name__}")
        with self._store.transaction():
            size, head = self._seal.head()
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
                threshold=None if threshold is None else float(threshold),
                detail=detail,
                ratio=None if ratio is None else float(ratio),
                device=device,
            )
            try:
                link = self._insert(head, entry)
            except CorruptStore:
                # Rows were added behind the head: follow the highest stored entry instead.
                entry = replace(entry, seq=self._store.audit.last_seq() + 1)
                link = self._insert(head, entry)
            self._seal.advance(entry.seq, link)
            if entry.seq % self._every == 0:
                self._store.after_commit(self.save_checkpoint)
            if not self._witnessing:
                self._witnessing = True
                self._store.after_commit(self._witness)
        return entry

    def _insert(self, head: bytes, entry: AuditEntry) -> bytes:
        link = self._link(head, entry)
        self._store.audit.append(_row(entry), link)
        return link

    def save_checkpoint(self) -> Path:
        """Writes the current checkpoint as ``audit-<size>.json`` (atomically)."""
        return self._folder.save(self.checkpoint())

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint in the checkpoint folder, if any."""
        return self._folder.latest()

    def retire_checkpoints(self) -> Path:
        """Moves every checkpoint aside (into ``retired-<time>/`` in the same folder), after a
        restore from a backup was investigated and is accepted: the trail then goes on from
        the restored state. Returns the folder they went to."""
        return self._folder.retire()

    def _witness(self) -> None:
        """After a commit that appended: the head as it now stands, kept outside the store,
        never failing the commit it follows (a missed write only narrows what is caught)."""
        self._witnessing = False
        committed = self._seal.committed
        if committed is None:
            return
        with contextlib.suppress(OSError, FacegateError):
            self._folder.keep_head(self._checkpoint_of(committed.size, committed.link))

    def close(self) -> None:
        """Closes the checkpoint file this log keeps open."""
        self._folder.close()

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
        expected, link, count = 1, GENESIS, 0
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
            seen = GENESIS if checkpoint.size == 0 else links.get(checkpoint.size)
            problem = self._check_checkpoint(checkpoint, count, seen)
            if problem:
                return Verification(False, count, min(checkpoint.size, count + 1), problem)
        return Verification(True, count)

    def behind(self, checkpoint: Checkpoint) -> str | None:
        """Why the trail as the seal records it is behind ``checkpoint`` (cut below it, rolled
        back, rewritten before it), without walking the chain; None if it is not."""
        size, link = self._seal.head()
        if checkpoint.size == 0:
            seen: bytes | None = GENESIS
        elif checkpoint.size == size:
            seen = link
        else:
            seen = self._store.audit.link_at(checkpoint.size) if checkpoint.size < size else None
        return self._check_checkpoint(checkpoint, size, seen)

    def checkpoint(self, *, at: datetime | None = None) -> Checkpoint:
        """The current size and head, authenticated, for keeping outside the database."""
        return self._checkpoint_of(*self._seal.head(), at=at)

    def _checkpoint_of(self, size: int, head: bytes, *, at: datetime | None = None) -> Checkpoint:
        moment = (at or datetime.now(UTC)).isoformat()
        tag = self._key.tag(_CHECKPOINT, _head_message(size, head) + moment.encode())
        return Checkpoint(size, head.hex(), tag.hex(), moment)

    def export_jsonl(self, out: TextIO, *, start: int = 1) -> int:
        """Writes entries as JSON lines (with their links, for independent checking)."""
        count = 0
        for row in self._store.audit.since(start):
            with self._store.reading("an audit entry"):
                record: dict[str, Any] = asdict(_entry(row.values))
            for name in _LATER:
                if record[name] is None:
                    del record[name]  # as the canonical bytes leave it out
            record["link"] = row.link.hex() if isinstance(row.link, bytes) else None
            out.write(json.dumps(record, sort_keys=True) + "\n")
            count += 1
        return count

    # ----- internals ------------------------------------------------------------------------

    def _link(self, previous: bytes, entry: AuditEntry) -> bytes:
        return self._key.tag(_LINK, previous + entry.canonical())

    def _check_head(self, count: int, link: bytes) -> str | None:
        try:
            stored = self._seal.stored()
        except CorruptStore:
            return "the authenticated head is malformed"
        except TamperedData:
            return "the head's tag is invalid (altered, or another master key)"
        if stored is None:
            return None if count == 0 else "the authenticated head is missing"
        if stored.size > count:
            return (
                f"entries missing at the end: the head records {stored.size}, the log holds {count}"
            )
        if stored.size < count or stored.link != link:
            return (
                f"entries after the authenticated head: it records {stored.size}, the log holds "
                f"{count}"
            )
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
                f"the log was cut short, rolled back or wiped: the checkpoint kept outside the "
                f"store saw {checkpoint.size} entries, the log holds {count}"
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
        entry.ratio,
        entry.device,
    )


def _entry(row: tuple[object, ...]) -> AuditEntry:
    seq, at, capability, action, deployment, purpose, ref, outcome, rule, threshold, detail = row[
        :11
    ]
    ratio, device = row[11:13]
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
        ratio=None if ratio is None else float(ratio),  # type: ignore[arg-type]
        device=None if device is None else str(device),
    )
