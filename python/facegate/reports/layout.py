"""Plain-text layout of the notice and the sign, plain or in large print (R31).

Plain text has no markup to lean on, so this module decides where lines break: large print
keeps lines to :data:`LARGE_PRINT_WIDTH` display columns (20 CJK characters), never cuts a word,
an address or a phone number, and keeps Chinese punctuation with its character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from facegate.errors import InvalidArgument
from facegate.reports.labels import Language

__all__ = ["LARGE_PRINT_WIDTH"]

LARGE_PRINT_WIDTH = 40
"""Large-print line width in display columns: 40 Latin characters or 20 CJK characters (R31)."""


@dataclass(frozen=True, slots=True)
class _Section:
    """A heading (may be empty) and its lines, one idea each."""

    heading: str
    lines: tuple[str, ...]


_CJK = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
"""Whitespace, one CJK character, or a run of other characters (a word, kept whole)."""

_NO_LINE_START = frozenset(
    "\uff0c\u3002\u3001\uff1b\uff1a\uff01\uff1f\uff09\u300d\u300f\u300b\u3009\u3011\u2026"
)
"""Closing punctuation (full-width comma, full stop, colon, closing brackets...) that a line must
not start with: it stays with the character before it."""

_NO_LINE_END = frozenset("\uff08\u300c\u300e\u300a\u3008\u3010")
"""Opening brackets that a line must not end with: they stay with what follows."""


def _width(text: str) -> int:
    """Display columns: a wide (CJK) character takes two, so 40 columns hold 20 of them."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NUMBER_END = re.compile(r"(?:^|\s)\+?\d[\d-]*$")
_NUMBER_GROUP = re.compile(r"\d[\d-]*[,;.]?$")


def _glued(previous: str, token: str, space: bool) -> str | None:
    """``previous`` and ``token`` as one unbreakable unit, or None where a line may break:
    closing punctuation stays after its character, opening brackets before theirs, and the
    groups of a phone number ("+86 10 0000 0000") stay on one line to be read out whole."""
    if not space and (token[0] in _NO_LINE_START or previous[-1] in _NO_LINE_END):
        return previous + token
    if space and _NUMBER_END.search(previous) and _NUMBER_GROUP.match(token):
        return f"{previous} {token}"
    return None


def _units(text: str) -> list[tuple[bool, str]]:
    """The pieces a line may be broken between, each with whether a space preceded it: Latin
    words whole, CJK characters one by one, punctuation and numbers glued (:func:`_glued`)."""
    units: list[tuple[bool, str]] = []
    space = False
    for token in _TOKENS.findall(text):
        if token.isspace():
            space = True
            continue
        glued = _glued(units[-1][1], token, space) if units else None
        if glued is None:
            units.append((space, token))
        else:
            units[-1] = (units[-1][0], glued)
        space = False
    return units


def _wrap(text: str, width: int = LARGE_PRINT_WIDTH) -> list[str]:
    """Greedy wrap to ``width`` display columns, breaking only between words (Latin) or between
    characters (CJK). A single word wider than the line (a long e-mail address or URL) keeps a
    line of its own rather than being cut: a broken address is a wrong address."""
    lines: list[str] = []
    line = ""
    for space, unit in _units(text):
        joined = f"{line}{' ' if space and line else ''}{unit}"
        if line and _width(joined) > width:
            lines.append(line)
            line = unit
        else:
            line = joined
    if line:
        lines.append(line)
    return lines


def _heading(text: str, language: Language, large_print: bool) -> list[str]:
    if not text:
        return []
    if not large_print:
        return [text]
    return _wrap(text.upper() if language == "en" else text)


def _layout(title: str, sections: Iterable[_Section], language: Language, large_print: bool) -> str:
    """Plain text: the title, then each section with a blank line before it. Large print wraps
    every line to :data:`LARGE_PRINT_WIDTH` and drops the bullets; English headings are in
    capitals so they stand out without markup."""
    blocks = ["\n".join(_heading(title, language, large_print))]
    for section in sections:
        lines = _heading(section.heading, language, large_print)
        for line in section.lines:
            if large_print:
                lines.extend(_wrap(line))
            else:
                lines.append(f"- {line}" if section.heading else line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _check_language(language: str) -> Language:
    if language not in ("zh", "en"):
        raise InvalidArgument(f"language must be 'zh' or 'en', not {language!r}")
    return "zh" if language == "zh" else "en"
