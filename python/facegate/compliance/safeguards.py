"""How facegate protects what it stores, stated once for every document that must say it: the
impact assessment (R26) and the filing dossier (R28)."""

from __future__ import annotations

__all__ = ["AUDIT", "ENCRYPTION", "STORAGE", "TRANSFORM"]

ENCRYPTION = "AES-256-GCM-SIV, per-subject data keys wrapped by a master key held outside the store"
"""How templates are sealed at rest (R17)."""

TRANSFORM = "per-deployment secret orthogonal rotation, renewable (ISO/IEC 24745)"
"""How templates are made unlinkable and renewable before sealing (R18)."""

AUDIT = "hash-chained (HMAC-SHA256 links), HMAC-authenticated head, kept at least three years"
"""How the security audit trail is kept (R20, R21)."""

STORAGE = (
    "no face image is stored, only sealed templates; erased rows are overwritten "
    "(SQLite secure_delete) and the write-ahead log truncated"
)
"""What is stored and how deletion reaches the files (R13, R15)."""
