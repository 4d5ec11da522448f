"""The one exception hierarchy of facegate.

Every error facegate raises derives from :class:`FacegateError`. Errors about bad input also
derive from the matching built-in (``ValueError``, ``KeyError``) so ordinary ``except`` clauses
keep working. The Rust core raises these same classes (it imports them), so there is no second
hierarchy to learn.

Messages name what was wrong (a shape, a row number, an id) and never contain template values:
face templates are biometric data and must not reach logs.
"""

from __future__ import annotations

__all__ = [
    "AccessibilityWarning",
    "AssessmentRequired",
    "AttemptsExceeded",
    "CapabilityRequired",
    "ConsentNotSeparate",
    "ConsentRequired",
    "CorruptStore",
    "DetectorUnavailable",
    "DeviceRefused",
    "DuplicateId",
    "FaceOutOfFrame",
    "FaceQualityError",
    "FaceTooSmall",
    "FacegateError",
    "GuardianConsentRequired",
    "IdentificationNotEnabled",
    "InactiveDeployment",
    "IncompleteNotice",
    "InsecureKeyFile",
    "IntegrityError",
    "InternalError",
    "InvalidArgument",
    "InvalidImage",
    "InvalidTemplate",
    "KeyFileError",
    "MalformedData",
    "MissingExtra",
    "MultipleFaces",
    "MultipleFacesRefused",
    "NoAlternative",
    "NoFace",
    "OperatingPointRefused",
    "PolicyRefusal",
    "ProhibitedPlace",
    "PublicPlaceRequirements",
    "ResearchSeparation",
    "SensitiveInference",
    "StaleNotice",
    "StoreUnavailable",
    "TamperedData",
    "ThresholdTooLoose",
    "TransferNotConsented",
    "UndeclaredPurpose",
    "UnknownId",
    "UnsupportedFormat",
    "WrongKey",
]


class FacegateError(Exception):
    """Base class of every error facegate raises."""


class InvalidArgument(FacegateError, ValueError):
    """An argument outside its documented range or of the wrong kind."""


class InvalidTemplate(InvalidArgument):
    """A face template of the wrong dimension, or holding NaN, infinite or huge values."""


class DuplicateId(InvalidArgument):
    """An id that is already in use, or appears twice in one call."""


class UnknownId(FacegateError, KeyError):
    """An id that is not present."""

    def __str__(self) -> str:
        # KeyError would quote the message; show it as written.
        return str(self.args[0]) if self.args else ""


class InternalError(FacegateError, RuntimeError):
    """A bug in facegate left an object unusable; the message says how to recover."""


class IntegrityError(FacegateError):
    """Protected data failed a check: an integrity incident (R22). Nothing was decrypted."""


class TamperedData(IntegrityError):
    """Sealed bytes whose authentication tag does not verify: altered, truncated, or moved to
    another record or deployment."""


class WrongKey(IntegrityError):
    """Sealed bytes made under a different key than the one given."""


class UnsupportedFormat(IntegrityError):
    """Sealed bytes of a format version this facegate cannot read."""


class MalformedData(IntegrityError):
    """Bytes too short, too long or of the wrong kind to be what they claim."""


class CorruptStore(FacegateError):
    """The database is not readable as a facegate store, or a stored value does not parse;
    restore it from a backup."""


class StoreUnavailable(FacegateError):
    """The store could not be written or read just now (disk full, an I/O error, another
    process holding the lock past the busy timeout). Nothing was acknowledged; retry."""


class KeyFileError(FacegateError):
    """A master key could not be read or written (missing, unreadable, not a key)."""


class InsecureKeyFile(KeyFileError):
    """A key file that group or others may access; fix with ``chmod 600``."""


class InvalidImage(InvalidArgument):
    """Input that is not a usable image: wrong type, empty, corrupt, truncated or too large."""


class DetectorUnavailable(FacegateError, RuntimeError):
    """dlib or its models are not installed; the message names the package to install."""


class MissingExtra(FacegateError, RuntimeError):
    """An optional part (the demo's photograph) needs a package facegate does not require;
    the message names the extra to install (``pip install 'facegate[demo]'``)."""


class FaceQualityError(FacegateError, ValueError):
    """An image that fails a quality gate for enrollment or verification."""


class NoFace(FaceQualityError):
    """No face was found in the image."""


