"""The cost of the gate: enrollment throughput, opening a store, verification and
identification latency against the bare Gallery search on the same templates, on each backend
(SQLite; PostgreSQL where a server is given: ``FACEGATE_BENCH_POSTGRES``, else
``FACEGATE_TEST_POSTGRES``, an administrator's URL on which the benchmarks create their
databases), and how soon a change one worker makes is seen by another.

Enrollment goes through the whole path (consent ledger, rotation, seal, data-key wrap, SQLite
commit with synchronous=FULL, hash-chained audit entry); encodings are synthetic (a fake
encoder), so the face pipeline's own cost (benches/test_bench_faces.py) is not counted twice.
The 1:N deployment accepts every miss (``max_fnir=1.0``): a benchmark is not a deployment, and
at these sizes the honest limits would otherwise stop the enrollment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, CONSENT, IDENTIFY, FakeEncoder, open_gate

from benches.conftest import QUICK
from facegate import FaceGate, Gallery, MasterKey, Rotation
from facegate.demo.synthetic import synthetic_faces
from facegate.store.transfer import copy_store

# FACEGATE_BENCH_MAX caps the sizes (1,000,000 takes the SQLite store minutes to fill).
_MAX = int(os.environ.get("FACEGATE_BENCH_MAX", "1000000"))
SIZES = [1_000] if QUICK else [n for n in (10_000, 100_000) if n <= _MAX]
LOADED = SIZES if QUICK else [n for n in (*SIZES, 1_000_000) if n <= _MAX]
SINGLE = 50 if QUICK else 500
CHANGES = 50 if QUICK else 1_000
PURPOSE = "hotel_check_in"
MASTER = MasterKey.generate()
FOLDER = tempfile.TemporaryDirectory()
SERVER = os.environ.get("FACEGATE_BENCH_POSTGRES") or os.environ.get("FACEGATE_TEST_POSTGRES")
BACKENDS = ["sqlite", "postgresql"] if SERVER else ["sqlite"]
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def location(name: str, backend: str) -> Path | str:
    """A new, empty store location on ``backend``: a file, or a database made afresh."""
    if backend == "sqlite":
        path = Path(FOLDER.name) / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return path
    import psycopg

    assert SERVER is not None
    database = f"fgbench_{name.replace('-', '_')}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
    return SERVER.rsplit("/", 1)[0] + f"/{database}"


def opened(path: Path | str, **options: Any) -> FaceGate:
    """The gate on a store :func:`populated` made. A PostgreSQL one is a copy of the SQLite
    store's files moved there, with the same identity: the two go on separately here, so each
    keeps its checkpoints (and the copy its erasure keys) in a folder of its own, as two hosts
    would, instead of seeing the other's as its own rolled back."""
    folder = Path(FOLDER.name) / "copies" if isinstance(path, str) else None
    return FaceGate.open(path, MASTER, encoder=FakeEncoder(), checkpoints=folder, **options)


@cache
def populated(n: int, backend: str = "sqlite") -> tuple[Path | str, np.ndarray]:
    """A store with n consented, enrolled subjects (bulk enrollment), and their centres; on
    PostgreSQL the SQLite store moved there (``facegate store migrate``: the same rows, and
    enrolling 100,000 one transaction at a time there is measured on its own), opened once (its
    data keys move under the first erasure epoch)."""
    faces = synthetic_faces(n, 0, seed=n).centres
    if backend != "sqlite":
        # A copy of the SQLite store's files (a backup of it, never opened again) is moved.
        original, _ = populated(n)
        source = location(f"source-{n}", "sqlite")
        for suffix in ("", "-wal"):
            if Path(f"{original}{suffix}").exists():
                shutil.copyfile(f"{original}{suffix}", f"{source}{suffix}")
        target = location(f"gate-{n}", backend)
        copy_store(source, target)  # the source is never opened again: the copy is the store
        opened(target, load_galleries=False).close()
        return target, faces
    path = location(f"gate-{n}", backend)
    gate = open_gate(path, MASTER, max_fnir=1.0)
    people = [f"subject-{i}" for i in range(n)]
    gate.grant_consents("lobby", [(name, CONSENT) for name in people])
    gate.enroll_encodings("lobby", list(zip(people, faces, strict=True)), PURPOSE)
    gate.close()
    return path, faces


