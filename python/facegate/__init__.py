"""facegate: face recognition that passes a consent and policy gate on every call.

This release provides the matching engine: :class:`Gallery` for 1:N search and
:func:`distance` / :func:`distances` for 1:1 verification, in Rust with SIMD and all cores.
"""

from __future__ import annotations

from facegate.errors import (
    DuplicateId,
    FacegateError,
    InternalError,
    InvalidArgument,
    InvalidTemplate,
    UnknownId,
)
from facegate.matching import NO_MATCH, Gallery, Matches, Metric, distance, distances, simd_paths

__all__ = [
    "NO_MATCH",
    "DuplicateId",
    "FacegateError",
    "Gallery",
    "InternalError",
    "InvalidArgument",
    "InvalidTemplate",
    "Matches",
    "Metric",
    "UnknownId",
    "distance",
    "distances",
    "simd_paths",
]

__version__ = "0.1.0"
