"""What the gate needs from a face pipeline (:class:`~facegate.faces.FaceDetector` provides
it; tests give synthetic encodings through the same two calls)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from facegate.faces.detect import Face

__all__ = ["Encoder"]


class Encoder(Protocol):
    """A face pipeline: one face's encoding for enrollment and verification, every face's for
    identification."""

    def encode(self, image: Any) -> npt.NDArray[np.float32]: ...

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]: ...
