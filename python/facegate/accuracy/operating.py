"""Operating points: where a deployment runs, and the error rates it should expect.

A deployment states what it needs (for 1:N identification a target false-positive
identification rate, for 1:1 verification a target false match rate), or an explicit
threshold, and for 1:N optionally a ratio. :func:`operating_point` turns that into a threshold
and, for 1:N, a ratio to the second-nearest person:

- 1:N with a target and no ratio (the default): the loosest point of the fitted second-best
  path (:func:`.paths.second_best`) that meets the target at the gallery's size;
- 1:N with a target and a ratio: the loosest threshold at that ratio (ratio 1 is the plain
  distance rule, facegate's rule before the second-best test);
- an explicit threshold: that threshold at the explicit ratio, or at ratio 1 when none is given
  (so explicit thresholds keep the distance rule they always had);
- 1:1: a threshold alone (there is no second person to compare with).

Between two points of a path the rates are linear in the table's grid, and the point is placed
where the rate reaches the target, rounded towards the strict end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from facegate.accuracy.model import MAX_PHOTOS, Basis, bilinear, fnmr_at, surface
from facegate.accuracy.paths import FLOOR, Path, fixed_ratio, second_best
from facegate.accuracy.table import calibration, ratio_calibration
from facegate.errors import InvalidArgument

__all__ = ["OperatingPoint", "loosest_threshold", "operating_point"]


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Where a deployment runs: its threshold (and ratio) and the error rates expected there.

    A 1:N probe matches its nearest eligible person when the distance is at most ``threshold``
    and at most ``ratio`` times the distance to the nearest other eligible person (ratio 1 is
    the distance rule; a person alone in the gallery is judged on the distance only).
    ``false_match``/``false_non_match`` are FMR/FNMR for 1:1 verification (``identify`` false)
    and FPIR/FNIR for 1:N identification with ``gallery_size`` enrolled, each template averaged
    from ``photos`` photographs. ``target`` is the false-match target the point was derived from
    (None for an explicit threshold); ``target_met`` says whether any point reaches it.
    ``basis`` says how the rates were obtained (see :mod:`.model`).
    """

    identify: bool
    gallery_size: int
    photos: int
    threshold: float
    false_match: float
    false_non_match: float
    target: float | None
    target_met: bool
    basis: Basis
    ratio: float = 1.0

    @property
    def names(self) -> tuple[str, str]:
        return ("FPIR", "FNIR") if self.identify else ("FMR", "FNMR")

    @property
    def second_best(self) -> bool:
        """Whether the point tests the ratio to the second-nearest person (ratio below 1)."""
        return self.ratio < 1.0

    def describe(self) -> str:
        """One line for people: the mode, the rule and both rates, and their basis."""
        fm, fnm = self.names
        mode = f"1:N with {self.gallery_size:,} enrolled" if self.identify else "1:1 verification"
        photos = "photograph" if self.photos == 1 else "photographs"
        missed = "" if self.target_met else f"; target {fm} {_percent(self.target)} unreachable"
        modelled = ""
        if self.photos > 1 and not self.identify:
            modelled = f"; {fnm} with several photographs modelled"
        elif self.photos == 2:
            modelled = "; rates with 2 photographs modelled between the measured 1 and 3"
        rule = f"threshold {self.threshold:.3f}"
        if self.identify and self.gallery_size <= 1:
            rule += " (one person: nobody to compare with, the distance decides)"
        elif self.second_best:
            rule += f" and at most {self.ratio:.3f} of the second-nearest"
        elif self.identify:
            rule += " (distance rule)"
        return (
            f"{mode}, {self.photos} enrollment {photos} each: {rule}, "
            f"{fm} {_percent(self.false_match)}, {fnm} {_percent(self.false_non_match)}"
            f" ({self.basis.value}{modelled}{missed})"
        )


def _percent(rate: float | None) -> str:
    if rate is None:
        return "-"
    # Three significant figures below 1 %, so a rate just over a target never reads as equal.
    return f"{rate * 100:.3g} %" if rate < 0.01 else f"{rate * 100:.1f} %"


def operating_point(
    *,
    identify: bool,
    gallery_size: int = 1,
    photos: int = 1,
    target: float | None = None,
    threshold: float | None = None,
    ratio: float | None = None,
) -> OperatingPoint:
    """The operating point for a target false-match rate (FPIR for ``identify``, else FMR), or
    for an explicit ``threshold``; for 1:N, ``ratio`` fixes the ratio to the second-nearest
    (see the module). 1:1 rates do not depend on the gallery size."""
    size = _count(gallery_size, "gallery_size", 0) if identify else 1
    return _cached(
        bool(identify),
        max(size, 1),
        _count(photos, "photos", 1),
        None if target is None else _rate(target, "target"),
        None if threshold is None else _rate(threshold, "threshold"),
        None if ratio is None else _rate(ratio, "ratio"),
    )


