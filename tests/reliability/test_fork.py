"""Forked children work: a process that searched, added, measured and encoded, then forked (as
``multiprocessing`` with "fork", gunicorn ``--preload`` and Celery prefork workers do), has
children that do the same and finish, with the same answers.

rayon's global pool does not survive ``fork()`` (its threads stay in the parent) and neither
do the threads of a ``ThreadPoolExecutor``; each call below used to wait for ever in the child.
Batches are used throughout: a single row is often worked on the calling thread, which would
hide the hang.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from facegate import Gallery, distances
from facegate.demo.synthetic import synthetic_faces
from facegate.faces import FaceDetector, encode_many
from tests import faces

# Generous: each piece takes well under a second; a hang never ends.
TIMEOUT_S = 120

FACES = synthetic_faces(4000, 64, seed=5)


def matching_work() -> dict[str, Any]:
    """Every parallel matching path: a batch add (parallel sort, norms), the scan, the
    matrix-product and the compressed searches, batched distances."""
    exact, compressed = Gallery(), Gallery(quantized=True)
    for gallery in (exact, compressed):
        gallery.add(np.arange(len(FACES.centres)), FACES.centres)
    return {
        "scan": exact.search(FACES.probes[:4], k=3).ids,
        "product": exact.search(FACES.probes, k=3).ids,
        "compressed": compressed.search(FACES.probes[:4], k=3).ids,
        "distances": distances(FACES.centres[:64], FACES.probes),
    }


def encoding_work() -> dict[str, Any]:
    """The Rust encoder on a batch of chips, and encode_many on two threads."""
    detector = FaceDetector()
    pixels = faces.astronaut()
    chip = detector.chip(pixels, detector.detect(pixels)[0])
    images = [faces.astronaut(), faces.hopper()]
    return {
        "chips": detector.encode_chips(np.stack([chip] * 4)),
        "many": np.stack(encode_many(images, detector=detector, threads=2)),  # type: ignore[arg-type]
    }


def _child(work: Callable[[], dict[str, Any]], out: Any) -> None:
    out.send(work())
    out.close()


def in_forked_child(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``work()`` run in a child forked from this process; fails if it does not finish."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process with threads: that is the case tested.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(target=_child, args=(work, send))
        child.start()
    send.close()
    try:
        if not receive.poll(TIMEOUT_S):
            pytest.fail(f"the forked child did not finish {work.__name__} in {TIMEOUT_S} s")
        result: dict[str, Any] = receive.recv()
    finally:
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    assert child.exitcode == 0
    return result


@pytest.mark.parametrize("work", [matching_work, encoding_work], ids=["matching", "encoding"])
def test_a_forked_child_finishes_what_its_parent_did(work: Callable[[], dict[str, Any]]) -> None:
    parent = work()  # the parent's pools are running when it forks
    child = in_forked_child(work)
    assert child.keys() == parent.keys()
    for name, value in parent.items():
        np.testing.assert_allclose(child[name], value, atol=1e-6, err_msg=name)


def test_a_grandchild_works_too() -> None:
    matching_work()

    def nested() -> dict[str, Any]:
        matching_work()  # the child's own pool runs, then it forks again
        return in_forked_child(matching_work)

    expected = matching_work()
    got = in_forked_child(nested)
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, atol=1e-6, err_msg=name)
