"""Brute-force nearest neighbours in float64: the plain reference the engine is checked against."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

NO_MATCH = 2**64 - 1


def reference_distances(
    gallery: npt.NDArray[np.float32], queries: npt.NDArray[np.float32], metric: str
) -> npt.NDArray[np.float64]:
    """``[m, n]`` distances in float64."""
    g = gallery.astype(np.float64)
    q = queries.astype(np.float64)
    if metric == "cosine":
        g = g / np.linalg.norm(g, axis=1, keepdims=True)
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        return np.clip(1.0 - q @ g.T, 0.0, 2.0)
    return np.linalg.norm(q[:, None, :] - g[None, :, :], axis=2)


def assert_same_neighbours(
    vectors: npt.NDArray[np.float32],
    got_ids: npt.NDArray[np.uint64],
    got_dist: npt.NDArray[np.float32],
    ids: npt.NDArray[np.uint64],
    dist: npt.NDArray[np.float64],
    k: int,
    max_distance: float | None,
) -> None:
    """Checks one search result against the reference distances ``dist`` (``[m, n]``).

    Ids must agree slot by slot, except where the reference itself cannot order two candidates
    (their float64 distances differ by less than float32 rounding): then any order of those
    candidates is accepted, but each returned id must sit at its reference distance. Identical
    stored vectors tie exactly and must come back by ascending id.
    """
    assert got_ids.shape == got_dist.shape == (dist.shape[0], k)
    for row in range(dist.shape[0]):
        d = dist[row]
        tol = 1e-5 * (1.0 + float(d.max(initial=0.0)))
        order = np.lexsort((ids, d))
        if max_distance is not None:
            order = order[d[order] <= max_distance + tol]
        want = order[:k]
        found = got_ids[row][got_ids[row] != NO_MATCH]
        # The count may differ only by candidates within rounding of the limit.
        sure = int(np.sum(d[want] <= (max_distance - tol if max_distance is not None else np.inf)))
        assert sure <= len(found) <= len(want)
        assert np.all(got_dist[row][len(found) :] == np.inf)
        assert len(set(found.tolist())) == len(found)
        position = {int(i): j for j, i in enumerate(ids)}
        for slot, gid in enumerate(found):
            j = position[int(gid)]
            # Returned distance is the true one, and is the slot's reference distance.
            assert abs(float(got_dist[row, slot]) - d[j]) <= tol
            assert abs(d[j] - d[want[slot]]) <= tol
            if (
                slot + 1 < len(order)
                and abs(d[want[slot]] - d[order[slot + 1]]) > tol
                and (slot == 0 or abs(d[want[slot]] - d[order[slot - 1]]) > tol)
            ):
                assert int(gid) == int(ids[want[slot]])
        for a, b in itertools.pairwise(found):
            if np.array_equal(vectors[position[int(a)]], vectors[position[int(b)]]):
                assert a < b
