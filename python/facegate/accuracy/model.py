"""Error rates at any gallery size, threshold and ratio, from the measured tables.

1:N identification follows the two-part rule of :class:`~.table.RatioCalibration` (distance at
most ``t`` and at most ``r`` times the distance to the nearest other person; ``r = 1`` is the
plain distance rule). :func:`surface` gives FPIR and FNIR over the table's grid of ``(t, r)``
for one gallery size; how a figure is obtained is its :class:`Basis`:

- **measured**: a size the table has, for the photo count measured (1 or 3); size 1 with one
  photograph is the 1:1 column (one person enrolled: FPIR is the false match rate, FNIR the
  false non-match rate, whatever the ratio, since there is no second person);
- **interpolated**: between two measured sizes, the cumulative hazard ``H = -ln(1 - FPIR)`` is
  interpolated linearly in ``ln N``, and FNIR likewise;
- **bounded**: fewer than ten people with three photographs each take the rates measured at
  ten, an upper bound (a smaller gallery neither matches more strangers nor misses more
  people);
- **extrapolated**: beyond the largest measured size ``M`` (832 with one photograph, 296 with
  three), FPIR's hazard grows as a power of the size, ``H(N) = H(M) · (N / M)^β``, capped with
  one photograph by the independence bound ``1 - (1 - FMR(t))^N`` (Jensen's inequality makes it
  an upper bound whatever the correlation between one stranger's comparisons; averaged
  templates have no measured FMR, so three photographs go uncapped). FNIR's hazard grows above
  its value at the smallest measured size as a power of the size, ``G(N) = G(10) + (G(M) -
  G(10)) · (N / M)^γ``: new people take genuine probes away by coming closer than ``t`` or
  within ``1/r`` of the genuine distance. ``β`` and ``γ`` are fitted on the two largest sizes
  where operating points lie and checked one step down (:func:`extrapolation_check`).

Every surface is monotone: a bigger gallery never shows fewer false positives or fewer misses
than a smaller one (where the table's sampling error says otherwise, the smaller size's rate
stands), and a looser threshold or ratio never matches fewer strangers or misses more people.

Several photographs: the 1:N rates with three photographs are measured; with two they are
modelled between one and three (hazards three quarters of the way, :data:`_TWO`); the 1:1 false
non-match rate with several averaged photographs is modelled by :func:`genuine_scale` (nothing
was measured there).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from facegate.accuracy.table import STRANGER_PROBES, calibration, ratio_calibration

__all__ = [
    "MAX_PHOTOS",
    "Basis",
    "Columns",
    "Exponents",
    "Rates",
    "bilinear",
    "exponents",
    "extrapolation_check",
    "genuine_scale",
    "steepest",
    "surface",
]

Curve = npt.NDArray[np.float64]

MAX_PHOTOS = 3
"""More photographs are counted as three: nothing was measured beyond."""

_OPERATING_FPIR = 0.03
"""The exponents are fitted where operating points lie (FPIR up to 3 % at the larger size):
the hazard grows faster with N at strict points than at loose ones, so fitting on loose ones
would understate the growth where it matters."""

_SMALLEST_FPIR = 0.0005
"""FNIR's exponent is fitted on points with FPIR at least this at the larger size, the strict
end of any target facegate tabulates."""

# The multi-photo 1:1 model is fitted to the measurement quoted in ORIGIN.md.
_ANCHOR_SIZE, _ANCHOR_THRESHOLD, _ANCHOR_SEVERAL = 610, 0.40, 0.48


_TWO = 0.75
"""Where two photographs lie between one and three: averaging k photographs removes a share
``1 - 1/k`` of a capture's own variation, and two remove three quarters of what three do."""


class Basis(StrEnum):
    """How a figure was obtained from the tables."""

    MEASURED = "measured"
    INTERPOLATED = "interpolated"
    BOUNDED = "bounded"
    EXTRAPOLATED = "extrapolated"


_BASES = list(Basis)
"""Bases from the most to the least direct (a figure combining two has the weaker)."""


