"""The Rust ResNet encoder against dlib's own, chip for chip (see tests/faces.py for the photos)."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facegate._core import ResnetEncoder
from facegate.errors import DetectorUnavailable, InvalidArgument
from facegate.faces.detect import FaceDetector
from facegate.faces.models import model_path
from tests import faces

# dlib's encodings are float32 computed in another order; 1e-5 is far below any decision
# (the match threshold is 0.6) and far above the ~3e-7 the two implementations differ by.
TOLERANCE = 1e-5
Chips = npt.NDArray[np.uint8]


@cache
def encoder() -> ResnetEncoder:
    return ResnetEncoder(str(model_path("encoder")))


@cache
def dlib_encoder() -> Any:
    import dlib

    return dlib.face_recognition_model_v1(str(model_path("encoder")))


def dlib_encode(chips: Chips) -> npt.NDArray[np.float64]:
    """dlib's reference: ``compute_face_descriptor`` on each aligned 150x150 chip."""
    return np.array([dlib_encoder().compute_face_descriptor(chip) for chip in chips])


@cache
def photo_chips() -> Chips:
    """Aligned chips of every face in the two photographs and their transformed copies."""
    detector = FaceDetector()
    chips: list[Chips] = []
    for pixels in (faces.astronaut(), faces.hopper()):
        for image in [pixels, *faces.transformed(pixels).values()]:
            chips.extend(detector.chip(image, face) for face in detector.detect(image))
    return np.stack(chips)


def random_chips(n: int, seed: int) -> Chips:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 150, 150, 3), dtype=np.uint8)


def extreme_chips() -> Chips:
    """All black, all white, a saturated checkerboard and pure colour planes."""
    black = np.zeros((150, 150, 3), np.uint8)
    white = np.full((150, 150, 3), 255, np.uint8)
    checker = ((np.indices((150, 150)).sum(axis=0) % 2) * 255).astype(np.uint8)
    board = np.repeat(checker[:, :, None], 3, axis=2)
    planes = [black.copy() for _ in range(3)]
    for channel, plane in enumerate(planes):
        plane[:, :, channel] = 255
    return np.stack([black, white, board, *planes])


def assert_matches_dlib(chips: Chips) -> float:
    got = encoder().encode(chips)
    assert got.dtype == np.float32 and got.shape == (len(chips), 128)
    diff = float(np.abs(got - dlib_encode(chips)).max())
    assert diff <= TOLERANCE, diff
    return diff


def test_photo_chips_match_dlib() -> None:
    chips = photo_chips()
    assert len(chips) >= 12  # both people, each in the original and six copies
    assert_matches_dlib(chips)


def test_random_chips_match_dlib() -> None:
    assert_matches_dlib(random_chips(16, seed=9))


def test_extreme_chips_match_dlib() -> None:
    assert_matches_dlib(extreme_chips())


# dlib takes ~80 ms a chip, so a few dozen examples; each draws a chip of noise within a random
# value range (narrow ranges give near-flat chips, wide ones saturated noise).
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), low=st.integers(0, 255), span=st.integers(0, 255))
def test_any_chip_matches_dlib(seed: int, low: int, span: int) -> None:
    high = min(255, low + span)
    rng = np.random.default_rng(seed)
    assert_matches_dlib(rng.integers(low, high + 1, size=(1, 150, 150, 3), dtype=np.uint8))


def test_batch_equals_one_by_one_and_threads_agree() -> None:
    chips = np.concatenate([photo_chips()[:4], random_chips(4, seed=3)])
    whole = encoder().encode(chips)
    for i, chip in enumerate(chips):
        np.testing.assert_array_equal(encoder().encode(chip[None]), whole[i : i + 1])
    results: list[npt.NDArray[np.float32]] = []
    threads = [
        threading.Thread(target=lambda: results.append(encoder().encode(chips))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    for result in results:
        np.testing.assert_array_equal(result, whole)


def test_explicit_thread_counts_give_the_same_encodings() -> None:
    chips = np.concatenate([photo_chips()[:3], random_chips(2, seed=11)])
    default = encoder().encode(chips)
    for threads in (1, 2, 3, 8):  # 8: more threads than chips
        np.testing.assert_array_equal(encoder().encode(chips, threads=threads), default)
    assert encoder().encode(chips[:0], threads=2).shape == (0, 128)
    for bad in (0, -1):
        with pytest.raises(InvalidArgument, match="threads must be at least 1"):
            encoder().encode(chips, threads=bad)


def test_empty_batch_and_non_contiguous_input() -> None:
    assert encoder().encode(np.zeros((0, 150, 150, 3), np.uint8)).shape == (0, 128)
    chips = random_chips(2, seed=5)
    flipped = chips[:, :, ::-1]  # a view with a negative stride
    np.testing.assert_array_equal(
        encoder().encode(flipped), encoder().encode(np.ascontiguousarray(flipped))
    )


@pytest.mark.parametrize("shape", [(1, 150, 150, 4), (1, 149, 150, 3), (2, 150, 151, 3)])
def test_wrong_chip_shapes_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidArgument, match=r"\(n, 150, 150, 3\)"):
        encoder().encode(np.zeros(shape, np.uint8))


def test_damaged_model_files_are_refused(tmp_path: Path) -> None:
    original = model_path("encoder").read_bytes()
    cases = {
        "truncated": original[:-1],
        "extended": original + b"\0",
        "renamed layer": original.replace(b"fc_2", b"fc_3"),
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.dat"
        path.write_bytes(data)
        with pytest.raises(DetectorUnavailable, match=r"at byte \d+ expected"):
            ResnetEncoder(str(path))
    with pytest.raises(DetectorUnavailable, match="could not be read"):
        ResnetEncoder(str(tmp_path / "missing.dat"))
