"""Matching of face templates: 1:N search over a :class:`Gallery`, 1:1 :func:`distance`.

The work happens in Rust (``facegate._core``): SIMD kernels chosen at run time, all cores through
rayon, the GIL released. This module converts inputs and documents the contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from facegate import _core
from facegate._arrays import as_ids, as_matrix
from facegate.errors import InvalidArgument

__all__ = ["NO_MATCH", "Gallery", "Matches", "Metric", "distance", "distances", "simd_paths"]

Metric = Literal["euclidean", "cosine"]

NO_MATCH: Final = np.uint64(2**64 - 1)
"""The id in result slots that hold no neighbour (their distance is ``inf``); it cannot be added."""


@dataclass(frozen=True, slots=True)
class Matches:
    """Nearest neighbours of a batch of queries, unpackable as ``ids, distances = matches``.

    ids: ``uint64[m, k]``, nearest first; ties in distance are ordered by the smaller id; slots
        with no neighbour hold :data:`NO_MATCH`.
    distances: ``float32[m, k]``, ascending, in the gallery's metric; ``inf`` in empty slots.
    """

    ids: npt.NDArray[np.uint64]
    distances: npt.NDArray[np.float32]

    def __iter__(self) -> Iterator[npt.NDArray[Any]]:
        yield self.ids
        yield self.distances

    def __repr__(self) -> str:
        # Distances are fine-grained biometric comparisons: keep them out of logs and reprs.
        return f"Matches(queries={self.ids.shape[0]}, k={self.ids.shape[1]})"


class Gallery:
    """Face templates held in Rust memory, searchable by nearest neighbour.

    Args:
        dim: length of each template, default 128 (dlib's face encodings).
        metric: ``"euclidean"`` (default; what dlib encodings use, a match is a distance of at
            most 0.6) or ``"cosine"`` (``1 - cos``, in [0, 2]; vectors are stored normalised).
        quantized: also keep int8 codes (a quarter of the bytes) and search them first, then
            re-rank the best candidates exactly in float32. Several times faster on large
            galleries; returned distances are still exact.
        simd: pin the SIMD path (``"portable"``, ``"avx2"``, ``"avx512"``); default: the fastest
            this CPU supports (see :func:`simd_paths`).

    Thread-safe: searches run concurrently, changes take exclusive access, and every heavy call
    releases the GIL. Removed templates are overwritten with zeros in memory.
    """

    __slots__ = ("_inner",)

    def __init__(
        self,
        dim: int = 128,
        *,
        metric: Metric = "euclidean",
        quantized: bool = False,
        simd: str | None = None,
    ) -> None:
        self._inner = _core.Gallery(dim, metric=metric, quantized=quantized, simd=simd)

    def add(self, ids: Any, vectors: Any) -> None:
        """Adds ``vectors`` (``[n, dim]``, or one vector) under ``ids`` (n integers).

        All or nothing: raises DuplicateId for an id already present or repeated,
        InvalidTemplate for a wrong dimension or NaN/inf/huge values, InvalidArgument for
        mismatched counts or the reserved id :data:`NO_MATCH`; then nothing is added.
        """
        self._inner.add(as_ids(ids), as_matrix(vectors, name="vectors", dim=self.dim))

    def remove(self, ids: Any) -> None:
        """Removes ``ids`` and wipes their vectors from memory; all or nothing.

        Raises UnknownId for an id not present, DuplicateId for one repeated.
        """
        self._inner.remove(as_ids(ids))

    def clear(self) -> None:
        """Removes every template, wiping them from memory."""
        self._inner.clear()

    def search(
        self,
        queries: Any,
        k: int = 1,
        *,
        max_distance: float | None = None,
        rerank: int | None = None,
        exact: bool = False,
    ) -> Matches:
        """The ``k`` nearest templates to each query.

        Args:
            queries: ``[m, dim]`` array-like, or one vector (then m = 1).
            k: neighbours per query, default 1.
            max_distance: largest distance returned (inclusive), e.g. 0.6 for dlib encodings;
                default no limit.
            rerank: for quantized galleries, how many int8 candidates are re-measured exactly;
                default ``max(32, 4k)``.
            exact: scan float32 even in a quantized gallery.

        Returns:
            :class:`Matches` with ``[m, k]`` ids and distances.
        """
        if k < 0 or (rerank is not None and rerank < 0):
            raise InvalidArgument("k and rerank must not be negative")
        q = as_matrix(queries, name="queries", dim=self.dim)
        ids, dists = self._inner.search(q, k, max_distance, rerank, exact)
        return Matches(ids=ids, distances=dists)

    def ids(self) -> npt.NDArray[np.uint64]:
        """A copy of the stored ids, in storage order (which changes as ids are removed)."""
        return self._inner.ids()

    def __len__(self) -> int:
        return len(self._inner)

    def __contains__(self, id: object) -> bool:
        return isinstance(id, int | np.integer) and 0 <= int(id) < 2**64 and int(id) in self._inner

    @property
    def nbytes(self) -> int:
        """Bytes of memory the gallery holds (vectors, codes, norms, ids; spare capacity too)."""
        return self._inner.nbytes

    @property
    def dim(self) -> int:
        """Length of each template."""
        return self._inner.dim

    @property
    def metric(self) -> Metric:
        """``"euclidean"`` or ``"cosine"``."""
        return "cosine" if self._inner.metric == "cosine" else "euclidean"

    @property
    def quantized(self) -> bool:
        """Whether int8 codes are kept and searched first."""
        return self._inner.quantized

    @property
    def simd(self) -> str:
        """The SIMD path this gallery's kernels take."""
        return self._inner.simd

    def __repr__(self) -> str:
        return (
            f"Gallery(len={len(self)}, dim={self.dim}, metric={self.metric!r}, "
            f"quantized={self.quantized}, simd={self.simd!r})"
        )


def distances(a: Any, b: Any, *, metric: Metric = "euclidean") -> npt.NDArray[np.float32]:
    """Row-wise distances: ``a[i]`` to ``b[i]``, or every row of ``a`` to the one vector ``b``.

    This is batched 1:1 verification; with dlib encodings two faces match at a Euclidean
    distance of at most 0.6.
    """
    x = as_matrix(a, name="a")
    y = as_matrix(b, name="b")
    return _core.distances(x, y, metric)


def distance(a: Any, b: Any, *, metric: Metric = "euclidean") -> float:
    """Distance between two templates (1:1 verification)."""
    x = as_matrix(a, name="a")
    y = as_matrix(b, name="b")
    if x.shape[0] != 1 or y.shape[0] != 1:
        raise InvalidArgument("distance() compares two single vectors; use distances() for batches")
    return float(_core.distances(x, y, metric)[0])


def simd_paths() -> list[str]:
    """SIMD paths this CPU supports, slowest first; galleries default to the last one that
    ``FACEGATE_SIMD`` allows."""
    return list(_core.simd_paths())
