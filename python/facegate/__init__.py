"""facegate: face recognition that passes a consent and policy gate on every call.

This release provides the matching engine (:class:`Gallery` for 1:N search, :func:`distance` /
:func:`distances` for 1:1 verification, in Rust with SIMD and all cores) and template protection
(:mod:`facegate.keys`: sealed templates, wrapped per-subject keys, renewable rotations).
"""

from __future__ import annotations

from facegate.errors import (
    DuplicateId,
    FacegateError,
    InsecureKeyFile,
    IntegrityError,
    InternalError,
    InvalidArgument,
    InvalidTemplate,
    KeyFileError,
    MalformedData,
    TamperedData,
    UnknownId,
    UnsupportedFormat,
    WrongKey,
)
from facegate.keys import (
    DataKey,
    KmsMasterKey,
    MasterKey,
    Rotation,
    open_into_gallery,
    open_template,
    seal_template,
)
from facegate.matching import NO_MATCH, Gallery, Matches, Metric, distance, distances, simd_paths

__all__ = [
    "NO_MATCH",
    "DataKey",
    "DuplicateId",
    "FacegateError",
    "Gallery",
    "InsecureKeyFile",
    "IntegrityError",
    "InternalError",
    "InvalidArgument",
    "InvalidTemplate",
    "KeyFileError",
    "KmsMasterKey",
    "MalformedData",
    "MasterKey",
    "Matches",
    "Metric",
    "Rotation",
    "TamperedData",
    "UnknownId",
    "UnsupportedFormat",
    "WrongKey",
    "distance",
    "distances",
    "open_into_gallery",
    "open_template",
    "seal_template",
    "simd_paths",
]

__version__ = "0.1.0"