def hazard(rate: Curve) -> Curve:
    """The cumulative hazard ``-ln(1 - rate)``, finite at a rate of 1."""
    return -np.log1p(-np.minimum(rate, 1.0 - 1e-12))


def _rate(cumulative: Curve) -> Curve:
    return -np.expm1(-cumulative)


def _measured_photos(photos: int) -> int:
    return 1 if photos <= 1 else MAX_PHOTOS


class Columns(NamedTuple):
    """The measured sizes of one photo count with their grids ``[size, threshold, ratio]``:
    ``fpir`` made monotone in the size (a bigger gallery is never stated to match fewer
    strangers), ``fnir`` and ``measured_fpir`` as measured."""

    sizes: tuple[int, ...]
    fpir: Curve
    fnir: Curve
    measured_fpir: Curve


@cache
def columns(photos: int) -> Columns:
    """The :class:`Columns` of a measured photo count, with one photograph led by the 1:1 rates
    at size 1. FNIR is left as measured: its wobble between sizes is sampling error, and
    raising it to the worst smaller size would misstate what was measured. (So is FPIR's with
    the second-best test, which can truly fall as people are added: a closer second-nearest
    refuses more; the monotone ceiling is what points are chosen on, so that they nest.)"""
    ratios = ratio_calibration()
    sizes, fpir, fnir = ratios.sizes[photos], ratios.fpir[photos], ratios.fnir[photos]
    if photos == 1:
        single = calibration()
        shape = fpir.shape[1:]
        grid = ratios.thresholds
        fmr = np.interp(grid, single.thresholds, single.fmr)[:, None] * np.ones(shape)
        fnmr = np.interp(grid, single.thresholds, single.fnmr)[:, None] * np.ones(shape)
        # The 1:1 FNMR is averaged per person, FNIR per probe: one person enrolled is never
        # stated to miss more than ten.
        sizes = (1, *sizes)
        fpir = np.vstack([fmr[None], fpir])
        fnir = np.vstack([np.minimum(fnmr, fnir[0])[None], fnir])
    return Columns(sizes, np.maximum.accumulate(fpir, axis=0), fnir, fpir)


class Rates(NamedTuple):
    """FPIR and FNIR over the table's ``(threshold, ratio)`` grid at one gallery size, their
    basis, and ``ceiling``: FPIR made monotone in the size, on which points are chosen (equal
    to ``fpir`` except at measured and interpolated sizes, where ``fpir`` is as measured)."""

    fpir: Curve
    fnir: Curve
    basis: Basis
    ceiling: Curve


class Exponents(NamedTuple):
    """How FPIR's (``beta``) and FNIR's (``gamma``) hazards grow with the gallery size, one
    exponent per ratio of the table (stricter ratios grow more slowly)."""

    beta: Curve
    gamma: Curve


@cache
def exponents(photos: int, lower: int | None = None, upper: int | None = None) -> Exponents:
    """``β`` and ``γ`` fitted between two measured sizes (default: the two largest) of a
    measured photo count, for each ratio over the thresholds where operating points lie and
    rates are well measured: at least 10 false positives at the smaller size and FPIR at most
    ``_OPERATING_FPIR`` at the larger. ``β`` is the events-weighted mean of the per-point slopes
    of ln H in ln N; ``γ`` the median slope of the FNIR hazard's growth above the smallest size
    (points whose growth is too small to measure are left out). A ratio without usable points
    takes the exponent fitted on all of them; all are clipped to [0, 1]."""
    ratios = ratio_calibration()
    sizes, fpir, fnir, _ = columns(photos)
    i = sizes.index(lower) if lower else len(sizes) - 2
    j = sizes.index(upper) if upper else len(sizes) - 1
    events_low = fpir[i] * STRANGER_PROBES * ratios.galleries(photos, sizes[i])
    events_high = fpir[j] * STRANGER_PROBES * ratios.galleries(photos, sizes[j])
    usable = (events_low >= 10) & (fpir[j] <= _OPERATING_FPIR)
    if not usable.any():
        raise ValueError("too few false positives in the table to fit a growth exponent")
    step = np.log(sizes[j] / sizes[i])
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = np.log(hazard(fpir[j]) / hazard(fpir[i])) / step
        base = hazard(fnir[_first(sizes)])
        low, high = hazard(fnir[i]) - base, hazard(fnir[j]) - base
        growth = np.log(high / low) / step
    growing = usable & (fpir[j] >= _SMALLEST_FPIR) & (low > 0.005) & (high > low)
    overall_beta = np.average(slopes[usable], weights=events_high[usable])
    overall_gamma = float(np.median(growth[growing])) if growing.any() else 1.0
    beta, gamma = np.empty(fpir.shape[2]), np.empty(fpir.shape[2])
    for r in range(fpir.shape[2]):
        mine, _rising = usable[:, r], growing[:, r]
        beta[r] = (
            np.average(slopes[mine, r], weights=events_high[mine, r])
            if mine.any()
            else overall_beta
        )
        gamma[r] = overall_gamma
    return Exponents(np.clip(beta, 0.0, 1.0), np.clip(gamma, 0.0, 1.0))


