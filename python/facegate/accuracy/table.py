"""The error rates facegate's operating points come from: dlib encodings measured on real faces.

Two tables are shipped as package data, ``data/ORIGIN.md`` saying where they come from (Labeled
Faces in the Wild, half A; numbers only, no image, name or encoding): ``dlib-lfw-a.csv``, the 1:1
rates (:class:`Calibration`), and ``dlib-lfw-a-ratio.csv``, the 1:N rates of the two-part rule
with one and three enrollment photographs (:class:`RatioCalibration`). Each is read once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["Calibration", "RatioCalibration", "calibration", "ratio_calibration"]

_FILE = "dlib-lfw-a.csv"
_RATIO_FILE = "dlib-lfw-a-ratio.csv"

STRANGER_PROBES = 2046
"""People with a single photograph, each probed once per gallery (the FPIR denominators)."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """One measured table, thresholds ascending.

    ``fmr``/``fnmr`` are the 1:1 rates; ``fpir[i]``/``fnir[i]`` the 1:N rates with ``sizes[i]``
    people enrolled with one photograph each. Rates are indexed like ``thresholds``.
    """

    source: str
    thresholds: npt.NDArray[np.float64]
    fmr: npt.NDArray[np.float64]
    fnmr: npt.NDArray[np.float64]
    sizes: tuple[int, ...]
    fpir: npt.NDArray[np.float64]
    fnir: npt.NDArray[np.float64]

    def galleries(self, size: int) -> int:
        """How many random galleries the rates at ``size`` are averaged over (ORIGIN.md)."""
        return 1 if size == max(self.sizes) else 20

    def standard_error(self, size: int, fpir: float) -> float:
        """The binomial sampling error of a measured FPIR at ``size`` (one probe per stranger
        and gallery); at a rate of 0 it is that of one event, the resolution of the table."""
        return _binomial_error(fpir, STRANGER_PROBES * self.galleries(size))


def _binomial_error(rate: float, probes: int) -> float:
    """The sampling error of a rate measured over ``probes``; at a rate of 0 that of one event."""
    rate = max(rate, 1.0 / probes)
    return float(np.sqrt(rate * (1.0 - rate) / probes))


@cache
def calibration() -> Calibration:
    """The shipped table, parsed and checked once per process."""
    rows = _read(_FILE)
    header, body = rows[0], np.array(rows[1:], dtype=np.float64)
    column = {name: body[:, i] for i, name in enumerate(header)}
    sizes = tuple(int(name.removeprefix("fpir_n")) for name in header if name.startswith("fpir_n"))
    table = Calibration(
        source=_FILE,
        thresholds=column["threshold"],
        fmr=column["fmr"],
        fnmr=column["fnmr_per_identity"],
        sizes=sizes,
        fpir=np.stack([column[f"fpir_n{n}"] for n in sizes]),
        fnir=np.stack([column[f"fnir_n{n}"] for n in sizes]),
    )
    _check(table)
    return table


def _read(name: str) -> list[list[str]]:
    text = resources.files("facegate.accuracy").joinpath("data").joinpath(name).read_text("ascii")
    return list(csv.reader(io.StringIO(text)))


def _check(table: Calibration) -> None:
    """The model relies on these; a damaged package file fails loudly, not subtly."""
    if not np.all(np.diff(table.thresholds) > 0):
        raise ValueError(f"{table.source}: thresholds must ascend")
    for name, rates in (("fmr", table.fmr), ("fpir", table.fpir)):
        if not np.all(np.diff(rates, axis=-1) >= 0):
            raise ValueError(f"{table.source}: {name} must not fall as the threshold grows")
    for name, rates in (("fnmr", table.fnmr), ("fnir", table.fnir)):
        if not np.all(np.diff(rates, axis=-1) <= 0):
            raise ValueError(f"{table.source}: {name} must not grow with the threshold")
    every = np.concatenate([table.fmr, table.fnmr, table.fpir.ravel(), table.fnir.ravel()])
    if not np.all((every >= 0) & (every <= 1)):
        raise ValueError(f"{table.source}: rates must lie in [0, 1]")


@dataclass(frozen=True, slots=True)
class RatioCalibration:
    """The 1:N rates of the two-part rule: a probe matches its nearest enrolled person when the
    distance is at most ``threshold`` and at most ``ratio`` times the distance to the nearest
    other person (ratio 1 is the plain distance rule).

    For each enrollment photo count ``p`` (1 or 3): ``sizes[p]`` the gallery sizes measured, and
    ``fpir[p]``/``fnir[p]`` arrays indexed ``[size, threshold, ratio]`` like ``sizes[p]``,
    ``thresholds`` and ``ratios``.
    """

    source: str
    thresholds: npt.NDArray[np.float64]
    ratios: npt.NDArray[np.float64]
    sizes: dict[int, tuple[int, ...]]
    fpir: dict[int, npt.NDArray[np.float64]]
    fnir: dict[int, npt.NDArray[np.float64]]

    def galleries(self, photos: int, size: int) -> int:
        """How many random galleries the rates at ``size`` are averaged over (ORIGIN.md)."""
        return 1 if size == max(self.sizes[photos]) else 20

    def standard_error(self, photos: int, size: int, fpir: float) -> float:
        """The binomial sampling error of a measured FPIR (see
        :meth:`Calibration.standard_error`)."""
        return _binomial_error(fpir, STRANGER_PROBES * self.galleries(photos, size))


@cache
def ratio_calibration() -> RatioCalibration:
    """The shipped table of the two-part rule, parsed and checked once per process."""
    rows = _read(_RATIO_FILE)
    header, body = rows[0], np.array(rows[1:], dtype=np.float64)
    if header != ["photos", "n", "threshold", "ratio", "fpir", "fnir"]:
        raise ValueError(f"{_RATIO_FILE}: unexpected columns {header}")
    thresholds, ratios = np.unique(body[:, 2]), np.unique(body[:, 3])
    sizes: dict[int, tuple[int, ...]] = {}
    fpir: dict[int, npt.NDArray[np.float64]] = {}
    fnir: dict[int, npt.NDArray[np.float64]] = {}
    shape = (len(thresholds), len(ratios))
    for photos in sorted({int(p) for p in body[:, 0]}):
        mine = body[body[:, 0] == photos]
        sizes[photos] = tuple(sorted({int(n) for n in mine[:, 1]}))
        grids = []
        for n in sizes[photos]:
            cells = mine[mine[:, 1] == n]
            if len(cells) != shape[0] * shape[1]:
                raise ValueError(f"{_RATIO_FILE}: {photos} photos, n={n} is incomplete")
            order = np.lexsort((cells[:, 3], cells[:, 2]))  # threshold-major, ratio-minor
            grids.append(cells[order][:, 4:6].reshape(*shape, 2))
        stacked = np.stack(grids)
        fpir[photos], fnir[photos] = stacked[..., 0], stacked[..., 1]
    table = RatioCalibration(_RATIO_FILE, thresholds, ratios, sizes, fpir, fnir)
    _check_ratio(table)
    return table


def _check_ratio(table: RatioCalibration) -> None:
    """Accepting more (a looser threshold or ratio) never matches fewer strangers nor misses
    more enrolled people; a damaged package file fails loudly."""
    for photos in table.sizes:
        for axis, name in ((1, "threshold"), (2, "ratio")):
            if not np.all(np.diff(table.fpir[photos], axis=axis) >= 0):
                raise ValueError(f"{table.source}: fpir must not fall as the {name} grows")
            if not np.all(np.diff(table.fnir[photos], axis=axis) <= 0):
                raise ValueError(f"{table.source}: fnir must not grow with the {name}")
        every = np.concatenate([table.fpir[photos].ravel(), table.fnir[photos].ravel()])
        if not np.all((every >= 0) & (every <= 1)):
            raise ValueError(f"{table.source}: rates must lie in [0, 1]")
