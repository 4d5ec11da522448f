"""Property tests: every search equals a float64 brute-force reference.

Covers duplicates and exact ties, k larger than the gallery (clamped), empty galleries, removed
ids, single rows, both metrics, the compressed mode, and batches large enough for the
matrix-product path.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facegate import Gallery, InvalidTemplate, distances
from tests.reference import assert_same_neighbours, reference_distances

VALUES = st.floats(-4.0, 4.0, width=32, allow_subnormal=False)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    dim = draw(st.sampled_from([1, 3, 16, 17, 33, 128]))
    pool = draw(arrays(np.float32, (draw(st.integers(1, 12)), dim), elements=VALUES))
    n = draw(st.integers(0, 40))
    # Rows drawn from a small pool give many exact duplicates, hence exact ties.
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))
    vectors = pool[picks] if n else np.zeros((0, dim), np.float32)
    ids = draw(st.lists(st.integers(0, 2**64 - 2), min_size=n, max_size=n, unique=True))
    m = draw(st.sampled_from([1, 2, 5, 16, 23]))
    q_picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=m, max_size=m))
    jitter = draw(arrays(np.float32, (m, dim), elements=st.sampled_from([0.0, 0.0, 0.25, -0.5])))
    return {
        "vectors": vectors,
        "ids": np.array(ids, dtype=np.uint64),
        "queries": pool[q_picks] + jitter,
        "k": draw(st.integers(0, n + 3)),
        "removed": draw(st.integers(0, n)),
        "metric": draw(st.sampled_from(["euclidean", "cosine"])),
        "quantized": draw(st.booleans()),
        "max_distance": draw(st.none() | st.floats(0.0, 8.0)),
    }


@given(scenarios())
def test_search_equals_brute_force(s: dict[str, object]) -> None:
    vectors, ids, queries = s["vectors"], s["ids"], s["queries"]
    assert isinstance(vectors, np.ndarray) and isinstance(ids, np.ndarray)
    assert isinstance(queries, np.ndarray)
    metric, k, removed = str(s["metric"]), int(s["k"]), int(s["removed"])  # type: ignore[call-overload]
    max_distance = s["max_distance"]
    assert max_distance is None or isinstance(max_distance, float)
    if metric == "cosine":
        assume(np.all(np.linalg.norm(vectors, axis=1) > 1e-3))
        assume(np.all(np.linalg.norm(queries, axis=1) > 1e-3))
    gallery = Gallery(vectors.shape[1], metric=metric, quantized=bool(s["quantized"]))  # type: ignore[arg-type]
    gallery.add(ids, vectors)
    gallery.remove(ids[:removed])
    keep = np.arange(len(ids)) >= removed
    # rerank covering the whole gallery makes the compressed mode exact, so it must agree too.
    got = gallery.search(queries, k, max_distance=max_distance, rerank=len(ids))
    # k beyond the gallery is clamped to its size, keeping one column for an empty gallery.
    width = min(k, max(len(gallery), 1))
    assert got.ids.shape == (len(queries), width)
    dist = reference_distances(vectors[keep], queries, metric)
    assert_same_neighbours(
        vectors[keep], got.ids, got.distances, ids[keep], dist, width, max_distance
    )


@given(
    arrays(np.float32, (7, 9), elements=VALUES),
    st.integers(0, 6),
    st.sampled_from([np.nan, np.inf, -np.inf, 3e38]),
)
def test_a_bad_value_anywhere_refuses_the_whole_batch(
    rows: np.ndarray, at: int, bad: float
) -> None:
    gallery = Gallery(9)
    gallery.add([100], np.ones(9))
    rows = rows.copy()
    rows[at, at % 9] = bad
    with pytest.raises(InvalidTemplate, match=f"row {at}"):
        gallery.add(np.arange(7), rows)
    assert len(gallery) == 1
    assert gallery.ids().tolist() == [100]


@given(
    arrays(np.float32, (6, 20), elements=VALUES),
    arrays(np.float32, (6, 20), elements=VALUES),
    st.sampled_from(["euclidean", "cosine"]),
)
def test_distances_equal_numpy(a: np.ndarray, b: np.ndarray, metric: str) -> None:
    if metric == "cosine":
        assume(
            np.all(np.linalg.norm(a, axis=1) > 1e-3) and np.all(np.linalg.norm(b, axis=1) > 1e-3)
        )
    got = distances(a, b, metric=metric)  # type: ignore[arg-type]
    want = np.diagonal(reference_distances(b, a, metric))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
