"""Which declarations an impact assessment rests on and which the filing dossier states, and
how two deployments' declarations are compared (R26, R28)."""

from __future__ import annotations

from dataclasses import MISSING, asdict, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facegate.compliance.policy import Deployment

__all__ = [
    "FILED_DECLARATIONS",
    "UNASSESSED_DECLARATIONS",
    "declarations",
    "differences",
    "field_defaults",
]

UNASSESSED_DECLARATIONS: frozenset[str] = frozenset(
    {
        "name",
        "expected_enrollments",
        "enrollment_photos",
        "max_fnir",
        "extra_purposes",
        "notice.processor_contact",
        "notice.rights_contact",
        "notice.mode",
    }
)
"""Declarations an impact assessment does not rest on: the id, contact details, and the
sizing and limit that activation's honest limits check again on every change (R5). A change of
any other declaration needs a new assessment (R26). (``notice.mode`` repeats ``mode``.)"""

FILED_DECLARATIONS: frozenset[str] = frozenset(
    {
        "location",
        "purposes",
        "mode",
        "necessity",
        "identification_justification",
        "threshold",
        "ratio",
        "target_fpir",
        "target_fmr",
        "legal_mandate",
        "public_security_basis",
        "capture_area",
        "signage",
        "multi_face_basis",
        "notice.method",
        "notice.retention_days",
        "notice.alternatives",
        "notice.rights_contact",
    }
)
"""Declarations the filing dossier states (R28: materials 2 and 4, purposes and methods,
processing rules): where the operator has filed, changing one is a change to filed matters."""


def differences(old: Deployment, new: Deployment) -> tuple[str, ...]:
    """The declarations that differ between ``old`` and ``new``, by name (the notice's as
    ``notice.<field>``), sorted."""
    before, after = declarations(old), declarations(new)
    return tuple(
        sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    )


def declarations(deployment: Deployment) -> dict[str, Any]:
    """Every declaration of ``deployment`` as plain comparable data, the notice's fields
    flattened to ``notice.<field>``; sets and the purposes sorted."""
    data = asdict(deployment)
    notice = data.pop("notice")
    flat = {**data, **{f"notice.{key}": value for key, value in notice.items()}}
    for key in ("purposes", "extra_purposes", "notice.purposes"):
        flat[key] = sorted(flat[key])
    return flat


def field_defaults(*classes: tuple[str, type]) -> dict[str, Any]:
    """The default of each declaration that has one, for each (prefix, dataclass) given (a
    field added later with a default leaves the assessment basis of older deployments
    unchanged)."""
    defaults: dict[str, Any] = {}
    for prefix, cls in classes:
        for item in fields(cls):
            if item.default is not MISSING:
                defaults[prefix + item.name] = item.default
            elif item.default_factory is not MISSING:
                value = item.default_factory()
                defaults[prefix + item.name] = (
                    sorted(value) if isinstance(value, frozenset) else value
                )
    return defaults
