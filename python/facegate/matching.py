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
from facegate._arrays import as_count, as_ids, as_matrix
from facegate.errors import InvalidArgument

__all__ = ["NO_MATCH", "Gallery", "Matches", "Metric", "distance", "distances", "simd_paths"]

Metric = Literal["euclidean", "cosine"]

NO_MATCH: Final = np.uint64(2**64 - 1)
"""The id in result slots that hold no neighbour (their distance is ``inf``); it cannot be added."""


@dataclass(frozen=True, slots=True)
class Matches:
    """Nearest neighbours of a batch of queries, unpackable as ``ids, distances = matches``.

    ids: ``uint64[m, k]``, nearest first; ties in distance are ordered by the smaller id; slots
        with no neighbour hold :data:`NO_MATCH`. ``k`` is the width :meth:`Gallery.search`
        returned: the ``k`` asked for, clamped to the gallery's size (at least 1).
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
    releases the GIL. Removed templates are overwritten with zeros in memory. Fork-safe: a
    process forked from one that used galleries (``multiprocessing`` with "fork", gunicorn
    ``--preload``, Celery prefork) runs its parallel work on worker threads of its own.

    Raises InvalidArgument for a ``dim`` that is not an integer from 1 to 32,768 (wider
    vectors would overflow the int8 accumulators) or settings of the wrong kind.
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
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
            raise InvalidArgument(f"dim must be a positive integer, got {dim!r}")
        if not isinstance(metric, str):
            raise InvalidArgument(f"metric must be 'euclidean' or 'cosine', got {metric!r}")
        if not isinstance(quantized, bool | np.bool_):
            raise InvalidArgument(f"quantized must be True or False, got {quantized!r}")
        if simd is not None and not isinstance(simd, str):
            raise InvalidArgument(f"simd must be the name of a SIMD path or None, got {simd!r}")
        # Above 2**32 the core's own bound (and message) applies; 2**64 would not reach it.
        self._inner = _core.Gallery(
            min(int(dim), 2**32), metric=metric, quantized=bool(quantized), simd=simd
        )

    def add(self, ids: Any, vectors: Any) -> None:
        """Adds ``vectors`` (``[n, dim]``, or one vector) under ``ids`` (n integers).

        All or nothing: raises DuplicateId for an id already present or repeated in the call
        (the message says which), InvalidTemplate for a wrong dimension or NaN/inf/huge values,
        InvalidArgument for mismatched counts or the reserved id :data:`NO_MATCH`; then nothing
        is added. Empty ``ids`` with empty ``vectors`` add nothing.
        """
        self._inner.add(as_ids(ids), as_matrix(vectors, name="vectors", dim=self.dim))

    def remove(self, ids: Any) -> None:
        """Removes ``ids`` and wipes their vectors from memory; all or nothing.

        Raises UnknownId for an id not present, DuplicateId for one repeated in the call.
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
            k: neighbours per query, default 1: an integer from 0 to 2**64 - 1. A ``k`` larger
                than the gallery is clamped to its size, so the result never costs more than
                the gallery holds; it keeps at least one column (``k = 0`` gives none), so
                ``ids[:, 0]`` is always the nearest, or :data:`NO_MATCH` in an empty gallery.
            max_distance: largest distance returned (inclusive), e.g. 0.6 for dlib encodings;
                default no limit.
            rerank: for quantized galleries, how many int8 candidates are re-measured exactly;
                default ``max(32, 4k)``, clamped like ``k``.
            exact: scan float32 even in a quantized gallery.

        Returns:
            :class:`Matches` with ``[m, min(k, max(len(self), 1))]`` ids and distances.

        Raises InvalidTemplate for queries of the wrong dimension or with NaN/inf/huge
        values, InvalidArgument for a ``k``, ``rerank``, ``max_distance`` or ``exact`` of the
        wrong type or range, or a result too large for memory (``m`` x ``k`` slots).
        """
        count = as_count(k, name="k")
        depth = None if rerank is None else as_count(rerank, name="rerank")
        limit = _as_limit(max_distance)
        if not isinstance(exact, bool | np.bool_):
            raise InvalidArgument(f"exact must be True or False, got {exact!r}")
        q = as_matrix(queries, name="queries", dim=self.dim)
        ids, dists = self._inner.search(q, count, limit, depth, bool(exact))
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


def _as_limit(value: Any) -> float | None:
    """``max_distance`` as the core takes it: None, or a non-negative real number."""
    if value is None:
        return None
    real_or_not = int | float | complex | np.number
    if isinstance(value, bool | np.bool_) or not isinstance(value, real_or_not):
        raise InvalidArgument(f"max_distance must be a number or None, not {type(value).__name__}")
    if isinstance(value, complex | np.complexfloating):
        raise InvalidArgument("max_distance must be a real number")
    limit = float(value)
    if not limit >= 0:
        raise InvalidArgument(f"max_distance must be a non-negative number, got {limit}")
    return limit


def distances(a: Any, b: Any, *, metric: Metric = "euclidean") -> npt.NDArray[np.float32]:
    """Row-wise distances: ``a[i]`` to ``b[i]``, or every row of ``a`` to the one vector ``b``.

    This is batched 1:1 verification; with dlib encodings two faces match at a Euclidean
    distance of at most 0.6. Raises InvalidTemplate for vectors without values or with
    NaN/inf/huge values, InvalidArgument for mismatched widths or row counts.
    """
    x = as_matrix(a, name="a")
    y = as_matrix(b, name="b")
    return _core.distances(x, y, _metric(metric))


def distance(a: Any, b: Any, *, metric: Metric = "euclidean") -> float:
    """Distance between two templates (1:1 verification); raises as :func:`distances`."""
    x = as_matrix(a, name="a")
    y = as_matrix(b, name="b")
    metric = _metric(metric)
    if x.shape[0] != 1 or y.shape[0] != 1:
        raise InvalidArgument("distance() compares two single vectors; use distances() for batches")
    return float(_core.distances(x, y, metric)[0])


def _metric(value: Any) -> Metric:
    if not isinstance(value, str) or value not in ("euclidean", "cosine"):
        raise InvalidArgument(f"metric must be 'euclidean' or 'cosine', got {value!r}")
    return "cosine" if value == "cosine" else "euclidean"


def simd_paths() -> list[str]:
    """SIMD paths this CPU supports, slowest first; galleries default to the last one that
    ``FACEGATE_SIMD`` allows."""
    return list(_core.simd_paths())
