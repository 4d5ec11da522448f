"""Several enrolment photographs: one photo, the average of three, or the nearest of three.

Usage: .venv/bin/python benches/enrolment_photos.py

Three ways to enrol a person, compared on the genuine side (how far a new capture of the person
lies from what was enrolled) and the impostor side (how close somebody else comes):

(a) **one** photograph, one template;
(b) **average**: three photographs, their encodings averaged into one template (what facegate
    does, ``facegate._photos.encode_photos``);
(c) **nearest of 3**: three photographs, three templates kept, a probe matched to the nearest.

Real faces: the two public-domain photographs of ``tests/faces.py`` (the astronaut, Grace
Hopper), twelve deterministic copies of each (``faces.transformed`` and six more here), encoded
by :class:`facegate.detect.FaceDetector`. Every choice of three enrolment copies out of twelve
(220 per person) is scored against the nine copies left; the one-photo figures are those of the
same three copies taken one at a time, against the same nine probes, so the comparison is
paired. Copies of one photograph vary far less than two captures of a person (no change of pose,
expression, age, camera), so these distances are small; they show the direction and rough size
of each effect, not dlib's rates.

Synthetic encodings (``facegate.synthetic``): identities enrolled from three noisy captures,
probed with a fourth, and strangers (identities not enrolled) probed once; false positives and
misses are counted at fixed thresholds and at equal false-positive rates. Their absolute rates
say nothing about dlib (the synthetic impostor distances are far more concentrated); the
comparison between the three methods does.

Prints a markdown summary. About 10 s on one core: 24 detections and encodings, then numpy.
"""

from __future__ import annotations

import importlib
import io
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageEnhance, ImageFilter

from facegate.detect import FaceDetector
from facegate.errors import FacegateError
from facegate.matching import Gallery
from facegate.synthetic import synthetic_faces

Pixels = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]

ENROLMENT_PHOTOS = 3
ENROLLED = 2_000
"""Synthetic identities enrolled."""
STRANGERS = 20_000
"""Synthetic identities not enrolled, each probed once (the FPIR denominator)."""
SYNTHETIC_SEED = 20_261_124
TARGET_FPIRS = (0.003, 0.01, 0.03)
"""False-positive rates at which the synthetic comparison is made."""
COST_GALLERY = 10_000
"""People in the gallery of the search-cost measurement."""


