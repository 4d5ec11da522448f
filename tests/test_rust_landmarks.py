"""The Rust shape predictor and face chips against dlib's own (see tests/faces.py for the photos).

Both are expected to equal dlib exactly, not within a tolerance: the core does dlib's arithmetic
(f32 where dlib uses float, f64 where it uses double, sums in its order, dlib's own SVD) and calls
the same libm for the few transcendental functions, so every landmark and every chip byte must
come out the same. A single differing coordinate or byte fails these tests. Encodings go through
a different implementation of the ResNet and are compared within 1e-5.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from facegate import _core
from facegate._core import ShapePredictor, face_chips
from facegate.errors import DetectorUnavailable, InvalidArgument
from facegate.faces.models import model, model_path
from tests import faces

Image = npt.NDArray[np.uint8]
Landmarks = npt.NDArray[np.int32]
POINTS = (5, 68)
# dlib's encodings are float32 from another implementation of the network (see
# tests/test_resnet_encoder.py); identical chips leave only that difference.
ENCODING_TOLERANCE = 1e-5


def dlib() -> Any:
    import dlib

    return dlib


@cache
def predictor(points: int) -> ShapePredictor:
    return ShapePredictor(str(model_path(f"landmarks{points}")))


@cache
def dlib_predictor(points: int) -> Any:
    return dlib().shape_predictor(str(model_path(f"landmarks{points}")))


def dlib_shapes(image: Image, rects: npt.NDArray[np.int64], points: int) -> list[Any]:
    sp = dlib_predictor(points)
    return [sp(image, dlib().rectangle(*map(int, r))) for r in rects]


def as_array(shape: Any) -> Landmarks:
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.int32)


def full_object_detection(landmarks: Landmarks) -> Any:
    """A dlib shape holding arbitrary landmarks (its box plays no part in chips)."""
    d = dlib()
    parts = [d.point(int(x), int(y)) for x, y in landmarks]
    return d.full_object_detection(d.rectangle(0, 0, 1, 1), parts)


@cache
def photos() -> list[tuple[str, Image, npt.NDArray[np.int64]]]:
    """Every photograph with faces, each with the boxes dlib's own detector finds in it."""
    images = {"astronaut": faces.astronaut(), "hopper": faces.hopper()}
    for name in ("astronaut", "hopper"):
        for how, pixels in faces.transformed(images[name]).items():
            images[f"{name}-{how}"] = pixels
    images["composite"] = faces.composite()
    detector = dlib().get_frontal_face_detector()
    found = []
    for name, pixels in images.items():
        pixels = np.ascontiguousarray(pixels)
        boxes, _, _ = detector.run(pixels, 1, 0.0)
        rects = np.array([[b.left(), b.top(), b.right(), b.bottom()] for b in boxes], np.int64)
        found.append((name, pixels, rects.reshape(-1, 4)))
    return found


def noise(seed: int, height: int, width: int, *, blocky: bool = False) -> Image:
    """Random pixels; `blocky` repeats each in an 8x8 block, so neighbouring samples agree."""
    rng = np.random.default_rng(seed)
    if not blocky:
        return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    small = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(small.repeat(8, axis=0).repeat(8, axis=1)[:height, :width])


def random_rects(seed: int, n: int, height: int, width: int) -> npt.NDArray[np.int64]:
    """Boxes of 1 to 900 pixels, many partly or wholly outside the image."""
    rng = np.random.default_rng(seed)
    left = rng.integers(-300, width + 100, n)
    top = rng.integers(-300, height + 100, n)
    side = rng.integers(0, 900, n)
    aspect = rng.uniform(0.5, 2.0, n)
    rects = np.stack([left, top, left + side, top + (side * aspect).astype(np.int64)], axis=1)
    return rects.astype(np.int64)


# --- landmarks -------------------------------------------------------------------------


def test_the_photographs_have_faces_to_compare() -> None:
    found = photos()
    assert sum(len(rects) for _, _, rects in found) >= 14
    assert all(len(rects) > 0 for _, _, rects in found)


@pytest.mark.parametrize("points", POINTS)
def test_photo_landmarks_equal_dlib(points: int) -> None:
    for name, image, rects in photos():
        got = predictor(points).predict(image, rects)
        assert got.dtype == np.int32 and got.shape == (len(rects), points, 2)
        want = np.stack([as_array(s) for s in dlib_shapes(image, rects, points)])
        assert np.array_equal(got, want), name


