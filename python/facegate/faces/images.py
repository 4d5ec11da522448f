"""Any image in, one RGB uint8 array out, or a clear :class:`InvalidImage`.

Accepted: a path, ``bytes``/``bytearray``/``memoryview`` of an encoded image, a binary file
object, a numpy array (HxW, HxWx3 or HxWx4; uint8, uint16 or float in [0, 1]) or a PIL image.
EXIF orientation is applied. The pixel count is checked from the header, before decoding, so a
decompression bomb is refused without being expanded. Images are only ever held in memory;
nothing here writes them anywhere (R15).

A path must name a regular file: a FIFO or a device is refused without waiting on it, and so
is a database file this process has open as a store (or its ``-wal`` or ``-shm``), whatever
name or link it is given by, before anything opens it: opening and closing such a file would
drop the store's SQLite locks (see ``facegate._files``).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate._files import is_open_database
from facegate.errors import InvalidImage

__all__ = ["DEFAULT_MAX_PIXELS", "load_image"]

DEFAULT_MAX_PIXELS = 40_000_000
"""Largest image accepted by default: 40 megapixels (a 7,300 x 5,500 photograph)."""

# What PIL's decoders raise on damaged data (the less common ones seen from its plugins too).
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error)


def load_image(source: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> npt.NDArray[np.uint8]:
    """``source`` as a C-contiguous HxWx3 RGB uint8 array.

    Raises InvalidImage naming the problem: unsupported type, empty, corrupt or truncated data,
    a shape or dtype that is not an image, or more than ``max_pixels`` pixels.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels)
    from PIL import Image

    if isinstance(source, Image.Image):
        return _from_pil(source, max_pixels)
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise InvalidImage("the image data is empty (0 bytes)")
        return _decode(io.BytesIO(bytes(source)), max_pixels, "the image data")
    if isinstance(source, str | os.PathLike):
        path = os.fsdecode(os.fspath(source))
        with _open_image_file(path) as handle:
            return _decode(handle, max_pixels, f"the image file {path!r}")
    if hasattr(source, "read"):
        return _decode(source, max_pixels, "the image file object")
    raise InvalidImage(
        f"cannot read an image from {type(source).__name__}: give a path, bytes, a binary file, "
        "a numpy array or a PIL image"
    )


def _open_image_file(path: str) -> io.BufferedReader:
    """``path`` opened for reading, if it is a regular, non-empty file that is not one of this
    process's open databases; InvalidImage otherwise. Never blocks on a FIFO."""
    if "\x00" in path:
        raise InvalidImage("an image path cannot contain NUL characters")
    # Before opening: closing any descriptor on a database file drops the store's locks.
    if is_open_database(path):
        raise InvalidImage(
            f"{path!r} is the store's database file (or its -wal or -shm), not an image"
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise InvalidImage(f"no image file at {path!r}") from exc
    except OSError as exc:
        raise InvalidImage(f"cannot open the image file {path!r} ({exc.strerror})") from exc
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise InvalidImage(f"{path!r} is not a regular file (a directory, FIFO or device)")
        if found.st_size == 0:
            raise InvalidImage(f"the image file {path!r} is empty")
        # Reads of a regular file never block; clear the flag anyway for PIL's sake.
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _decode(stream: Any, max_pixels: int, what: str) -> npt.NDArray[np.uint8]:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Our own limit applies; PIL's bomb warning must not become an error elsewhere.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_size(image.width, image.height, max_pixels)
            image.load()
    except InvalidImage:
        raise
    except Image.DecompressionBombError as exc:
        raise InvalidImage(f"{what} is too large to decode safely") from exc
    except UnidentifiedImageError as exc:
        raise InvalidImage(f"{what} is not an image format facegate can read") from exc
    except _DECODE_ERRORS as exc:
        raise InvalidImage(f"{what} is corrupt or truncated ({type(exc).__name__})") from exc
    return _from_pil(image, max_pixels)


def _from_pil(image: Any, max_pixels: int) -> npt.NDArray[np.uint8]:
    from PIL import Image, ImageOps

    _check_size(image.width, image.height, max_pixels)
    try:
        # A caller's ``Image.open`` is lazy: a corrupt or truncated file fails only here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            upright = ImageOps.exif_transpose(image)
            return np.ascontiguousarray(np.asarray(upright.convert("RGB"), dtype=np.uint8))
    except Image.DecompressionBombError as exc:
        raise InvalidImage("the PIL image is too large to decode safely") from exc
    except _DECODE_ERRORS as exc:
        raise InvalidImage(f"the PIL image is corrupt or truncated ({type(exc).__name__})") from exc


def _from_array(array: npt.NDArray[Any], max_pixels: int) -> npt.NDArray[np.uint8]:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImage(f"an image array must be HxW, HxWx3 or HxWx4, got shape {array.shape}")
    _check_size(array.shape[1], array.shape[0], max_pixels)
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.uint16:
        pixels = (array >> 8).astype(np.uint8)
    elif array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
            raise InvalidImage("a float image array must hold finite values in [0, 1]")
        pixels = np.rint(array * 255.0).astype(np.uint8)
    else:
        raise InvalidImage(
            f"an image array must be uint8, uint16 or float in [0, 1], got dtype {array.dtype}"
        )
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, :3])


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width == 0 or height == 0:
        raise InvalidImage(f"the image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise InvalidImage(
            f"the image has {width}x{height} = {width * height:,} pixels, more than the limit "
            f"of {max_pixels:,} (raise max_pixels if this is intended)"
        )
