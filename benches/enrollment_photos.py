"""Several enrollment photographs: one photo, the average of three, or the nearest of three.

Usage: .venv/bin/python benches/enrollment_photos.py

Three ways to enroll a person, compared on the genuine side (how far a new capture of the person
lies from what was enrolled) and the impostor side (how close somebody else comes):

(a) **one** photograph, one template;
(b) **average**: three photographs, their encodings averaged into one template (what facegate
    does, ``facegate.faces.photos.encode_photos``);
(c) **nearest of 3**: three photographs, three templates kept, a probe matched to the nearest.

Real faces: the two public-domain photographs of ``tests/faces.py`` (the astronaut, Grace
Hopper), thirteen deterministic copies of each (itself, ``faces.transformed`` and six more
here; a copy whose encoding repeats another's is dropped), encoded by
:class:`facegate.faces.detect.FaceDetector`. Every choice of three enrollment copies is
scored against the copies left; the one-photo figures are those of the same three copies taken
one at a time, against the same probes, so the comparison is paired. Copies of one photograph
vary far less than two captures of a person (no change of pose, expression, age, camera), so
these distances are small; they show the direction and rough size of each effect, not dlib's
rates.

Synthetic encodings (``facegate.demo.synthetic``): identities enrolled from three noisy captures,
probed with a fourth, and strangers (identities not enrolled) probed once; false positives and
misses are counted at fixed thresholds and at equal false-positive rates. Their absolute rates
say nothing about dlib (the synthetic impostor distances are far more concentrated), and how
the methods compare depends on how far captures scatter around their identity, so two settings
are run (``NOISE``).

Prints a markdown summary. About 25 s: 26 detections and encodings, then two synthetic galleries
searched with facegate's exact search.
"""

from __future__ import annotations

import importlib
import io
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageEnhance, ImageFilter

from facegate.demo.synthetic import synthetic_faces
from facegate.errors import FacegateError
from facegate.faces.detect import FaceDetector
from facegate.matching import Gallery

Pixels = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]

ENROLLMENT_PHOTOS = 3
ENROLLED = 2_000
"""Synthetic identities enrolled."""
STRANGERS = 20_000
"""Synthetic identities not enrolled, each probed once (the FPIR denominator)."""
SYNTHETIC_SEED = 20_261_124
TARGET_FPIRS = (0.003, 0.03)
"""False-positive rates at which the synthetic comparison is made."""
NOISE: dict[str, tuple[float, float]] = {
    "default": (0.3, 0.5),
    "wide": (0.1, 1.0),
}
"""How far a synthetic capture lies from its identity's centre (``synthetic_faces``'s
``genuine``): its default, where genuine and impostor distances never overlap, and a wide range
with which one photograph misses about two thirds of the enrolled at FPIR 0.3 %, as dlib's
encodings do at 832 enrolled (the calibration table)."""
COST_GALLERY = 10_000
"""People in the gallery of the search-cost measurement."""


def _faces() -> ModuleType:
    """``tests/faces.py``, importable when this file is run as a script."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("tests.faces")


def copies(pixels: Pixels, faces: ModuleType) -> dict[str, Pixels]:
    """Thirteen deterministic copies of one photograph: itself, the six of
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
    """The encodings of every copy that passes the enrollment gates, and the copies left out:
    those that fail a gate and those whose encoding repeats an earlier copy's (a duplicate
    would hand nearest-of-3 an exact match)."""
    names: list[str] = []
    rows: list[Floats] = []
    left_out = []
    for copy, image in copies(pixels, faces).items():
        try:
            row = detector.encode(image).reshape(-1).astype(np.float64)
        except FacegateError as exc:
            left_out.append(f"{name}/{copy} ({type(exc).__name__})")
            continue
        same = [n for n, r in zip(names, rows, strict=True) if np.linalg.norm(r - row) < 1e-3]
        if same:
            left_out.append(f"{name}/{copy} (same encoding as {same[0]})")
            continue
        rows.append(row)
        names.append(copy)
    return Person(name, tuple(names), np.stack(rows)), left_out


