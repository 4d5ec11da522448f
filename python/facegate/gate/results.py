"""What the gate hands back: decisions, deletion receipts, exports and deployment states."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from facegate.accuracy import OperatingPoint
from facegate.compliance.policy import Deployment
from facegate.faces.detect import Box

__all__ = [
    "ConsentRecord",
    "Decision",
    "DeletionReceipt",
    "DeploymentStatus",
    "FaceResult",
    "PendingReceipt",
    "SealedTemplate",
    "SubjectExport",
    "TemplateRecord",
]


@dataclass(frozen=True, slots=True)
class FaceResult:
    """Identification's result for one face of the frame: where it is, and whom it matched
    (no distance: R4)."""

    box: Box
    match: bool
    subject: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one call: allowed or not, the rule that decided, what the person may use
    instead. ``match`` is the coarse result of a comparison (no distances: R4); ``threshold``
    the one the call ran at (R5), and for identification ``ratio`` the second-best test's (1
    for the distance rule). Identification: ``subject`` is the matched subject of a
    one-face frame; ``faces`` holds the result for each face (several only where the
    deployment cites a legal basis for frames with several faces, R25), and ``match`` says
    whether any matched."""

    allowed: bool
    rule: str
    alternatives: tuple[str, ...]
    threshold: float | None = None
    match: bool | None = None
    subject: str | None = None
    detail: str | None = None
    faces: tuple[FaceResult, ...] = ()
    ratio: float | None = None


@dataclass(frozen=True, slots=True)
class DeletionReceipt:
    """Proof of a withdrawal or erasure (R13): what was destroyed, and when.

    ``key_destroyed``: the subject holds no data key any more (every template of theirs is
    gone, so their key was deleted, now or before). ``files_clean``: the deleted rows are gone
    from the database's files too. It is False while another connection (a backup, a report)
    still reads an older snapshot that needs those pages; facegate then completes the cleaning
    by itself as soon as that reader moves on, without waiting for it to exit."""

    subject: str
    deployments: tuple[str, ...]
    templates_removed: int
    key_destroyed: bool
    at: datetime
    files_clean: bool = False


@dataclass(frozen=True, slots=True)
class PendingReceipt(DeletionReceipt):
    """A receipt whose deletion has not committed yet: the guard settles it after the commit,
    once it is known whether the files could be cleaned at once."""

    cleaned: threading.Event = field(default_factory=threading.Event, repr=False)

    def settled(self) -> DeletionReceipt:
        return DeletionReceipt(
            self.subject,
            self.deployments,
            self.templates_removed,
            self.key_destroyed,
            self.at,
            files_clean=self.cleaned.is_set(),
        )


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
