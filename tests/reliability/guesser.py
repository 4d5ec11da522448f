"""One of several processes guessing one person's face at once, for the shared attempt limits.

``python -m tests.reliability.guesser STORE KEY NAME TRIES``: TRIES verifications of ``victim``
with strangers' faces, through a MATCH handle; prints ``miss`` for each that was decided (and
counted) and ``locked`` for each the attempt limit refused.
"""

from __future__ import annotations

import sys

from facegate import Capability, FaceGate, MasterKey
from facegate.errors import AttemptsExceeded
from tests.reliability.worker import PURPOSE, face
from tests.requirements.gate import FakeEncoder


def main(store: str, key: str, name: str, tries: int) -> None:
    gate = FaceGate.open(store, MasterKey.from_file(key), encoder=FakeEncoder())
    device = gate.handle(Capability.MATCH)
    for i in range(tries):
        try:
            decided = device.verify("lobby", "victim", face(f"{name}-stranger-{i}"), PURPOSE)
        except AttemptsExceeded:
            print("locked", flush=True)
        else:
            assert decided.match is False
            print("miss", flush=True)
    gate.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
