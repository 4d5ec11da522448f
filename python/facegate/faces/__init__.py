"""Faces: images in, 128-d encodings out.

:mod:`~facegate.faces.images` decodes any image safely, :mod:`~facegate.faces.detect` finds
faces and encodes them (dlib's detector, landmarks, chips and ResNet, run by the Rust core),
:mod:`~facegate.faces.many` encodes many images at once,
:mod:`~facegate.faces.models` loads the models lazily, :mod:`~facegate.faces.photos` averages
several enrollment photographs.
"""

from __future__ import annotations

from facegate.faces.detect import Box, Face, FaceDetector
from facegate.faces.images import load_image
from facegate.faces.many import encode_many

__all__ = ["Box", "Face", "FaceDetector", "encode_many", "load_image"]
