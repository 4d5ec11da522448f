"""Faces in, 128-d encodings out, with dlib's models run by facegate's Rust core: dlib's HOG
face detector, its 5- and 68-point shape predictors and its aligned chips
(``backend="rust"``, the default: dlib's boxes, scores to 1e-5, landmarks and chips; see
tests/test_rust_detector.py), then dlib's ResNet (``encoder="rust"``, the default: dlib's
encodings to 1e-5, an order of magnitude faster). All of it runs on every core without the GIL.
``backend="dlib"`` and ``encoder="dlib"`` run dlib's own code, the reference; the CNN detector
(``detector="cnn"``) is always dlib's.

``FaceDetector.detect`` reports every face it finds, so the consent gate can apply its own rule
for frames with several faces (R25). ``FaceDetector.encode`` is the one-face path (enrollment,
verification): it applies the quality gates (exactly one face, a minimum size, inside the frame)
and raises a typed :class:`~facegate.errors.FaceQualityError` when one fails. Images are never
written anywhere (R15).

The work per image is bounded: the detector sees at most ``max_detect_pixels`` pixels (default
:data:`DEFAULT_MAX_DETECT_PIXELS`, a full-HD frame); a larger image is detected on a downscaled
copy and the boxes are mapped back, while landmarks and encodings use the full image. A
6000x6000 image therefore costs what a full-HD frame costs, not twenty times as much.

Many images at once: :func:`facegate.faces.many.encode_many`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from facegate import _core
from facegate.errors import (
    FacegateError,
    FaceOutOfFrame,
    FaceTooSmall,
    InvalidArgument,
    MultipleFaces,
    NoFace,
)
from facegate.faces.images import DEFAULT_MAX_PIXELS, load_image
from facegate.faces.models import dlib_module, model

__all__ = ["DEFAULT_MAX_DETECT_PIXELS", "Box", "Face", "FaceDetector"]

DEFAULT_MAX_DETECT_PIXELS = 1920 * 1080
"""Most pixels the face detector is given, by default: a full-HD frame (2,073,600 pixels).
Larger images are detected on a downscaled copy; with ``upsample=1`` the detector then finds
faces down to about 40 pixels across in the copy (80 in a 4K frame)."""

_MIN_DETECT_PIXELS = 80 * 80  # dlib's HOG window: nothing smaller can hold a face


@dataclass(frozen=True, slots=True)
class Box:
    """A face's bounding box in pixels; ``right`` and ``bottom`` are exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face: its box, the detector's confidence and its landmarks (int32 [n, 2],
    x then y; 5 or 68 points). The landmarks are biometric and are left out of ``repr``."""

    box: Box
    score: float
    landmarks: npt.NDArray[np.int32] = field(repr=False)


@dataclass(frozen=True, slots=True)
class FaceDetector:
    """dlib face detection and encoding with facegate's defaults.

    Args:
        detector: ``"hog"`` (default; fast, frontal faces) or ``"cnn"`` (dlib's MMOD network;
            slower, finds more poses).
        upsample: times the image is upsampled before detection (finds smaller faces; each step
            costs about 4x), default 1 as face_recognition.
        min_score: detections scoring below this are dropped, default 0.5: dlib's HOG reports
            weak false positives (0.1-0.35 on the test photographs and their rotated copies),
            while the faces there score above 1.0.
        landmarks: 5 (default; what face_recognition encodes with) or 68 points.
        min_face_size: smallest face box side in pixels accepted for enrollment, default 60.
        max_pixels: largest image accepted, see :func:`facegate.faces.images.load_image`.
        max_detect_pixels: most pixels the detector is given, default
            :data:`DEFAULT_MAX_DETECT_PIXELS` (1920x1080): larger images are detected on a copy
            downscaled to fit, which bounds the detector's work per image to what this many
            pixels cost (times 4 per ``upsample`` step); faces are then found down to about
            ``40 * scale`` pixels at ``upsample=1``. Landmarks and encodings use the full image.
        encoder: ``"rust"`` (default) or ``"dlib"`` (dlib's own encoder, the reference).
        backend: ``"rust"`` (default): detection (HOG), landmarks and chips by facegate's Rust
            core, equal to dlib's; ``"dlib"``: dlib's own code, the reference.
        tta: test-time augmentation: average the encodings of four deterministic variants of
            the chip (itself, mirrored, 10 % darker, 10 % brighter). Off by default; see
            benches/RESULTS.md for what it does to accuracy.
    """

    detector: Literal["hog", "cnn"] = "hog"
    upsample: int = 1
    min_score: float = 0.5
    landmarks: Literal[5, 68] = 5
    min_face_size: int = 60
    max_pixels: int = DEFAULT_MAX_PIXELS
    encoder: Literal["rust", "dlib"] = "rust"
    tta: bool = False
    max_detect_pixels: int = DEFAULT_MAX_DETECT_PIXELS
    backend: Literal["rust", "dlib"] = "rust"

    def __post_init__(self) -> None:
        if self.detector not in ("hog", "cnn"):
            raise InvalidArgument(f"detector must be 'hog' or 'cnn', got {self.detector!r}")
        if self.landmarks not in (5, 68):
            raise InvalidArgument(f"landmarks must be 5 or 68, got {self.landmarks!r}")
        if not 0 <= self.upsample <= 4:
            raise InvalidArgument(f"upsample must be between 0 and 4, got {self.upsample}")
        if self.encoder not in ("rust", "dlib"):
            raise InvalidArgument(f"encoder must be 'rust' or 'dlib', got {self.encoder!r}")
        if self.backend not in ("rust", "dlib"):
            raise InvalidArgument(f"backend must be 'rust' or 'dlib', got {self.backend!r}")
        if self.tta and self.encoder != "rust":
            raise InvalidArgument("test-time augmentation runs on the Rust encoder only")
        bound = self.max_detect_pixels
        if isinstance(bound, bool) or not isinstance(bound, int) or bound < _MIN_DETECT_PIXELS:
            raise InvalidArgument(
                f"max_detect_pixels must be an integer of at least {_MIN_DETECT_PIXELS}, "
                f"got {bound!r}"
            )

    def detect(self, image: Any) -> list[Face]:
        """Every face in ``image`` scoring at least ``min_score``, best first."""
        pixels = load_image(image, max_pixels=self.max_pixels)
        return self._detect(pixels)

    def encode(
        self, image: Any, *, jitter: int = 0, operation: str | None = None
    ) -> npt.NDArray[np.float32]:
        """The 128-d encoding of the one face in ``image``, after the quality gates.

        Raises NoFace, MultipleFaces, FaceTooSmall or FaceOutOfFrame. ``jitter``: encode that
        many randomly jittered copies and average them (dlib's ``num_jitters``; 0 = none).
        ``operation``: what the face is for ("enrollment", "verification"), named in those
        errors' messages; without it they name no operation.
        """
        pixels = load_image(image, max_pixels=self.max_pixels)
        return self._encode(pixels, self._one_face(pixels, operation), jitter)

    def encode_all(
        self, image: Any, *, jitter: int = 0
    ) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        """Every face in ``image`` with its encoding (identification reports them all)."""
        pixels = load_image(image, max_pixels=self.max_pixels)
        faces = self._detect(pixels)
        if self.encoder == "rust" and jitter == 0 and faces:
            chips = self._chips(pixels, faces)
            return list(zip(faces, self.encode_chips(chips), strict=True))
        return [(face, self._encode(pixels, face, jitter)) for face in faces]

    def encode_chips(self, chips: Any) -> npt.NDArray[np.float32]:
        """Encodings of aligned 150x150 RGB chips (uint8 [n, 150, 150, 3]) with the Rust
        encoder, in parallel and without the GIL (with ``tta``, each averaged over its
        variants)."""
        encoder = model("resnet")
        chips = np.asarray(chips, dtype=np.uint8)
        if not self.tta:
            return np.asarray(encoder.encode(chips), dtype=np.float32)
        variants = _tta_variants(chips)
        encoded = np.asarray(encoder.encode(variants.reshape(-1, *chips.shape[1:])))
        mean: npt.NDArray[np.float32] = encoded.reshape(len(variants), len(chips), -1).mean(
            axis=0, dtype=np.float32
        )
        return mean

    def chip(self, image: Any, face: Face, *, size: int = 150) -> npt.NDArray[np.uint8]:
        """The aligned face chip dlib's encoder sees (``size``² RGB, padding 0.25)."""
        return self._chip(load_image(image, max_pixels=self.max_pixels), face, size)

    def _one_face(
        self, pixels: npt.NDArray[np.uint8], operation: str | None, spread: bool = True
    ) -> Face:
        """The one face of an image, after the quality gates; the errors' messages say what
        ``operation`` (when given) needs, so that a refused verification does not speak of
        enrollment. ``spread``: the detection's pyramid over every core."""
        needs = f"{operation} needs" if operation else "this needs"
        faces = self._detect(pixels, spread)
        if not faces:
            raise NoFace(f"no face was found in the image; {needs} one face, seen from the front")
        if len(faces) > 1:
            raise MultipleFaces(
                f"{len(faces)} faces were found in the image; {needs} exactly one (one person "
                "in front of the camera at a time)"
            )
        face = faces[0]
        if min(face.box.width, face.box.height) < self.min_face_size:
            raise FaceTooSmall(
                f"the face is {face.box.width}x{face.box.height} pixels; {needs} at least "
                f"{self.min_face_size} pixels on each side (closer to the camera)"
            )
        height, width = pixels.shape[:2]
        box = face.box
        if box.left < 0 or box.top < 0 or box.right > width or box.bottom > height:
            raise FaceOutOfFrame(
                f"the face is cut by the edge of the image; {needs} the whole face in the frame"
            )
        return face

    def _prepare(self, image: Any, spread: bool = True) -> npt.NDArray[np.uint8] | FacegateError:
        """The enrollment chip of ``image``, or the error that stops it (for encode_many, which
        turns ``spread`` off when it already runs one image per core)."""
        try:
            pixels = load_image(image, max_pixels=self.max_pixels)
            return self._chip(pixels, self._one_face(pixels, "enrollment", spread))
        except FacegateError as exc:
            return exc

    def _chip(
        self, pixels: npt.NDArray[np.uint8], face: Face, size: int = 150
    ) -> npt.NDArray[np.uint8]:
        chip: npt.NDArray[np.uint8] = self._chips(pixels, [face], size)[0]
        return chip

    def _chips(
        self, pixels: npt.NDArray[np.uint8], faces: Sequence[Face], size: int = 150
    ) -> npt.NDArray[np.uint8]:
        """The aligned chips of ``faces`` (n x size x size x 3), cut as dlib's
        ``get_face_chip(..., padding=0.25)`` cuts them."""
        if self.backend == "rust":
            landmarks = np.ascontiguousarray(np.stack([face.landmarks for face in faces]))
            return _core.face_chips(_contiguous(pixels), landmarks, size, 0.25)
        dlib = dlib_module()
        return np.stack(
            [
                np.asarray(dlib.get_face_chip(pixels, _dlib_shape(face), size=size, padding=0.25))
                for face in faces
            ]
        ).astype(np.uint8)

    def _detect(self, pixels: npt.NDArray[np.uint8], spread: bool = True) -> list[Face]:
        seen, (sx, sy) = _detection_copy(pixels, self.max_detect_pixels)
        found = [
            (box, score) for box, score in self._found(seen, spread) if score >= self.min_score
        ]
        found.sort(key=lambda pair: -pair[1])
        # The boxes in the full image: edges scaled back (right and bottom are exclusive).
        boxes = [
            Box(round(x0 * sx), round(y0 * sy), round((x1 + 1) * sx), round((y1 + 1) * sy))
            for (x0, y0, x1, y1), _ in found
        ]
        if not boxes:
            return []
        points = self._landmarks(pixels, boxes)
        return [
            Face(box=box, score=score, landmarks=marks)
            for box, (_, score), marks in zip(boxes, found, points, strict=True)
        ]

    def _found(
        self, seen: npt.NDArray[np.uint8], spread: bool = True
    ) -> list[tuple[tuple[int, int, int, int], float]]:
        """Every detection in ``seen``: dlib's inclusive box and its score (the Rust detector
        spreads the pyramid over every core when ``spread``)."""
        if self.detector == "hog" and self.backend == "rust":
            rects, scores, _ = model("rust_hog").detect(
                _contiguous(seen), self.upsample, 0.0, parallel=spread
            )
            return [
                ((int(x0), int(y0), int(x1), int(y1)), float(s))
                for (x0, y0, x1, y1), s in zip(rects, scores, strict=True)
            ]
        if self.detector == "hog":
            rects, scores, _ = model("hog").run(seen, self.upsample, 0.0)
            found = list(zip(rects, scores, strict=True))
        else:
            found = [(d.rect, d.confidence) for d in model("cnn")(seen, self.upsample)]
        return [
            ((rect.left(), rect.top(), rect.right(), rect.bottom()), float(score))
            for rect, score in found
        ]

    def _landmarks(
        self, pixels: npt.NDArray[np.uint8], boxes: Sequence[Box]
    ) -> list[npt.NDArray[np.int32]]:
        """The landmarks in each box (int32 [n, 2]) from dlib's shape predictor."""
        if self.backend == "rust":
            rects = np.array(
                [(b.left, b.top, b.right - 1, b.bottom - 1) for b in boxes], dtype=np.int64
            )
            marks = model(f"rust_landmarks{self.landmarks}").predict(_contiguous(pixels), rects)
            return list(np.asarray(marks, dtype=np.int32))
        dlib = dlib_module()
        predictor = model(f"landmarks{self.landmarks}")
        found = []
        for b in boxes:
            shape = predictor(pixels, dlib.rectangle(b.left, b.top, b.right - 1, b.bottom - 1))
            found.append(np.array([(p.x, p.y) for p in shape.parts()], dtype=np.int32))
        return found

    def _encode(
        self, pixels: npt.NDArray[np.uint8], face: Face, jitter: int
    ) -> npt.NDArray[np.float32]:
        if jitter < 0:
            raise InvalidArgument(f"jitter must not be negative, got {jitter}")
        if self.encoder == "rust" and jitter == 0:
            return self.encode_chips(self._chip(pixels, face)[None]).reshape(-1)
        # dlib's random jitter (num_jitters) exists only in dlib's encoder.
        descriptor = model("encoder").compute_face_descriptor(pixels, _dlib_shape(face), jitter)
        return np.asarray(descriptor, dtype=np.float32)


def _contiguous(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def _dlib_shape(face: Face) -> Any:
    """``face`` as dlib's ``full_object_detection``, for dlib's own encoder and chips."""
    dlib = dlib_module()
    box = face.box
    rect = dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
    return dlib.full_object_detection(rect, [dlib.point(int(x), int(y)) for x, y in face.landmarks])


def _detection_copy(
    pixels: npt.NDArray[np.uint8], max_pixels: int
) -> tuple[npt.NDArray[np.uint8], tuple[float, float]]:
    """What the detector is given for ``pixels``: the image itself if it has at most
    ``max_pixels`` pixels, else a copy downscaled (area-averaged, aspect kept) to fit; with the
    factors that map the copy's x and y back to the image's."""
    height, width = pixels.shape[:2]
    if height * width <= max_pixels:
        return pixels, (1.0, 1.0)
    from PIL import Image

    shrink = math.sqrt(height * width / max_pixels)
    size = (max(1, math.floor(width / shrink)), max(1, math.floor(height / shrink)))
    # ``reducing_gap`` first averages whole blocks (fast), then resamples the rest exactly.
    small = Image.fromarray(pixels).resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return np.ascontiguousarray(np.asarray(small)), (width / size[0], height / size[1])


def _tta_variants(chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Four deterministic variants of each chip: itself, mirrored, 10 % darker, 10 % brighter."""
    wide = chips.astype(np.float32)
    darker = np.clip(np.rint(wide * np.float32(0.9)), 0, 255).astype(np.uint8)
    brighter = np.clip(np.rint(wide * np.float32(1.1)), 0, 255).astype(np.uint8)
    return np.stack([chips, chips[:, :, ::-1], darker, brighter])
