"""The accuracy figures of ``docs/ACCURACY.md``, rendered as markdown from the shipped tables.

Run ``python -m facegate.accuracy.report`` to print them. Every figure comes from
:func:`~facegate.accuracy.operating_point` and :func:`~facegate.accuracy.extrapolation_check`,
so the document and the library cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from facegate.accuracy.model import (
    MAX_PHOTOS,
    Basis,
    bilinear,
    columns,
    extrapolation_check,
    genuine_scale,
    steepest,
    surface,
)
from facegate.accuracy.operating import OperatingPoint, _loosest, operating_point
from facegate.accuracy.paths import fixed_ratio, second_best
from facegate.accuracy.table import STRANGER_PROBES, calibration, ratio_calibration

__all__ = [
    "CHECK_TARGETS",
    "GALLERY_SIZES",
    "IDENTIFY_TARGET",
    "VERIFY_TARGETS",
    "accuracy_markdown",
    "check_markdown",
    "identification_markdown",
    "main",
    "path_markdown",
    "verification_markdown",
]

GALLERY_SIZES: tuple[int, ...] = (10, 30, 100, 296, 300, 832, 1_000, 3_000, 10_000, 30_000, 100_000)
"""The gallery sizes tabulated for 1:N identification (296 and 832 are the largest measured
with three photographs and with one)."""

IDENTIFY_TARGET = 0.003
"""facegate's default 1:N target FPIR."""

VERIFY_TARGETS: tuple[float, ...] = (0.001, 0.0001)
"""The 1:1 target FMRs tabulated (0.001 is facegate's default)."""

CHECK_TARGETS: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03)
"""The target FPIRs of the extrapolation check."""


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


