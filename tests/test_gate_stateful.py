"""Random sequences of consent, enrollment, matching, withdrawal, erasure, purge and re-opening,
checked after every step against a plain model of who may be matched."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from facegate.demo.synthetic import synthetic_faces
from facegate.errors import ConsentRequired
from facegate.gate import FaceGate
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

    def teardown(self) -> None:
        self.gate.close()
        self.folder.cleanup()

    @rule(i=person)
    def grant(self, i: int) -> None:
        self.gate.grant_consent("lobby", PEOPLE[i], CONSENT)
        self.consented.add(PEOPLE[i])

    @rule(i=person)
    def withdraw(self, i: int) -> None:
        self.gate.withdraw("lobby", PEOPLE[i])
        self.consented.discard(PEOPLE[i])
        self.enrolled.discard(PEOPLE[i])

    @rule(i=person)
    def enroll(self, i: int) -> None:
        try:
            self.gate.enroll("lobby", PEOPLE[i], FACES[i], PURPOSE)
        except ConsentRequired:
            assert PEOPLE[i] not in self.consented
            return
        assert PEOPLE[i] in self.consented
        self.enrolled.add(PEOPLE[i])

    @rule(i=person)
    def erase(self, i: int) -> None:
        self.gate.erase(PEOPLE[i])
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
        self.gate.purge_expired(now=datetime.now(UTC) + timedelta(days=365))
        self.enrolled.clear()

    @rule()
    def reopen(self) -> None:
        self.gate.close()
        self.gate = FaceGate.open(self.path, self.master, encoder=FakeEncoder())

    @invariant()
    def only_consented_enrolled_people_are_found(self) -> None:
        for i, name in enumerate(PEOPLE):
            found = self.gate.identify("lobby", FACES[i] + 0.01, PURPOSE).subject
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
