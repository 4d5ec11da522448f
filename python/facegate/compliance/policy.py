"""What a deployment must declare before facial recognition may run there.

A :class:`Deployment` is one use of facial recognition at one place. Constructing one checks the
rules that depend only on its declarations, and refuses with a typed
:class:`~facegate.errors.PolicyRefusal` carrying the rule's id:

- R1 at least one purpose from the closed set, and a necessity statement;
- R3 1:N identification only with a recorded justification (1:1 verification is the default);
- R5 a match threshold no looser than the floor, explicit or derived from a target error rate
  (for 1:N with the second-best ratio, derived with it or explicit in [0.5, 1]);
- R6 a complete notice; R7 its version is derived from purpose, method, retention and mode;
- R11 at least one reasonable non-biometric alternative, unless a legal mandate is cited;
- R14 a retention period of one day to :data:`MAX_RETENTION_DAYS`;
- R23 no private spaces; R24 public places need a public-security basis, capture area, signage,
  and their data serves public security only;
- R31 a warning when no alternative is marked accessible.

Declarations of the wrong kind (a number as text, an unknown location or mode) are refused with
:class:`~facegate.errors.InvalidArgument` naming the field.

The consent gate (`FaceGate`) applies these objects to every call; this module has no state.
The notice is :mod:`facegate.compliance.notice`, its text per language
:mod:`facegate.compliance.wording`, the closed sets :mod:`facegate.compliance.vocabulary`; what
an assessment or a filing rests on, :mod:`facegate.compliance.declarations`.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import MISSING, dataclass, field, replace

from facegate.accuracy import OperatingPoint, operating_point
from facegate.compliance.declarations import (
    FILED_DECLARATIONS,
    UNASSESSED_DECLARATIONS,
    declarations,
    differences,
    field_defaults,
)
from facegate.compliance.declared import check_text, ids, kind, member
from facegate.compliance.notice import MAX_RETENTION_DAYS, Alternative, Notice
from facegate.compliance.vocabulary import PUBLIC_SECURITY, PURPOSES, Location, Mode
from facegate.compliance.wording import (
    DEPLOYMENT_TEXT,
    NOTICE_TEXT,
    Wording,
    check_language,
    missing,
)
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
    "FILED_DECLARATIONS",
    "MAX_RETENTION_DAYS",
    "PUBLIC_SECURITY",
    "PURPOSES",
    "THRESHOLD_FLOOR",
    "UNASSESSED_DECLARATIONS",
    "Alternative",
    "Deployment",
    "Location",
    "Mode",
    "Notice",
    "differences",
]

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
        ratio: 1:N only: an explicit ratio for the second-best test (the nearest person is
            accepted only when their distance is at most this share of the distance to the
            nearest other eligible person), in [0.5, 1]; 1 is the plain distance rule. By
            default the threshold and ratio are derived together from the target (with an
            explicit threshold and no ratio, the distance rule).
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
    ratio: float | None = None
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
        self._normalise()
        location = self.location
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
        _check_public_security(self)
        if not self.necessity.strip():
            raise UndeclaredPurpose("state why facial recognition is necessary for the purposes")
        if set(self.purposes) != set(self.notice.purposes):
            raise IncompleteNotice("the notice must name exactly the deployment's purposes")
        if self.mode is Mode.IDENTIFY and not self.identification_justification.strip():
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
        _check_ratio(self)
        _check_rates(self)
        self._check_translations()
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

    def _normalise(self) -> None:
        """Checks the kind of every declaration (typed errors naming the field) and stores
        enums, tuples and frozensets, whatever plain values were given; binds the notice to
        this deployment's mode (R7: its version covers the mode)."""
        for name in _DEPLOYMENT_TEXT:
            check_text(name, getattr(self, name))
        if not self.name.strip():
            raise InvalidArgument("a deployment needs a name (its id)")
        if not isinstance(self.notice, Notice):
            raise InvalidArgument(f"notice must be a Notice, not {kind(self.notice)}")
        if not isinstance(self.signage, bool):
            raise InvalidArgument(f"signage is true or false, not {self.signage!r}")
        threshold = self.threshold
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, int | float)
        ):
            raise InvalidArgument(f"threshold is a distance (a number) or None, not {threshold!r}")
        set_ = object.__setattr__
        set_(self, "location", member(Location, "location", self.location))
        set_(self, "mode", member(Mode, "mode", self.mode))
        set_(self, "purposes", ids("purposes", self.purposes))
        set_(self, "extra_purposes", frozenset(ids("extra_purposes", self.extra_purposes)))
        if self.notice.mode is not self.mode:
            bound = replace(self.notice)
            set_(bound, "mode", self.mode)
            set_(self, "notice", bound)

    @property
    def alternatives(self) -> tuple[Alternative, ...]:
        """What every decision offers the person instead of facial recognition (R11)."""
        return self.notice.alternatives

    def wording(self, language: str) -> Wording:
        """The notice's and this deployment's free text in ``language``: as declared, or its
        translation; IncompleteNotice (R6) when the notice has no text in that language."""
        language = check_language(language, "a notice")
        if language == self.notice.language:
            return self._declared_wording()
        for translation in self.notice.translations:
            if translation.language == language:
                return translation
        raise IncompleteNotice(
            f"deployment {self.name!r}: the notice is written in {self.notice.language} and has "
            f"no {language} wording; give one in the notice's translations before showing it "
            f"in {language}"
        )

    def _declared_wording(self) -> Wording:
        notice = self.notice
        return Wording(
            language=notice.language,
            alternatives=tuple(a.description for a in notice.alternatives),
            **{name: getattr(notice, name) for name in NOTICE_TEXT},
            **{name: getattr(self, name) for name in DEPLOYMENT_TEXT},
        )

    def _check_translations(self) -> None:
        """Every translation says what the declarations say (R6): the same fields, filled."""
        declared = self._declared_wording()
        for translation in self.notice.translations:
            wrong = missing(translation, declared)
            if wrong:
                raise IncompleteNotice(
                    f"the notice's {translation.language} wording does not match its "
                    f"declarations in {', '.join(wrong)}: translate exactly what is declared"
                )

    @property
    def identifies(self) -> bool:
        return self.mode is Mode.IDENTIFY

    @property
    def assessment_basis(self) -> str:
        """A fingerprint of what an impact assessment of this deployment judged (R26): every
        declaration but those in :data:`UNASSESSED_DECLARATIONS`. An assessment covers the
        deployment only while this is unchanged: switching to 1:N, a new threshold or a
        multi-face basis each need a new one, though the notice may stay the same."""
        declared = declarations(self)
        basis = {
            key: value
            for key, value in declared.items()
            if key not in UNASSESSED_DECLARATIONS and value != _DEFAULTS.get(key, MISSING)
        }
        text = json.dumps(basis, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def operating_point(self, gallery_size: int, photos: int | None = None) -> OperatingPoint:
        """The threshold (and, for 1:N, the ratio) and expected error rates with
        ``gallery_size`` templates enrolled (1:1 rates do not depend on it), each from
        ``photos`` photographs (default: as declared)."""
        return operating_point(
            identify=self.identifies,
            gallery_size=gallery_size,
            photos=self.enrollment_photos if photos is None else photos,
            target=None
            if self.threshold is not None
            else (self.target_fpir if self.identifies else self.target_fmr),
            threshold=self.threshold,
            ratio=self.ratio,
        )


_DEPLOYMENT_TEXT = (
    "name",
    "necessity",
    "identification_justification",
    "legal_mandate",
    "public_security_basis",
    "capture_area",
    "multi_face_basis",
)


def _check_public_security(deployment: Deployment) -> None:
    """R24: a public place's data serves public security only, and public security is a
    purpose only with its basis."""
    others = sorted(set(deployment.purposes) - {PUBLIC_SECURITY})
    if deployment.location is Location.PUBLIC_PLACE and others:
        raise PublicPlaceRequirements(
            f"the data of a public-place deployment serves public security only; declare the "
            f"purpose {PUBLIC_SECURITY!r} alone, not {', '.join(others)} (use another "
            "deployment, away from the public place, for those)"
        )
    if PUBLIC_SECURITY in deployment.purposes and not deployment.public_security_basis.strip():
        raise PublicPlaceRequirements(
            f"the purpose {PUBLIC_SECURITY!r} needs the public-security basis it rests on"
        )


RATIO_CALIBRATED = 0.5
"""The strictest ratio with measured error rates (``facegate.accuracy``)."""


def _check_ratio(deployment: Deployment) -> None:
    """An explicit ratio is a number in the calibrated range, and only 1:N has a second-nearest
    person to compare with."""
    ratio = deployment.ratio
    if ratio is None:
        return
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
        raise InvalidArgument(f"ratio is a number, not {ratio!r}")
    if deployment.mode is not Mode.IDENTIFY:
        raise InvalidArgument(
            "ratio applies to 1:N identification only (1:1 compares with one person)"
        )
    if not RATIO_CALIBRATED <= ratio <= 1.0:
        raise InvalidArgument(
            f"ratio lies in [{RATIO_CALIBRATED}, 1] (the range with measured error rates; 1 is "
            f"the distance rule), not {ratio!r}"
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


_DEFAULTS = field_defaults(("", Deployment), ("notice.", Notice))
