"""Issue 9's speed targets, each as ratios against an anchor measured in the same run.

- Encoder, one core, per face: dlib's ``compute_face_descriptor(chip)`` (anchor) against
  ``ResnetEncoder.encode(chip[None], threads=1)`` on real chips (target 10x with AVX-512, 6x
  with AVX2 only; the SIMD paths this CPU has are recorded with each figure).
- Encoder batch throughput: 64 chips on two threads against the same batch on one (target 1.7x).
- Whole pipeline on both cores, 512x512 photographs with one face: the face_recognition-style
  direct dlib calls, one image at a time (anchor: ``detector(img, 1)``, the 5-point shape
  predictor, ``compute_face_descriptor(img, shape, 1)`` per face) against
  ``facegate.encode_many`` and a ``FaceDetector().encode`` loop (target 3x), and where one
  image's time goes (detection, landmarks, chip, encoder) on one core.

Every benchmark checks its encodings against dlib's to 1e-5. ``python benches/report.py`` turns
the JSON into the tables of benches/RESULTS.md.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageEnhance
from tests import faces

import facegate
from benches.conftest import QUICK
from facegate._core import ResnetEncoder
from facegate.faces.detect import FaceDetector
from facegate.faces.many import encode_many
from facegate.faces.models import dlib_module, model_path

TOLERANCE = 1e-5  # as tests/test_resnet_encoder.py: far below any decision (threshold 0.6)
CHIPS = 2 if QUICK else 8
BATCH = 4 if QUICK else 64
IMAGES = 2 if QUICK else 16
Pixels = npt.NDArray[np.uint8]


def simd() -> dict[str, Any]:
    """What the issue's per-face target depends on: AVX-512 10x, AVX2 only 6x."""
    paths = facegate.simd_paths()
    return {"simd_paths": paths, "target": 10.0 if "avx512" in paths else 6.0}


def info(
    benchmark: Any, comparison: str, engine: str, n: int, unit: str, anchor: bool, **extra: Any
) -> None:
    """Labels one figure for benches/report.py: ratios are taken within ``comparison``
    against its ``anchor`` engine, per item (``n`` ``unit`` per call)."""
    benchmark.group = comparison
    benchmark.extra_info.update(
        comparison=comparison, engine=engine, n=n, unit=unit, anchor=anchor, cores=os.cpu_count()
    )
    benchmark.extra_info.update(extra)


# dlib's objects, built once as face_recognition builds them at import.
@cache
def dlib_detector() -> Any:
    return dlib_module().get_frontal_face_detector()


@cache
def dlib_landmarks() -> Any:
    return dlib_module().shape_predictor(str(model_path("landmarks5")))


@cache
def dlib_encoder() -> Any:
    return dlib_module().face_recognition_model_v1(str(model_path("encoder")))


@cache
def rust_encoder() -> ResnetEncoder:
    return ResnetEncoder(str(model_path("encoder")))


@cache
def real_chips() -> Pixels:
    """Aligned chips of both people, in the photographs and their transformed copies."""
    detector = FaceDetector()
    chips: list[Pixels] = []
    for pixels in (faces.astronaut(), faces.hopper()):
        for image in [pixels, *faces.transformed(pixels).values()]:
            chips.extend(detector.chip(image, face) for face in detector.detect(image))
    # Alternate the two people so that any prefix holds both.
    half = len(chips) // 2
    return np.stack([c for pair in zip(chips[:half], chips[half:], strict=True) for c in pair])


@cache
def dlib_chip_encodings() -> npt.NDArray[np.float64]:
    return np.array([dlib_encoder().compute_face_descriptor(chip) for chip in real_chips()])


def assert_close(got: Any, want: Any) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = float(np.abs(got - want).max()) if got.size else 0.0
    assert diff <= TOLERANCE, diff


# --- encoder, one core, per face ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ["dlib compute_face_descriptor", "facegate threads=1"])
def test_encoder_one_core(benchmark: Any, engine: str) -> None:
    chips = real_chips()[:CHIPS]
    info(
        benchmark,
        "encoder: one face at a time, one core",
        engine,
        len(chips),
        "faces",
        anchor=engine.startswith("dlib"),
        **simd(),
    )
    run: Callable[[Pixels], Any]
    if engine.startswith("dlib"):
        run = dlib_encoder().compute_face_descriptor
    else:
        encoder = rust_encoder()
        run = lambda chip: encoder.encode(chip[None], threads=1)[0]  # noqa: E731
    encodings = benchmark(lambda: [run(chip) for chip in chips])
    assert_close(np.array(encodings), dlib_chip_encodings()[:CHIPS])


# --- encoder batch throughput --------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2])
def test_encoder_batch(benchmark: Any, threads: int) -> None:
    known = real_chips()
    picks = np.arange(BATCH) % len(known)
    chips = known[picks]
    info(
        benchmark,
        f"encoder: batch of {BATCH} chips",
        f"facegate threads={threads}",
        BATCH,
        "faces",
        anchor=threads == 1,
        target=1.7,
    )
    encoder = rust_encoder()
    encodings = benchmark(encoder.encode, chips, threads=threads)
    assert_close(encodings, dlib_chip_encodings()[picks])
    np.testing.assert_array_equal(encodings, encoder.encode(chips, threads=1))