def _table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table; ``align`` has one character per column, ``l`` or ``r``."""
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _threshold(point: OperatingPoint) -> str:
    return f"{point.threshold:.3f}" + ("" if point.target_met else " (target not met)")


def identification_markdown(photos: int, target: float = IDENTIFY_TARGET) -> str:
    """1:N operating points at :data:`GALLERY_SIZES` for a target FPIR with ``photos``
    enrollment photographs per person: the second-best rule beside the distance rule."""
    rows = []
    for size in GALLERY_SIZES:
        best = operating_point(identify=True, gallery_size=size, photos=photos, target=target)
        plain = operating_point(
            identify=True, gallery_size=size, photos=photos, target=target, ratio=1.0
        )
        rows.append(
            [
                f"{size:,}",
                _threshold(best),
                f"{best.ratio:.3f}",
                _fpir(best.false_match),
                _percent(best.false_non_match),
                _threshold(plain),
                _fpir(plain.false_match),
                _percent(plain.false_non_match),
                best.basis.value,
            ]
        )
    header = [
        "enrolled",
        "second-best: threshold",
        "ratio",
        "FPIR",
        "FNIR",
        "distance rule: threshold",
        "FPIR",
        "FNIR",
        "basis",
    ]
    photographs = "photograph" if photos == 1 else "photographs"
    title = f"1:N identification, {photos} enrollment {photographs}, target FPIR {_percent(target)}"
    return "\n".join([f"### {title}", "", *_table(header, "rrrrrrrrl", rows)])


def verification_markdown(targets: Sequence[float] = VERIFY_TARGETS) -> str:
    """1:1 operating points for each target FMR, with one and :data:`MAX_PHOTOS` photographs."""
    rows = []
    for target in targets:
        one = operating_point(identify=False, photos=1, target=target)
        several = operating_point(identify=False, photos=MAX_PHOTOS, target=target)
        rows.append(
            [
                _percent(target),
                f"{one.threshold:.3f}",
                _percent(one.false_match),
                _percent(one.false_non_match),
                _percent(several.false_non_match),
                one.basis.value,
            ]
        )
    header = [
        "target FMR",
        "threshold",
        "FMR",
        "FNMR, 1 photo",
        f"FNMR, {MAX_PHOTOS} photos (modelled)",
        "basis",
    ]
    return "\n".join(["### 1:1 verification", "", *_table(header, "rrrrrl", rows)])


def check_markdown(photos: int, targets: Sequence[float] = CHECK_TARGETS) -> str:
    """The extrapolation rule applied one step down for one measured photo count: for each
    target and rule, the point derived from the predicted rates, and the rates measured there."""
    middle, largest, _, fpir, fnir = extrapolation_check(photos)
    measured = surface(photos, largest)
    table = ratio_calibration()
    rows = []
    for target in targets:
        for name, path in (("second-best", second_best(photos)), ("distance", fixed_ratio(1.0))):
            point, _ = _loosest(path, fpir, target)
            error = table.standard_error(photos, largest, target)
            found = bilinear(measured.fpir, *point)
            rows.append(
                [
                    _percent(target),
                    name,
                    f"{point[0]:.3f}, {point[1]:.3f}",
                    _fpir(bilinear(fpir, *point)),
                    _fpir(found),
                    f"{error * 100:.2g} %",
                    f"{(found - target) / error:+.1f}",
                    _percent(bilinear(fnir, *point)),
                    _percent(bilinear(measured.fnir, *point)),
                ]
            )
    header = [
        "target",
        "rule",
        "threshold, ratio",
        "predicted FPIR",
        f"measured FPIR, {largest}",
        "sampling error",
        "measured − target (errors)",
        "predicted FNIR",
        "measured FNIR",
    ]
    photographs = "photograph" if photos == 1 else "photographs"
    return "\n".join(
        [
            f"### Extrapolation check, {photos} {photographs}: {largest} predicted from {middle}",
            "",
            *_table(header, "rllrrrrrr", rows),
            "",
            f"The sampling error is that of the measured rate at the target ({STRANGER_PROBES:,} "
            f"stranger probes, one gallery of {largest}).",
        ]
    )


def path_markdown(photos: int) -> str:
    """Where the fitted second-best path turns: the points at which it changes from tightening
    the ratio to tightening the threshold, or back."""
    path = second_best(photos)
    corners = [path[0]]
    for before, here, after in zip(path, path[1:], path[2:], strict=False):
        if (before[0] == here[0]) != (here[0] == after[0]):
            corners.append(here)
    corners.append(path[-1])
    beta, gamma = steepest(photos, len(columns(photos).sizes) - 1)
    points = ", ".join(f"({t:.2f}, {r:.2f})" for t, r in corners)
    return (
        f"- {photos} photograph{'s' if photos > 1 else ''}: {points}; extrapolation exponents at "
        f"ratio 0.80: β {beta[30]:.3f}, γ {gamma[30]:.3f}; at ratio 1: β {beta[-1]:.3f}, "
        f"γ {gamma[-1]:.3f}."
    )


def accuracy_markdown() -> str:
    """The figures of ``docs/ACCURACY.md``: the 1:N operating points under both rules with one
    and three photographs, the 1:1 operating points, the fitted paths and the extrapolation
    checks."""
    single, ratios = calibration(), ratio_calibration()
    intro = (
        f"Figures from `{ratios.source}` (1:N) and `{single.source}` (1:1), LFW half A, dlib "
        "encodings; see `facegate/accuracy/data/ORIGIN.md`. Basis: *measured* at a tabulated "
        "size, *interpolated* between two, *bounded* by measured rates where nothing was "
        f"measured (fewer than ten people with three photographs), *{Basis.EXTRAPOLATED.value}* "
        f"beyond the largest ({ratios.sizes[1][-1]} with one photograph, "
        f"{ratios.sizes[MAX_PHOTOS][-1]} with three). The 1:1 FNMR with {MAX_PHOTOS} averaged "
        f"photographs is modelled (genuine distances scaled by {genuine_scale(MAX_PHOTOS):.3f}). "
        "Thresholds never exceed the floor 0.6."
    )
    sections = [
        "## Accuracy figures",
        intro,
        identification_markdown(1),
        identification_markdown(MAX_PHOTOS),
        verification_markdown(),
        "### The fitted second-best paths (threshold, ratio), where they turn\n\n"
        + "\n".join(path_markdown(p) for p in (1, MAX_PHOTOS)),
        check_markdown(1),
        check_markdown(MAX_PHOTOS),
    ]
    return "\n\n".join(sections) + "\n"


def main() -> None:
    """Prints :func:`accuracy_markdown`."""
    print(accuracy_markdown(), end="")


if __name__ == "__main__":
    main()
