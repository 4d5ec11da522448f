"""What a deployment must declare before facial recognition may run there.

A :class:`Deployment` is one use of facial recognition at one place. Constructing one checks the
rules that depend only on its declarations, and refuses with a typed
:class:`~facegate.errors.PolicyRefusal` carrying the rule's id:

- R1 at least one purpose from the closed set, and a necessity statement;
- R3 1:N identification only with a recorded justification (1:1 verification is the default);
- R5 a match threshold no looser than the floor, explicit or derived from a target error rate;
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

from facegate.accuracy import OperatingPoint, operating_point
from facegate.errors import (
    AccessibilityWarning,
    IdentificationNotEnabled,
    IncompleteNotice,
    InvalidArgument,
    NoAlternative,
    ProhibitedPlace,
    PublicPlaceRequirements,
    ThresholdTooLoose,
    UndeclaredPurpose,
)

__all__ = [
    "DEFAULT_MAX_FNIR",
    "DEFAULT_TARGET_FMR",
    "DEFAULT_TARGET_FPIR",
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
"""The customary dlib threshold (Euclidean distance between encodings): a 1:1 operating point
(FMR 0.64 % on LFW). facegate derives thresholds from target error rates instead; this is the
floor below (R5)."""

DEFAULT_TARGET_FPIR = 0.003
"""1:N: the share of strangers an identification deployment may falsely match (the common
operating point)."""

DEFAULT_TARGET_FMR = 0.001
"""1:1: the share of comparisons with someone else a verification deployment may accept."""

DEFAULT_MAX_FNIR = 0.5
"""1:N is refused at activation, and its gallery stops growing, where it would miss more than
this share of enrolled people."""

THRESHOLD_FLOOR = 0.6
"""The loosest threshold accepted (R5): a larger distance would accept more false matches than
the documented 1:1 operating point (FMR 0.64 % at 0.6 on LFW; see the calibration data)."""


THRESHOLD_CALIBRATED = 0.3
"""The strictest threshold with measured error rates (``facegate.accuracy``)."""


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
        threshold: an explicit match threshold (Euclidean distance), at most 0.6 (R5); by
            default the threshold is derived from the target below for the gallery's size.
        target_fpir: 1:N target false-positive identification rate (default 0.003).
        target_fmr: 1:1 target false match rate (default 0.001).
        max_fnir: activation of 1:N, and enrollment that grows its gallery, are refused when
            the expected false-negative identification rate exceeds this (default 0.5).
        expected_enrollments: how many people 1:N is expected to hold; activation judges the
            operating point at this size (or the current one, if larger).
        enrollment_photos: how many photographs each person is expected to enroll with.
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
    threshold: float | None = None
    target_fpir: float = DEFAULT_TARGET_FPIR
    target_fmr: float = DEFAULT_TARGET_FMR
    max_fnir: float = DEFAULT_MAX_FNIR
    expected_enrollments: int = 0
    enrollment_photos: int = 1
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
        if self.threshold is not None and not 0.0 < self.threshold <= THRESHOLD_FLOOR:
            raise ThresholdTooLoose(
                f"the threshold must be above 0 and at most {THRESHOLD_FLOOR}; got {self.threshold}"
            )
        if self.threshold is not None and self.threshold < THRESHOLD_CALIBRATED:
            raise InvalidArgument(
                f"threshold {self.threshold} is below {THRESHOLD_CALIBRATED}, where no error rate "
                "was measured; facegate states the error rates of every threshold it runs at"
            )
        _check_rates(self)
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

    @property
    def identifies(self) -> bool:
        return Mode(self.mode) is Mode.IDENTIFY

    def operating_point(self, gallery_size: int, photos: int | None = None) -> OperatingPoint:
        """The threshold and expected error rates with ``gallery_size`` templates enrolled (1:1
        rates do not depend on it), each from ``photos`` photographs (default: as declared)."""
        return operating_point(
            identify=self.identifies,
            gallery_size=gallery_size,
            photos=self.enrollment_photos if photos is None else photos,
            target=None
            if self.threshold is not None
            else (self.target_fpir if self.identifies else self.target_fmr),
            threshold=self.threshold,
        )


def _check_rates(deployment: Deployment) -> None:
    """The declared targets, limit and sizes are rates and counts in range."""
    for name in ("target_fpir", "target_fmr", "max_fnir"):
        value = getattr(deployment, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise InvalidArgument(f"{name} is a rate in (0, 1], not {value!r}")
    for name, least in (("expected_enrollments", 0), ("enrollment_photos", 1)):
        value = getattr(deployment, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidArgument(f"{name} is a whole number of at least {least}, not {value!r}")
