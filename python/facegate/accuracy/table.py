"""The error rates facegate's operating points come from: dlib encodings measured on real faces.

``data/dlib-lfw-a.csv`` is shipped as package data; ``data/ORIGIN.md`` says where it comes from
(Labeled Faces in the Wild, half A; numbers only, no image, name or encoding). It is read once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["Calibration", "calibration"]

_FILE = "dlib-lfw-a.csv"

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
        probes = STRANGER_PROBES * self.galleries(size)
        rate = max(fpir, 1.0 / probes)
        return float(np.sqrt(rate * (1.0 - rate) / probes))


@cache
def calibration() -> Calibration:
    """The shipped table, parsed and checked once per process."""
    text = resources.files("facegate.accuracy").joinpath("data").joinpath(_FILE).read_text("ascii")
    rows = list(csv.reader(io.StringIO(text)))
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