# --- the whole pipeline --------------------------------------------------------------------------


def _square(pixels: Pixels, box: tuple[int, int, int, int]) -> Image.Image:
    """The part of a photograph in ``box``, as 512x512."""
    return Image.fromarray(pixels).crop(box).resize((512, 512), Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image) -> Image.Image:
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=60)
    return Image.open(io.BytesIO(data.getvalue())).convert("RGB")


VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "original": lambda im: im,
    "mirror": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "darker": lambda im: ImageEnhance.Brightness(im).enhance(0.8),
    "jpeg": _jpeg,
    "rotate": lambda im: im.rotate(6, resample=Image.Resampling.BICUBIC),
    "zoom": lambda im: im.crop((26, 26, 486, 486)).resize((512, 512), Image.Resampling.LANCZOS),
    "mirror jpeg": lambda im: _jpeg(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
}


@cache
def photographs() -> list[Pixels]:
    """IMAGES 512x512 photographs with one face each: both people, alternating, in the
    variants above."""
    # The astronaut's upper part: dlib's HOG finds a weak second "face" on her suit lower down
    # (score 0.1-0.3), which the face_recognition-style anchor would encode too. Grace Hopper's
    # portrait (512 wide, 600 high) cut at the top, where her face is.
    bases = [
        _square(faces.astronaut(), (40, 0, 400, 360)),
        _square(faces.hopper(), (0, 0, 512, 512)),
    ]
    images = [np.ascontiguousarray(vary(base)) for vary in VARIANTS.values() for base in bases]
    assert all(image.shape == (512, 512, 3) for image in images)
    return images[:IMAGES]


def face_recognition_style(images: list[Pixels]) -> list[list[npt.NDArray[np.float64]]]:
    """What ``face_locations`` + ``face_encodings`` run: every face of every image, in turn."""
    detector, landmarks, encoder = dlib_detector(), dlib_landmarks(), dlib_encoder()
    found = []
    for pixels in images:
        shapes = [landmarks(pixels, rect) for rect in detector(pixels, 1)]
        found.append([np.array(encoder.compute_face_descriptor(pixels, s, 1)) for s in shapes])
    return found


@cache
def reference() -> list[list[npt.NDArray[np.float64]]]:
    return face_recognition_style(photographs())


def one_by_one(images: list[Pixels]) -> list[npt.NDArray[np.float32]]:
    detector = FaceDetector()
    return [detector.encode(pixels) for pixels in images]


PIPELINE: dict[str, Callable[[list[Pixels]], list[Any]]] = {
    "face_recognition-style dlib calls": face_recognition_style,
    "facegate encode_many": lambda images: encode_many(images),
    "facegate FaceDetector.encode loop": one_by_one,
}


@pytest.mark.parametrize("engine", list(PIPELINE))
def test_pipeline(benchmark: Any, engine: str) -> None:
    images = photographs()
    info(
        benchmark,
        f"pipeline: {len(images)} photographs of 512x512, one face each",
        engine,
        len(images),
        "images",
        anchor=engine.startswith("face_recognition"),
        target=3.0,
    )
    # One warm-up round: the first call loads dlib's models (a HOG detector takes about 0.25 s).
    results = benchmark.pedantic(
        PIPELINE[engine], args=(images,), rounds=1 if QUICK else 3, warmup_rounds=1
    )
    want = reference()
    assert all(len(found) == 1 for found in want), [len(found) for found in want]
    assert len(results) == len(images)
    for got, expected in zip(results, want, strict=True):
        assert not isinstance(got, Exception), got
        assert_close(got[0] if engine.startswith("face_recognition") else got, expected[0])


@pytest.mark.parametrize("stage", ["detect", "landmarks", "chip", "encode (facegate, 1 thread)"])
def test_pipeline_stage(benchmark: Any, stage: str) -> None:
    """Where one image's time goes in facegate's pipeline, on one core."""
    images = photographs()
    dlib = dlib_module()
    detector, landmarks, encoder = dlib_detector(), dlib_landmarks(), rust_encoder()
    rects = [detector(pixels, 1)[0] for pixels in images]
    shapes = [landmarks(pixels, rect) for pixels, rect in zip(images, rects, strict=True)]
    chips = [
        np.asarray(dlib.get_face_chip(p, s, size=150, padding=0.25))
        for p, s in zip(images, shapes, strict=True)
    ]
    info(
        benchmark,
        f"pipeline stages: {len(images)} photographs of 512x512, one core",
        stage,
        len(images),
        "images",
        anchor=False,
    )
    work: Callable[[], Any] = {
        "detect": lambda: [detector(pixels, 1) for pixels in images],
        "landmarks": lambda: [landmarks(p, r) for p, r in zip(images, rects, strict=True)],
        "chip": lambda: [
            dlib.get_face_chip(p, s, size=150, padding=0.25)
            for p, s in zip(images, shapes, strict=True)
        ],
        "encode (facegate, 1 thread)": lambda: [
            encoder.encode(chip[None], threads=1)[0] for chip in chips
        ],
    }[stage]
    out = benchmark(work)
    assert len(out) == len(images)
    if stage.startswith("encode"):
        assert_close(np.array(out), np.array([found[0] for found in reference()]))
