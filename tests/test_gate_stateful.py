"""Random sequences of consent, enrollment, matching, withdrawal, erasure, purge and re-opening,
checked after every step against a plain model of who may be matched."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from facegate.demo.synthetic import synthetic_faces
from facegate.errors import ConsentRequired, DuplicateId, UnknownId
from facegate.gate import Capability, FaceGate
from facegate.keys import MasterKey
from tests import peek
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate

PEOPLE = [f"person-{i}" for i in range(5)]
FACES = synthetic_faces(len(PEOPLE), 0, seed=11).centres
PURPOSE = "hotel_check_in"
person = st.sampled_from(range(len(PEOPLE)))


class GateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / "gate.db"
        self.master = MasterKey.generate()
        self.gate = open_gate(self.path, self.master)
        self.consented: set[str] = set()
        self.enrolled: set[str] = set()
        self.known: set[str] = set()  # anything held about them: a consent event
        self.checks = 0

    def teardown(self) -> None:
        self.gate.close()
        self.folder.cleanup()

    @rule(i=person)
    def grant(self, i: int) -> None:
        self.gate.grant_consent("lobby", PEOPLE[i], CONSENT)
        self.consented.add(PEOPLE[i])
        self.known.add(PEOPLE[i])

    @rule(i=person)
    def withdraw(self, i: int) -> None:
        try:
            self.gate.withdraw("lobby", PEOPLE[i])
        except UnknownId:
            assert PEOPLE[i] not in self.known  # nothing to withdraw: no receipt for it
            return
        assert PEOPLE[i] in self.known
        self.consented.discard(PEOPLE[i])
        self.enrolled.discard(PEOPLE[i])

    @rule(i=person)
    def enroll(self, i: int) -> None:
        try:
            self.gate.enroll("lobby", PEOPLE[i], FACES[i], PURPOSE)
        except ConsentRequired:
            assert PEOPLE[i] not in self.consented
            return
        except DuplicateId:
            assert PEOPLE[i] in self.enrolled  # one template per person (R13)
            return
        assert PEOPLE[i] in self.consented
        self.enrolled.add(PEOPLE[i])

    @rule(i=person)
    def erase(self, i: int) -> None:
        try:
            self.gate.erase(PEOPLE[i])
        except UnknownId:
            assert PEOPLE[i] not in self.known  # nothing held: no receipt for erasing nobody
            return
        assert PEOPLE[i] in self.known
        self.known.discard(PEOPLE[i])
        self.consented.discard(PEOPLE[i])
        self.enrolled.discard(PEOPLE[i])
        assert peek.rows(
            self.path,
            "SELECT (SELECT COUNT(*) FROM templates WHERE subject_id = ?) + "
            "(SELECT COUNT(*) FROM data_keys WHERE subject_id = ?) + "
            "(SELECT COUNT(*) FROM consent_events WHERE subject_id = ?)",
            (PEOPLE[i],) * 3,
        ) == [(0,)]

    @rule()
    def purge_everything_expired(self) -> None:
        with time_machine.travel(datetime.now(UTC) + timedelta(days=365)):
            self.gate.purge_expired()
        self.enrolled.clear()

    @rule()
    def reopen(self) -> None:
        self.gate.close()
        self.gate = FaceGate.open(self.path, self.master, encoder=FakeEncoder())

    @invariant()
    def only_consented_enrolled_people_are_found(self) -> None:
        # Each check from a door of its own: the model's probes of people who are not enrolled
        # would otherwise reach the identification limit (R19, tests/reliability/test_attempts).
        self.checks += 1
        door = self.gate.handle(Capability.MATCH, device=f"check-{self.checks}")
        for i, name in enumerate(PEOPLE):
            found = door.identify("lobby", FACES[i] + 0.01, PURPOSE).subject
            expected = name if name in self.enrolled and name in self.consented else None
            assert found == expected, (name, found)

    @invariant()
    def the_gallery_is_what_the_store_says(self) -> None:
        stored = peek.rows(self.path, "SELECT subject_id FROM templates")
        status = self.gate.deployment_status("lobby")
        # The gallery in memory holds as many templates as the file (its operating point
        # counts an empty gallery as one), which the gate counts alike; the invariant above
        # finds in it exactly the people the model expects, and the file holds theirs.
        assert status.templates == len(stored)
        assert status.operating_point.gallery_size == max(len(stored), 1)
        assert {str(r[0]) for r in stored} == self.enrolled & self.consented


TestGate = GateMachine.TestCase
TestGate.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
