"""Deletion that is complete, and keys that never show: the database files are scanned for
erased subjects' data keys (raw and wrapped), templates (f32 and f64, both byte orders) and
canary strings; logs, exception messages and reprs are scanned for key material."""

from __future__ import annotations

import io
import logging
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from facegate.errors import FacegateError
from facegate.gate import FaceGate
from facegate.keys import MasterKey, Rotation
from tests import peek
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate

PURPOSE = "hotel_check_in"


def files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def forms(template: np.ndarray) -> list[bytes]:
    """A template as the bytes it could leave behind."""
    return [template.astype(dtype).tobytes()[:64] for dtype in ("<f4", ">f4", "<f8", ">f8")]


def test_erasure_leaves_no_key_template_or_canary_behind(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    master = MasterKey.generate()
    gate = open_gate(path, master)
    people = [f"canary-{i:02d}-7f3a9c" for i in range(20)]
    turn = Rotation.derive(master, "lobby", epoch=0)  # never renewed
    secrets: dict[str, list[bytes]] = {}
    for name in people:
        gate.grant_consent(
            "lobby", name, replace(CONSENT, written=True, evidence_ref=f"form-{name}")
        )
        gate.enroll("lobby", name, face(name), PURPOSE)
        ((wrapped,),) = peek.rows(
            path, "SELECT wrapped FROM data_keys WHERE subject_id = ?", (name,)
        )
        raw_key = master.unwrap(bytes(wrapped), name)._inner._to_kms()
        secrets[name] = [
            name.encode(),
            f"form-{name}".encode(),
            bytes(wrapped),
            raw_key,
            *forms(face(name)),
            *forms(turn.apply(face(name))[0]),
        ]
    before = files(path)
    for name in people[:10]:
        gate.erase(name)
    after = files(path)
    gate.close()
    after += files(path)  # and once closed

    erased_hits = {n: [s for s in secrets[n] if s in after] for n in people[:10]}
    assert all(not hits for hits in erased_hits.values()), erased_hits
    for name in people[10:]:  # the scanner works: what is kept is found
        assert name.encode() in after and secrets[name][2] in after
        assert secrets[name][3] not in after  # raw keys never, only wrapped ones
        assert not any(form in after for form in secrets[name][4:])  # templates only sealed
    assert people[0].encode() in before  # it was there before the erasure


def test_no_key_material_in_logs_errors_or_reprs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key_file = tmp_path / "master.key"
    master = MasterKey.generate(key_file)
    master_hex = key_file.read_text().strip().rsplit(":", 1)[1]
    path = tmp_path / "s.db"
    gate = open_gate(path, master)
    rng = random.Random(5)
    texts: list[str] = [repr(master), repr(gate), repr(Rotation.derive(master, "lobby"))]
    enrolled: list[str] = []
    for _ in range(10_000):
        who = f"p{rng.randrange(400)}"
        action = rng.choice(("grant", "enroll", "verify", "identify", "withdraw", "bad"))
        try:
            if action == "grant":
                gate.grant_consent("lobby", who, CONSENT)
            elif action == "enroll":
                texts.append(repr(gate.enroll("lobby", who, face(who), PURPOSE)))
                enrolled.append(who)
            elif action == "verify":
                texts.append(repr(gate.verify("lobby", who, face(who), PURPOSE)))
            elif action == "identify":
                texts.append(repr(gate.identify("lobby", face(who), PURPOSE)))
            elif action == "withdraw":
                texts.append(repr(gate.withdraw("lobby", who)))
            else:
                gate.enroll("lobby", who, np.full(128, np.nan), PURPOSE)
        except FacegateError as exc:
            texts.append(str(exc))
            texts.append(repr(exc))
    keys = [master_hex]
    for subject, wrapped in peek.rows(path, "SELECT subject_id, wrapped FROM data_keys"):
        data_key = master.unwrap(bytes(wrapped), str(subject))
        texts.append(repr(data_key))
        keys.append(data_key._inner._to_kms().hex())
    exported = io.StringIO()
    gate.export_audit(exported)
    texts += exported.getvalue().splitlines()
    texts += [record.getMessage() for record in caplog.records]
    haystack = "\n".join(texts).lower()
    assert len(enrolled) > 100 and len(keys) > 50
    leaks = [key for key in keys if key[:16] in haystack or key[-16:] in haystack]
    assert leaks == []
    gate.close()
    reopened = FaceGate.open(tmp_path / "s.db", master, encoder=FakeEncoder())
    assert reopened.verify_audit().ok