def _faces() -> ModuleType:
    """``tests/faces.py``, importable when this file is run as a script."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("tests.faces")


def copies(pixels: Pixels, faces: ModuleType) -> dict[str, Pixels]:
    """Twelve deterministic copies of one photograph: itself, the six of
    ``faces.transformed`` and six more (another rotation, darker, lower contrast, blurred, a
    harsher JPEG, sensor noise)."""
    image = Image.fromarray(pixels)
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=25)
    rng = np.random.default_rng(7)
    noisy = np.clip(pixels.astype(np.float64) + rng.normal(0.0, 8.0, pixels.shape), 0, 255)
    extra: dict[str, Pixels] = {
        "rotate_left": np.asarray(image.rotate(-8, resample=Image.Resampling.BICUBIC)),
        "darker": np.asarray(ImageEnhance.Brightness(image).enhance(0.7)),
        "contrast": np.asarray(ImageEnhance.Contrast(image).enhance(0.7)),
        "blur": np.asarray(image.filter(ImageFilter.GaussianBlur(1.5))),
        "jpeg25": np.asarray(Image.open(io.BytesIO(jpeg.getvalue())).convert("RGB")),
        "noise": noisy.astype(np.uint8),
    }
    return {"original": pixels, **faces.transformed(pixels), **extra}


@dataclass(frozen=True)
class Person:
    name: str
    copies: tuple[str, ...]
    encodings: npt.NDArray[np.float64]  # [copies, 128]


def encode_person(
    name: str, pixels: Pixels, faces: ModuleType, detector: FaceDetector
) -> tuple[Person, list[str]]:
    """The encodings of every copy that passes the enrolment gates, and the copies that fail."""
    names, rows, failed = [], [], []
    for copy, image in copies(pixels, faces).items():
        try:
            rows.append(detector.encode(image).reshape(-1).astype(np.float64))
            names.append(copy)
        except FacegateError as exc:
            failed.append(f"{name}/{copy} ({type(exc).__name__})")
    return Person(name, tuple(names), np.stack(rows)), failed


def _norms(a: Floats, b: Floats) -> Floats:
    """Euclidean distances between the rows of ``a`` [..., d] and ``b`` [m, d]: [..., m]."""
    return np.linalg.norm(a[..., None, :] - b, axis=-1)


def genuine(person: Person) -> dict[str, Floats]:
    """Genuine distances for every choice of three enrolment copies and each copy left."""
    enc = person.encodings
    out: dict[str, list[Floats]] = {"one": [], "average": [], "nearest": []}
    for chosen in itertools.combinations(range(len(enc)), ENROLMENT_PHOTOS):
        probes = enc[[i for i in range(len(enc)) if i not in chosen]]
        singles = _norms(enc[list(chosen)], probes)  # [3, probes]
        out["one"].append(singles.ravel())
        out["average"].append(_norms(enc[list(chosen)].mean(axis=0), probes))
        out["nearest"].append(singles.min(axis=0))
    return {method: np.concatenate(parts) for method, parts in out.items()}


def impostor(enrolled: Person, stranger: Person) -> dict[str, Floats]:
    """Distances from every copy of ``stranger`` to ``enrolled``'s template(s), for every choice
    of three enrolment copies (one-photo: each copy of ``enrolled`` once)."""
    enc, probes = enrolled.encodings, stranger.encodings
    out: dict[str, list[Floats]] = {"average": [], "nearest": []}
    for chosen in itertools.combinations(range(len(enc)), ENROLMENT_PHOTOS):
        out["average"].append(_norms(enc[list(chosen)].mean(axis=0), probes))
        out["nearest"].append(_norms(enc[list(chosen)], probes).min(axis=0))
    return {
        "one": _norms(enc, probes).ravel(),
        **{method: np.concatenate(parts) for method, parts in out.items()},
    }


@dataclass(frozen=True)
class Synthetic:
    """Templates under each method, and the probes: genuine (one per enrolled identity, of that
    identity) and strangers (one per identity not enrolled)."""

    templates: dict[str, npt.NDArray[np.float32]]
    owners: dict[str, npt.NDArray[np.int64]]
    genuine: npt.NDArray[np.float32]
    strangers: npt.NDArray[np.float32]


def synthetic() -> Synthetic:
    """Synthetic identities with four captures each (three enrolled, one probe) and strangers
    with one; captures are ``synthetic_faces`` probes grouped by identity."""
    pool = int(ENROLLED * 1.4)
    faces = synthetic_faces(pool + STRANGERS, 6 * (pool + STRANGERS), seed=SYNTHETIC_SEED)
    order = np.argsort(faces.truth, kind="stable")
    truth, probes = faces.truth[order], faces.probes[order]
    starts = np.searchsorted(truth, np.arange(pool + STRANGERS + 1))
    counts = np.diff(starts)
    enrolled = np.flatnonzero(counts[:pool] >= ENROLMENT_PHOTOS + 1)[:ENROLLED]
    if len(enrolled) < ENROLLED:
        raise RuntimeError("too few synthetic identities with four captures")
    strangers = pool + np.flatnonzero(counts[pool:] >= 1)
    captures = np.stack([probes[starts[i] : starts[i] + ENROLMENT_PHOTOS + 1] for i in enrolled])
    people = np.arange(ENROLLED, dtype=np.int64)
    return Synthetic(
        templates={
            "one": captures[:, 0],
            "average": captures[:, :ENROLMENT_PHOTOS]
            .mean(axis=1, dtype=np.float64)
            .astype(np.float32),
            "nearest": captures[:, :ENROLMENT_PHOTOS].reshape(-1, captures.shape[-1]),
        },
        owners={
            "one": people,
            "average": people,
            "nearest": np.repeat(people, ENROLMENT_PHOTOS),
        },
        genuine=np.ascontiguousarray(captures[:, ENROLMENT_PHOTOS]),
        strangers=np.ascontiguousarray(probes[starts[strangers]]),
    )


def nearest(
    templates: npt.NDArray[np.float32], queries: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.int64], Floats]:
    """Row index and distance of each query's nearest template (facegate's exact search)."""
    gallery = Gallery(templates.shape[1])
    gallery.add(np.arange(len(templates), dtype=np.uint64), templates)
    ids, distances = gallery.search(queries, k=1)
    return ids[:, 0].astype(np.int64), distances[:, 0].astype(np.float64)


@dataclass(frozen=True)
class OpenSet:
    """One method's nearest matches: strangers' nearest distance; genuine probes' nearest
    distance and whether it is their own identity."""

    rows: int
    stranger: Floats
    genuine: Floats
    own: npt.NDArray[np.bool_]

    def fpir(self, threshold: float) -> float:
        return float(np.mean(self.stranger <= threshold))

    def fnir(self, threshold: float) -> float:
        return float(np.mean(~(self.own & (self.genuine <= threshold))))

    def threshold_for(self, fpir: float) -> float:
        """The largest threshold at which at most ``fpir`` of the strangers match."""
        allowed = int(np.floor(fpir * len(self.stranger)))
        ordered = np.sort(self.stranger)
        return float(np.nextafter(ordered[allowed], -np.inf))


def open_set(data: Synthetic) -> dict[str, OpenSet]:
    results = {}
    for method, templates in data.templates.items():
        owners = data.owners[method]
        _, far = nearest(templates, data.strangers)
        rows, near = nearest(templates, data.genuine)
        own = owners[rows] == np.arange(len(data.genuine))
        results[method] = OpenSet(len(templates), far, near, own)
    return results


def search_time(rows: int, queries: npt.NDArray[np.float32], repeat: int = 5) -> float:
    """Median seconds for one batch search of ``queries`` against ``rows`` templates."""
    gallery = Gallery(queries.shape[1])
    gallery.add(np.arange(rows, dtype=np.uint64), synthetic_faces(rows, 0, seed=1).centres)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        gallery.search(queries, k=1)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


METHODS = {
    "one": "(a) one photograph",
    "average": "(b) average of 3",
    "nearest": "(c) nearest of 3",
}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _stats(values: Floats) -> list[str]:
    return [
        f"{len(values):,}",
        f"{values.mean():.3f}",
        f"{np.percentile(values, 90):.3f}",
        f"{values.max():.3f}",
    ]


def _section(title: str, lines: list[str]) -> None:
    print(f"## {title}\n")
    print("\n".join(lines))
    print()


def report_real(people: list[Person], failed: list[str], seconds: float) -> None:
    """Markdown for the real-photograph measurements."""
    lines = [
        f"{sum(len(p.copies) for p in people)} copies encoded in {seconds:.1f} s "
        f"({', '.join(f'{p.name}: {len(p.copies)}' for p in people)}); "
        f"failed the enrolment gates: {', '.join(failed) if failed else 'none'}.",
        "",
        "Genuine distance, new copy to what was enrolled (every choice of 3 enrolment copies, "
        "each remaining copy as probe; one photo = each of the same 3 alone):",
        "",
        _row(["person", "method", "comparisons", "mean", "90th percentile", "max"]),
        "|---|---|---:|---:|---:|---:|",
    ]
    pooled: dict[str, list[Floats]] = {m: [] for m in METHODS}
    for person in people:
        scores = genuine(person)
        for method, label in METHODS.items():
            pooled[method].append(scores[method])
            lines.append(_row([person.name, label, *_stats(scores[method])]))
    for method, label in METHODS.items():
        lines.append(_row(["both", label, *_stats(np.concatenate(pooled[method]))]))
    one = np.concatenate(pooled["one"]).reshape(-1, ENROLMENT_PHOTOS, order="C")
    lines += [
        "",
        "Relative to one photograph (both people pooled): average "
        f"{_ratio(pooled, 'average', 'one')}, nearest of 3 {_ratio(pooled, 'nearest', 'one')} "
        f"of the mean genuine distance; one photo's distance spans {one.size:,} comparisons.",
        "",
        "Impostor distance, every copy of one person to the other's template(s), both ways:",
        "",
        _row(["method", "comparisons", "min", "10th percentile", "mean"]),
        "|---|---:|---:|---:|---:|",
    ]
    a, b = people
    crossed = [impostor(a, b), impostor(b, a)]
    for method, label in METHODS.items():
        values = np.concatenate([c[method] for c in crossed])
        lines.append(
            _row(
                [
                    label,
                    f"{len(values):,}",
                    f"{values.min():.3f}",
                    f"{np.percentile(values, 10):.3f}",
                    f"{values.mean():.3f}",
                ]
            )
        )
    _section("Real photographs (copies of one photograph per person)", lines)


def _ratio(pooled: dict[str, list[Floats]], method: str, base: str) -> str:
    return f"{np.concatenate(pooled[method]).mean() / np.concatenate(pooled[base]).mean():.2f}x"


def report_synthetic(results: dict[str, OpenSet]) -> None:
    """Markdown for the synthetic open-set simulation."""
    one = results["one"]
    lines = [
        f"{ENROLLED:,} identities enrolled, {STRANGERS:,} strangers probed once, one genuine "
        f"probe per enrolled identity (seed {SYNTHETIC_SEED}). Thresholds fixed where one "
        "photograph per person gives the stated FPIR:",
        "",
        _row(
            ["threshold (one-photo FPIR)", "method", "gallery rows", "false positives", "FPIR"]
            + ["FNIR"]
        ),
        "|---|---|---:|---:|---:|---:|",
    ]
    for target in TARGET_FPIRS:
        threshold = one.threshold_for(target)
        for method, label in METHODS.items():
            r = results[method]
            hits = int(np.sum(r.stranger <= threshold))
            lines.append(
                _row(
                    [
                        f"{threshold:.3f} ({target:.1%})",
                        label,
                        f"{r.rows:,}",
                        f"{hits:,}",
                        f"{r.fpir(threshold):.2%}",
                        f"{r.fnir(threshold):.2%}",
                    ]
                )
            )
    lines += [
        "",
        "At equal FPIR (each method at its own threshold):",
        "",
        _row(["target FPIR", "method", "threshold", "FNIR"]),
        "|---:|---|---:|---:|",
    ]
    for target in TARGET_FPIRS:
        for method, label in METHODS.items():
            r = results[method]
            threshold = r.threshold_for(target)
            lines.append(
                _row([f"{target:.1%}", label, f"{threshold:.3f}", f"{r.fnir(threshold):.2%}"])
            )
    lines += [
        "",
        "Mean distance of the strangers' nearest template: "
        + ", ".join(f"{METHODS[m]} {r.stranger.mean():.3f}" for m, r in results.items())
        + "; of the genuine probes to their own nearest template: "
        + ", ".join(
            f"{METHODS[m]} {r.genuine[r.own].mean():.3f}" for m, r in results.items()
        )
        + ".",
    ]
    _section("Synthetic encodings: false positives and misses", lines)


def report_cost(queries: npt.NDArray[np.float32]) -> None:
    """Markdown for what keeping three templates per person costs."""
    one = search_time(COST_GALLERY, queries)
    three = search_time(ENROLMENT_PHOTOS * COST_GALLERY, queries)
    bytes_per_row = 128 * 4
    lines = [
        _row(["method", "gallery rows", "float32 bytes", "search, 256 probes (median)"]),
        "|---|---:|---:|---:|",
    ]
    for label, rows, seconds in (
        ("(a) one photograph / (b) average", COST_GALLERY, one),
        ("(c) nearest of 3", ENROLMENT_PHOTOS * COST_GALLERY, three),
    ):
        lines.append(
            _row([label, f"{rows:,}", f"{rows * bytes_per_row:,}", f"{seconds * 1e3:.2f} ms"])
        )
    lines += [
        "",
        f"Nearest of 3 searches {ENROLMENT_PHOTOS}x the rows: measured {three / one:.2f}x the "
        f"time for {COST_GALLERY:,} people (facegate exact search, this machine). Its "
        f"false-positive exposure is that of a {ENROLMENT_PHOTOS}x larger gallery, for which "
        "the calibration (calibrated on people, one template each) has no measured column.",
    ]
    _section(f"Cost for {COST_GALLERY:,} people", lines)


def main(timer: Callable[[], float] = time.perf_counter) -> None:
    faces = _faces()
    detector = FaceDetector()
    start = timer()
    people, failed = [], []
    for name, pixels in (("astronaut", faces.astronaut()), ("hopper", faces.hopper())):
        person, lost = encode_person(name, pixels, faces, detector)
        people.append(person)
        failed += lost
    encoded = timer() - start
    print("# Enrolment photographs: one, the average of three, the nearest of three\n")
    report_real(people, failed, encoded)
    data = synthetic()
    report_synthetic(open_set(data))
    report_cost(data.strangers[:256])
    print(f"Total {timer() - start:.1f} s.")


if __name__ == "__main__":
    main()
