"""Processes on one store follow each other's changes from the change log: only what changed
is read again (issue 16: a refused call elsewhere used to cost a full rebuild)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import facegate.gate.galleries
import facegate.store.postgres
from facegate import Capability, FaceGate, MasterKey
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import ConsentRequired
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate

PURPOSE = "hotel_check_in"
N = 2_000
FACES = synthetic_faces(N + 2, 0, seed=18).centres


def test_changes_elsewhere_are_followed_template_by_template(
    path: Path, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_gate(path, master, max_fnir=1.0)
    people = [f"p{i}" for i in range(N)]
    desk.grant_consents("lobby", [(p, CONSENT) for p in people])
    desk.enroll_encodings("lobby", list(zip(people, FACES[:N], strict=True)), PURPOSE)
    kiosk = FaceGate.open(path, master, encoder=FakeEncoder()).handle(Capability.MATCH)
    assert kiosk.identify("lobby", FACES[7], PURPOSE).subject == "p7"

    opened: list[int] = []
    real = facegate.gate.galleries.open_into_gallery

    def counting(gallery: Any, master: Any, **rows: Any) -> None:
        opened.append(len(rows["ids"]))
        real(gallery, master, **rows)

    monkeypatch.setattr(facegate.gate.galleries, "open_into_gallery", counting)
    with pytest.raises(ConsentRequired):  # a refused call elsewhere: an audit entry, no change
        desk.enroll("lobby", "stranger", FACES[N], PURPOSE)
    assert kiosk.identify("lobby", FACES[8], PURPOSE).subject == "p8"
    assert opened == []  # nothing was read again

    desk.grant_consent("lobby", "new", CONSENT)
    desk.enroll("lobby", "new", FACES[N + 1], PURPOSE)
    desk.erase("p9")
    assert kiosk.identify("lobby", FACES[N + 1], PURPOSE).subject == "new"
    assert kiosk.identify("lobby", FACES[9], PURPOSE).subject is None  # erased: never matched
    assert opened == [1]  # the one new template, not the gallery of 2,000


def _deaf(ref: Any) -> None:
    """A listener that never hears a notification (they come late, or are lost)."""
    db = ref()
    if db is not None:
        db._listening.set()


def test_a_commit_elsewhere_is_seen_by_the_next_call_without_its_notification(
    path: Path, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the notification of a commit reaches other processes a moment after it; a
    call begun in that moment must still see the commit (CI found an enrolment wrapped under
    an erasure key retired a moment before). Here no notification arrives at all."""
    monkeypatch.setattr(facegate.store.postgres, "_listen", _deaf)
    desk = open_gate(path, master, max_fnir=1.0)
    people = [f"p{i}" for i in range(3)]
    desk.grant_consents("lobby", [(p, CONSENT) for p in people])
    desk.enroll_encodings("lobby", list(zip(people, FACES[:3], strict=True)), PURPOSE)
    other = FaceGate.open(path, master, encoder=FakeEncoder())
    assert other.identify("lobby", FACES[1], PURPOSE).subject == "p1"

    desk.erase("p1")  # on PostgreSQL: every data key re-wrapped under the next erasure key
    assert other.identify("lobby", FACES[1], PURPOSE).subject is None
    other.grant_consent("lobby", "new", CONSENT)
    other.enroll("lobby", "new", FACES[N], PURPOSE)  # its key wrapped under the current key
    assert desk.identify("lobby", FACES[N], PURPOSE).subject == "new"
    assert other.erasure_status().wrapped_otherwise == 0
    later = FaceGate.open(path, master, encoder=FakeEncoder())
    assert later.identify("lobby", FACES[N], PURPOSE).subject == "new"
    assert later.identify("lobby", FACES[2], PURPOSE).subject == "p2"
