"""The cost of the gate: enrollment throughput, opening a store, and identification latency
against the bare Gallery search on the same templates.

Enrollment goes through the whole path (consent ledger, rotation, seal, data-key wrap, SQLite
commit with synchronous=FULL, hash-chained audit entry); encodings are synthetic (a fake
encoder), so the face pipeline's own cost (benches/test_bench_faces.py) is not counted twice.
The 1:N deployment accepts every miss (``max_fnir=1.0``): a benchmark is not a deployment, and
at these sizes the honest limits would otherwise stop the enrollment.
"""

from __future__ import annotations

import tempfile
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

SIZES = [1_000] if QUICK else [10_000, 100_000]
LOADED = SIZES if QUICK else [*SIZES, 1_000_000]
SINGLE = 50 if QUICK else 500
PURPOSE = "hotel_check_in"
MASTER = MasterKey.generate()
FOLDER = tempfile.TemporaryDirectory()


@cache
def populated(n: int) -> tuple[Path, np.ndarray]:
    """A store with n consented, enrolled subjects (bulk enrollment), and their centres."""
    faces = synthetic_faces(n, 0, seed=n).centres
    path = Path(FOLDER.name) / f"gate-{n}.db"
    gate = open_gate(path, MASTER, max_fnir=1.0)
    people = [f"subject-{i}" for i in range(n)]
    gate.grant_consents("lobby", [(name, CONSENT) for name in people])
    gate.enroll_encodings("lobby", list(zip(people, faces, strict=True)), PURPOSE)
    gate.close()
    return path, faces


def test_enroll_one_by_one(benchmark: Any) -> None:
    """Per subject: one consent grant and one enrollment call, each its own durable commit."""
    faces = synthetic_faces(SINGLE, 0, seed=3).centres
    benchmark.group = "gate: enrollment"
    benchmark.extra_info.update(engine="facegate", stage="enroll one by one", n=SINGLE)

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            gate = open_gate(Path(folder) / "g.db", MASTER, max_fnir=1.0)
            for i in range(SINGLE):
                gate.grant_consent("lobby", f"s{i}", CONSENT)
                gate.enroll("lobby", f"s{i}", faces[i], PURPOSE)
            gate.close()

    benchmark.pedantic(run, rounds=1)


@pytest.mark.parametrize("n", SIZES)
def test_enroll_in_bulk(benchmark: Any, n: int) -> None:
    faces = synthetic_faces(n, 0, seed=5).centres
    benchmark.group = "gate: enrollment"
    benchmark.extra_info.update(engine="facegate", stage=f"enroll_many {n:,}", n=n)

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            gate = open_gate(Path(folder) / "g.db", MASTER, max_fnir=1.0)
            people = [f"s{i}" for i in range(n)]
            gate.grant_consents("lobby", [(name, CONSENT) for name in people])
            gate.enroll_encodings("lobby", list(zip(people, faces, strict=True)), PURPOSE)
            gate.close()

    benchmark.pedantic(run, rounds=1)


@pytest.mark.parametrize("n", LOADED)
def test_open_store(benchmark: Any, n: int) -> None:
    path, faces = populated(n)
    benchmark.group = "gate: open"
    benchmark.extra_info.update(engine="facegate", stage=f"FaceGate.open {n:,}", n=n)
    gate = benchmark.pedantic(lambda: FaceGate.open(path, MASTER, encoder=FakeEncoder()), rounds=3)
    assert gate.deployment_status("lobby").templates == n
    # The gallery was loaded whole: the last enrolled subject is found.
    assert gate.identify("lobby", faces[n - 1] + 0.01, PURPOSE).subject == f"subject-{n - 1}"
    gate.close()


@contextmanager
def distance_rule(path: Path) -> Iterator[None]:
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


@pytest.mark.parametrize("n", LOADED)
@pytest.mark.parametrize(
    "engine", ["FaceGate.identify", "FaceGate.identify, distance rule", "bare Gallery.search"]
)
def test_identify(benchmark: Any, n: int, engine: str) -> None:
    """The gate's identification (the second-best test by default; the distance rule, ratio 1,
    for comparison) against the bare search on the same templates."""
    path, faces = populated(n)
    probe = faces[n // 3] + 0.01
    benchmark.group = f"gate: identify n={n:,}"
    benchmark.extra_info.update(engine=engine, stage=f"identify {n:,}", n=1)
    if engine.startswith("FaceGate.identify"):
        plain = engine.endswith("distance rule")
        with distance_rule(path) if plain else nullcontext():
            gate = FaceGate.open(path, MASTER, encoder=FakeEncoder())
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


@pytest.mark.parametrize("n", SIZES)
def test_identify_after_a_commit_elsewhere(benchmark: Any, n: int) -> None:
    """Another process wrote (here, a second connection records a decline at the desk): the
    next identification first checks what it wrote and follows the store's change log, where
    it used to rebuild the whole gallery."""
    path, faces = populated(n)
    probe = faces[n // 3] + 0.01
    benchmark.group = f"gate: identify n={n:,}"
    benchmark.extra_info.update(engine="after a commit elsewhere", stage=f"identify {n:,}", n=1)
    gate = FaceGate.open(path, MASTER, encoder=FakeEncoder())
    desk = FaceGate.open(path, MASTER, encoder=FakeEncoder(), load_galleries=False)
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