def _norms(a: Floats, b: Floats) -> Floats:
    """Euclidean distances between the rows of ``a`` [..., d] and ``b`` [m, d]: [..., m]."""
    distances: Floats = np.linalg.norm(a[..., None, :] - b, axis=-1)
    return distances


def genuine(person: Person) -> dict[str, Floats]:
    """Genuine distances for every choice of three enrollment copies and each copy left."""
    enc = person.encodings
    out: dict[str, list[Floats]] = {"one": [], "average": [], "nearest": []}
    for chosen in itertools.combinations(range(len(enc)), ENROLLMENT_PHOTOS):
        probes = enc[[i for i in range(len(enc)) if i not in chosen]]
        singles = _norms(enc[list(chosen)], probes)  # [3, probes]
        out["one"].append(singles.ravel())
        out["average"].append(_norms(enc[list(chosen)].mean(axis=0), probes))
        out["nearest"].append(singles.min(axis=0))
    return {method: np.concatenate(parts) for method, parts in out.items()}


def impostor(enrolled: Person, stranger: Person) -> dict[str, Floats]:
    """Distances from every copy of ``stranger`` to ``enrolled``'s template(s), for every choice
    of three enrollment copies (one-photo: each copy of ``enrolled`` once)."""
    enc, probes = enrolled.encodings, stranger.encodings
    out: dict[str, list[Floats]] = {"average": [], "nearest": []}
    for chosen in itertools.combinations(range(len(enc)), ENROLLMENT_PHOTOS):
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


