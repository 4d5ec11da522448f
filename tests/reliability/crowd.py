"""One of several worker processes enrolling, identifying and erasing on one store at once.

``python -m tests.reliability.crowd STORE KEY INDEX WORKERS ROUNDS``: round ``k`` enrolls
``w{INDEX}-{k}``, erases the person of the round before on odd rounds, and identifies a person
another worker enrolled lately (often one it has just erased), then its own newest. Each
line printed after a call returns carries the system-wide monotonic clock (comparable between
processes):
``enrolled S T``, ``erased S T`` (T: when the erasure returned), ``matched S T`` (T: when the
identification began).
"""

from __future__ import annotations

import random
import sys
import time

from facegate.gate import FaceGate
from facegate.keys import MasterKey
from tests.reliability.worker import PURPOSE, face
from tests.requirements.gate import CONSENT, FakeEncoder


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def main(store: str, key: str, index: int, workers: int, rounds: int) -> None:
    gate = FaceGate.open(store, MasterKey.from_file(key), encoder=FakeEncoder())
    rng = random.Random(index)
    for k in range(rounds):
        subject = f"w{index}-{k}"
        gate.grant_consent("lobby", subject, CONSENT)
        gate.enroll("lobby", subject, face(subject), PURPOSE)
        print(f"enrolled {subject} {now():.6f}", flush=True)
        if k % 2 == 1:
            gate.erase(f"w{index}-{k - 1}")
            print(f"erased w{index}-{k - 1} {now():.6f}", flush=True)
        other = rng.choice([j for j in range(workers) if j != index])
        probe = f"w{other}-{max(0, k - rng.randrange(3))}"
        began = now()
        if gate.identify("lobby", face(probe), PURPOSE).subject == probe:
            print(f"matched {probe} {began:.6f}", flush=True)
        # A match of the newest person resets the device's count of identifications without
        # one (attempt limits), which probes of erased people keep raising.
        assert gate.identify("lobby", face(subject), PURPOSE).subject == subject
    gate.close()


if __name__ == "__main__":
    store, key, index, workers, rounds = sys.argv[1:]
    main(store, key, int(index), int(workers), int(rounds))
