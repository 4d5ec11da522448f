"""Forgiving conversion of array-likes into the strict arrays the Rust core takes.

The core accepts only C-contiguous float32 matrices and uint64 vectors. Everything users pass
(lists, float64 output of dlib, non-contiguous slices) is converted here, once, with an error that
names the argument and what was wrong before anything crosses into Rust.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.errors import InvalidArgument, InvalidTemplate

_U64_MAX = np.iinfo(np.uint64).max


def as_matrix(value: Any, *, name: str, dim: int | None = None) -> npt.NDArray[np.float32]:
    """``value`` as a C-contiguous float32 matrix; a single vector becomes one row.

    Raises InvalidTemplate for a wrong shape or dimension, InvalidArgument for a non-numeric type.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{name} must be array-like of numbers") from exc
    if array.dtype.kind not in "fiu" or (array.dtype.kind == "f" and array.dtype.itemsize > 8):
        raise InvalidArgument(
            f"{name} must hold real numbers (float or integer), got dtype {array.dtype}"
        )
    if array.ndim == 1:
        # An empty list is no vectors when their width is known (``add([], [])``), not one
        # vector without values.
        array = array.reshape(0, dim) if array.size == 0 and dim else array.reshape(1, -1)
    if array.ndim != 2:
        raise InvalidTemplate(
            f"{name} must be one vector or a 2-D array of vectors, got {array.ndim} dimensions"
        )
    if dim is not None and array.shape[1] != dim:
        raise InvalidTemplate(
            f"{name} must have vectors of dimension {dim}, got dimension {array.shape[1]}"
        )
    if array.shape[1] == 0:
        raise InvalidTemplate(f"{name} has vectors of dimension 0; a template has values")
    with np.errstate(over="ignore"):
        # float64 values beyond float32 become inf here, which the core refuses by row.
        return np.ascontiguousarray(array, dtype=np.float32)


def as_ids(value: Any, *, name: str = "ids") -> npt.NDArray[np.uint64]:
    """``value`` as a contiguous uint64 vector; a single int becomes one id.

    Raises InvalidArgument for non-integers, negative values or values of 2**64 and above.
    """
    if isinstance(value, list | tuple) and value and all(type(v) is int for v in value):
        # Python ints: numpy turns a list mixing small ones with ones beyond int64 into floats.
        if any(v < 0 for v in value):
            raise InvalidArgument(f"{name} must not be negative")
        if any(v > _U64_MAX for v in value):
            raise InvalidArgument(f"{name} must be integers between 0 and 2**64 - 1")
        return np.array(value, dtype=np.uint64)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidArgument(f"{name} must be integers between 0 and 2**64 - 1") from exc
    if array.size == 0 and array.ndim <= 1:
        # ``[]`` and ``np.zeros(0)`` are float arrays: no ids, whatever their dtype says.
        return np.zeros(0, dtype=np.uint64)
    if array.dtype == object:
        # Python ints beyond int64 arrive as objects; check their range exactly.
        if not all(isinstance(v, int) and 0 <= v <= _U64_MAX for v in array.ravel()):
            raise InvalidArgument(f"{name} must be integers between 0 and 2**64 - 1")
        array = array.astype(np.uint64)
    if array.dtype.kind not in "iu":
        raise InvalidArgument(f"{name} must be integers, got dtype {array.dtype}")
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional, got {array.ndim} dimensions")
    if array.dtype.kind == "i" and array.size and array.min() < 0:
        raise InvalidArgument(f"{name} must not be negative")
    return np.ascontiguousarray(array, dtype=np.uint64)


def as_count(value: Any, *, name: str) -> int:
    """``value`` as a count for the core: an integer (not a bool) from 0 to 2**64 - 1.

    Raises InvalidArgument naming ``name`` otherwise.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise InvalidArgument(f"{name} must be an integer, not {type(value).__name__}")
    count = int(value)
    if not 0 <= count <= _U64_MAX:
        raise InvalidArgument(f"{name} must be between 0 and 2**64 - 1, got {count}")
    return count
