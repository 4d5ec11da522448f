"""The gate: :class:`FaceGate` and the rooms behind it.

The façade (:mod:`~facegate.gate.facade`) has the verbs; the guard (:mod:`~facegate.gate.guard`)
checks every call; the rooms do the work: the vault (templates and crypto-shredding), the
galleries and their sync, enrollment, decisions, operating points, attempt limits, device
keys, and the audit trail.
"""

from __future__ import annotations

from facegate.compliance.registry import DeploymentUpdate
from facegate.gate.audit import AuditEntry, Checkpoint, Verification
from facegate.gate.devices import Device, NewDevice
from facegate.gate.facade import FaceGate
from facegate.gate.guard import ALL, Capability
from facegate.gate.results import (
    ConsentRecord,
    Decision,
    DeletionReceipt,
    DeploymentStatus,
    SealedTemplate,
    SubjectExport,
    TemplateRecord,
)

__all__ = [
    "ALL",
    "AuditEntry",
    "Capability",
    "Checkpoint",
    "ConsentRecord",
    "Decision",
    "DeletionReceipt",
    "DeploymentStatus",
    "DeploymentUpdate",
    "Device",
    "FaceGate",
    "NewDevice",
    "SealedTemplate",
    "SubjectExport",
    "TemplateRecord",
    "Verification",
]
