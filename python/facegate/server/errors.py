"""The library's exceptions as HTTP answers, mapped once (every handler raises the library's own
typed errors, and this one place turns them into a status code and a JSON body).

The body is ``{"error": {"type", "rule", "message"}}``: ``rule`` is the requirement that refused
(``R8``) for a refusal under a rule, else null. Messages are the library's, which never hold
images, templates or distances.
"""

from __future__ import annotations

from typing import Any

from facegate.errors import (
    AttemptsExceeded,
    CapabilityRequired,
    DeviceRefused,
    DuplicateId,
    FacegateError,
    FaceQualityError,
    IntegrityError,
    InvalidArgument,
    InvalidImage,
    PolicyRefusal,
    StoreUnavailable,
    UnknownId,
)

__all__ = ["STATUS", "Refused", "body", "status_of"]


class Refused(FacegateError):
    """A request the service itself turns away before the library sees it (no or bad
    credentials, too large, too many), with its status and headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers or {}


STATUS: tuple[tuple[type[FacegateError], int], ...] = (
    (DeviceRefused, 401),
    (AttemptsExceeded, 429),
    (CapabilityRequired, 403),
    (PolicyRefusal, 403),
    (DuplicateId, 409),
    (UnknownId, 404),
    (InvalidImage, 422),
    (FaceQualityError, 422),
    (InvalidArgument, 422),
    (StoreUnavailable, 503),
    (IntegrityError, 500),
    (FacegateError, 500),
)
"""The first class an error is an instance of decides its status (the most specific first)."""


def status_of(error: FacegateError) -> int:
    if isinstance(error, Refused):
        return error.status
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500  # not reached: FacegateError is the last row


def body(error: FacegateError) -> dict[str, Any]:
    rule = error.rule if isinstance(error, PolicyRefusal) else None
    message = error.args[0] if error.args else type(error).__name__
    return {"error": {"type": type(error).__name__, "rule": rule or None, "message": message}}