@cache
def steepest(photos: int, top: int) -> Exponents:
    """The exponents the extrapolation from the ``top``-th measured size uses: for each ratio
    the larger of those fitted on the two steps below it. The largest size is one gallery,
    whose few false positives at strict ratios can show almost no growth; the step below keeps
    the rule from resting on that alone."""
    sizes = columns(photos)[0]
    fits = [exponents(photos, sizes[i - 1], sizes[i]) for i in (top - 1, top)]
    return Exponents(*(np.maximum(a, b) for a, b in zip(*fits, strict=True)))


def _first(sizes: tuple[int, ...]) -> int:
    """The index of the smallest 1:N size (10): FNIR's growth is counted from there."""
    return 1 if sizes[0] == 1 else 0


@lru_cache(maxsize=1024)
def surface(photos: int, size: int) -> Rates:
    """The :class:`Rates` with ``size`` people enrolled, each template averaged from ``photos``
    photographs."""
    n = max(int(size), 1)
    k = min(max(int(photos), 1), MAX_PHOTOS)
    if k == 2:
        one, three = surface(1, n), surface(MAX_PHOTOS, n)
        basis = max(one.basis, three.basis, key=_BASES.index)

        def towards_three(a: Curve, b: Curve) -> Curve:
            return _rate((1 - _TWO) * hazard(a) + _TWO * hazard(b))

        return Rates(
            towards_three(one.fpir, three.fpir),
            towards_three(one.fnir, three.fnir),
            basis,
            towards_three(one.ceiling, three.ceiling),
        )
    sizes, fpir, fnir, measured = columns(k)
    if n in sizes:
        i = sizes.index(n)
        return Rates(measured[i], fnir[i], Basis.MEASURED, fpir[i])
    if n < sizes[0]:
        return Rates(fpir[0], fnir[0], Basis.BOUNDED, fpir[0])
    if n < sizes[-1]:
        upper = int(np.searchsorted(sizes, n))
        lower = upper - 1
        w = float(np.log(n / sizes[lower]) / np.log(sizes[upper] / sizes[lower]))

        def between(grid: Curve) -> Curve:
            return _rate((1 - w) * hazard(grid[lower]) + w * hazard(grid[upper]))

        misses = (1 - w) * fnir[lower] + w * fnir[upper]
        return Rates(between(measured), misses, Basis.INTERPOLATED, between(fpir))
    rate, misses = grown(k, len(sizes) - 1, n, steepest(k, len(sizes) - 1))
    return Rates(rate, misses, Basis.EXTRAPOLATED, rate)


