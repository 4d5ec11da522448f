"""A process that erases people and enrolls them again, for the erasure crash test.

``python -m tests.reliability.eraser STORE KEY PEOPLE`` cycles through PEOPLE subjects
``p-0``... (each enrolled in both ``lobby`` and ``spa``, with attempts counted): erase, then
consent and enroll again; it prints ``ack erase <subject>`` after each erasure returns and
``ack enroll <subject>`` after each enrollment. It runs until killed.
"""

from __future__ import annotations

import itertools
import sys

from facegate import FaceGate, MasterKey
from facegate.errors import UnknownId
from tests.reliability.common import OPENED
from tests.reliability.worker import face
from tests.requirements.gate import FakeEncoder, consent_to

PURPOSE = "hotel_check_in"


def enroll(gate: FaceGate, subject: str) -> None:
    """The person in both deployments, with a failed verification counted against them."""
    for deployment in ("lobby", "spa"):
        gate.grant_consent(deployment, subject, consent_to(gate.deployment(deployment)))
        gate.enroll(deployment, subject, face(subject), PURPOSE)
    gate.verify("lobby", subject, -face(subject), PURPOSE)  # a miss: an attempts row


def main(store: str, key: str, people: int) -> None:
    gate = FaceGate.open(store, MasterKey.from_file(key), encoder=FakeEncoder())
    print(OPENED, flush=True)
    for k in itertools.cycle(range(people)):
        subject = f"p-{k}"
        try:
            gate.erase(subject)
            print(f"ack erase {subject}", flush=True)
        except UnknownId:
            pass  # erased by the process killed before this one, and not enrolled again
        enroll(gate, subject)
        print(f"ack enroll {subject}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
