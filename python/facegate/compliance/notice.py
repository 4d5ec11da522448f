"""What people must be told before their face is processed (R6, R7, R11, R14): the notice and
the alternatives it offers. The :class:`~facegate.compliance.policy.Deployment` a notice
belongs to binds it to its mode and checks its translations against its declarations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from facegate.compliance.declared import check_text, ids, kind
from facegate.compliance.vocabulary import Mode
from facegate.compliance.wording import Wording, check_language
from facegate.errors import IncompleteNotice, InvalidArgument, NoAlternative

__all__ = ["MAX_RETENTION_DAYS", "Alternative", "Notice"]

MAX_RETENTION_DAYS = 3650
"""The longest retention period a notice may state (R14): ten years. Face data kept longer
than that serves no purpose this library knows of, and an unbounded period is a typo more
often than a decision (``retention_days=10**7`` would overflow every expiry date)."""


@dataclass(frozen=True, slots=True)
class Alternative:
    """A way to get the service without facial recognition (R11)."""

    description: str
    accessible: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.description, str) or not self.description.strip():
            raise NoAlternative(
                f"an alternative is described in words, not {kind(self.description)}"
            )
        if not isinstance(self.accessible, bool):
            raise InvalidArgument(
                f"an alternative's accessible flag is true or false, not {self.accessible!r}"
            )


@dataclass(frozen=True, slots=True)
class Notice:
    """What people must be told before their face is processed (R6).

    ``retention_days`` is how long face data is kept (one day to :data:`MAX_RETENTION_DAYS`);
    ``impact`` states the necessity and the impact on the person's rights; ``rights_contact``
    says how to exercise them. ``language`` is the language this free text (and the
    deployment's) is written in, ``"en"`` or ``"zh"``; ``translations`` gives the same text in
    each other language the notice is shown in (:class:`~facegate.compliance.wording.Wording`),
    and a notice is never shown in a language it has no text in. ``mode`` is not given: the
    :class:`Deployment` the notice belongs to sets it to its own mode, so that the notice (and
    its version) says whether faces are compared 1:1 or searched 1:N.
    """

    processor_name: str
    processor_contact: str
    purposes: tuple[str, ...]
    method: str
    retention_days: int
    impact: str
    rights_contact: str
    alternatives: tuple[Alternative, ...]
    language: str = "en"
    translations: tuple[Wording, ...] = ()
    mode: Mode | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        for name in _TEXT:
            check_text(name, getattr(self, name))
        object.__setattr__(self, "language", check_language(self.language, "the notice"))
        object.__setattr__(self, "translations", _translations(self))
        object.__setattr__(self, "purposes", ids("the notice's purposes", self.purposes))
        object.__setattr__(self, "alternatives", _alternatives(self.alternatives))
        missing = [name for name in _TEXT if not getattr(self, name).strip()]
        if not self.purposes:
            missing.append("purposes")
        if missing:
            raise IncompleteNotice(
                f"the notice lacks {', '.join(missing)}; every field must be filled in before "
                "it is shown to people"
            )
        days = self.retention_days
        if isinstance(days, bool) or not isinstance(days, int):
            raise InvalidArgument(f"retention_days is a whole number of days, not {days!r}")
        if days <= 0:
            raise IncompleteNotice("the notice must state a retention period of at least one day")
        if days > MAX_RETENTION_DAYS:
            raise InvalidArgument(
                f"retention_days is at most {MAX_RETENTION_DAYS} (ten years), not {days}"
            )

    @property
    def version(self) -> str:
        """A fingerprint of purpose, method, retention and mode (R7): changing any of them
        makes a new version, and consents given to an older one no longer count. A consent
        given for 1:1 verification does not count for 1:N identification (1:1 notices keep
        the version they had before the mode was part of it). The method as translated is
        part of it too: a person who read the Chinese notice consented to what it said."""
        parts = [*sorted(self.purposes), self.method, str(self.retention_days)]
        if self.mode is Mode.IDENTIFY:
            parts.append("mode: 1:N identification")
        parts.extend(f"method ({w.language}): {w.method}" for w in self.translations)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


_TEXT = ("processor_name", "processor_contact", "method", "impact", "rights_contact")


def _translations(notice: Notice) -> tuple[Wording, ...]:
    """The notice's translations as a tuple in language order, one per language other than
    its own."""
    given = notice.translations
    if not isinstance(given, tuple | list) or any(not isinstance(w, Wording) for w in given):
        raise InvalidArgument("the notice's translations are a tuple of Wording objects")
    languages = [w.language for w in given]
    if notice.language in languages or len(set(languages)) < len(languages):
        raise InvalidArgument(
            f"the notice's translations give each language once, other than its own "
            f"({notice.language}), not {', '.join(languages)}"
        )
    return tuple(sorted(given, key=lambda w: w.language))


def _alternatives(values: object) -> tuple[Alternative, ...]:
    if not isinstance(values, tuple | list):
        raise InvalidArgument(f"alternatives is a tuple of Alternative, not {kind(values)}")
    wrong = [value for value in values if not isinstance(value, Alternative)]
    if wrong:
        raise InvalidArgument(f"alternatives are Alternative objects, not {kind(wrong[0])}")
    return tuple(values)