def grown(photos: int, start: int, size: int, fitted: Exponents) -> tuple[Curve, Curve]:
    """The extrapolation rule: FPIR and FNIR measured at the ``start``-th size carried to
    ``size`` with exponents ``fitted``, never below the rates they start from."""
    sizes, fpir, fnir, _ = columns(photos)
    beta, gamma = fitted
    growth = size / sizes[start]
    rate = _rate(hazard(fpir[start]) * growth**beta)
    if photos == 1:
        fmr = np.interp(ratio_calibration().thresholds, calibration().thresholds, calibration().fmr)
        independent = -np.expm1(size * np.log1p(-fmr))[:, None]
        rate = np.minimum(rate, independent)
    base = hazard(fnir[_first(sizes)])
    misses = _rate(base + (np.maximum(hazard(fnir[start]) - base, 0.0)) * growth**gamma)
    # Exponents differ between ratios: the grids are made monotone again, raising a rate
    # where a neighbour's would otherwise be worse (a looser point never matches fewer
    # strangers, a stricter one never misses fewer people).
    rate = np.maximum.accumulate(np.maximum.accumulate(np.maximum(rate, fpir[start]), 0), 1)
    misses = np.maximum(misses, fnir[start])[::-1, ::-1]
    misses = np.maximum.accumulate(np.maximum.accumulate(misses, 0), 1)[::-1, ::-1]
    return rate, misses


def bilinear(grid: Curve, threshold: float, ratio: float) -> float:
    """A grid's value at ``(threshold, ratio)``, linear between the table's points (clamped at
    its edges); exact at the points themselves."""
    table = ratio_calibration()
    ts, rs = table.thresholds, table.ratios
    x = float(np.interp(threshold, ts, np.arange(len(ts))))
    y = float(np.interp(ratio, rs, np.arange(len(rs))))
    i, j = min(int(x), len(ts) - 2), min(int(y), len(rs) - 2)
    u, v = x - i, y - j
    return float(
        (1 - u) * (1 - v) * grid[i, j]
        + u * (1 - v) * grid[i + 1, j]
        + (1 - u) * v * grid[i, j + 1]
        + u * v * grid[i + 1, j + 1]
    )


@cache
def genuine_scale(photos: int) -> float:
    """How much averaging ``photos`` enrollment photographs shrinks genuine distances in 1:1
    verification (1 for one photograph). Model: averaging removes a share ``φ`` of a capture's
    own variation, so ``d²(k) / d²(1) = 1 - φ (1 - 1/k) / 2``; ``φ`` is fitted so that three
    photographs reproduce the measurement quoted in ORIGIN.md (with 610 enrolled at threshold
    0.40, two or three photographs miss about 48 %; counting them as three keeps the model
    cautious)."""
    k = min(max(int(photos), 1), MAX_PHOTOS)
    if k == 1:
        return 1.0
    table = ratio_calibration()
    distance_rule = surface(1, _ANCHOR_SIZE).fnir[:, -1]
    # FNIR falls with the threshold: the threshold at which one photo misses as few as several.
    equivalent = float(np.interp(-_ANCHOR_SEVERAL, -distance_rule, table.thresholds))
    shrink = _ANCHOR_THRESHOLD / equivalent
    share = 3.0 * (1.0 - shrink**2)
    return float(np.sqrt(1.0 - share * (1.0 - 1.0 / k) / 2.0))


def fnmr_at(photos: int, threshold: float) -> float:
    """1:1 FNMR at ``threshold`` with templates averaged from ``photos`` photographs."""
    table = calibration()
    return float(np.interp(threshold / genuine_scale(photos), table.thresholds, table.fnmr))


def extrapolation_check(photos: int) -> tuple[int, int, Exponents, Curve, Curve]:
    """The extrapolation rule applied one step down for a measured photo count: exponents
    fitted on the steps below the second largest size, the largest predicted from it.
    Returns the size predicted from, the size predicted, the exponents, and the predicted FPIR
    and FNIR grids (compare with :func:`surface` at the size predicted)."""
    sizes = columns(photos).sizes
    middle, largest = sizes[-2], sizes[-1]
    fitted = steepest(photos, len(sizes) - 2)
    fpir, fnir = grown(photos, len(sizes) - 2, largest, fitted)
    return middle, largest, fitted, fpir, fnir
