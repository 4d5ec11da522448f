"""Checkpoints of the audit trail kept outside the store (R20): where they live and how they
are written.

A checkpoint is an authenticated statement of the trail's size and last link. The folder of a
store's checkpoints holds ``head.json``, the head as it stood after the latest commit that
appended (one fixed-size record rewritten in place), and ``audit-<size>.json`` every so many
entries. An attacker with the store file alone can roll it back or wipe it; the folder, best
on other storage, still says how far the trail had reached.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from facegate.errors import InvalidArgument

__all__ = ["Checkpoint", "CheckpointFolder"]

RECORD_BYTES = 512
"""The size of ``head.json``'s one record (JSON, padded with spaces)."""


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


def _parse(data: bytes) -> Checkpoint | None:
    """A checkpoint as a file holds it, None if it does not parse."""
    try:
        return Checkpoint.from_json(data.decode("utf-8").strip())
    except (InvalidArgument, UnicodeDecodeError):
        return None


class CheckpointFolder:
    """The folder of one store's checkpoints."""

    __slots__ = ("_head_fd", "path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._head_fd: int | None = None

    def save(self, checkpoint: Checkpoint) -> Path:
        """Writes ``checkpoint`` as ``audit-<size>.json``, atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"audit-{checkpoint.size:012d}.json"
        target = self.path / name
        partial = target.with_name(f".{name}.{os.getpid()}.partial")
        partial.write_text(checkpoint.to_json() + "\n", encoding="utf-8")
        os.replace(partial, target)
        return target

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint in the folder, if any."""
        saved = sorted(self.path.glob("audit-*.json"))
        found = [_read(path) for path in (self.path / "head.json", *saved[-1:])]
        kept = [c for c in found if c is not None]
        return max(kept, key=lambda c: c.size) if kept else None

    def retire(self) -> Path:
        """Moves every checkpoint aside, into ``retired-<time>/`` in the same folder; returns
        that folder."""
        retired = self.path / f"retired-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
        retired.mkdir(parents=True)
        for path in self.path.glob("*.json"):
            os.replace(path, retired / path.name)
        return retired

    def keep_head(self, checkpoint: Checkpoint) -> None:
        """Rewrites ``head.json`` with ``checkpoint`` unless it holds a newer one (another
        process may have written it). One fixed-size record rewritten in place, not a new file
        renamed over the old one: this runs after every commit that appends, and a torn write
        reads as missing. OSError where the folder cannot be written."""
        if self._head_fd is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._head_fd = os.open(self.path / "head.json", os.O_RDWR | os.O_CREAT, 0o600)
        kept = _parse(os.pread(self._head_fd, RECORD_BYTES, 0))
        if kept is None or kept.size < checkpoint.size:
            os.pwrite(self._head_fd, checkpoint.to_json().encode().ljust(RECORD_BYTES), 0)

    def close(self) -> None:
        """Closes the file of ``head.json`` kept open."""
        if self._head_fd is not None:
            os.close(self._head_fd)
            self._head_fd = None


def _read(path: Path) -> Checkpoint | None:
    """A checkpoint file, None if it is missing or unreadable (a torn write after a crash
    counts as missing: it is older than the store anyway)."""
    try:
        return _parse(path.read_bytes())
    except OSError:
        return None
