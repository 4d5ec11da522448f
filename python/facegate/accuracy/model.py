"""Error rates at any gallery size and threshold, from the measured table.

How a figure is obtained (its :class:`Basis`):

- **measured**: a size the table has (1 is the 1:1 column: FPIR with one person enrolled is the
  false match rate), at the table's thresholds, linearly interpolated between them (0.01 apart);
- **interpolated**: between two measured sizes, the cumulative hazard ``H = -ln(1 - FPIR)`` is
  interpolated linearly in ``ln N`` (and FNIR likewise), so figures rise smoothly with N;
- **extrapolated**: beyond the largest measured size ``M`` (832), the hazard grows as a power of
  the gallery size, ``H(t, N) = H(t, M) · (N / M)^β``, with one exponent ``β`` fitted on the two
  largest measured sizes and checked by predicting the largest from the next two
  (:func:`extrapolation_check`). It is capped by the independence bound
  ``1 - (1 - FMR(t))^N``: if each stranger's chance of matching one enrolled person averages to
  the table's FMR, Jensen's inequality makes that an upper bound whatever the correlation
  between one stranger's comparisons. (At thresholds 0.30 to 0.34 the table's single false
  positive at 832 people exceeds the bound, which points to a person present under two names in
  the data; the extrapolation never goes below the rate measured at 832.) FNIR beyond ``M``
  grows by at most the added false-positive rate: a probe of an enrolled person can newly be
  missed only when a newly enrolled stranger comes within the threshold.

Several enrollment photographs (averaged into one template) shrink the distances between a
person's captures and their template; :func:`genuine_scale` models that as one factor per photo
count, fitted to the separate measurement quoted in ORIGIN.md (two or three photographs cut the
miss rate at threshold 0.40 with 610 people enrolled from about 68 % to about 48 %). False
positives are taken as unchanged by averaging (a stranger is no closer to an average).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

import numpy as np
import numpy.typing as npt

from facegate.accuracy.table import Calibration, calibration

__all__ = [
    "Basis",
    "extrapolation_check",
    "fnir_curve",
    "fpir_curve",
    "genuine_scale",
    "growth_exponent",
]

Curve = npt.NDArray[np.float64]

MAX_PHOTOS = 3
"""More photographs are counted as three: nothing was measured beyond."""

_OPERATING_FPIR = 0.03
"""The exponent is fitted where operating points lie (FPIR up to 3 % at the largest size): the
hazard grows faster with N at strict thresholds than at loose ones, so fitting on loose ones
would understate the growth where it matters."""

# The multi-photo measurement quoted in ORIGIN.md.
_ANCHOR_SIZE, _ANCHOR_THRESHOLD, _ANCHOR_ONE, _ANCHOR_SEVERAL = 610, 0.40, 0.68, 0.48


class Basis(StrEnum):
    """How a figure was obtained from the table."""

    MEASURED = "measured"
    INTERPOLATED = "interpolated"
    EXTRAPOLATED = "extrapolated"


def hazard(rate: Curve) -> Curve:
    """The cumulative hazard ``-ln(1 - rate)``, finite at a rate of 1."""
    return -np.log1p(-np.minimum(rate, 1.0 - 1e-12))


def _rate(cumulative: Curve) -> Curve:
    return -np.expm1(-cumulative)


def _columns(table: Calibration) -> tuple[tuple[int, ...], Curve, Curve]:
    """Sizes with their FPIR and FNIR rows, size 1 being the 1:1 rates. A bigger gallery
    never has fewer false positives: where a size's table shows fewer (0 where no stranger of
    the sample matched, below the table's resolution), the smaller size's rate stands."""
    fpir = np.maximum.accumulate(np.vstack([table.fmr, table.fpir]), axis=0)
    return (1, *table.sizes), fpir, np.vstack([table.fnmr, table.fnir])


def _bracket(sizes: tuple[int, ...], n: int) -> tuple[int, int, float]:
    """Indices of the measured sizes around ``n`` and the weight of the upper one in ln N."""
    upper = int(np.searchsorted(sizes, n))
    lower = upper - 1
    weight = np.log(n / sizes[lower]) / np.log(sizes[upper] / sizes[lower])
    return lower, upper, float(weight)


@cache
def growth_exponent(lower: int | None = None, upper: int | None = None) -> float:
    """``β``: how the false-positive hazard grows with the gallery size between two measured
    sizes (default: the two largest), averaged over the thresholds where operating points lie
    and rates are well measured (at least 10 false positives at the smaller size, FPIR at most
    ``_OPERATING_FPIR`` at the larger), each weighted by its false positives at the larger
    size."""
    table = calibration()
    sizes = table.sizes
    i = sizes.index(lower) if lower else len(sizes) - 2
    j = sizes.index(upper) if upper else len(sizes) - 1
    events = table.fpir * np.array([[2046.0 * table.galleries(n)] for n in sizes])
    usable = (events[i] >= 10) & (table.fpir[j] <= _OPERATING_FPIR)
    if not usable.any():
        raise ValueError("too few false positives in the table to fit a growth exponent")
    ratio = hazard(table.fpir[j][usable]) / hazard(table.fpir[i][usable])
    slopes = np.log(ratio) / np.log(sizes[j] / sizes[i])
    return float(np.clip(np.average(slopes, weights=events[j][usable]), 0.0, 1.0))


def fpir_curve(size: int) -> tuple[Curve, Basis]:
    """FPIR at each of the table's thresholds with ``size`` people enrolled, and its basis."""
    table = calibration()
    sizes, fpir, _ = _columns(table)
    n = max(int(size), 1)
    if n in sizes:
        return fpir[sizes.index(n)], Basis.MEASURED
    if n < sizes[-1]:
        lower, upper, w = _bracket(sizes, n)
        between = (1 - w) * hazard(fpir[lower]) + w * hazard(fpir[upper])
        return _rate(between), Basis.INTERPOLATED
    return grown(fpir[-1], sizes[-1], n, growth_exponent()), Basis.EXTRAPOLATED


