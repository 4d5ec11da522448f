"""Random sequences of consent, enrolment, matching, withdrawal, erasure, purge and re-opening,
checked after every step against a plain model of who may be matched."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from facegate.api import FaceGate
from facegate.errors import ConsentRequired
from facegate.keys import MasterKey
from facegate.synthetic import synthetic_faces
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
        assert self.gate._store.query(
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
        stored = {int(r[0]) for r in self.gate._store.query("SELECT id FROM templates")}
        gallery, owners = self.gate._galleries["lobby"]
        assert set(gallery.ids().tolist()) == stored == set(owners)


TestGate = GateMachine.TestCase
TestGate.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