def synthetic(noise: tuple[float, float]) -> Synthetic:
    """Synthetic identities with four captures each (three enrolled, one probe) and strangers
    with one; captures are ``synthetic_faces`` probes grouped by identity, at ``noise`` from
    their identity's centre."""
    pool = int(ENROLLED * 1.4)
    faces = synthetic_faces(
        pool + STRANGERS, 6 * (pool + STRANGERS), genuine=noise, seed=SYNTHETIC_SEED
    )
    order = np.argsort(faces.truth, kind="stable")
    truth, probes = faces.truth[order], faces.probes[order]
    starts = np.searchsorted(truth, np.arange(pool + STRANGERS + 1))
    counts = np.diff(starts)
    enrolled = np.flatnonzero(counts[:pool] >= ENROLLMENT_PHOTOS + 1)[:ENROLLED]
    if len(enrolled) < ENROLLED:
        raise RuntimeError("too few synthetic identities with four captures")
    strangers = pool + np.flatnonzero(counts[pool:] >= 1)
    captures = np.stack([probes[starts[i] : starts[i] + ENROLLMENT_PHOTOS + 1] for i in enrolled])
    people = np.arange(ENROLLED, dtype=np.int64)
    return Synthetic(
        templates={
            "one": captures[:, 0],
            "average": captures[:, :ENROLLMENT_PHOTOS]
            .mean(axis=1, dtype=np.float64)
            .astype(np.float32),
            "nearest": captures[:, :ENROLLMENT_PHOTOS].reshape(-1, captures.shape[-1]),
        },
        owners={
            "one": people,
            "average": people,
            "nearest": np.repeat(people, ENROLLMENT_PHOTOS),
        },
        genuine=np.ascontiguousarray(captures[:, ENROLLMENT_PHOTOS]),
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
        f"{sum(len(p.copies) for p in people)} distinct copies encoded in {seconds:.1f} s "
        f"({', '.join(f'{p.name}: {len(p.copies)}' for p in people)}); "
        f"left out: {', '.join(failed) if failed else 'none'}.",
        "",
        "Genuine distance, new copy to what was enrolled (every choice of 3 enrollment copies, "
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
    lines += [
        "",
        "Mean genuine distance relative to one photograph (both people pooled): average "
        f"{_ratio(pooled, 'average', 'one')}, nearest of 3 {_ratio(pooled, 'nearest', 'one')}.",
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


def report_synthetic(results: dict[str, dict[str, OpenSet]]) -> None:
    """Markdown for the synthetic open-set simulation, one block of rows per noise setting."""
    lines = [
        f"{ENROLLED:,} identities enrolled, {STRANGERS:,} strangers (identities not enrolled) "
        f"probed once, one genuine probe per enrolled identity (seed {SYNTHETIC_SEED}). "
        "*Fixed threshold*: where one photograph per person gives the target FPIR; "
        "*equal FPIR*: each method at its own threshold for the target.",
        "",
        _row(
            [
                *("captures at", "target FPIR", "method", "rows", "threshold"),
                *("false positives", "FPIR", "FNIR", "threshold, equal FPIR", "FNIR, equal FPIR"),
            ]
        ),
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for setting, methods in results.items():
        low, high = NOISE[setting]
        for target in TARGET_FPIRS:
            fixed = methods["one"].threshold_for(target)
            for method, label in METHODS.items():
                r = methods[method]
                own = r.threshold_for(target)
                lines.append(
                    _row(
                        [
                            f"{setting} ({low}-{high})",
                            f"{target:.1%}",
                            label,
                            f"{r.rows:,}",
                            f"{fixed:.3f}",
                            f"{int(np.sum(r.stranger <= fixed)):,}",
                            f"{r.fpir(fixed):.2%}",
                            f"{r.fnir(fixed):.1%}",
                            f"{own:.3f}",
                            f"{r.fnir(own):.1%}",
                        ]
                    )
                )
    lines += ["", "Mean distance to the nearest template:", ""]
    lines += [_row(["captures at", "method", "strangers", "genuine (own template)"])]
    lines += ["|---|---|---:|---:|"]
    for setting, methods in results.items():
        for method, r in methods.items():
            lines.append(
                _row(
                    [
                        setting,
                        METHODS[method],
                        f"{r.stranger.mean():.3f}",
                        f"{r.genuine[r.own].mean():.3f}",
                    ]
                )
            )
    _section("Synthetic encodings: false positives and misses", lines)


def report_cost(queries: npt.NDArray[np.float32]) -> None:
    """Markdown for what keeping three templates per person costs."""
    one = search_time(COST_GALLERY, queries)
    three = search_time(ENROLLMENT_PHOTOS * COST_GALLERY, queries)
    bytes_per_row = 128 * 4
    lines = [
        _row(["method", "gallery rows", "float32 bytes", "search, 256 probes (median)"]),
        "|---|---:|---:|---:|",
    ]
    for label, rows, seconds in (
        ("(a) one photograph / (b) average", COST_GALLERY, one),
        ("(c) nearest of 3", ENROLLMENT_PHOTOS * COST_GALLERY, three),
    ):
        lines.append(
            _row([label, f"{rows:,}", f"{rows * bytes_per_row:,}", f"{seconds * 1e3:.2f} ms"])
        )
    lines += [
        "",
        f"Nearest of 3 searches {ENROLLMENT_PHOTOS}x the rows: measured {three / one:.2f}x the "
        f"time for {COST_GALLERY:,} people (facegate exact search, this machine), and each "
        f"stranger meets {ENROLLMENT_PHOTOS}x the templates. The calibration's gallery sizes "
        "count people with one template each; none of its columns measures three correlated "
        "templates per person.",
    ]
    _section(f"Cost for {COST_GALLERY:,} people", lines)


def main() -> None:
    faces = _faces()
    detector = FaceDetector()
    timer = time.perf_counter
    start = timer()
    people, failed = [], []
    for name, pixels in (("astronaut", faces.astronaut()), ("hopper", faces.hopper())):
        person, lost = encode_person(name, pixels, faces, detector)
        people.append(person)
        failed += lost
    encoded = timer() - start
    print("# Enrollment photographs: one, the average of three, the nearest of three\n")
    report_real(people, failed, encoded)
    data = {setting: synthetic(noise) for setting, noise in NOISE.items()}
    report_synthetic({setting: open_set(d) for setting, d in data.items()})
    report_cost(data["default"].strangers[:256])
    print(f"Total {timer() - start:.1f} s.")


if __name__ == "__main__":
    main()
