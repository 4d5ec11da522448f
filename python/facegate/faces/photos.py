"""Several enrollment photographs of one person, averaged into one template.

Averaging keeps one template per person, so the gallery's size (and with it the calibrated
false-positive rate) is the number of people, and search costs what it did with one photograph;
``docs/ACCURACY.md`` compares it with keeping each photograph's template and matching the
nearest. The deployment's rotation is orthogonal, so averaging rotated templates is the same as
rotating the average.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.errors import InvalidArgument

__all__ = ["encode_photos", "folded"]

MAX_PHOTOS_PER_CALL = 16
"""More photographs in one call than this is a mistake (a video's frames, say), not enrollment."""


def encode_photos(
    image: Any, encode: Callable[[Any], npt.NDArray[np.float32]]
) -> tuple[npt.NDArray[np.float32], int]:
    """The mean encoding of the photograph ``image``, or of each photograph in a list or tuple
    of them, and how many there were. Every photograph must pass the encoder's quality gates
    (one face, big enough): one failure fails the call."""
    photos = list(image) if isinstance(image, (list, tuple)) else [image]
    if not 1 <= len(photos) <= MAX_PHOTOS_PER_CALL:
        raise InvalidArgument(
            f"enroll with 1 to {MAX_PHOTOS_PER_CALL} photographs of the person, got {len(photos)}"
        )
    encodings = np.concatenate([encode(photo).reshape(1, -1) for photo in photos])
    return encodings.mean(axis=0, dtype=np.float64).astype(np.float32), len(photos)


def folded(
    old: npt.NDArray[np.float32], old_photos: int, new: npt.NDArray[np.float32], new_photos: int
) -> npt.NDArray[np.float32]:
    """The average over ``old_photos + new_photos`` photographs, from the average of each part."""
    total = old_photos + new_photos
    mean = (old.astype(np.float64) * old_photos + new.astype(np.float64) * new_photos) / total
    return mean.astype(np.float32)