class MultipleFaces(FaceQualityError):
    """More than one face was found where exactly one is required."""


class FaceTooSmall(FaceQualityError):
    """The face is smaller than the minimum size in pixels."""


class FaceOutOfFrame(FaceQualityError):
    """The face is cut by the edge of the image."""


class PolicyRefusal(FacegateError):
    """A refusal under one of facegate's rules (``../shared/REQUIREMENTS.md``).

    ``rule`` is the requirement id (``"R23"``); the message says what to do about it.
    """

    rule: str = ""

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        if rule is not None:
            self.rule = rule

    def __str__(self) -> str:
        return f"[{self.rule}] {self.args[0]}" if self.args else self.rule


class UndeclaredPurpose(PolicyRefusal):
    """A purpose that is missing, unknown, or not declared by the deployment (R1, R2)."""

    rule = "R1"


class IdentificationNotEnabled(PolicyRefusal):
    """1:N identification on a deployment that did not justify it (R3)."""

    rule = "R3"


class ThresholdTooLoose(PolicyRefusal):
    """A match threshold looser than the floor (R5)."""

    rule = "R5"


class OperatingPointRefused(PolicyRefusal):
    """1:N identification whose expected miss rate at the target false-positive rate exceeds
    the deployment's limit (R5): the message names the figures and the alternatives (R3)."""

    rule = "R5"


class IncompleteNotice(PolicyRefusal):
    """A notice missing a field the law requires (R6)."""

    rule = "R6"


class NoAlternative(PolicyRefusal):
    """A deployment that offers no non-biometric alternative (R11)."""

    rule = "R11"


class ProhibitedPlace(PolicyRefusal):
    """Facial recognition in a private space: guest rooms, bathhouses, bathrooms, changing
    rooms, toilets (R23)."""

    rule = "R23"


class PublicPlaceRequirements(PolicyRefusal):
    """A public-place deployment without its public-security basis, capture area or signage
    (R24)."""

    rule = "R24"


class AccessibilityWarning(UserWarning):
    """No alternative to facial recognition is marked accessible (R31)."""


class ConsentNotSeparate(PolicyRefusal):
    """Consent that is not a separate, specific consent to face processing (R8)."""

    rule = "R8"


class StaleNotice(ConsentNotSeparate):
    """A consent that names a notice version other than the deployment's current one: the
    person consented to what another notice said (R7)."""

    rule = "R7"


class SensitiveInference(PolicyRefusal):
    """A face pipeline or plug-in offering to infer race, ethnicity, religion, health, emotion,
    age or gender: facegate never does, and takes no component that would (R29)."""

    rule = "R29"


class GuardianConsentRequired(PolicyRefusal):
    """A subject under 14 without a guardian's consent (R9)."""

    rule = "R9"


class AssessmentRequired(PolicyRefusal):
    """A deployment without a complete, signed impact assessment for its current notice (R26)."""

    rule = "R26"


class ConsentRequired(PolicyRefusal):
    """No valid consent for this subject, deployment, purpose and notice version (R2, R8)."""

    rule = "R8"


class CapabilityRequired(PolicyRefusal):
    """A handle without the capability the call needs (R19)."""

    rule = "R19"


class DeviceRefused(PolicyRefusal):
    """A device key that opens nothing: unknown to the store, revoked or expired (R19). The
    message names no part of the token."""

    rule = "R19"


class InactiveDeployment(PolicyRefusal):
    """A deployment that has not been assessed and activated (R26)."""

    rule = "R26"


class MultipleFacesRefused(PolicyRefusal):
    """A frame with several faces where the deployment cites no legal basis for it (R25)."""

    rule = "R25"


class TransferNotConsented(PolicyRefusal):
    """Face data leaving the device without the subject's separate transfer consent (R16)."""

    rule = "R16"


class ResearchSeparation(PolicyRefusal):
    """Research/training data and production face data mixed: a research store opened as a
    production one or the reverse, a production key or sealed production templates handed to
    research mode (R12)."""

    rule = "R12"


class AttemptsExceeded(PolicyRefusal):
    """Face verification of this subject is locked after repeated failures (a delay), or off
    until an administrator re-enables it; the alternatives stay open. Access control (R19),
    with limits in the spirit of NIST SP 800-63B."""

    rule = "R19"
