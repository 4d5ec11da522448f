"""facegate: face recognition that passes a consent and policy gate on every call.

- :class:`FaceGate`: enrollment, 1:1 verification and 1:N identification on an encrypted store,
  every call checked by one guard and audited (:mod:`facegate.gate`), with the deployments,
  notices, consents and assessments it checks against (:mod:`facegate.compliance`) and the
  documents a regulator asks for (:mod:`facegate.reports`);
- :class:`Gallery`, :func:`distance`: the matching engine, in Rust with SIMD and all cores;
- :mod:`facegate.keys`: sealed templates, wrapped per-subject keys, renewable rotations;
- :class:`FaceDetector`: any image in, 128-d encodings out (:mod:`facegate.faces`).
"""

from __future__ import annotations

from facegate.accuracy import OperatingPoint, operating_point
from facegate.compliance.consent import ConsentGrant, Guardian
from facegate.compliance.policy import Alternative, Deployment, Location, Mode, Notice
from facegate.compliance.registry import Assessment
from facegate.compliance.wording import Wording
from facegate.errors import (
    DetectorUnavailable,
    DeviceRefused,
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
from facegate.faces import Box, Face, FaceDetector, encode_many, load_image
from facegate.gate import (
    Capability,
    Checkpoint,
    Decision,
    DeletionReceipt,
    DeploymentUpdate,
    Device,
    FaceGate,
    NewDevice,
    Verification,
)
from facegate.gate.wrapping import ErasureStatus
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
    "Alternative",
    "Assessment",
    "Box",
    "Capability",
    "Checkpoint",
    "ConsentGrant",
    "DataKey",
    "Decision",
    "DeletionReceipt",
    "Deployment",
    "DeploymentUpdate",
    "DetectorUnavailable",
    "Device",
    "DeviceRefused",
    "DuplicateId",
    "ErasureStatus",
    "Face",
    "FaceDetector",
    "FaceGate",
    "FaceOutOfFrame",
    "FaceQualityError",
    "FaceTooSmall",
    "FacegateError",
    "Gallery",
    "Guardian",
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
    "NewDevice",
    "NoFace",
    "Notice",
    "OperatingPoint",
    "OperatingPointRefused",
    "PolicyRefusal",
    "Rotation",
    "TamperedData",
    "UnknownId",
    "UnsupportedFormat",
    "Verification",
    "Wording",
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
