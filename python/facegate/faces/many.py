"""Many images encoded at once: the enrollment path of bulk imports and of the command line.

Images are prepared (decoded, detected, landmarked, cut into chips) on a pool of threads, which
the Rust core lets run in parallel, and their chips encoded in batches; dlib's own encoder and
its random jitter hold the GIL, so they run in processes instead.

Fork-safe: a process forked from one that encoded (``multiprocessing`` with "fork", gunicorn
``--preload``) starts its own worker threads instead of waiting on its parent's.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.errors import FacegateError, InvalidArgument
from facegate.faces.detect import FaceDetector

__all__ = ["encode_many"]

_worker: FaceDetector | None = None


def _start_worker(detector: FaceDetector) -> None:
    global _worker
    _worker = detector


def _encode_in_worker(item: tuple[Any, int]) -> npt.NDArray[np.float32] | FacegateError:
    image, jitter = item
    assert _worker is not None
    try:
        return _worker.encode(image, jitter=jitter, operation="enrollment")
    except FacegateError as exc:
        return exc


def encode_many(
    images: Iterable[Any],
    *,
    detector: FaceDetector | None = None,
    jitter: int = 0,
    threads: int | None = None,
    batch: int = 32,
    processes: int | None = None,
    progress: bool = False,
) -> list[npt.NDArray[np.float32] | FacegateError]:
    """Encodes the one face of each image (after the enrollment gates), keeping input order.

    With the Rust encoder (the default), ``threads`` threads (default: one per core) decode,
    detect, find landmarks and cut chips (in the Rust core, without the GIL; with fewer threads
    than cores each image's pyramid is spread over the cores; with ``backend="dlib"``, dlib's
    detector, which releases the GIL too), and the chips are encoded ``batch`` at a time in
    Rust on every core. With ``encoder="dlib"`` or ``jitter``, whose work holds the GIL, it
    runs in a pool of ``processes`` started with ``spawn``. An image that fails a gate or
    cannot be read yields its error object in its place instead of stopping the batch.
    ``progress`` prints a counter to stderr.
    """
    detector = detector or FaceDetector()
    items: Sequence[Any] = list(images)
    if detector.encoder == "dlib" or jitter:
        return _encode_in_processes(items, detector, jitter, processes, progress)
    if batch < 1:
        raise InvalidArgument(f"batch must be at least 1, got {batch}")
    workers = max(1, min(threads or os.cpu_count() or 1, len(items) or 1))
    results: list[npt.NDArray[np.float32] | FacegateError] = []
    pending: list[tuple[int, npt.NDArray[np.uint8]]] = []

    def flush() -> None:
        encoded = detector.encode_chips(np.stack([chip for _, chip in pending]))
        for (index, _), encoding in zip(pending, encoded, strict=True):
            results[index] = encoding
        pending.clear()

    # With a thread per core, each image's detection stays on its thread's core.
    prepare = partial(detector._prepare, spread=workers < (os.cpu_count() or 1))
    for index, prepared in enumerate(_thread_pool(workers).map(prepare, items)):
        results.append(prepared if isinstance(prepared, FacegateError) else _PLACEHOLDER)
        if not isinstance(prepared, FacegateError):
            pending.append((index, prepared))
        if len(pending) >= batch:
            flush()
        _report(progress, index + 1, len(items))
    if pending:
        flush()
    if progress:
        print(file=sys.stderr)
    return results


_PLACEHOLDER = np.empty(0, np.float32)
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _thread_pool(workers: int) -> ThreadPoolExecutor:
    """A long-lived pool per size: with ``backend="dlib"`` its threads keep their own dlib
    detectors (loading one costs about a quarter of a second) from one call to the next."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="facegate")
        return pool


def _forget_pools_in_child() -> None:
    """After fork: the parent's pool threads do not exist in the child, and an executor that
    believes its idle threads are there never starts new ones, so its work would wait for
    ever. The child makes its own pools (and lock: the parent may have held it)."""
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools_in_child)


def _report(progress: bool, done: int, total: int) -> None:
    if progress:
        print(f"\rencoded {done}/{total}", end="", file=sys.stderr, flush=True)


def _encode_in_processes(
    items: Sequence[Any],
    detector: FaceDetector,
    jitter: int,
    processes: int | None,
    progress: bool,
) -> list[npt.NDArray[np.float32] | FacegateError]:
    workers = max(1, min(processes or os.cpu_count() or 1, len(items) or 1))
    results: list[npt.NDArray[np.float32] | FacegateError] = []
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(detector,)
    ) as pool:
        for done, result in enumerate(
            pool.map(_encode_in_worker, [(image, jitter) for image in items], chunksize=4), 1
        ):
            results.append(result)
            _report(progress, done, len(items))
    if progress:
        print(file=sys.stderr)
    return results