def _count(value: object, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise InvalidArgument(f"{name} is a whole number of at least {least}, not {value!r}")
    return int(value)


def _rate(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise InvalidArgument(f"{name} is a number, not {value!r}")
    return float(value)


@lru_cache(maxsize=4096)
def _cached(
    identify: bool,
    size: int,
    photos: int,
    target: float | None,
    threshold: float | None,
    ratio: float | None,
) -> OperatingPoint:
    if (target is None) == (threshold is None):
        raise InvalidArgument("give exactly one of target and threshold")
    if target is not None and not 0.0 < target <= 1.0:
        raise InvalidArgument(f"a target error rate lies in (0, 1], not {target!r}")
    lowest = float(calibration().thresholds[0])
    if threshold is not None and not lowest <= threshold <= FLOOR:
        raise InvalidArgument(
            f"a threshold with stated error rates lies in [{lowest}, {FLOOR}] (the calibrated "
            f"range and the R5 floor), not {threshold!r}"
        )
    if ratio is not None and not identify:
        raise InvalidArgument("a ratio to the second-nearest applies to 1:N identification only")
    least = float(ratio_calibration().ratios[0])
    if ratio is not None and not least <= ratio <= 1.0:
        raise InvalidArgument(
            f"a ratio with stated error rates lies in [{least}, 1] (the calibrated range), "
            f"not {ratio!r}"
        )
    if not identify:
        return _verification(photos, target, threshold)
    rates = surface(photos, size)
    met = True
    if threshold is not None:
        point = (threshold, 1.0 if ratio is None else ratio)
    else:
        assert target is not None
        path = second_best(min(photos, MAX_PHOTOS)) if ratio is None else fixed_ratio(ratio)
        # Chosen on the ceiling, so that points nest as the gallery grows; the rate stated
        # is the one measured there (never above the ceiling, so the target still holds).
        point, met = _loosest(path, rates.ceiling, target)
    return OperatingPoint(
        identify=True,
        gallery_size=size,
        photos=photos,
        threshold=point[0],
        ratio=point[1],
        false_match=bilinear(rates.fpir, *point),
        false_non_match=bilinear(rates.fnir, *point),
        target=target,
        target_met=met,
        basis=rates.basis,
    )


def _verification(photos: int, target: float | None, threshold: float | None) -> OperatingPoint:
    table = calibration()
    met = True
    if threshold is None:
        assert target is not None
        threshold, met = loosest_threshold(table.fmr, target)
    return OperatingPoint(
        identify=False,
        gallery_size=0,
        photos=photos,
        threshold=threshold,
        false_match=float(np.interp(threshold, table.thresholds, table.fmr)),
        false_non_match=fnmr_at(photos, threshold),
        target=target,
        target_met=met,
        basis=Basis.MEASURED,
    )


def _loosest(path: Path, fpir: np.ndarray, target: float) -> tuple[tuple[float, float], bool]:
    """The loosest point of ``path`` whose FPIR is at most ``target``."""
    cells = _cells(path)
    if cells is None:  # an explicit ratio between the table's columns
        return _crossing(path, np.array([bilinear(fpir, t, r) for t, r in path]), target)
    return _crossing(path, fpir[cells], target)


@lru_cache(maxsize=64)
def _cells(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The grid indices of a path's points, found once (a gallery that grows by one person
    derives a new point at every enrollment), or None when they are not all on the grid."""
    table = ratio_calibration()
    rows = np.array([int(np.argmin(np.abs(table.thresholds - t))) for t, _ in path])
    columns = np.array([int(np.argmin(np.abs(table.ratios - r))) for _, r in path])
    on_grid = np.allclose(table.thresholds[rows], [t for t, _ in path]) and np.allclose(
        table.ratios[columns], [r for _, r in path]
    )
    return (rows, columns) if on_grid else None


def _crossing(path: Path, rates: np.ndarray, target: float) -> tuple[tuple[float, float], bool]:
    """The loosest point of ``path`` (loosest first) whose rate is at most ``target``: between
    two points of the path, where the linear rate reaches it; and whether there is one (else
    the strictest point)."""
    meeting = np.flatnonzero(rates <= target)
    if meeting.size == 0:
        return path[-1], False
    i = int(meeting[0])
    if i == 0 or rates[i - 1] <= rates[i]:
        return path[i], True
    share = (target - rates[i]) / (rates[i - 1] - rates[i])
    (t, r), (t0, r0) = path[i], path[i - 1]
    return (_down(t + share * (t0 - t)), _down(r + share * (r0 - r))), True


def _down(value: float) -> float:
    # Rounded down to 1e-4 so the rate at the stated point never exceeds the target (the
    # inner round keeps a grid value such as 0.5 from falling to 0.4999).
    return math.floor(round(value * 1e4, 6)) / 1e4


def loosest_threshold(curve: np.ndarray, target: float, floor: float = FLOOR) -> tuple[float, bool]:
    """The largest 1:1 threshold, at most ``floor``, whose rate in ``curve`` (over the 1:1
    table's thresholds, linear between them) is at most ``target``, and whether there is one
    (else the smallest threshold)."""
    grid = calibration().thresholds
    within = grid <= floor + 1e-9
    path = tuple((float(t), 1.0) for t in grid[within][::-1])
    point, met = _crossing(path, curve[within][::-1], target)
    return point[0], met
