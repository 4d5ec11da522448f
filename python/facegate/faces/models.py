"""dlib and its models, loaded lazily, once per process, thread-safely.

The models ship in the ``face_recognition_models`` package; their files are located with
``importlib`` rather than by importing that package, whose ``__init__`` needs ``pkg_resources``
(gone from setuptools 82). Nothing is downloaded, ever.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from facegate import _core
from facegate.errors import DetectorUnavailable

__all__ = ["dlib_module", "model"]

_FILES = {
    "landmarks5": "shape_predictor_5_face_landmarks.dat",
    "landmarks68": "shape_predictor_68_face_landmarks.dat",
    "encoder": "dlib_face_recognition_resnet_model_v1.dat",
    "cnn": "mmod_human_face_detector.dat",
}
_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def dlib_module() -> Any:
    """The ``dlib`` module, or DetectorUnavailable saying what to install."""
    try:
        import dlib
    except ImportError as exc:
        raise DetectorUnavailable(
            "face detection needs dlib: pip install dlib-bin (a prebuilt wheel; no compiler needed)"
        ) from exc
    return dlib


def model_path(name: str) -> Path:
    """Path of one of the model files."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise DetectorUnavailable(
            "face detection needs dlib's models: pip install face_recognition_models"
        )
    path = Path(spec.origin).parent / "models" / _FILES[name]
    if not path.is_file():
        raise DetectorUnavailable(
            f"the face_recognition_models package has no {_FILES[name]}; reinstall it"
        )
    return path


def model(name: str) -> Any:
    """The model object for ``name``: dlib's ("hog", "cnn", "landmarks5", "landmarks68",
    "encoder"), or facegate's Rust core over the same weights: the encoder ("resnet"), the HOG
    detector ("rust_hog") and the shape predictors ("rust_landmarks5", "rust_landmarks68")."""
    if name in _PER_THREAD:
        # dlib's detectors release the GIL while they run and keep scratch state in the
        # object, so two threads must not share one: each thread gets its own (cheap to load).
        mine: dict[str, Any] = _local.__dict__
        if name not in mine:
            mine[name] = _load(name)
        return mine[name]
    found = _loaded.get(name)
    if found is not None:
        return found
    with _lock:
        if name not in _loaded:
            _loaded[name] = _load(name)
        return _loaded[name]


_PER_THREAD = frozenset({"hog", "cnn"})
_local = threading.local()


def _fresh_lock_in_child() -> None:
    """After fork: another thread of the parent may have held the lock, and it does not exist
    in the child to release it."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def _frontal_detector_bytes(dlib: Any) -> bytes:
    """The weights of dlib's frontal face detector, as dlib writes them: dlib keeps them
    compiled into its library and saves them only to a file, so they pass through a private
    temporary directory, removed at once."""
    with tempfile.TemporaryDirectory(prefix="facegate-") as directory:
        path = Path(directory) / "frontal_face_detector.svm"
        dlib.get_frontal_face_detector().save(str(path))
        return path.read_bytes()


def _load(name: str) -> Any:
    dlib = dlib_module()
    if name == "hog":
        return dlib.get_frontal_face_detector()
    if name == "cnn":
        return dlib.cnn_face_detection_model_v1(str(model_path("cnn")))
    if name == "encoder":
        return dlib.face_recognition_model_v1(str(model_path("encoder")))
    if name == "resnet":  # the same network, run by facegate's Rust core
        return _core.ResnetEncoder(str(model_path("encoder")))
    if name == "rust_hog":
        return _core.HogDetector(_frontal_detector_bytes(dlib))
    if name.startswith("rust_"):
        return _core.ShapePredictor(str(model_path(name.removeprefix("rust_"))))
    return dlib.shape_predictor(str(model_path(name)))
