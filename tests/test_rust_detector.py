"""dlib's frontal face detector run by the Rust core (``_core.HogDetector``) against dlib itself.

The tolerance: the same boxes, in the same order, from the same filters; scores within 1e-5
(measured: within 6.2e-6 on AVX-512 and AVX2, 5.3e-6 portable; the pyramid images are dlib's
byte for byte, the features equal dlib's to float rounding (the histogram's additions are
regrouped) and the filters' sums run in another order). Checked on the public-domain
photographs, transformed copies, a frame with two faces, photographs with none, random noise and
flat images, at upsample 0, 1, 2, with every SIMD path the CPU has, and on dlib's file altered or
cut short.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from facegate import _core
from facegate.errors import DetectorUnavailable, InvalidArgument
from facegate.faces.models import model
from tests import faces

SCORE_TOLERANCE = 1e-5
ADJUST = -0.5  # reports weak detections too, so that more boxes are compared


@cache
def detector_bytes() -> bytes:
    from facegate.faces.models import _frontal_detector_bytes, dlib_module

    return _frontal_detector_bytes(dlib_module())


def images() -> dict[str, npt.NDArray[np.uint8]]:
    found = {"astronaut": faces.astronaut(), "hopper": faces.hopper(), "two": faces.composite()}
    for person in ("astronaut", "hopper"):
        for how, pixels in faces.transformed(getattr(faces, person)()).items():
            found[f"{person}-{how}"] = pixels
    found["small"] = np.asarray(Image.fromarray(faces.hopper()).resize((160, 200)))
    for i, pixels in enumerate(faces.no_faces()):
        found[f"none-{i}"] = pixels
    rng = np.random.default_rng(20)
    found["noise"] = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    found["flat"] = np.full((120, 90, 3), 77, np.uint8)
    return {name: np.ascontiguousarray(p) for name, p in found.items()}


def dlib_run(pixels: npt.NDArray[np.uint8], upsample: int) -> list[tuple[Any, ...]]:
    rects, scores, filters = model("hog").run(pixels, upsample, ADJUST)
    found = [
        ((r.left(), r.top(), r.right(), r.bottom()), s, i)
        for r, s, i in zip(rects, scores, filters, strict=True)
    ]
    return sorted(found, key=lambda d: -d[1])


def rust_run(pixels: npt.NDArray[np.uint8], upsample: int, **kw: Any) -> list[tuple[Any, ...]]:
    rects, scores, filters = model("rust_hog").detect(pixels, upsample, ADJUST, **kw)
    return [
        (tuple(int(v) for v in r), float(s), int(i))
        for r, s, i in zip(rects, scores, filters, strict=True)
    ]


def assert_same(ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> None:
    assert [(box, f) for box, _, f in ours] == [(box, f) for box, _, f in theirs]
    for (_, mine, _), (_, dlibs, _) in zip(ours, theirs, strict=True):
        assert abs(mine - dlibs) < SCORE_TOLERANCE


@pytest.mark.parametrize("name", sorted(images()))
@pytest.mark.parametrize("upsample", [0, 1])
def test_boxes_and_scores_equal_dlibs(name: str, upsample: int) -> None:
    pixels = images()[name]
    assert_same(rust_run(pixels, upsample), dlib_run(pixels, upsample))


@pytest.mark.parametrize("name", ["small", "astronaut-rescale", "noise"])
def test_boxes_and_scores_equal_dlibs_at_upsample_2(name: str) -> None:
    pixels = images()[name]
    assert_same(rust_run(pixels, 2), dlib_run(pixels, 2))


def test_the_photographs_give_boxes_and_several_faces_give_several() -> None:
    """The comparison above is not empty: faces are found where dlib finds them."""
    pixels = images()["two"]
    strong = [d for d in rust_run(pixels, 1) if d[1] > 0.5]
    assert len(strong) == 2
    assert not [d for d in rust_run(images()["none-0"], 1) if d[1] > 0.5]


def test_one_core_and_every_core_give_the_same_answer() -> None:
    pixels = images()["two"]
    assert rust_run(pixels, 1, parallel=False) == rust_run(pixels, 1, parallel=True)


def test_detection_releases_the_gil() -> None:
    pixels = images()["two"]
    done = threading.Event()

    def detect() -> None:
        for _ in range(2):
            rust_run(pixels, 1)
        done.set()

    worker = threading.Thread(target=detect)
    ticks = 0
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    # While Rust detected, this Python thread kept running: the GIL was released.
    assert ticks > 1000


_PROBE = """
import json, sys
import numpy as np
from facegate.faces.models import model
from tests.test_rust_detector import ADJUST, images, rust_run
print(json.dumps({n: rust_run(images()[n], 1) for n in sys.argv[1:]}))
"""


@pytest.mark.parametrize("path", _core.simd_paths())
def test_every_simd_path_gives_dlibs_answer(path: str) -> None:
    names = ["astronaut", "two", "hopper-jpeg"]
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *names],
        env={**os.environ, "FACEGATE_SIMD": path},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    found = json.loads(run.stdout)
    for name in names:
        ours = [(tuple(box), s, f) for box, s, f in found[name]]
        assert_same(ours, dlib_run(images()[name], 1))


def test_a_damaged_detector_file_is_refused() -> None:
    good = detector_bytes()
    with pytest.raises(DetectorUnavailable, match=r"filter 4: weight \(the file ends first"):
        _core.HogDetector(good[:-9])
    with pytest.raises(DetectorUnavailable, match="the end of the file"):
        _core.HogDetector(good + b"\0")
    altered = bytearray(good)
    altered[13] = 0x60  # the window width: 80 -> 96 pixels, 12 cells
    with pytest.raises(DetectorUnavailable, match="10x10 cells"):
        _core.HogDetector(bytes(altered))
    with pytest.raises(DetectorUnavailable, match="object_detector version"):
        _core.HogDetector(b"")


def test_bad_calls_are_refused_with_what_was_wrong() -> None:
    detector = model("rust_hog")
    with pytest.raises(InvalidArgument, match="upsample"):
        detector.detect(faces.astronaut(), 5)
    with pytest.raises(InvalidArgument, match="finite"):
        detector.detect(faces.astronaut(), 1, float("nan"))
    with pytest.raises(InvalidArgument, match="shape"):
        detector.detect(np.zeros((10, 10, 4), np.uint8), 1)
    assert rust_run(np.zeros((0, 0, 3), np.uint8), 1) == []
    assert rust_run(np.zeros((1, 7, 3), np.uint8), 0) == []
