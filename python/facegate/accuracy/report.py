"""The accuracy figures of ``docs/ACCURACY.md``, rendered as markdown from the shipped table.

Run ``python -m facegate.accuracy.report`` to print them. Every figure comes from
:func:`~facegate.accuracy.operating_point`, :func:`~facegate.accuracy.extrapolation_check` and
:func:`~facegate.accuracy.model.growth_exponent`, so the document and the library cannot
disagree; only the sensitivity table recomputes the extrapolation, with another exponent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from facegate.accuracy.model import (
    MAX_PHOTOS,
    extrapolated,
    extrapolation_check,
    genuine_scale,
    growth_exponent,
    hazard,
)
from facegate.accuracy.operating import OperatingPoint, loosest_threshold, operating_point
from facegate.accuracy.table import STRANGER_PROBES, calibration

__all__ = [
    "CHECK_THRESHOLDS",
    "GALLERY_SIZES",
    "IDENTIFY_TARGET",
    "SENSITIVITY_THRESHOLDS",
    "VERIFY_TARGETS",
    "accuracy_markdown",
    "check_markdown",
    "identification_markdown",
    "local_growth_exponent",
    "main",
    "sensitivity_markdown",
    "verification_markdown",
]

GALLERY_SIZES: tuple[int, ...] = (10, 30, 100, 300, 832, 1_000, 3_000, 10_000, 30_000, 100_000)
"""The gallery sizes tabulated for 1:N identification."""

IDENTIFY_TARGET = 0.003
"""facegate's default 1:N target FPIR."""

VERIFY_TARGETS: tuple[float, ...] = (0.001, 0.0001)
"""The 1:1 target FMRs tabulated (0.001 is facegate's default)."""

CHECK_THRESHOLDS: tuple[float, float] = (0.38, 0.60)
"""The thresholds of the extrapolation check table, inclusive."""

SENSITIVITY_THRESHOLDS: tuple[float, float] = (0.38, 0.45)
"""Where the 1:N operating points beyond the measured sizes lie: the thresholds the local
growth exponent of the sensitivity table is fitted on, inclusive."""

_LIMIT = 2.0
"""How many standard errors below the measured rate a prediction may fall before the check
calls it out."""

Curve = npt.NDArray[np.float64]


def _percent(rate: float) -> str:
    """A rate as a percentage: two significant digits below 1 %, one decimal above."""
    if rate == 0.0:
        return "0 %"
    if rate < 0.01:
        return f"{rate * 100:.2g} %"
    return f"{rate * 100:.1f} %"


def _fpir(rate: float) -> str:
    """A false-positive rate with three significant digits, so that one just above a target
    does not print as the target."""
    return f"{rate * 100:.3g} %"


def _threshold(threshold: float, met: bool) -> str:
    return f"{threshold:.3f}" + ("" if met else " (target not met)")


