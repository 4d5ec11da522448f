"""Image input: every accepted form, EXIF orientation, and a clear error for everything else."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facegate.errors import InvalidImage
from facegate.faces.images import load_image


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


PIXELS = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)


def _truncated_jpeg() -> bytes:
    out = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(out, format="JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


def test_every_accepted_form_gives_the_same_rgb_array(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(_png(PIXELS))
    forms = [
        path,
        str(path),
        path.read_bytes(),
        bytearray(path.read_bytes()),
        io.BytesIO(path.read_bytes()),
        Image.open(path),
        PIXELS,
        np.dstack([PIXELS, np.full((4, 6), 255, np.uint8)]),
        PIXELS.astype(np.uint16) * 257,
        PIXELS / 255.0,
    ]
    for form in forms:
        got = load_image(form)
        assert got.dtype == np.uint8 and got.flags.c_contiguous
        np.testing.assert_array_equal(got, PIXELS, err_msg=type(form).__name__)


def test_grey_images_become_three_channels() -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    got = load_image(grey)
    assert got.shape == (3, 4, 3)
    np.testing.assert_array_equal(got[:, :, 1], grey)


def test_exif_orientation_is_honoured() -> None:
    tall = np.zeros((40, 20, 3), np.uint8)
    image = Image.fromarray(tall)
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90 degrees: the viewer must turn it upright
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    assert load_image(out.getvalue()).shape == (20, 40, 3)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"", "empty"),
        (b"not an image at all", "not an image format"),
        (_truncated_jpeg(), "corrupt or truncated"),
        (np.zeros((0, 5, 3), np.uint8), "no pixels"),
        (np.zeros((4, 4, 2), np.uint8), "shape"),
        (np.zeros((4, 4), np.int64), "dtype"),
        (np.full((4, 4), 1.5), r"\[0, 1\]"),
        (np.full((4, 4), np.nan), r"\[0, 1\]"),
        (12345, "cannot read an image from int"),
        ("/no/such/file.png", "no image file"),
    ],
)
def test_bad_input_raises_invalid_image_naming_the_problem(source: object, message: str) -> None:
    with pytest.raises(InvalidImage, match=message):
        load_image(source)


def test_pixel_limit_is_checked_before_decoding() -> None:
    encoded = _png(np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(InvalidImage, match="10,000 pixels, more than the limit of 5,000"):
        load_image(encoded, max_pixels=5000)
    assert load_image(encoded, max_pixels=10_000).shape == (100, 100, 3)
