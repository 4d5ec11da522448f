"""The dlib face pipeline on the public-domain photographs (see tests/faces.py)."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

from facegate.errors import FaceTooSmall, InvalidArgument, InvalidImage, MultipleFaces, NoFace
from facegate.faces import FaceDetector, detect, encode_many
from facegate.faces.detect import DEFAULT_MAX_DETECT_PIXELS
from tests import faces

THRESHOLD = 0.6
DETECTOR = FaceDetector()
REFERENCE = FaceDetector(encoder="dlib")


def test_encodings_equal_direct_dlib_calls_as_face_recognition_makes_them() -> None:
    import dlib

    from facegate.faces.models import model_path

    for pixels in (faces.astronaut(), faces.hopper()):
        detector = dlib.get_frontal_face_detector()
        predictor = dlib.shape_predictor(str(model_path("landmarks5")))
        encoder = dlib.face_recognition_model_v1(str(model_path("encoder")))
        rects = [r for r, s in zip(*detector.run(pixels, 1, 0.0)[:2], strict=True) if s > 0.5]
        assert len(rects) == 1
        direct = np.array(encoder.compute_face_descriptor(pixels, predictor(pixels, rects[0]), 1))
        np.testing.assert_allclose(DETECTOR.encode(pixels), direct, atol=1e-5)


@pytest.mark.parametrize("person", ["astronaut", "hopper"])
def test_transformed_copies_of_one_person_match_each_other(person: str) -> None:
    pixels = getattr(faces, person)()
    reference = DETECTOR.encode(pixels)
    for name, copy in faces.transformed(pixels).items():
        distance = float(np.linalg.norm(DETECTOR.encode(copy) - reference))
        assert distance <= THRESHOLD, f"{person} {name}: {distance:.3f}"


def test_the_two_people_do_not_match() -> None:
    distance = np.linalg.norm(DETECTOR.encode(faces.astronaut()) - DETECTOR.encode(faces.hopper()))
    assert distance > THRESHOLD


def test_images_without_faces_give_no_face() -> None:
    for pixels in faces.no_faces():
        assert DETECTOR.detect(pixels) == []
        with pytest.raises(NoFace):
            DETECTOR.encode(pixels)


def test_two_people_refuse_enrollment_but_identification_sees_both() -> None:
    both = faces.composite()
    with pytest.raises(MultipleFaces, match="2 faces"):
        DETECTOR.encode(both)
    found = DETECTOR.encode_all(both)
    assert len(found) == 2
    alone = [DETECTOR.encode(faces.astronaut()), DETECTOR.encode(faces.hopper())]
    for _, encoding in found:
        assert min(float(np.linalg.norm(encoding - a)) for a in alone) < 0.1


def test_small_faces_are_refused_for_enrollment() -> None:
    strict = FaceDetector(min_face_size=200)
    with pytest.raises(FaceTooSmall, match="at least 200 pixels"):
        strict.encode(faces.astronaut())


def test_detections_carry_box_score_and_landmarks() -> None:
    (face,) = DETECTOR.detect(faces.hopper_path())
    assert face.score > 0.5 and face.box.width > 60
    assert face.landmarks.shape == (5, 2)
    assert FaceDetector(landmarks=68).detect(faces.hopper_path())[0].landmarks.shape == (68, 2)
    assert "landmarks" not in repr(face)
    assert DETECTOR.chip(faces.hopper_path(), face).shape == (150, 150, 3)


@pytest.mark.parametrize("encoder", ["rust", "dlib"])
def test_encode_many_keeps_order_and_reports_errors_in_place(
    encoder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [faces.astronaut(), faces.no_faces()[0], faces.hopper_path(), b"not an image"]
    images += list(faces.transformed(faces.astronaut()).values())
    detector = FaceDetector(encoder=encoder)  # type: ignore[arg-type]
    results = encode_many(images, detector=detector, threads=2, batch=3, progress=True)
    assert isinstance(results[1], NoFace) and isinstance(results[3], InvalidImage)
    for image, result in zip(images, results, strict=True):
        if isinstance(result, np.ndarray):
            # Each equals dlib's own encoder on the same face, whichever encoder ran.
            np.testing.assert_allclose(result, REFERENCE.encode(image), atol=1e-5)
    assert f"encoded {len(images)}/{len(images)}" in capsys.readouterr().err


def test_the_rust_encoder_is_the_default_and_batches_faces() -> None:
    assert FaceDetector().encoder == "rust"
    both = faces.composite()
    rust = [e for _, e in DETECTOR.encode_all(both)]
    dlib = [e for _, e in REFERENCE.encode_all(both)]
    assert len(rust) == len(dlib) == 2
    np.testing.assert_allclose(np.stack(rust), np.stack(dlib), atol=1e-5)


def test_test_time_augmentation_averages_four_variants() -> None:
    tta = FaceDetector(tta=True)
    face = DETECTOR.detect(faces.astronaut())[0]
    chip = DETECTOR.chip(faces.astronaut(), face)
    wide = chip.astype(np.float32)
    variants = np.stack(
        [
            chip,
            chip[:, ::-1],
            np.clip(np.rint(wide * np.float32(0.9)), 0, 255).astype(np.uint8),
            np.clip(np.rint(wide * np.float32(1.1)), 0, 255).astype(np.uint8),
        ]
    )
    expected = DETECTOR.encode_chips(variants).mean(axis=0)
    np.testing.assert_allclose(tta.encode(faces.astronaut()), expected, atol=1e-6)
    assert np.linalg.norm(tta.encode(faces.astronaut()) - DETECTOR.encode(faces.astronaut())) > 0
    with pytest.raises(InvalidArgument):
        FaceDetector(encoder="dlib", tta=True)


def test_what_test_time_augmentation_does_to_genuine_and_impostor_distances() -> None:
    """The figure for benches/RESULTS.md: enroll with and without TTA, probe with the plain
    encoder; mean distance to the person's transformed copies and to the other person."""
    tta = FaceDetector(tta=True)
    lines = []
    for person, other in (("astronaut", "hopper"), ("hopper", "astronaut")):
        pixels = getattr(faces, person)()
        probes = [DETECTOR.encode(copy) for copy in faces.transformed(pixels).values()]
        stranger = DETECTOR.encode(getattr(faces, other)())
        for name, enrollment in (("plain", DETECTOR.encode(pixels)), ("tta", tta.encode(pixels))):
            genuine = float(np.mean([np.linalg.norm(p - enrollment) for p in probes]))
            impostor = float(np.linalg.norm(stranger - enrollment))
            lines.append(f"{person} {name}: genuine {genuine:.3f}, impostor {impostor:.3f}")
            assert genuine < THRESHOLD < impostor + 0.1
    print("\n" + "\n".join(lines))


