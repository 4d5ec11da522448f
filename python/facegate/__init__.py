"""facegate: face recognition that passes a consent and policy gate on every call.

This release provides the matching engine (:class:`Gallery` for 1:N search, :func:`distance` /
:func:`distances` for 1:1 verification, in Rust with SIMD and all cores) and template protection
(:mod:`facegate.keys`: sealed templates, wrapped per-subject keys, renewable rotations) and the
dlib face pipeline (:class:`FaceDetector`: any image in, 128-d encodings out).
"""

from __future__ import annotations

from facegate.accuracy import OperatingPoint, operating_point
from facegate.detect import Box, Face, FaceDetector, encode_many
from facegate.errors import (
    DetectorUnavailable,
    DuplicateId,
    FacegateError,
    FaceOutOfFrame,
    FaceQualityError,
    FaceTooSmall,
    InsecureKeyFile,
    IntegrityError,
    InternalError,
    InvalidArgument,
    InvalidImage,
    InvalidTemplate,
    KeyFileError,
    MalformedData,
    MultipleFaces,
    NoFace,
    OperatingPointRefused,
    PolicyRefusal,
    TamperedData,
    UnknownId,
    UnsupportedFormat,
    WrongKey,
)
from facegate.images import load_image
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
from facegate.policy import Alternative, Deployment, Location, Mode, Notice

__all__ = [
    "NO_MATCH",
    "Alternative",
    "Box",
    "DataKey",
    "Deployment",
    "DetectorUnavailable",
    "DuplicateId",
    "Face",
    "FaceDetector",
    "FaceOutOfFrame",
    "FaceQualityError",
    "FaceTooSmall",
    "FacegateError",
    "Gallery",
    "InsecureKeyFile",
    "IntegrityError",
    "InternalError",
    "InvalidArgument",
    "InvalidImage",
    "InvalidTemplate",
    "KeyFileError",
    "KmsMasterKey",
    "Location",
    "MalformedData",
    "MasterKey",
    "Matches",
    "Metric",
    "Mode",
    "MultipleFaces",
    "NoFace",
    "Notice",
    "OperatingPoint",
    "OperatingPointRefused",
    "PolicyRefusal",
    "Rotation",
    "TamperedData",
    "UnknownId",
    "UnsupportedFormat",
    "WrongKey",
    "distance",
    "distances",
    "encode_many",
    "load_image",
    "open_into_gallery",
    "open_template",
    "operating_point",
    "seal_template",
    "simd_paths",
]

__version__ = "0.1.0"
