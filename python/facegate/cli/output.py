"""How the command line speaks: prose or JSON on stdout, errors on stderr, exit codes.

Exit codes: 0 success (or a match), 1 no match, 2 bad usage or invalid input, 3 refused by a
rule (the R-id is in the message), 4 an integrity failure (tampered data, wrong key, broken audit
trail), 5 any other facegate error (a missing store or key file, an unknown id).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from facegate.errors import (
    DuplicateId,
    FacegateError,
    FaceQualityError,
    IntegrityError,
    InvalidArgument,
    InvalidImage,
    PolicyRefusal,
    UnknownId,
)

__all__ = ["EXIT", "MEANING", "Output", "exit_code", "plain"]

EXIT = {"ok": 0, "no_match": 1, "usage": 2, "refused": 3, "integrity": 4, "error": 5}

MEANING = {
    0: "success or match",
    1: "no match",
    2: "bad usage or input",
    3: "refused by a rule",
    4: "integrity failure",
    5: "other error",
    130: "interrupted",
}
"""What each exit code means, as the JSON error object states it."""


def exit_code(error: FacegateError) -> int:
    """The exit code for ``error`` (see the module docs)."""
    if isinstance(error, PolicyRefusal):
        return EXIT["refused"]
    if isinstance(error, IntegrityError):
        return EXIT["integrity"]
    if isinstance(error, DuplicateId | UnknownId):
        return EXIT["error"]  # a conflict with what is stored, not a malformed request
    if isinstance(error, InvalidArgument | InvalidImage | FaceQualityError):
        return EXIT["usage"]
    return EXIT["error"]


def plain(value: Any) -> Any:
    """JSON-ready data: dataclasses, enums, dates and bytes made plain."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


class Output:
    """Writes one result per command: a JSON object with ``--json``, prose otherwise."""

    __slots__ = ("json",)

    def __init__(self, *, json_mode: bool) -> None:
        self.json = json_mode

    def say(self, text: str) -> None:
        """Narration (prose mode only)."""
        if not self.json:
            print(text, flush=True)

    def result(self, data: Any, text: str) -> None:
        """The command's result: ``data`` as JSON, or ``text``."""
        if self.json:
            print(json.dumps(plain(data), indent=2, ensure_ascii=False))
        elif text:
            print(text)

    def error(self, error: BaseException | str, code: int, *, kind: str | None = None) -> None:
        """A failure: the message on stderr; with ``--json`` also, on stdout, one object
        ``{"error": {"type", "rule", "message", "exit_code", "meaning"}}`` (``rule`` is the
        R-id of a refusal, else null), so a script reading stdout sees why it got nothing."""
        message = str(error)
        print(f"facegate: error: {message}", file=sys.stderr)
        if self.json:
            body = {
                "type": kind or type(error).__name__,
                "rule": getattr(error, "rule", None) or None,
                "message": message,
                "exit_code": code,
                "meaning": MEANING.get(code, "other error"),
            }
            print(json.dumps({"error": body}, indent=2, ensure_ascii=False), flush=True)
