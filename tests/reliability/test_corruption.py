"""A damaged database file: every open or read gives a result or a typed error; nothing crashes,
and no mutated template is ever decrypted (the AEAD refuses it)."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facegate.demo.synthetic import synthetic_faces
from facegate.errors import FacegateError
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from tests import peek
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate

MASTER = MasterKey.generate()
PURPOSE = "hotel_check_in"
FACES = synthetic_faces(40, 0, seed=8).centres


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corrupt")
    gate = open_gate(folder / "s.db", MASTER)
    people = [f"p{i}" for i in range(len(FACES))]
    gate.grant_consents("lobby", [(p, CONSENT) for p in people])
    gate.enroll_encodings("lobby", list(zip(people, FACES, strict=True)), PURPOSE)
    gate.withdraw("lobby", "p3")
    peek.execute(folder / "s.db", "PRAGMA wal_checkpoint(TRUNCATE)")
    gate.close()
    return folder / "s.db"


def use(path: Path) -> str:
    """Everything a caller might do with a store; returns how it ended."""
    try:
        # Each mutated copy is the same store (same id): it keeps checkpoints of its own.
        gate = FaceGate.open(path, MASTER, encoder=FakeEncoder(), checkpoints=path.parent / "kept")
        decision = gate.identify("lobby", FACES[7], PURPOSE)
        if decision.subject not in (None, "p7"):
            return f"wrong answer {decision.subject}"
        gate.verify_audit()
        gate.close()
        return "ok"
    except FacegateError as exc:
        return type(exc).__name__


REGIONS: dict[str, Callable[[int], tuple[int, int]]] = {
    "header": lambda size: (0, 100),
    "first pages": lambda size: (100, min(size, 16384)),
    "anywhere": lambda size: (0, size),
    "last pages": lambda size: (max(0, size - 16384), size),
}


@pytest.mark.parametrize("region", sorted(REGIONS))
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 8))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_files_give_results_or_typed_errors(
    original: Path, tmp_path_factory: pytest.TempPathFactory, region: str, seed: int, flips: int
) -> None:
    copy = tmp_path_factory.mktemp("m") / "s.db"
    shutil.copy(original, copy)
    data = bytearray(copy.read_bytes())
    start, end = REGIONS[region](len(data))
    rng = random.Random(seed)
    for _ in range(flips):
        at = rng.randrange(start, end)
        data[at] ^= 1 << rng.randrange(8)
    copy.write_bytes(bytes(data))
    outcome = use(copy)
    assert not outcome.startswith("wrong answer"), outcome


def test_a_mutated_wal_is_survived(original: Path, tmp_path: Path) -> None:
    gate = FaceGate.open(original, MASTER, encoder=FakeEncoder())
    copy = tmp_path / "s.db"
    shutil.copy(original, copy)
    gate.close()
    live = FaceGate.open(copy, MASTER, encoder=FakeEncoder(), checkpoints=tmp_path / "kept")
    live.grant_consent("lobby", "late", CONSENT)
    live.enroll("lobby", "late", np.roll(FACES[0], 5), PURPOSE)
    wal = Path(str(copy) + "-wal")
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    for suffix in ("", "-wal", "-shm"):
        shutil.copy(str(copy) + suffix, str(frozen / "s.db") + suffix)
    live.close()
    data = bytearray((frozen / "s.db-wal").read_bytes())
    assert wal.exists() or len(data) > 0
    rng = random.Random(1)
    for _ in range(20):
        data[rng.randrange(32, len(data))] ^= 0xFF
    (frozen / "s.db-wal").write_bytes(bytes(data))
    assert not use(frozen / "s.db").startswith("wrong answer")


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"\x00" * 4096)
    assert use(path) in {"CorruptStore", "UnknownId"}
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    assert use(path) == "CorruptStore"


def test_a_thousand_mutated_copies(original: Path, tmp_path: Path) -> None:
    """The figure for docs/RELIABILITY.md: outcomes of 1,000 copies with 1-8 random bit flips."""
    clean = original.read_bytes()
    rng = random.Random(7)
    outcomes: dict[str, int] = {}
    for _ in range(1000):
        data = bytearray(clean)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        copy = tmp_path / "m.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
        copy.write_bytes(bytes(data))
        outcome = use(copy)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n1,000 mutated copies: {dict(sorted(outcomes.items(), key=lambda kv: -kv[1]))}")
    assert not any(name.startswith("wrong answer") for name in outcomes)
    assert outcomes.get("TamperedData", 0) > 100  # the mutations do reach the templates
