"""The other worker of benches/test_bench_gate.py's change latency: enrolls ``new-<i>`` one at a
time, printing the system-wide monotonic clock when each enrollment returned, and waits for a
line on stdin before the next.

``python -m benches.enroller STORE KEY COUNT``
"""

from __future__ import annotations

import sys
import time

from tests.requirements.gate import CONSENT, FakeEncoder

from facegate import FaceGate, MasterKey
from facegate.demo.synthetic import synthetic_faces


def main(store: str, key: str, count: int) -> None:
    gate = FaceGate.open(
        store, MasterKey.from_file(key), encoder=FakeEncoder(), load_galleries=False
    )
    faces = synthetic_faces(count, 0, seed=77).centres
    for i in range(count):
        gate.grant_consent("lobby", f"new-{i}", CONSENT)
        gate.enroll("lobby", f"new-{i}", faces[i], "hotel_check_in")
        print(f"{time.clock_gettime(time.CLOCK_MONOTONIC):.6f}", flush=True)
        sys.stdin.readline()
    gate.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
