"""The Gallery API as a user meets it: shapes, conversions, errors, state and threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from facegate import (
    NO_MATCH,
    DuplicateId,
    FacegateError,
    Gallery,
    InvalidArgument,
    InvalidTemplate,
    UnknownId,
    distance,
    distances,
    simd_paths,
)
from facegate.demo.synthetic import synthetic_faces


@pytest.fixture
def small() -> Gallery:
    gallery = Gallery(4)
    gallery.add([10, 20, 30], [[0, 0, 0, 0], [1, 0, 0, 0], [0, 3, 4, 0]])
    return gallery


def test_results_are_m_by_k_nearest_first_with_sentinels(small: Gallery) -> None:
    ids, dist = small.search([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]], k=3, max_distance=4)
    assert ids.dtype == np.uint64 and dist.dtype == np.float32
    assert ids.tolist() == [[10, 20, NO_MATCH], [20, 10, NO_MATCH]]
    np.testing.assert_allclose(dist[:, :2], [[0.0, 1.0], [0.0, 1.0]])
    assert np.isinf(dist[:, 2]).all()


def test_k_beyond_the_gallery_is_clamped_to_its_size(small: Gallery) -> None:
    # 2**20 neighbours of 1000 queries would be 12 GB of results: it used to abort the process.
    for k in (4, 1_048_576, 2**64 - 1):
        for gallery in (small, _quantized_copy(small)):
            ids, dist = gallery.search(np.zeros((1000, 4)), k=k)
            assert ids.shape == dist.shape == (1000, 3)
            assert ids[0].tolist() == [10, 20, 30]
    assert small.search(np.zeros(4), k=2**64 - 1, rerank=2**64 - 1).ids.tolist() == [[10, 20, 30]]


def test_an_empty_gallery_keeps_one_column_so_the_nearest_is_always_there() -> None:
    ids, dist = Gallery(4).search(np.zeros((2, 4)), k=10)
    assert ids.tolist() == [[NO_MATCH], [NO_MATCH]] and np.isinf(dist).all()
    assert Gallery(4).search(np.zeros(4), k=0).ids.shape == (1, 0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": 2**64}, "k must be between 0 and 2\\*\\*64 - 1, got 18446744073709551616"),
        ({"k": -1}, "k must be between 0"),
        ({"k": "3"}, "k must be an integer, not str"),
        ({"k": 2.5}, "k must be an integer, not float"),
        ({"k": None}, "k must be an integer, not NoneType"),
        ({"k": True}, "k must be an integer, not bool"),
        ({"rerank": 2**64}, "rerank must be between"),
        ({"rerank": "all"}, "rerank must be an integer"),
        ({"max_distance": "0.6"}, "max_distance must be a number"),
        ({"max_distance": -0.1}, "non-negative"),
        ({"max_distance": float("nan")}, "non-negative"),
        ({"max_distance": 1j}, "real number"),
        ({"exact": 1}, "exact must be True or False"),
    ],
)
def test_search_options_of_the_wrong_type_or_range_raise_invalid_argument(
    small: Gallery, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        small.search(np.zeros(4), **options)  # type: ignore[arg-type]


def test_numpy_integers_and_infinite_limits_are_accepted(small: Gallery) -> None:
    found = small.search(np.zeros(4), k=np.uint64(2), rerank=np.int8(5), max_distance=np.inf)
    assert found.ids.tolist() == [[10, 20]]
    assert small.search(
        np.zeros(4), max_distance=np.float32(0.5), exact=np.bool_(True)
    ).ids.tolist() == [[10]]


def _quantized_copy(gallery: Gallery) -> Gallery:
    copy = Gallery(gallery.dim, quantized=True)
    copy.add([10, 20, 30], [[0, 0, 0, 0], [1, 0, 0, 0], [0, 3, 4, 0]])
    return copy


def test_single_vector_query_is_one_row_and_k_zero_is_empty(small: Gallery) -> None:
    assert small.search([1, 0, 0, 0]).ids.tolist() == [[20]]
    assert small.search(np.zeros((3, 4)), k=0).ids.shape == (3, 0)
    assert small.search(np.zeros((0, 4)), k=2).ids.shape == (0, 2)


def test_max_distance_is_inclusive(small: Gallery) -> None:
    ids, dist = small.search([0, 0, 0, 0], k=3, max_distance=1.0)
    assert ids.tolist() == [[10, 20, NO_MATCH]]
    assert dist[0, 2] == np.inf


def test_empty_gallery_returns_only_sentinels() -> None:
    ids, dist = Gallery(8).search(np.ones(8), k=2)
    assert ids.tolist() == [[NO_MATCH]]
    assert np.isinf(dist).all()


def test_float64_lists_and_non_contiguous_arrays_are_accepted() -> None:
    base = np.arange(40, dtype=np.float64).reshape(5, 8)
    gallery = Gallery(4)
    gallery.add(np.array([1, 2, 3, 4, 5], dtype=np.int32), base[:, ::2])
    assert gallery.search(base[2, ::2].tolist()).ids.tolist() == [[3]]


@pytest.mark.parametrize(
    ("ids", "vectors", "error", "message"),
    [
        ([1], np.zeros(5), InvalidTemplate, "dimension 4, got dimension 5"),
        ([1], np.zeros((1, 2, 4)), InvalidTemplate, "3 dimensions"),
        ([1], [["a", "b", "c", "d"]], InvalidArgument, "real numbers"),
        ([1, 2], np.zeros((3, 4)), InvalidArgument, "2 ids were given for 3 vectors"),
        ([-1], np.zeros(4), InvalidArgument, "negative"),
        ([1.5], np.zeros(4), InvalidArgument, "integers"),
        ([2**64], np.zeros(4), InvalidArgument, "2\\*\\*64"),
        ([2**64 - 1], np.zeros(4), InvalidArgument, "reserved"),
        ([10], np.zeros(4), DuplicateId, "id 10 is already present"),
        ([7, 7], np.zeros((2, 4)), DuplicateId, "id 7 appears more than once in the batch"),
        ([], np.zeros((1, 4)), InvalidArgument, "0 ids were given for 1 vectors"),
        ([7], [[0, np.nan, 0, 0]], InvalidTemplate, "row 0"),
        ([7, 8], [[0, 0, 0, 0], [1e300, 0, 0, 0]], InvalidTemplate, "row 1"),
    ],
)
def test_bad_adds_raise_typed_errors_and_add_nothing(
    small: Gallery, ids: object, vectors: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        small.add(ids, vectors)
    assert sorted(small.ids().tolist()) == [10, 20, 30]


def test_errors_share_one_hierarchy_and_builtin_bases() -> None:
    assert issubclass(InvalidTemplate, ValueError) and issubclass(InvalidTemplate, FacegateError)
    assert issubclass(UnknownId, KeyError) and issubclass(DuplicateId, ValueError)


def test_error_messages_never_contain_template_values() -> None:
    gallery = Gallery(3)
    secret = [0.123456, np.nan, 0.654321]
    with pytest.raises(InvalidTemplate) as caught:
        gallery.add([1], secret)
    assert "0.123" not in str(caught.value) and "0.654" not in str(caught.value)


def test_remove_is_all_or_nothing(small: Gallery) -> None:
    with pytest.raises(UnknownId, match="id 99 is not in the gallery"):
        small.remove([10, 99])
    with pytest.raises(DuplicateId, match="id 10 appears more than once in the batch"):
        small.remove([10, 10])
    assert len(small) == 3
    small.remove([10, 30])
    assert small.ids().tolist() == [20]
    assert 10 not in small and 20 in small
    assert small.search([0, 0, 0, 0], k=2, max_distance=0.5).ids.tolist() == [[NO_MATCH]]


@pytest.mark.parametrize("ids", [[], np.zeros(0), np.zeros(0, np.int64)])
@pytest.mark.parametrize("vectors", [[], np.zeros((0, 4)), np.zeros(0)])
def test_empty_batches_add_and_remove_nothing(small: Gallery, ids: object, vectors: object) -> None:
    small.add(ids, vectors)
    small.remove(ids)
    assert len(small) == 3


def test_removed_id_can_be_added_again_and_clear_empties(small: Gallery) -> None:
    small.remove([20])
    small.add([20], [9, 9, 9, 9])
    assert small.search([9, 9, 9, 9]).ids.tolist() == [[20]]
    small.clear()
    assert len(small) == 0 and small.search([0, 0, 0, 0]).ids.tolist() == [[NO_MATCH]]


def test_properties_and_repr_hold_no_template_values(small: Gallery) -> None:
    assert (small.dim, small.metric, small.quantized) == (4, "euclidean", False)
    assert small.simd == simd_paths()[-1]
    assert small.nbytes >= 3 * 4 * 4
    assert repr(small).startswith("Gallery(len=3, dim=4")
    assert "0.0" not in repr(small.search([0, 0, 0, 0]))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"metric": "manhattan"}, "metric"),
        ({"metric": 5}, "metric"),
        ({"dim": 0}, "dim"),
        ({"dim": -1}, "dim must be a positive integer, got -1"),
        ({"dim": 2**64}, "dim must be between 1 and 32768"),
        ({"dim": 40_000}, "dim must be between 1 and 32768"),
        ({"dim": 4.0}, "dim must be a positive integer"),
        ({"dim": "128"}, "dim must be a positive integer"),
        ({"simd": "sse9"}, "simd"),
        ({"simd": 2}, "simd must be the name"),
        ({"quantized": "yes"}, "quantized must be True or False"),
    ],
)
def test_constructor_refuses_bad_settings(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        Gallery(**{"dim": 4, **settings})  # type: ignore[arg-type]


def test_every_simd_path_returns_the_same_neighbours() -> None:
    faces = synthetic_faces(3000, 40, seed=3)
    results = []
    for path in simd_paths():
        for quantized in (False, True):
            gallery = Gallery(simd=path, quantized=quantized)
            gallery.add(np.arange(3000), faces.centres)
            results.append(gallery.search(faces.probes, k=3))
    for other in results[1:]:
        np.testing.assert_array_equal(other.ids, results[0].ids)
        np.testing.assert_allclose(other.distances, results[0].distances, rtol=1e-6)


def test_compressed_mode_recall_at_1_on_clustered_data() -> None:
    # One centre per identity, probes at genuine distances 0.3-0.5: the acceptance data.
    faces = synthetic_faces(50_000, 2000, seed=1)
    gallery = Gallery(quantized=True)
    gallery.add(np.arange(50_000), faces.centres)
    exact = gallery.search(faces.probes, exact=True)
    fast = gallery.search(faces.probes)
    recall = float(np.mean(fast.ids[:, 0] == exact.ids[:, 0]))
    assert recall >= 0.999
    np.testing.assert_array_equal(
        fast.distances[fast.ids == exact.ids], exact.distances[fast.ids == exact.ids]
    )


def test_cosine_metric_distances() -> None:
    gallery = Gallery(2, metric="cosine")
    gallery.add([1, 2, 3], [[1, 0], [0, 2], [-3, 0]])
    ids, dist = gallery.search([[5, 0]], k=3)
    assert ids.tolist() == [[1, 2, 3]]
    np.testing.assert_allclose(dist, [[0.0, 1.0, 2.0]], atol=1e-6)
    with pytest.raises(InvalidTemplate, match="zero vector"):
        gallery.add([4], [0, 0])


def test_one_to_one_distance_forms() -> None:
    a, b = np.zeros(128), np.full(128, 0.05)
    assert distance(a, b) == pytest.approx(np.linalg.norm(b), rel=1e-6)
    many = np.stack([a, b, a])
    np.testing.assert_allclose(
        distances(many, b), [np.linalg.norm(b), 0, np.linalg.norm(b)], rtol=1e-6
    )
    with pytest.raises(InvalidArgument, match="cannot pair 3 rows with 2 rows"):
        distances(many, many[:2])
    with pytest.raises(InvalidArgument, match="dimension"):
        distances(np.zeros(3), np.zeros(4))
    with pytest.raises(InvalidArgument, match="single vectors"):
        distance(many, b)


@pytest.mark.parametrize("empty", [[], np.zeros(0), np.zeros((1, 0)), np.zeros((0, 0))])
def test_vectors_without_values_are_refused_as_templates(empty: object) -> None:
    with pytest.raises(InvalidTemplate, match="dimension 0"):
        distance(empty, empty)
    with pytest.raises(InvalidTemplate, match="dimension 0"):
        distances(empty, empty)


def test_distance_refuses_an_unknown_metric() -> None:
    with pytest.raises(InvalidArgument, match="metric"):
        distance(np.ones(4), np.ones(4), metric="l1")  # type: ignore[arg-type]


def test_search_releases_the_gil_and_threads_share_a_gallery() -> None:
    faces = synthetic_faces(200_000, 512, seed=2)
    gallery = Gallery()
    gallery.add(np.arange(200_000), faces.centres)
    done = threading.Event()
    results: list[np.ndarray] = []

    def search() -> None:
        results.append(gallery.search(faces.probes).ids)
        done.set()

    worker = threading.Thread(target=search)
    ticks = 0
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    # While Rust searched, this Python thread kept running: the GIL was released.
    assert ticks > 1000
    # Concurrent searches and a concurrent add from several threads agree with a serial run.
    serial = gallery.search(faces.probes[:64]).ids
    outputs: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: outputs.append(gallery.search(faces.probes[:64]).ids))
        for _ in range(4)
    ]
    adder = threading.Thread(target=lambda: gallery.add([10**9], np.full(128, 9.0)))
    for t in [*threads, adder]:
        t.start()
    for t in [*threads, adder]:
        t.join()
    assert all(np.array_equal(out, serial) for out in outputs)
    assert 10**9 in gallery
