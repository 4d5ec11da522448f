"""The ways a 1:N operating point can tighten: ordered paths through ``(threshold, ratio)``.

A target is met by the loosest point of a path whose FPIR is at most the target. Every path
runs from loose to strict and each step lowers the threshold or the ratio, so the regions of
probes it accepts are nested: as a gallery grows (and FPIR with it), the chosen point only
moves towards the strict end, and nobody accepted in a large gallery would be refused in a
smaller one. Choosing along one path, rather than the best cell of the whole grid, also keeps
the choice from chasing the table's sampling noise.

- :func:`second_best`, facegate's default: the staircase fitted on the measured table that
  misses fewest people summed over the measured sizes and targets from 0.01 % to 10 % (a
  shortest-path search over the grid, the cost of a target at a size being the FNIR where the
  path first meets it);
- :func:`fixed_ratio`: the threshold alone tightens at one ratio; ratio 1 is the plain
  distance rule, facegate's rule before the second-best test.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from facegate.accuracy.model import MAX_PHOTOS, columns, surface
from facegate.accuracy.table import ratio_calibration

__all__ = ["FLOOR", "Path", "fixed_ratio", "second_best"]

FLOOR = 0.6
"""policy.THRESHOLD_FLOOR (R5), repeated here to keep this package free of policy."""

Path = tuple[tuple[float, float], ...]
"""``(threshold, ratio)`` points on the table's grid, loosest first."""

_TARGETS = np.geomspace(1e-4, 0.1, 13)

_BEYOND = (1_000, 3_000, 10_000, 30_000, 100_000)
"""Sizes beyond the measured ones the path is also fitted for, at their extrapolated rates:
large galleries tighten along the path too, and a path fitted on small ones alone would
tighten them by the ratio where the threshold serves them better."""


def _loosest_threshold() -> int:
    """The index of the loosest threshold a path may start from: the floor."""
    return int(np.flatnonzero(ratio_calibration().thresholds <= FLOOR + 1e-9)[-1])


@cache
def fixed_ratio(ratio: float) -> Path:
    """The thresholds from the floor down at one ``ratio``."""
    grid = ratio_calibration().thresholds[: _loosest_threshold() + 1]
    return tuple((float(t), float(ratio)) for t in grid[::-1])


@cache
def second_best(photos: int) -> Path:
    """The fitted staircase for a photo count, on the sizes measured for it (for two
    photographs, those of three)."""
    measured = 1 if photos <= 1 else MAX_PHOTOS
    sizes = [n for n in columns(measured).sizes if n > 1]  # size 1 has no second to test
    grids = [surface(photos, n) for n in sizes]
    fpir, fnir = np.stack([g.ceiling for g in grids]), np.stack([g.fnir for g in grids])
    last_t, last_r = _loosest_threshold(), fpir.shape[2] - 1
    fpir, fnir = fpir[:, : last_t + 1], fnir[:, : last_t + 1]
    # met[s, t, r]: how many targets grid point (t, r) meets at size s. A stricter point meets
    # every target a looser one does, so a step meets ``met[here] - met[before]`` new ones,
    # each costing the FNIR here.
    met = np.searchsorted(np.sort(_TARGETS), fpir, side="left")
    met = len(_TARGETS) - met
    padded = np.pad(met, ((0, 0), (0, 1), (0, 1)))  # nothing is met beyond the loosest point
    from_looser_t = (fnir * (met - padded[:, 1:, :-1])).sum(axis=0)
    from_looser_r = (fnir * (met - padded[:, :-1, 1:])).sum(axis=0)
    cost = np.full((last_t + 1, last_r + 1), np.inf)
    came: dict[tuple[int, int], tuple[int, int]] = {}
    cost[last_t, last_r] = float((fnir[:, last_t, last_r] * met[:, last_t, last_r]).sum())
    for total in range(last_t + last_r - 1, -1, -1):
        for t in range(max(0, total - last_r), min(last_t, total) + 1):
            r = total - t
            if t < last_t and cost[t + 1, r] + from_looser_t[t, r] < cost[t, r]:
                cost[t, r], came[(t, r)] = cost[t + 1, r] + from_looser_t[t, r], (t + 1, r)
            if r < last_r and cost[t, r + 1] + from_looser_r[t, r] < cost[t, r]:
                cost[t, r], came[(t, r)] = cost[t, r + 1] + from_looser_r[t, r], (t, r + 1)
    cell, steps = (0, 0), [(0, 0)]
    while cell in came:
        cell = came[cell]
        steps.append(cell)
    table = ratio_calibration()
    return tuple((float(table.thresholds[t]), float(table.ratios[r])) for t, r in reversed(steps))
