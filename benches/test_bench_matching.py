"""Matching speed: facegate against numpy and faiss-cpu, on the same data in the same run.

- numpy: ``np.linalg.norm(gallery - probe, axis=1)``, how face_recognition matches, one probe at
  a time (batches loop over probes, so they run only at the smallest size);
- faiss: ``IndexFlatL2``, exact search with BLAS for batches (all cores through OpenMP);
- facegate: exact float32 search, and the int8 compressed mode with exact re-rank.

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