_PROBE = """
import json
from tests.test_rust_landmarks import photos, predictor
print(json.dumps([predictor(68).predict(image, rects).tolist() for _, image, rects in photos()]))
"""


@pytest.mark.parametrize("path", _core.simd_paths())
def test_every_simd_path_gives_dlibs_landmarks(path: str) -> None:
    # The predictor is compiled once per instruction set (rounding is an instruction on AVX2,
    # a call below it): each compilation must give dlib's points.
    run = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={**os.environ, "FACEGATE_SIMD": path},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    for got, (name, image, rects) in zip(json.loads(run.stdout), photos(), strict=True):
        want = np.stack([as_array(s) for s in dlib_shapes(image, rects, 68)])
        assert np.array_equal(np.array(got, np.int32), want), (path, name)


@pytest.mark.parametrize("points", POINTS)
@pytest.mark.parametrize("blocky", [False, True])
def test_random_boxes_on_noise_equal_dlib(points: int, blocky: bool) -> None:
    for seed in range(6):
        height, width = 40 + 110 * seed, 700 - 100 * seed
        image = noise(seed, height, width, blocky=blocky)
        rects = random_rects(seed, 60, height, width)
        got = predictor(points).predict(image, rects)
        want = np.stack([as_array(s) for s in dlib_shapes(image, rects, points)])
        assert np.array_equal(got, want), seed


@pytest.mark.parametrize("points", POINTS)
def test_boxes_on_photographs_without_faces_equal_dlib(points: int) -> None:
    for seed, image in enumerate(faces.no_faces()):
        image = np.ascontiguousarray(image)
        rects = random_rects(100 + seed, 40, *image.shape[:2])
        got = predictor(points).predict(image, rects)
        want = np.stack([as_array(s) for s in dlib_shapes(image, rects, points)])
        assert np.array_equal(got, want)


@given(
    left=st.integers(-400, 500),
    top=st.integers(-400, 500),
    width=st.integers(-5, 800),
    height=st.integers(-5, 800),
    points=st.sampled_from(POINTS),
)
def test_any_box_equals_dlib(left: int, top: int, width: int, height: int, points: int) -> None:
    # Empty and inverted boxes too: dlib predicts on them all the same.
    image = noise(7, 300, 400, blocky=True)
    rect = np.array([[left, top, left + width, top + height]], np.int64)
    got = predictor(points).predict(image, rect)
    assert np.array_equal(got[0], as_array(dlib_shapes(image, rect, points)[0]))


# --- chips -------------------------------------------------------------------------------


@pytest.mark.parametrize("points", POINTS)
@pytest.mark.parametrize("size", [150, 80])
def test_photo_chips_equal_dlib(points: int, size: int) -> None:
    for name, image, rects in photos():
        landmarks = predictor(points).predict(image, rects)
        got = face_chips(image, landmarks, size, 0.25)
        assert got.dtype == np.uint8 and got.shape == (len(rects), size, size, 3)
        for chip, shape in zip(got, dlib_shapes(image, rects, points), strict=True):
            want = dlib().get_face_chip(image, shape, size=size, padding=0.25)
            assert np.array_equal(chip, want), name


MEAN_5 = np.array(
    [
        [0.8595674595992, 0.2134981538014],
        [0.6460604764104, 0.2289674387677],
        [0.1205750620789, 0.2137274526848],
        [0.3340850613712, 0.2290642403242],
        [0.4901123135679, 0.6277975316475],
    ]
)


def random_faces(seed: int, n: int) -> list[Landmarks]:
    """5-point faces of 2 to 3000 pixels at any angle and place (deep pyramids, faces partly or
    wholly outside the image), and 68 arbitrary points at any scale."""
    rng = np.random.default_rng(seed)
    found = []
    for i in range(n):
        if i % 2 == 0:
            scale, angle = rng.uniform(2, 3000), rng.uniform(-np.pi, np.pi)
            turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
            pts = MEAN_5 @ turn * scale + rng.uniform(-500, 1200, 2)
            pts += rng.normal(0, scale * 0.02, pts.shape)
        else:
            pts = rng.uniform(-200, 1100, (68, 2)) * rng.uniform(0.01, 3)
        found.append(np.round(pts).astype(np.int32))
    return found