@pytest.mark.parametrize("backend", BACKENDS)
def test_enroll_one_by_one(benchmark: Any, backend: str) -> None:
    """Per subject: one consent grant and one enrollment call, each its own durable commit."""
    faces = synthetic_faces(SINGLE, 0, seed=3).centres
    benchmark.group = "gate: enrollment"
    engine = f"facegate on {NAMES[backend]}"
    benchmark.extra_info.update(engine=engine, stage="enroll one by one", n=SINGLE)

    def run() -> None:
        gate = open_gate(location("one-by-one", backend), MASTER, max_fnir=1.0)
        for i in range(SINGLE):
            gate.grant_consent("lobby", f"s{i}", CONSENT)
            gate.enroll("lobby", f"s{i}", faces[i], PURPOSE)
        gate.close()

    benchmark.pedantic(run, rounds=1)


@pytest.mark.parametrize(
    ("n", "backend"),
    [(n, b) for n in SIZES for b in BACKENDS if b == "sqlite" or n == SIZES[0]],
)
def test_enroll_in_bulk(benchmark: Any, n: int, backend: str) -> None:
    """Bulk enrollment on each backend (PostgreSQL at the smallest size: it takes one round
    trip per lookup of the bulk path, minutes at 100,000)."""
    faces = synthetic_faces(n, 0, seed=5).centres
    benchmark.group = "gate: enrollment"
    engine = f"facegate on {NAMES[backend]}"
    benchmark.extra_info.update(engine=engine, stage=f"enroll_many {n:,}", n=n)

    def run() -> None:
        gate = open_gate(location("bulk", backend), MASTER, max_fnir=1.0)
        people = [f"s{i}" for i in range(n)]
        gate.grant_consents("lobby", [(name, CONSENT) for name in people])
        gate.enroll_encodings("lobby", list(zip(people, faces, strict=True)), PURPOSE)
        gate.close()

    benchmark.pedantic(run, rounds=1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", LOADED)
def test_open_store(benchmark: Any, n: int, backend: str) -> None:
    path, faces = populated(n, backend)
    benchmark.group = "gate: open"
    engine = f"facegate on {NAMES[backend]}"
    benchmark.extra_info.update(engine=engine, stage=f"FaceGate.open {n:,}", n=n)
    gate = benchmark.pedantic(lambda: opened(path), rounds=3)
    assert gate.deployment_status("lobby").templates == n
    # The gallery was loaded whole: the last enrolled subject is found.
    assert gate.identify("lobby", faces[n - 1] + 0.01, PURPOSE).subject == f"subject-{n - 1}"
    gate.close()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", LOADED)
def test_verify(benchmark: Any, n: int, backend: str) -> None:
    """1:1: one person's template against a probe, through the whole gate."""
    path, faces = populated(n, backend)
    benchmark.group = f"gate: verify n={n:,}"
    engine = f"facegate on {NAMES[backend]}"
    benchmark.extra_info.update(engine=engine, stage=f"verify {n:,}", n=1)
    gate = opened(path, load_galleries=False)
    subject = f"subject-{n // 2}"
    decision = benchmark(gate.verify, "lobby", subject, faces[n // 2] + 0.01, PURPOSE)
    assert decision.match is True
    gate.close()


@contextmanager
def distance_rule(path: Path | str) -> Iterator[None]:
    """The store's lobby declared with ratio 1 (the distance rule, as before the second-best
    test) for the duration, then as it was."""
    gate = FaceGate.open(path, MASTER, encoder=FakeEncoder(), load_galleries=False)

    def declare(**extra: Any) -> None:
        gate.update_deployment(lobby(**IDENTIFY, max_fnir=1.0, **extra))
        gate.record_assessment("lobby", ASSESSMENT)
        gate.activate("lobby")

    declare(ratio=1.0)
    try:
        yield
    finally:
        declare()
        gate.close()


IDENTIFY_ENGINES = [
    *(("FaceGate.identify", backend) for backend in BACKENDS),
    ("FaceGate.identify, distance rule", "sqlite"),
    ("bare Gallery.search", "sqlite"),
]


@pytest.mark.parametrize("n", LOADED)
@pytest.mark.parametrize(("engine", "backend"), IDENTIFY_ENGINES)
def test_identify(benchmark: Any, n: int, engine: str, backend: str) -> None:
    """The gate's identification (the second-best test by default; the distance rule, ratio 1,
    for comparison) against the bare search on the same templates."""
    path, faces = populated(n, backend)
    probe = faces[n // 3] + 0.01
    benchmark.group = f"gate: identify n={n:,}"
    label = f"{engine} on {NAMES[backend]}" if engine.startswith("FaceGate") else engine
    benchmark.extra_info.update(engine=label, stage=f"identify {n:,}", n=1)
    if engine.startswith("FaceGate.identify"):
        plain = engine.endswith("distance rule")
        with distance_rule(path) if plain else nullcontext():
            gate = opened(path)
            decision = benchmark(gate.identify, "lobby", probe, PURPOSE)
            gate.close()
        assert decision.subject == f"subject-{n // 3}"
        assert (decision.ratio == 1.0) == plain
    else:
        gallery = Gallery()
        gallery.add(np.arange(n), Rotation.derive(MASTER, "lobby").apply(faces))
        rotated = Rotation.derive(MASTER, "lobby").apply(probe)
        found = benchmark(gallery.search, rotated, max_distance=0.6)
        assert found.ids[0, 0] == n // 3


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", SIZES)
def test_identify_after_a_commit_elsewhere(benchmark: Any, n: int, backend: str) -> None:
    """Another process wrote (here, a second connection records a decline at the desk): the
    next identification first checks what it wrote and follows the store's change log, where
    it used to rebuild the whole gallery."""
    path, faces = populated(n, backend)
    probe = faces[n // 3] + 0.01
    benchmark.group = f"gate: identify n={n:,}"
    engine = f"after a commit elsewhere, on {NAMES[backend]}"
    benchmark.extra_info.update(engine=engine, stage=f"identify {n:,}", n=1)
    gate = opened(path)
    desk = opened(path, load_galleries=False)
    alternative = gate.deployment("lobby").alternatives[0].description

    def commit_elsewhere() -> None:
        # pedantic treats a returned value as the arguments, so the receipt is dropped
        desk.decline("lobby", alternative)

    decision = benchmark.pedantic(
        gate.identify,
        args=("lobby", probe, PURPOSE),
        setup=commit_elsewhere,
        rounds=20 if QUICK else 50,
    )
    assert decision.subject == f"subject-{n // 3}"
    desk.close()
    gate.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_change_is_seen_by_another_worker(benchmark: Any, backend: str) -> None:
    """A worker process enrolls one person at a time; this one, its gallery of SIZES[0] loaded,
    identifies the new person until it is found. The time from the enrollment's return to the
    first identification that names them (it includes that identification), of each of
    ``CHANGES`` changes; the median and the worst go into the figures."""
    n = SIZES[0]
    path = location("latency", backend)
    setup = open_gate(path, MASTER, max_fnir=1.0)
    people = [f"subject-{i}" for i in range(n)]
    setup.grant_consents("lobby", [(name, CONSENT) for name in people])
    enrolled = synthetic_faces(n, 0, seed=n).centres
    setup.enroll_encodings("lobby", list(zip(people, enrolled, strict=True)), PURPOSE)
    setup.close()
    key = Path(FOLDER.name) / "worker.key"
    key.unlink(missing_ok=True)
    MASTER.write(key)
    gate = FaceGate.open(path, MASTER, encoder=FakeEncoder())
    faces = synthetic_faces(CHANGES, 0, seed=77).centres
    worker = subprocess.Popen(
        [sys.executable, "-m", "benches.enroller", str(path), str(key), str(CHANGES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdin is not None and worker.stdout is not None
    delays: list[float] = []

    def follow_all() -> None:
        for i in range(CHANGES):
            returned = float(worker.stdout.readline())  # type: ignore[union-attr]
            while gate.identify("lobby", faces[i], PURPOSE).subject != f"new-{i}":
                pass
            delays.append(time.clock_gettime(time.CLOCK_MONOTONIC) - returned)
            worker.stdin.write("next\n")  # type: ignore[union-attr]
            worker.stdin.flush()  # type: ignore[union-attr]

    benchmark.group = "gate: a change seen elsewhere"
    benchmark.pedantic(follow_all, rounds=1)
    worker.communicate(timeout=60)  # closes its pipes
    gate.close()
    delays.sort()
    benchmark.extra_info.update(
        latency=NAMES[backend], median=delays[len(delays) // 2], worst=delays[-1], n=CHANGES
    )
    assert len(delays) == CHANGES
