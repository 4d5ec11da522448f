"""Matching speed: facegate against numpy and faiss-cpu, on the same data in the same run.

- numpy: ``np.linalg.norm(gallery - probe, axis=1)``, how face_recognition matches, one probe at
  a time (batches loop over probes, so they run only at the smallest size);
- faiss: ``IndexFlatL2``, exact search with BLAS for batches (all cores through OpenMP);
- facegate: exact float32 search, and the int8 compressed mode with exact re-rank;
- batches of 1024, top-1 and top-10: facegate on both cores against faiss on one thread and on
  two (its BLAS on two threads is not always the faster), the ratio taken against the better.

Run with ``scripts/bench``; ``benches/report.py`` turns the JSON into the ratio tables of
``benches/RESULTS.md``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

from benches.conftest import QUICK
from facegate import Gallery
from facegate.demo.synthetic import SyntheticFaces, synthetic_faces

SIZES = [2_000] if QUICK else [10_000, 100_000, 1_000_000]
BATCHES = [1, 64] if QUICK else [1, 64, 1024]
TOP_K_SIZE = SIZES[-1]
TOP_K_BATCH = BATCHES[-1]
# faiss's batches on one and on two OpenMP threads: its two-thread BLAS is not always faster.
FAISS_THREADS = {"faiss-1t": 1, "faiss-2t": 2}
ENGINES = ["facegate", "facegate_int8", "faiss", "numpy"]


@cache
def faces(n: int) -> SyntheticFaces:
    return synthetic_faces(n, max(BATCHES), seed=n)


@cache
def engine(name: str, n: int) -> Any:
    data = faces(n)
    if name.startswith("facegate"):
        gallery = Gallery(quantized=name == "facegate_int8")
        gallery.add(np.arange(n), data.centres)
        return gallery
    if name == "faiss":
        import faiss

        index = faiss.IndexFlatL2(data.centres.shape[1])
        index.add(data.centres)
        return index
    return data.centres


def nearest(name: str, index: Any, probes: np.ndarray) -> np.ndarray:
    """Id of the nearest template to each probe, however the engine spells it."""
    if name.startswith("facegate"):
        return np.asarray(index.search(probes).ids[:, 0], dtype=np.int64)
    if name == "faiss":
        return np.asarray(index.search(probes, 1)[1][:, 0], dtype=np.int64)
    return np.array([np.argmin(np.linalg.norm(index - p, axis=1)) for p in probes])


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", ENGINES)
def test_search(benchmark: Any, name: str, n: int, batch: int) -> None:
    if name == "numpy" and batch > 1 and n > SIZES[0]:
        pytest.skip("numpy loops over probes: batches only at the smallest size")
    index = engine(name, n)
    probes = faces(n).probes[:batch]
    benchmark.group = f"search n={n} batch={batch}"
    benchmark.extra_info.update(engine=name, n=n, batch=batch)
    rounds = 3 if (name == "numpy" and batch > 1) or (n >= 1_000_000 and batch >= 1024) else None
    if rounds:
        found = benchmark.pedantic(nearest, args=(name, index, probes), rounds=rounds)
    else:
        found = benchmark(nearest, name, index, probes)
    # Every engine must find the same neighbours, or its speed means nothing.
    reference = nearest("facegate", engine("facegate", n), probes)
    agreement = float(np.mean(found == reference))
    benchmark.extra_info["agreement_with_exact"] = agreement
    assert agreement >= (0.999 if name == "facegate_int8" else 1.0)


def top_k(name: str, index: Any, probes: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k nearest templates to each probe, one row per probe."""
    if name == "facegate":
        return np.asarray(index.search(probes, k=k).ids, dtype=np.int64)
    import faiss

    faiss.omp_set_num_threads(FAISS_THREADS[name])
    return np.asarray(index.search(probes, k)[1], dtype=np.int64)


@pytest.mark.parametrize("k", [1, 10])
@pytest.mark.parametrize("name", ["facegate", *FAISS_THREADS])
def test_batch_top_k(benchmark: Any, name: str, k: int) -> None:
    import faiss

    n, batch = TOP_K_SIZE, TOP_K_BATCH
    index = engine("facegate" if name == "facegate" else "faiss", n)
    probes = faces(n).probes[:batch]
    benchmark.group = f"batch top-{k} n={n} batch={batch}"
    benchmark.extra_info.update(engine=name, n=n, batch=batch, k=k)
    threads = faiss.omp_get_max_threads()
    try:
        found = benchmark.pedantic(top_k, args=(name, index, probes, k), rounds=3, warmup_rounds=1)
    finally:
        faiss.omp_set_num_threads(threads)
    # The same neighbours as exact search, or the speed means nothing: faiss's BLAS distances
    # differ in the last bits, which may swap two near-equal neighbours in a top 10.
    reference = top_k("facegate", engine("facegate", n), probes, k)
    agreement = float(
        np.mean([len(set(a) & set(b)) / k for a, b in zip(found, reference, strict=True)])
    )
    benchmark.extra_info["agreement_with_exact"] = agreement
    assert agreement >= (1.0 if name == "facegate" else 0.999)
