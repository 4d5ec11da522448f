"""Processes on one store follow each other's changes from the change log: only what changed
is read again (issue 16: a refused call elsewhere used to cost a full rebuild)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import facegate.gate.galleries
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
