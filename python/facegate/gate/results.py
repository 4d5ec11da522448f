"""The values the gate hands back: capabilities, decisions, deletion receipts, and what it
needs from a face pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from facegate.detect import Face

__all__ = ["ALL", "Capability", "Decision", "DeletionReceipt", "Encoder"]


class Capability(StrEnum):
    """What a handle may do (R19)."""

    MATCH = "match"
    """verify and identify: matching devices."""
    ENROL = "enrol"
    """grant consent and enrol."""
    ADMIN = "admin"
    """register, assess, activate, erase, export."""


ALL = frozenset(Capability)


class Encoder(Protocol):
    """What FaceGate needs from a face pipeline (``FaceDetector`` provides it)."""

    def encode(self, image: Any) -> npt.NDArray[np.float32]: ...

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one call: allowed or not, the rule that decided, what the person may use
    instead. ``subject`` is the matched subject for identification; ``match`` is the coarse
    result of a comparison (no distances: R4)."""

    allowed: bool
    rule: str
    alternatives: tuple[str, ...]
    threshold: float | None = None
    match: bool | None = None
    subject: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class DeletionReceipt:
    """Proof of a withdrawal or erasure (R13): what was destroyed, and when."""

    subject: str
    deployments: tuple[str, ...]
    templates_removed: int
    key_destroyed: bool
    at: datetime
