"""The free text of a notice in each language it is shown in (R6).

A notice is read by the people whose faces are processed, in their language: a Chinese notice
that prints the operator's English sentences tells them nothing. So a :class:`Notice
<facegate.compliance.policy.Notice>` states the language its free text (and its deployment's)
is written in, and carries a :class:`Wording` for every other language it is shown in. The
rendering in a language with neither is refused (:class:`~facegate.errors.IncompleteNotice`),
never filled with text in another language.

Contact details (``processor_contact``) are the same in every language and are not translated.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from facegate.errors import IncompleteNotice, InvalidArgument

__all__ = ["DEPLOYMENT_TEXT", "LANGUAGES", "NOTICE_TEXT", "Wording", "check_language", "missing"]

LANGUAGES = ("zh", "en")
"""The languages notices are rendered in."""

NOTICE_TEXT = ("processor_name", "method", "impact", "rights_contact")
"""The notice's own free text, which every wording gives."""

DEPLOYMENT_TEXT = (
    "necessity",
    "legal_mandate",
    "public_security_basis",
    "capture_area",
    "multi_face_basis",
)
"""The deployment's declarations the notice prints: a wording gives each one declared."""


@dataclass(frozen=True, slots=True)
class Wording:
    """What a notice and its deployment say, in ``language``: the same sentences as the
    declarations, one field for each (``alternatives``: one description per alternative, in
    the notice's order). A field whose declaration is empty stays empty."""

    language: str
    processor_name: str
    method: str
    impact: str
    rights_contact: str
    alternatives: tuple[str, ...] = ()
    necessity: str = ""
    legal_mandate: str = ""
    public_security_basis: str = ""
    capture_area: str = ""
    multi_face_basis: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", check_language(self.language, "a wording"))
        for item in fields(self):
            if item.name not in ("language", "alternatives"):
                value = getattr(self, item.name)
                if not isinstance(value, str):
                    raise InvalidArgument(
                        f"the {self.language} wording's {item.name} is text, not "
                        f"a {type(value).__name__}"
                    )
        given = self.alternatives
        if isinstance(given, str) or not isinstance(given, tuple | list):
            raise InvalidArgument(
                f"the {self.language} wording's alternatives are a list of descriptions, "
                f"not a {type(given).__name__}"
            )
        if any(not isinstance(a, str) or not a.strip() for a in given):
            raise IncompleteNotice(
                f"the {self.language} wording describes every alternative in words"
            )
        object.__setattr__(self, "alternatives", tuple(given))


def check_language(language: object, what: str) -> str:
    """``language`` if it is one of :data:`LANGUAGES`; InvalidArgument naming ``what``."""
    if language not in LANGUAGES:
        raise InvalidArgument(
            f"{what} is in one of the languages {', '.join(LANGUAGES)}, not {language!r}"
        )
    return str(language)


def missing(wording: Wording, declared: Wording) -> list[str]:
    """How ``wording`` fails to say what ``declared`` says: the fields it leaves empty where
    the declaration is filled, or fills where the declaration is empty, and a different number
    of alternatives."""
    wrong = [
        name
        for name in (*NOTICE_TEXT, *DEPLOYMENT_TEXT)
        if bool(getattr(wording, name).strip()) != bool(getattr(declared, name).strip())
    ]
    if len(wording.alternatives) != len(declared.alternatives):
        wrong.append(
            f"alternatives ({len(wording.alternatives)} described, "
            f"{len(declared.alternatives)} offered)"
        )
    return wrong
