"""dlib and its models, loaded lazily, once per process, thread-safely.

The models ship in the ``face_recognition_models`` package; their files are located with
``importlib`` rather than by importing that package, whose ``__init__`` needs ``pkg_resources``
(gone from setuptools 82). Nothing is downloaded, ever.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

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
    """The dlib object for ``name`` ("hog", "cnn", "landmarks5", "landmarks68", "encoder")."""
    found = _loaded.get(name)
    if found is not None:
        return found
    with _lock:
        if name not in _loaded:
            dlib = dlib_module()
            if name == "hog":
                _loaded[name] = dlib.get_frontal_face_detector()
            elif name == "cnn":
                _loaded[name] = dlib.cnn_face_detection_model_v1(str(model_path("cnn")))
            elif name == "encoder":
                _loaded[name] = dlib.face_recognition_model_v1(str(model_path("encoder")))
            else:
                _loaded[name] = dlib.shape_predictor(str(model_path(name)))
        return _loaded[name]
