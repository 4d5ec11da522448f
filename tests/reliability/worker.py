"""A process that uses a store the way a device would, for the crash and concurrency tests.

``python -m tests.reliability.worker STORE KEY NAME THREADS OPS`` runs THREADS threads, each
doing OPS rounds of grant, enroll, verify and (every third round) withdraw on its own subjects,
printing ``ack <action> <subject>`` after each call returns (that is, after its commit). OPS = 0
runs until killed. Any exception prints ``error ...`` and exits 1.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import zlib

import numpy as np

from facegate.errors import FacegateError
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from tests.reliability.common import OPENED
from tests.requirements.gate import CONSENT, FakeEncoder

PURPOSE = "hotel_check_in"
_print = threading.Lock()


def ack(action: str, subject: str) -> None:
    with _print:
        print(f"ack {action} {subject}", flush=True)


def face(subject: str) -> np.ndarray:
    # crc32, not hash(): the same face for a subject in every process (hash() is salted).
    rng = np.random.default_rng(zlib.crc32(subject.encode()))
    vector = rng.standard_normal(128).astype(np.float32)
    return vector / np.linalg.norm(vector)


def work(gate: FaceGate, name: str, rounds: int, *, tolerant: bool = False) -> None:
    """Rounds of calls. ``tolerant``: a typed facegate error (an injected I/O fault) is
    reported as ``fail`` and the round moves on; anything else still stops the worker."""
    for k in itertools.count() if rounds == 0 else range(rounds):
        subject = f"{name}-{k}"
        try:
            gate.grant_consent("lobby", subject, CONSENT)
            ack("grant", subject)
            gate.enroll("lobby", subject, face(subject), PURPOSE)
            ack("enroll", subject)
            matched = gate.verify("lobby", subject, face(subject), PURPOSE).match
            ack("verify" if matched else "verify-miss", subject)
            if k % 3 == 2:
                gate.withdraw("lobby", subject)
                ack("withdraw", subject)
        except FacegateError as exc:
            if not tolerant:
                raise
            with _print:
                print(f"fail {type(exc).__name__} {subject}", flush=True)


def main(store: str, key: str, name: str, threads: int, rounds: int) -> int:
    tolerant = os.environ.get("FACEGATE_WORKER_TOLERANT") == "1"
    for attempt in range(10 if tolerant else 1):
        try:
            gate = FaceGate.open(store, MasterKey.from_file(key), encoder=FakeEncoder())
            print(OPENED, flush=True)
            break
        except FacegateError as exc:
            if not tolerant:
                raise
            print(f"fail {type(exc).__name__} (open-{attempt})", flush=True)
    else:
        return 0
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(gate, f"{name}.{index}", rounds, tolerant=tolerant)
        except BaseException as exc:
            failures.append(exc)
            with _print:
                print(f"error {type(exc).__name__} {exc}", flush=True)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    gate.close()
    return 1 if failures else 0


if __name__ == "__main__":
    store, key, name, threads, rounds = sys.argv[1:6]
    sys.exit(main(store, key, name, int(threads), int(rounds)))
