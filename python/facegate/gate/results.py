"""What the gate hands back: decisions, deletion receipts, exports and deployment states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facegate.accuracy import OperatingPoint
from facegate.compliance.policy import Deployment

__all__ = [
    "ConsentRecord",
    "Decision",
    "DeletionReceipt",
    "DeploymentStatus",
    "SealedTemplate",
    "SubjectExport",
    "TemplateRecord",
]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one call: allowed or not, the rule that decided, what the person may use
    instead. ``subject`` is the matched subject for identification; ``match`` is the coarse
    result of a comparison (no distances: R4); ``threshold`` is the one the call ran at (R5)."""

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


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One consent event as a subject's export shows it (times in ISO form)."""

    deployment: str
    kind: str
    purposes: tuple[str, ...]
    notice_version: str
    channel: str
    at: str
    expires_at: str | None


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """That a template is held, where and until when: never the template itself."""

    deployment: str
    created_at: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class SubjectExport:
    """What is held about one subject (PIPL 45): consents, template metadata, whether a data
    key exists. Never a template."""

    subject: str
    consents: tuple[ConsentRecord, ...]
    templates: tuple[TemplateRecord, ...]
    data_key_held: bool


@dataclass(frozen=True, slots=True)
class SealedTemplate:
    """A sealed template and its wrapped data key, for a remote backend that holds the same
    master key (R16): opaque bytes, nothing opened."""

    template_id: int
    subject: str
    sealed: bytes
    wrapped_key: bytes


@dataclass(frozen=True, slots=True)
class DeploymentStatus:
    """A deployment as stored: its declarations, operator, state, size and operating point."""

    definition: Deployment
    operator: str
    active: bool
    templates: int
    operating_point: OperatingPoint
