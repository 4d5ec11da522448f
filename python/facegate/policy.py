"""What a deployment must declare before facial recognition may run there.

A :class:`Deployment` is one use of facial recognition at one place. Constructing one checks the
rules that depend only on its declarations, and refuses with a typed
:class:`~facegate.errors.PolicyRefusal` carrying the rule's id:

- R1 at least one purpose from the closed set, and a necessity statement;
- R3 1:N identification only with a recorded justification (1:1 verification is the default);
- R5 a match threshold no looser than the floor;
- R6 a complete notice; R7 its version is derived from purpose, method and retention;
- R11 at least one reasonable non-biometric alternative, unless a legal mandate is cited;
- R23 no private spaces; R24 public places need a public-security basis, capture area, signage;
- R31 a warning when no alternative is marked accessible.

The consent gate (`FaceGate`) applies these objects to every call; this module has no state.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from enum import StrEnum

from facegate.errors import (
    AccessibilityWarning,
    IdentificationNotEnabled,
    IncompleteNotice,
    NoAlternative,
    ProhibitedPlace,
    PublicPlaceRequirements,
    ThresholdTooLoose,
    UndeclaredPurpose,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "PURPOSES",
    "THRESHOLD_FLOOR",
    "Alternative",
    "Deployment",
    "Location",
    "Mode",
    "Notice",
]

PURPOSES: frozenset[str] = frozenset(
    {"access_control", "hotel_check_in", "payment", "attendance", "venue_entry"}
)
"""The closed set of purposes (R1); a deployment may add to it with ``extra_purposes``."""

DEFAULT_THRESHOLD = 0.6
"""Default match threshold: Euclidean distance between dlib encodings (R5)."""

THRESHOLD_FLOOR = 0.6
"""The loosest threshold accepted (R5): a larger distance would accept more false matches than
the documented 1:1 operating point (FMR 0.64 % at 0.6 on LFW; see the calibration data)."""


class Location(StrEnum):
    """Where a deployment is. The first five are private spaces, always refused (R23)."""

    HOTEL_GUEST_ROOM = "hotel_guest_room"
    PUBLIC_BATHHOUSE = "public_bathhouse"
    BATHROOM = "bathroom"
    CHANGING_ROOM = "changing_room"
    PUBLIC_TOILET = "public_toilet"
    HOTEL_LOBBY = "hotel_lobby"
    OFFICE_ENTRANCE = "office_entrance"
    RESIDENTIAL_ENTRANCE = "residential_entrance"
    VENUE_ENTRANCE = "venue_entrance"
    PAYMENT_COUNTER = "payment_counter"
    PUBLIC_PLACE = "public_place"

    @property
    def is_private(self) -> bool:
        return self in _PRIVATE


_PRIVATE = frozenset(
    {
        Location.HOTEL_GUEST_ROOM,
        Location.PUBLIC_BATHHOUSE,
        Location.BATHROOM,
        Location.CHANGING_ROOM,
        Location.PUBLIC_TOILET,
    }
)


class Mode(StrEnum):
    """How faces are compared: 1:1 against a claimed identity, or 1:N against everyone."""

    VERIFY = "verify"
    IDENTIFY = "identify"


@dataclass(frozen=True, slots=True)
class Alternative:
    """A way to get the service without facial recognition (R11)."""

    description: str
    accessible: bool = False


@dataclass(frozen=True, slots=True)
class Notice:
    """What people must be told before their face is processed (R6).

    ``retention_days`` is how long face data is kept; ``impact`` states the necessity and the
    impact on the person's rights; ``rights_contact`` says how to exercise them.
    """

    processor_name: str
    processor_contact: str
    purposes: tuple[str, ...]
    method: str
    retention_days: int
    impact: str
    rights_contact: str
    alternatives: tuple[Alternative, ...]

    def __post_init__(self) -> None:
        missing = [
            name
            for name in (
                "processor_name",
                "processor_contact",
                "method",
                "impact",
                "rights_contact",
            )
            if not str(getattr(self, name)).strip()
        ]
        if not self.purposes:
            missing.append("purposes")
        if missing:
            raise IncompleteNotice(
                f"the notice lacks {', '.join(missing)}; every field must be filled in before "
                "it is shown to people"
            )
        if self.retention_days <= 0:
            raise IncompleteNotice("the notice must state a retention period of at least one day")

    @property
    def version(self) -> str:
        """A fingerprint of purpose, method and retention (R7): changing any of them makes a new
        version, and consents given to an older one no longer count."""
        basis = "\n".join([*sorted(self.purposes), self.method, str(self.retention_days)])
        return hashlib.sha256(basis.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Deployment:
    """One use of facial recognition at one place, checked against the rules on construction.

    Args:
        name: the deployment's id, unique per operator.
        location: where it is (:class:`Location`).
        purposes: what it is for, from :data:`PURPOSES` or ``extra_purposes``.
        necessity: why facial recognition is necessary for those purposes.
        notice: the notice shown to people (its alternatives are the deployment's).
        mode: 1:1 verification (default) or 1:N identification.
        identification_justification: required for 1:N (R3).
        threshold: match threshold, Euclidean distance, default and loosest 0.6 (R5).
        legal_mandate: a law that requires facial recognition here, which waives R11.
        public_security_basis, capture_area, signage: required in public places (R24).
        multi_face_basis: the legal basis for processing frames with several faces (R25);
            without it identification accepts one cooperating face at a time.
        extra_purposes: purposes this deployment adds to the closed set (configuration).
    """

    name: str
    location: Location
    purposes: tuple[str, ...]
    necessity: str
    notice: Notice
    mode: Mode = Mode.VERIFY
    identification_justification: str = ""
    threshold: float = DEFAULT_THRESHOLD
    legal_mandate: str = ""
    public_security_basis: str = ""
    capture_area: str = ""
    signage: bool = False
    multi_face_basis: str = ""
    extra_purposes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        location = Location(self.location)
        if location.is_private:
            raise ProhibitedPlace(
                f"facial recognition is not allowed in a {location.value.replace('_', ' ')}; "
                "offer the service without it there"
            )
        if location is Location.PUBLIC_PLACE:
            lacking = [
                what
                for what, given in (
                    ("a public-security basis", self.public_security_basis.strip()),
                    ("a defined capture area", self.capture_area.strip()),
                    ("posted signage", self.signage),
                )
                if not given
            ]
            if lacking:
                raise PublicPlaceRequirements(
                    f"a public-place deployment needs {', '.join(lacking)}"
                )
        if not self.purposes:
            raise UndeclaredPurpose("declare at least one purpose for the deployment")
        unknown = sorted(set(self.purposes) - PURPOSES - self.extra_purposes)
        if unknown:
            raise UndeclaredPurpose(
                f"unknown purpose {', '.join(unknown)}; use one of {', '.join(sorted(PURPOSES))} "
                "or add it to extra_purposes"
            )
        if not self.necessity.strip():
            raise UndeclaredPurpose("state why facial recognition is necessary for the purposes")
        if set(self.purposes) != set(self.notice.purposes):
            raise IncompleteNotice("the notice must name exactly the deployment's purposes")
        if Mode(self.mode) is Mode.IDENTIFY and not self.identification_justification.strip():
            raise IdentificationNotEnabled(
                "1:N identification needs a recorded justification; use 1:1 verification of a "
                "claimed identity otherwise"
            )
        if not 0.0 < self.threshold <= THRESHOLD_FLOOR:
            raise ThresholdTooLoose(
                f"the threshold must be above 0 and at most {THRESHOLD_FLOOR}; got {self.threshold}"
            )
        if not self.notice.alternatives and not self.legal_mandate.strip():
            raise NoAlternative(
                "offer at least one reasonable non-biometric alternative (or cite the legal "
                "mandate that requires facial recognition)"
            )
        if not any(alternative.accessible for alternative in self.notice.alternatives):
            warnings.warn(
                f"[R31] deployment {self.name!r}: no alternative is marked accessible",
                AccessibilityWarning,
                stacklevel=3,
            )

    @property
    def alternatives(self) -> tuple[Alternative, ...]:
        """What every decision offers the person instead of facial recognition (R11)."""
        return self.notice.alternatives