def test_missing_models_say_which_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from facegate.errors import DetectorUnavailable
    from facegate.faces import models

    real = importlib.util.find_spec

    def without_models(name: str, *args: object) -> object:
        return None if name == "face_recognition_models" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", without_models)
    with pytest.raises(DetectorUnavailable, match="pip install face_recognition_models"):
        models.model_path("encoder")


class _Recording:
    """A HOG detector (dlib's or the Rust core's), noting the size of every image it is given."""

    def __init__(self, real: Any, seen: list[tuple[int, ...]]) -> None:
        self._real, self._seen = real, seen

    def run(self, pixels: np.ndarray, *args: Any) -> Any:
        self._seen.append(pixels.shape)
        return self._real.run(pixels, *args)

    def detect(self, pixels: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        self._seen.append(pixels.shape)
        return self._real.detect(pixels, *args, **kwargs)


@pytest.fixture
def detector_input(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shapes of the images the HOG detector is given during the test."""
    seen: list[tuple[int, ...]] = []
    real = detect.model

    def recording(name: str) -> Any:
        return _Recording(real(name), seen) if name in ("hog", "rust_hog") else real(name)

    monkeypatch.setattr(detect, "model", recording)
    return seen


def test_a_huge_image_is_detected_on_at_most_max_detect_pixels(
    detector_input: list[tuple[int, ...]],
) -> None:
    # A few KB of PNG that decodes to 36 megapixels: HOG on all of it took 39 s of CPU.
    out = io.BytesIO()
    Image.new("RGB", (6000, 6000), (128, 128, 128)).save(out, format="PNG")
    assert len(out.getvalue()) < 200_000
    started = time.monotonic()
    with pytest.raises(NoFace):
        DETECTOR.encode(out.getvalue())
    # A hang guard only; what is bounded is the size below.
    assert time.monotonic() - started < 60
    assert detector_input and all(
        h * w <= DEFAULT_MAX_DETECT_PIXELS for h, w, *_ in detector_input
    ), detector_input
    height, width = detector_input[0][:2]
    assert height == width and height * width > 0.99 * DEFAULT_MAX_DETECT_PIXELS


def test_faces_found_on_a_downscaled_copy_are_mapped_back_to_the_full_image(
    detector_input: list[tuple[int, ...]],
) -> None:
    pixels = faces.astronaut()
    (full,) = DETECTOR.detect(pixels)
    bounded = FaceDetector(max_detect_pixels=100_000)
    (small,) = bounded.detect(pixels)
    assert detector_input[-1][0] * detector_input[-1][1] <= 100_000
    scale = 512 / detector_input[-1][0]
    for got, want in zip(
        (small.box.left, small.box.top, small.box.right, small.box.bottom),
        (full.box.left, full.box.top, full.box.right, full.box.bottom),
        strict=True,
    ):
        assert abs(got - want) <= 12 * scale
    # Landmarks and the encoding come from the full image: the same person, closely.
    assert float(np.linalg.norm(bounded.encode(pixels) - DETECTOR.encode(pixels))) < 0.1
    # A four times larger copy of the photograph is found and encoded the same way.
    large = np.asarray(Image.fromarray(pixels).resize((2048, 2048), Image.Resampling.BICUBIC))
    (face,) = DETECTOR.detect(large)
    assert detector_input[-1][0] * detector_input[-1][1] <= DEFAULT_MAX_DETECT_PIXELS
    assert abs(face.box.left - 4 * full.box.left) <= 4 * 12
    assert float(np.linalg.norm(DETECTOR.encode(large) - DETECTOR.encode(pixels))) < 0.1


def test_the_detection_bound_must_fit_a_face() -> None:
    with pytest.raises(InvalidArgument, match="max_detect_pixels must be an integer of at least"):
        FaceDetector(max_detect_pixels=1000)
    with pytest.raises(InvalidArgument, match="max_detect_pixels"):
        FaceDetector(max_detect_pixels=2.5e6)  # type: ignore[arg-type]


def test_quality_messages_name_the_operation_they_refuse() -> None:
    both = faces.composite()
    with pytest.raises(MultipleFaces, match="verification needs exactly one") as caught:
        DETECTOR.encode(both, operation="verification")
    assert "enrol" not in str(caught.value)
    with pytest.raises(MultipleFaces) as caught:
        DETECTOR.encode(both)  # the gate's call: no operation named, none wrongly claimed
    assert "enrol" not in str(caught.value) and "exactly one" in str(caught.value)
    with pytest.raises(NoFace, match="verification needs one face"):
        DETECTOR.encode(faces.no_faces()[0], operation="verification")
    with pytest.raises(FaceTooSmall, match="verification needs at least 200 pixels"):
        FaceDetector(min_face_size=200).encode(faces.astronaut(), operation="verification")
    (result,) = encode_many([both], detector=DETECTOR, threads=1)
    assert isinstance(result, MultipleFaces) and "enrollment needs exactly one" in str(result)


@pytest.mark.parametrize("landmarks", [5, 68])
@pytest.mark.parametrize("upsample", [0, 1])
def test_the_rust_backend_finds_what_dlib_finds(landmarks: int, upsample: int) -> None:
    """The whole pipeline, end to end: the same faces (boxes, scores to 1e-5, landmarks), the
    same chips and encodings within 1e-5 with the Rust backend as with dlib's own code."""
    rust = FaceDetector(landmarks=landmarks, upsample=upsample)  # type: ignore[arg-type]
    ref = FaceDetector(landmarks=landmarks, upsample=upsample, backend="dlib")  # type: ignore[arg-type]
    photos = [faces.astronaut(), faces.hopper(), faces.composite()]
    photos += list(faces.transformed(faces.hopper()).values())
    seen = 0
    for pixels in photos:
        ours, theirs = rust.encode_all(pixels), ref.encode_all(pixels)
        assert [f.box for f, _ in ours] == [f.box for f, _ in theirs]
        for (a, ea), (b, eb) in zip(ours, theirs, strict=True):
            assert abs(a.score - b.score) < 1e-5
            assert np.array_equal(a.landmarks, b.landmarks)
            assert np.array_equal(rust.chip(pixels, a), ref.chip(pixels, b))
            assert np.abs(ea - eb).max() < 1e-5
            seen += 1
    assert seen >= len(photos)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="backend"):
        FaceDetector(backend="opencv")  # type: ignore[arg-type]


def test_dlibs_jitter_and_encoder_take_the_rust_landmarks() -> None:
    pixels = faces.astronaut()
    rust_landmarks = FaceDetector(encoder="dlib")
    reference = FaceDetector(encoder="dlib", backend="dlib")
    assert np.abs(rust_landmarks.encode(pixels) - reference.encode(pixels)).max() < 1e-6
