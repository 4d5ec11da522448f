"""Operating points: the threshold a deployment runs at, and the error rates it should expect.

A deployment states what it needs (for 1:N identification a target false-positive
identification rate, for 1:1 verification a target false match rate) or an explicit threshold;
:func:`operating_point` turns that into the loosest threshold that meets the target at the
gallery's size (never looser than the R5 floor) and the rates expected there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from facegate.accuracy.model import Basis, at, fnir_at, fpir_curve
from facegate.accuracy.table import calibration
from facegate.errors import InvalidArgument

__all__ = ["OperatingPoint", "loosest_threshold", "operating_point"]

_FLOOR = 0.6  # policy.THRESHOLD_FLOOR; repeated here to keep this package free of policy


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Where a deployment runs: its threshold and the error rates expected there.

    ``false_match``/``false_non_match`` are FMR/FNMR for 1:1 verification (``identify`` false)
    and FPIR/FNIR for 1:N identification with ``gallery_size`` enrolled, each template averaged
    from ``photos`` photographs. ``target`` is the false-match target the threshold was derived
    from (None for an explicit threshold); ``target_met`` says whether any threshold in the
    table reaches it. ``basis`` says how the rates were obtained (see :mod:`.model`).
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

    @property
    def names(self) -> tuple[str, str]:
        return ("FPIR", "FNIR") if self.identify else ("FMR", "FNMR")

    def describe(self) -> str:
        """One line for people: the mode, the threshold and both rates, and their basis."""
        fm, fnm = self.names
        mode = f"1:N with {self.gallery_size:,} enrolled" if self.identify else "1:1 verification"
        photos = "photograph" if self.photos == 1 else "photographs"
        missed = "" if self.target_met else f"; target {fm} {_percent(self.target)} unreachable"
        modelled = f"; {fnm} with several photographs modelled" if self.photos > 1 else ""
        return (
            f"{mode}, {self.photos} enrollment {photos} each: threshold {self.threshold:.3f}, "
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
) -> OperatingPoint:
    """The operating point for a target false-match rate (FPIR for ``identify``, else FMR), or
    for an explicit ``threshold``. 1:1 rates do not depend on the gallery size."""
    size = _count(gallery_size, "gallery_size", 0) if identify else 1
    return _cached(
        bool(identify),
        max(size, 1),
        _count(photos, "photos", 1),
        None if target is None else _rate(target, "target"),
        None if threshold is None else _rate(threshold, "threshold"),
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
    identify: bool, size: int, photos: int, target: float | None, threshold: float | None
) -> OperatingPoint:
    if (target is None) == (threshold is None):
        raise InvalidArgument("give exactly one of target and threshold")
    if target is not None and not 0.0 < target <= 1.0:
        raise InvalidArgument(f"a target error rate lies in (0, 1], not {target!r}")
    lowest = float(calibration().thresholds[0])
    if threshold is not None and not lowest <= threshold <= _FLOOR:
        raise InvalidArgument(
            f"a threshold with stated error rates lies in [{lowest}, {_FLOOR}] (the calibrated "
            f"range and the R5 floor), not {threshold!r}"
        )
    curve, basis = fpir_curve(size)
    met = True
    if threshold is None:
        assert target is not None
        threshold, met = loosest_threshold(curve, target)
    rate = at(curve, threshold)
    return OperatingPoint(
        identify=identify,
        gallery_size=size if identify else 0,
        photos=photos,
        threshold=threshold,
        false_match=rate,
        false_non_match=fnir_at(size, photos, threshold),
        target=target,
        target_met=met,
        basis=basis,
    )


def loosest_threshold(
    curve: np.ndarray, target: float, floor: float = _FLOOR
) -> tuple[float, bool]:
    """The largest threshold in the table, at most ``floor``, whose false-match rate (linear
    between the table's thresholds) is at most ``target``, and whether there is one (else the
    smallest threshold)."""
    grid = calibration().thresholds
    within = grid <= floor + 1e-9
    grid, curve = grid[within], curve[within]
    below = np.flatnonzero(curve <= target)
    if below.size == 0:
        return float(grid[0]), False
    i = int(below[-1])
    if i == len(grid) - 1 or curve[i + 1] <= curve[i]:
        return float(grid[i]), True
    step = (target - curve[i]) / (curve[i + 1] - curve[i])
    # Rounded down to 1e-4 so the rate at the stated threshold never exceeds the target.
    return math.floor((grid[i] + step * (grid[i + 1] - grid[i])) * 1e4) / 1e4, True