def test_chips_of_arbitrary_landmarks_equal_dlib() -> None:
    rng = np.random.default_rng(11)
    for i, landmarks in enumerate(random_faces(11, 120)):
        height, width = (int(v) for v in rng.integers(5, 900, 2))
        image = noise(i, height, width, blocky=i % 3 == 0)
        size = int(rng.choice([150, 80, 200, 37, 3, 1]))
        padding = float(rng.choice([0.25, 0.0, 0.3, 1.7]))
        got = face_chips(image, landmarks[None], size, padding)[0]
        want = dlib().get_face_chip(
            image, full_object_detection(landmarks), size=size, padding=padding
        )
        assert np.array_equal(got, want), (i, size, padding)


def test_several_faces_are_each_cut_as_get_face_chip_cuts_one() -> None:
    image = noise(3, 600, 800, blocky=True)
    landmarks = np.stack([f for f in random_faces(5, 12) if len(f) == 5])
    got = face_chips(image, landmarks)
    for chip, one in zip(got, landmarks, strict=True):
        want = dlib().get_face_chip(image, full_object_detection(one))
        assert np.array_equal(chip, want)


# --- end to end --------------------------------------------------------------------------


@cache
def dlib_encoder() -> Any:
    return dlib().face_recognition_model_v1(str(model_path("encoder")))


@pytest.mark.parametrize("points", POINTS)
def test_encodings_of_rust_chips_match_dlib(points: int) -> None:
    worst = 0.0
    for _, image, rects in photos():
        chips = face_chips(image, predictor(points).predict(image, rects))
        got = model("resnet").encode(chips)
        for row, shape in zip(got, dlib_shapes(image, rects, points), strict=True):
            want = np.array(dlib_encoder().compute_face_descriptor(image, shape))
            worst = max(worst, float(np.abs(row - want).max()))
    assert worst <= ENCODING_TOLERANCE, worst


# --- the binding -------------------------------------------------------------------------


def test_points_and_threads() -> None:
    assert predictor(5).points == 5 and predictor(68).points == 68
    _, image, rects = photos()[0]
    want = predictor(68).predict(image, rects)
    results: list[Landmarks] = []

    def work() -> None:
        results.append(predictor(68).predict(image, rects))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(np.array_equal(r, want) for r in results)


def test_no_boxes_and_no_faces_give_empty_arrays() -> None:
    image = noise(0, 50, 60)
    assert predictor(5).predict(image, np.zeros((0, 4), np.int64)).shape == (0, 5, 2)
    assert face_chips(image, np.zeros((0, 68, 2), np.int32), 90).shape == (0, 90, 90, 3)


def test_bad_arguments_are_refused() -> None:
    image = noise(0, 50, 60)
    rects = np.array([[0, 0, 20, 20]], np.int64)
    with pytest.raises(InvalidArgument):
        predictor(5).predict(np.zeros((50, 60, 4), np.uint8), rects)
    with pytest.raises(InvalidArgument):
        predictor(5).predict(image, np.zeros((1, 3), np.int64))
    five = np.zeros((1, 5, 2), np.int32)
    for landmarks, size, padding in [
        (np.zeros((1, 6, 2), np.int32), 150, 0.25),
        (np.zeros((1, 5, 3), np.int32), 150, 0.25),
        (five, 0, 0.25),
        (five, 150, -1.0),
        (five, 150, float("nan")),
    ]:
        with pytest.raises(InvalidArgument):
            face_chips(image, landmarks, size, padding)
    with pytest.raises(TypeError):
        predictor(5).predict(image, rects.astype(np.int32))


def test_a_damaged_model_file_is_refused(tmp_path: Path) -> None:
    data = model_path("landmarks5").read_bytes()
    for name, damaged in [
        ("cut", data[: len(data) // 2]),
        ("longer", data + b"\x00"),
        ("version", data[:1] + b"\x02" + data[2:]),
    ]:
        path = tmp_path / name
        path.write_bytes(damaged)
        with pytest.raises(DetectorUnavailable):
            ShapePredictor(str(path))
    with pytest.raises(DetectorUnavailable):
        ShapePredictor(str(tmp_path / "missing.dat"))
