"""Image input: every accepted form, EXIF orientation, and a clear error for everything else."""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path
from typing import Any

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


def test_a_lazily_opened_corrupt_pil_image_raises_invalid_image() -> None:
    # Image.open reads only the header; the damage shows when the pixels are decoded.
    lazy = Image.open(io.BytesIO(_truncated_jpeg()))
    with pytest.raises(InvalidImage, match="corrupt or truncated"):
        load_image(lazy)


@pytest.mark.parametrize("kind", ["directory", "device", "fifo"])
def test_paths_that_are_not_regular_files_are_refused_without_waiting(
    tmp_path: Path, kind: str
) -> None:
    path = {"directory": tmp_path, "device": Path("/dev/zero"), "fifo": tmp_path / "f.png"}[kind]
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading blocks until a writer comes, unless refused
    with pytest.raises(InvalidImage, match="not a regular file"):
        load_image(path)


def test_the_store_database_is_refused_as_an_image_without_being_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening and closing a database file this process has open drops its SQLite locks, so
    another process may delete a -wal still in use (acknowledged writes lost)."""
    from facegate.gate.opening import open_store
    from facegate.keys import MasterKey

    store = open_store(tmp_path / "s.db", MasterKey.generate())
    image = tmp_path / "image.png"
    image.write_bytes(_png(PIXELS))
    (tmp_path / "link.db").symlink_to(tmp_path / "s.db")
    (tmp_path / "hard.db").hardlink_to(tmp_path / "s.db")
    opened: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def watch_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(os.fsdecode(path))
        return real_os_open(path, *args, **kwargs)

    def watch_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str | bytes | os.PathLike):
            opened.append(os.fsdecode(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", watch_os_open)
    monkeypatch.setattr(builtins, "open", watch_open)
    try:
        for name in ("s.db", "s.db-wal", "s.db-shm", "link.db", "hard.db"):
            assert (tmp_path / name).exists(), name
            with pytest.raises(InvalidImage, match="the store's database file"):
                load_image(tmp_path / name)
        assert opened == []
        # An ordinary image still loads, through the same path.
        np.testing.assert_array_equal(load_image(image), PIXELS)
        assert opened == [str(image)]
    finally:
        monkeypatch.undo()
        store.close()