def _table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table; ``align`` has one character per column, ``l`` or ``r``."""
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9


def identification_markdown(target: float = IDENTIFY_TARGET) -> str:
    """1:N operating points at :data:`GALLERY_SIZES` for a target FPIR, with one and with
    :data:`MAX_PHOTOS` enrollment photographs per person."""
    rows = []
    for size in GALLERY_SIZES:
        one = operating_point(identify=True, gallery_size=size, photos=1, target=target)
        several = operating_point(
            identify=True, gallery_size=size, photos=MAX_PHOTOS, target=target
        )
        rows.append(_row(f"{size:,}", one, several, _fpir))
    header = [
        "enrolled",
        "threshold",
        "expected FPIR",
        "FNIR, 1 photo",
        f"FNIR, {MAX_PHOTOS} photos (modelled)",
        "basis",
        "target met",
    ]
    title = f"1:N identification, target FPIR {_percent(target)}"
    return "\n".join([f"### {title}", "", *_table(header, "rrrrrll", rows)])


def verification_markdown(targets: Sequence[float] = VERIFY_TARGETS) -> str:
    """1:1 operating points for each target FMR, with one and :data:`MAX_PHOTOS` photographs."""
    rows = []
    for target in targets:
        one = operating_point(identify=False, photos=1, target=target)
        several = operating_point(identify=False, photos=MAX_PHOTOS, target=target)
        rows.append(_row(_percent(target), one, several, _percent))
    header = [
        "target FMR",
        "threshold",
        "FMR",
        "FNMR, 1 photo",
        f"FNMR, {MAX_PHOTOS} photos (modelled)",
        "basis",
        "target met",
    ]
    return "\n".join(["### 1:1 verification", "", *_table(header, "rrrrrll", rows)])


def _row(
    label: str, one: OperatingPoint, several: OperatingPoint, rate: Callable[[float], str]
) -> list[str]:
    """One operating point's row: threshold, false-match rate (formatted by ``rate``), the
    miss rate with one photograph and with several, basis, and whether the target is met."""
    return [
        label,
        f"{one.threshold:.3f}",
        rate(one.false_match),
        _percent(one.false_non_match),
        _percent(several.false_non_match),
        one.basis.value,
        "yes" if one.target_met else "**no**",
    ]


def check_markdown(bounds: tuple[float, float] = CHECK_THRESHOLDS) -> str:
    """The extrapolation rule applied one step down, at the thresholds within ``bounds``, with
    the rows where the prediction is more than two standard errors below the measurement
    (optimistic) or above it (conservative)."""
    table = calibration()
    *_, before, middle, largest = table.sizes
    rows: list[list[str]] = []
    low: list[str] = []
    high: list[str] = []
    below = 0
    for threshold, measured, predicted, error in extrapolation_check():
        if not _within(threshold, bounds):
            continue
        gap = (predicted - measured) / error
        below += predicted < measured
        if abs(gap) > _LIMIT:
            (low if gap < 0 else high).append(f"{threshold:.2f} ({gap:+.2f})")
        rows.append(
            [
                f"{threshold:.2f}",
                f"{measured:.4f}",
                f"{predicted:.4f}",
                f"{error:.4f}",
                f"{gap:+.1f}",
            ]
        )
    header = [
        "threshold",
        f"measured FPIR, {largest}",
        f"predicted from {middle}",
        "sampling error",
        "difference (standard errors)",
    ]
    beta = growth_exponent(before, middle)
    limit = f"more than {_LIMIT:g} standard errors"
    verdict = [
        f"Predicted below measured by {limit} at {len(low)} of {len(rows)} thresholds: "
        f"{', '.join(low)}."
        if low
        else f"The prediction is never below the measurement by {limit}.",
        f"It is below the measurement at {below} of {len(rows)} thresholds.",
    ]
    if high:
        verdict.append(
            f"It is above the measurement (conservative) by {limit} at {len(high)}: "
            f"{', '.join(high)}."
        )
    verdict.append(
        "The sampling error is that of the measured rate alone (one gallery of "
        f"{largest}, {STRANGER_PROBES:,} stranger probes); rows are cumulative and so not "
        "independent."
    )
    return "\n".join(
        [
            f"### Extrapolation check: {largest} predicted from {middle}",
            "",
            f"β fitted on {before} → {middle}: {beta:.3f} (the rule itself uses β fitted on "
            f"{middle} → {largest}: {growth_exponent():.3f}).",
            "",
            *_table(header, "rrrrr", rows),
            "",
            " ".join(verdict),
        ]
    )


def local_growth_exponent(
    lower: int, upper: int, bounds: tuple[float, float] = SENSITIVITY_THRESHOLDS
) -> float:
    """``β`` fitted like :func:`~facegate.accuracy.model.growth_exponent`, but only on the
    thresholds within ``bounds`` (events-weighted mean of the per-threshold slopes of the
    cumulative hazard in ln N)."""
    table = calibration()
    i, j = table.sizes.index(lower), table.sizes.index(upper)
    keep = np.array([_within(float(t), bounds) for t in table.thresholds])
    keep &= (table.fpir[i] > 0) & (table.fpir[j] < 0.99)
    if not keep.any():
        raise ValueError("no usable threshold within the bounds")
    events = table.fpir[j][keep] * STRANGER_PROBES * table.galleries(upper)
    hazards = hazard(table.fpir[j][keep]) / hazard(table.fpir[i][keep])
    slopes = np.log(hazards) / math.log(upper / lower)
    return float(np.average(slopes, weights=events))


def sensitivity_markdown(target: float = IDENTIFY_TARGET) -> str:
    """The extrapolated 1:N operating points as facegate states them, and as they would be with
    the exponent fitted only on the thresholds where those operating points lie."""
    table = calibration()
    *_, before, middle, largest = table.sizes
    fitted = growth_exponent()
    local = local_growth_exponent(middle, largest)
    local_before = local_growth_exponent(before, middle)
    grid = table.thresholds
    rows = []
    for size in (n for n in GALLERY_SIZES if n > largest):
        one = operating_point(identify=True, gallery_size=size, photos=1, target=target)
        several = operating_point(
            identify=True, gallery_size=size, photos=MAX_PHOTOS, target=target
        )
        fpir, fnir = extrapolated(size, local)
        threshold, met = loosest_threshold(fpir, target)
        rows.append(
            [
                f"{size:,}",
                _threshold(one.threshold, one.target_met),
                _fpir(one.false_match),
                _percent(one.false_non_match),
                _percent(several.false_non_match),
                _threshold(threshold, met),
                _fpir(float(np.interp(threshold, grid, fpir))),
                _percent(float(np.interp(threshold, grid, fnir))),
                _percent(float(np.interp(threshold / genuine_scale(MAX_PHOTOS), grid, fnir))),
            ]
        )
    header = ["enrolled"]
    for beta in (fitted, local):
        header += [
            f"β {beta:.2f}: threshold",
            "FPIR",
            "FNIR, 1 photo",
            f"FNIR, {MAX_PHOTOS} photos",
        ]
    low, high = SENSITIVITY_THRESHOLDS
    return "\n".join(
        [
            f"### Sensitivity of the extrapolated figures to β (target FPIR {_percent(target)})",
            "",
            f"β as facegate fits it on {middle} → {largest}: {fitted:.3f}; fitted only on "
            f"thresholds {low:.2f} to {high:.2f}, where the operating points beyond {largest} "
            f"lie: {local:.3f} ({local_before:.3f} on {before} → {middle}).",
            "",
            *_table(header, "r" * len(header), rows),
        ]
    )


def accuracy_markdown() -> str:
    """The figures of ``docs/ACCURACY.md``: the 1:N and 1:1 operating points, the
    extrapolation check and the sensitivity of the extrapolated figures to β."""
    table = calibration()
    intro = (
        f"Figures from `{table.source}` (LFW half A, dlib encodings; see "
        "`facegate/accuracy/data/ORIGIN.md`). Basis: *measured* at a tabulated size, "
        "*interpolated* between two, *extrapolated* beyond the largest "
        f"({table.sizes[-1]}); FNIR/FNMR with {MAX_PHOTOS} averaged photographs is modelled "
        f"(genuine distances scaled by {genuine_scale(MAX_PHOTOS):.3f}). Thresholds never "
        "exceed the floor 0.6."
    )
    sections = [
        "## Accuracy figures",
        intro,
        identification_markdown(),
        verification_markdown(),
        check_markdown(),
        sensitivity_markdown(),
    ]
    return "\n\n".join(sections) + "\n"


def main() -> None:
    """Prints :func:`accuracy_markdown`."""
    print(accuracy_markdown(), end="")


if __name__ == "__main__":
    main()