def grown(fpir: Curve, start: int, size: int, beta: float) -> Curve:
    """The extrapolation rule: FPIR measured with ``start`` enrolled (``fpir``) carried to
    ``size`` with exponent ``beta``, capped by the independence bound, never below ``fpir``."""
    rate = _rate(hazard(fpir) * (size / start) ** beta)
    independent: Curve = -np.expm1(size * np.log1p(-calibration().fmr))
    capped: Curve = np.maximum(np.minimum(rate, independent), fpir)
    return capped


def extrapolated(size: int, beta: float) -> tuple[Curve, Curve]:
    """FPIR and one-photo FNIR with ``size`` enrolled beyond the largest measured size, by the
    rule with exponent ``beta`` (:func:`fpir_curve` and :func:`fnir_curve` use the fitted one)."""
    sizes, fpir, fnir = _columns(calibration())
    rate = grown(fpir[-1], sizes[-1], size, beta)
    return rate, np.minimum(fnir[-1] + (rate - fpir[-1]), 1.0)


def fnir_curve(size: int) -> tuple[Curve, Basis]:
    """FNIR at each of the table's thresholds with ``size`` people enrolled (one photograph
    each), and its basis."""
    sizes, _, fnir = _columns(calibration())
    n = max(int(size), 1)
    if n in sizes:
        return fnir[sizes.index(n)], Basis.MEASURED
    if n < sizes[-1]:
        lower, upper, w = _bracket(sizes, n)
        return (1 - w) * fnir[lower] + w * fnir[upper], Basis.INTERPOLATED
    return extrapolated(n, growth_exponent())[1], Basis.EXTRAPOLATED


def at(curve: Curve, threshold: float) -> float:
    """A curve's value at ``threshold``, linear between the table's thresholds (clamped at its
    ends)."""
    return float(np.interp(threshold, calibration().thresholds, curve))


@cache
def genuine_scale(photos: int) -> float:
    """How much averaging ``photos`` enrollment photographs shrinks genuine distances (1 for one
    photograph). Model: averaging removes a share ``φ`` of a capture's own variation, so
    ``d²(k) / d²(1) = 1 - φ (1 - 1/k) / 2``; ``φ`` is fitted so that three photographs reproduce
    the quoted measurement (counting "two or three" as three keeps the model cautious)."""
    k = min(max(int(photos), 1), MAX_PHOTOS)
    if k == 1:
        return 1.0
    table = calibration()
    curve, _ = fnir_curve(_ANCHOR_SIZE)
    # FNIR falls with the threshold: the threshold at which one photo misses as few as several.
    equivalent = float(np.interp(-_ANCHOR_SEVERAL, -curve, table.thresholds))
    shrink = _ANCHOR_THRESHOLD / equivalent
    share = 3.0 * (1.0 - shrink**2)
    return float(np.sqrt(1.0 - share * (1.0 - 1.0 / k) / 2.0))


def fnir_at(size: int, photos: int, threshold: float) -> float:
    """FNIR at ``threshold`` with ``size`` enrolled, each from ``photos`` averaged photographs."""
    curve, _ = fnir_curve(size)
    return at(curve, threshold / genuine_scale(photos))


def extrapolation_check() -> list[tuple[float, float, float, float]]:
    """The extrapolation rule applied one step down: fit ``β`` on the two sizes below the
    largest, predict the largest from the second largest, and compare. Rows of (threshold,
    measured FPIR, predicted FPIR, sampling error of the measured), for the thresholds with a
    measured rate between 0 and 1."""
    table = calibration()
    *_, before, middle, largest = table.sizes
    beta = growth_exponent(before, middle)
    i, j = table.sizes.index(middle), table.sizes.index(largest)
    predicted = grown(table.fpir[i], middle, largest, beta)
    return [
        (float(t), float(m), float(p), table.standard_error(largest, float(m)))
        for t, m, p in zip(table.thresholds, table.fpir[j], predicted, strict=True)
        if 0.0 < m < 1.0
    ]
