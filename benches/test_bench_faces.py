"""Face pipeline speed: facegate's dlib pipeline against the face_recognition-style direct dlib
calls on the same images, per stage and per image, and batch throughput on both cores.

The anchor is what face_recognition does: ``detector(img, 1)``, the 5-point shape predictor and
``compute_face_descriptor(img, shape, 1)``, one image at a time in one process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from tests import faces

from benches.conftest import QUICK
from facegate.faces.detect import FaceDetector
from facegate.faces.many import encode_many
from facegate.faces.models import model

BATCH = 4 if QUICK else 16


@cache
def photos() -> list[np.ndarray]:
    """Both photographs and their transformed copies, cycled to the batch size."""
    pool = [faces.astronaut(), faces.hopper()]
    for person in list(pool):
        pool.extend(faces.transformed(person).values())
    return [pool[i % len(pool)] for i in range(BATCH)]


def direct(pixels: np.ndarray) -> np.ndarray:
    rects = model("hog")(pixels, 1)
    shape = model("landmarks5")(pixels, rects[0])
    return np.array(model("encoder").compute_face_descriptor(pixels, shape, 1))


@pytest.mark.parametrize("engine", ["facegate", "direct dlib"])
def test_one_image(benchmark: Any, engine: str) -> None:
    pixels = faces.astronaut()
    benchmark.group = "face pipeline: one image (astronaut, 512x512)"
    benchmark.extra_info.update(engine=engine, stage="whole", n=1)
    run = FaceDetector().encode if engine == "facegate" else direct
    encoding = benchmark(run, pixels)
    assert np.linalg.norm(encoding - direct(pixels)) < 1e-5


@pytest.mark.parametrize("stage", ["detect", "landmarks", "encode"])
def test_stage(benchmark: Any, stage: str) -> None:
    pixels = faces.astronaut()
    rect = model("hog")(pixels, 1)[0]
    shape = model("landmarks5")(pixels, rect)
    benchmark.group = "face pipeline: stages (dlib, one core)"
    benchmark.extra_info.update(engine="dlib", stage=stage, n=1)
    work = {
        "detect": lambda: model("hog")(pixels, 1),
        "landmarks": lambda: model("landmarks5")(pixels, rect),
        "encode": lambda: model("encoder").compute_face_descriptor(pixels, shape, 1),
    }[stage]
    benchmark(work)


@pytest.mark.parametrize("engine", ["facegate encode_many", "direct dlib loop"])
def test_batch(benchmark: Any, engine: str) -> None:
    results = batch(benchmark, engine, photos(), f"face pipeline: batch of {BATCH} images")
    assert len(results) == BATCH


def batch(benchmark: Any, engine: str, images: list[np.ndarray], group: str) -> list[Any]:
    """``images`` through ``encode_many`` or the direct dlib calls, three rounds."""
    benchmark.group = group
    benchmark.extra_info.update(engine=engine, stage="batch", n=len(images))
    if engine == "facegate encode_many":
        return list(benchmark.pedantic(encode_many, args=(images,), rounds=3))
    return list(benchmark.pedantic(lambda: [direct(p) for p in images], rounds=3))


@cache
def frame_720p() -> np.ndarray:
    """A 1280x720 frame with one face: the astronaut (scaled to the frame's height) on the
    coffee photograph."""
    from PIL import Image

    canvas = Image.fromarray(faces.no_faces()[0]).resize((1280, 720))
    canvas.paste(Image.fromarray(faces.astronaut()).resize((720, 720)), (280, 0))
    return np.ascontiguousarray(np.asarray(canvas))


SIZES = {"512x512": faces.astronaut, "1280x720": frame_720p}


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("engine", ["facegate (Rust)", "dlib"])
def test_detection_one_core(benchmark: Any, engine: str, size: str) -> None:
    pixels = SIZES[size]()
    benchmark.group = f"face detection: HOG at upsample 1, one core ({size})"
    benchmark.extra_info.update(engine=engine, stage="detect", n=1)
    if engine == "dlib":
        found = benchmark(lambda: model("hog").run(pixels, 1, 0.0))[1]
    else:
        found = benchmark(lambda: model("rust_hog").detect(pixels, 1, 0.0, parallel=False))[1]
    assert max(found) > 0.5


@pytest.mark.parametrize("engine", ["facegate (Rust)", "dlib"])
def test_landmarks_and_chip(benchmark: Any, engine: str) -> None:
    from facegate import _core

    pixels = faces.astronaut()
    rect = model("hog")(pixels, 1)[0]
    benchmark.group = "face landmarks (5 points) and the aligned chip, one face"
    benchmark.extra_info.update(engine=engine, stage="landmarks+chip", n=1)
    if engine == "dlib":
        dlib = __import__("dlib")

        def work() -> np.ndarray:
            shape = model("landmarks5")(pixels, rect)
            return np.asarray(dlib.get_face_chip(pixels, shape, size=150, padding=0.25))
    else:
        box = np.array([[rect.left(), rect.top(), rect.right(), rect.bottom()]], np.int64)

        def work() -> np.ndarray:
            marks = model("rust_landmarks5").predict(pixels, box)
            return _core.face_chips(pixels, marks, 150, 0.25)[0]

    assert benchmark(work).shape == (150, 150, 3)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("engine", ["facegate encode_many", "direct dlib loop"])
def test_pipeline_two_cores(benchmark: Any, engine: str, size: str) -> None:
    images = [SIZES[size]()] * BATCH
    results = batch(benchmark, engine, images, f"face pipeline: batch of {BATCH} images of {size}")
    assert np.linalg.norm(results[0] - direct(images[0])) < 1e-5
