"""R12 (research kept apart), R13 (the receipt), R15 (no images), R17 (fail closed), R18
(unlinkable, renewable) through the FaceGate API and its store; also a KMS-held master key."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from facegate import FaceGate, Gallery, KmsMasterKey, MasterKey, Rotation, open_into_gallery
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import KeyFileError, ResearchSeparation, TamperedData, WrongKey
from facegate.research import ResearchStore
from tests import peek
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, CONSENT, VERIFY_CONSENT, FakeEncoder, open_gate

PURPOSE = "hotel_check_in"
FACES = synthetic_faces(4, 0, seed=9).centres


def enrolled(path: Path, master: MasterKey | KmsMasterKey) -> FaceGate:
    gate = open_gate(path, master)  # type: ignore[arg-type]
    for i, face in enumerate(FACES):
        gate.grant_consent("lobby", f"g{i}", CONSENT)
        gate.enroll("lobby", f"g{i}", face, PURPOSE)
    return gate


def test_r12_research_and_production_never_open_each_other(
    tmp_path: Path, master: MasterKey
) -> None:
    production = enrolled(tmp_path / "prod.db", master)
    with pytest.raises(ResearchSeparation) as caught:
        ResearchStore.open(tmp_path / "prod.db")
    assert caught.value.rule == "R12"
    with pytest.raises(ResearchSeparation):
        ResearchStore.open(tmp_path / "r.db", key=master)
    key_file = tmp_path / "master.key"
    MasterKey.generate(key_file)
    with pytest.raises(ResearchSeparation, match="master key file"):
        ResearchStore.open(key_file)

    research = ResearchStore.open(tmp_path / "r.db")
    assert research.add(["a", "b"], FACES[:2], source="lab study 2026, agreement 17") == 2
    production.grant_consent("lobby", "g0", replace(CONSENT, transfer=True))
    exported = production.export_sealed("lobby", ["g0"])
    with pytest.raises(ResearchSeparation):
        research.add(["g0"], exported, source="x")
    sealed = peek.rows(tmp_path / "prod.db", "SELECT sealed FROM templates")
    with pytest.raises(ResearchSeparation):
        research.add(["g0"], [bytes(sealed[0][0])], source="x")
    labels, encodings = research.encodings()
    assert labels == ["a", "b"] and np.array_equal(encodings, FACES[:2])
    research.close()
    with pytest.raises(ResearchSeparation):
        FaceGate.open(tmp_path / "r.db", master, encoder=FakeEncoder())


def test_r13_the_receipt_says_what_was_destroyed(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "s.db"
    gate = enrolled(path, master)
    gate.register_deployment("hotel", lobby(name="spa"))
    gate.record_assessment("spa", ASSESSMENT)
    gate.activate("spa")
    gate.grant_consent("spa", "g1", VERIFY_CONSENT)  # the spa is 1:1
    gate.enroll("spa", "g1", FACES[1], PURPOSE)
    receipt = gate.withdraw("lobby", "g1")
    assert (receipt.templates_removed, receipt.key_destroyed) == (1, False)  # spa still holds one
    assert gate.verify("spa", "g1", FACES[1], PURPOSE).match
    receipt = gate.erase("g1")
    assert receipt.subject == "g1" and receipt.templates_removed == 1 and receipt.key_destroyed
    assert set(receipt.deployments) == {"lobby", "spa"}
    for table, column in (("templates", "subject_id"), ("data_keys", "subject_id")):
        assert peek.count(path, f"SELECT COUNT(*) FROM {table} WHERE {column} = 'g1'") == 0


def test_r15_no_image_is_ever_stored(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "s.db"
    enrolled(path, master)
    columns = {
        (table, str(column[1]), str(column[2]).upper())
        for (table,) in peek.rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
        for column in peek.rows(path, f"PRAGMA table_info({table})")
    }
    blobs = {(table, name) for table, name, kind in columns if kind == "BLOB"}
    assert blobs == {("templates", "sealed"), ("data_keys", "wrapped"), ("audit", "entry_hash")}
    sizes = peek.rows(path, "SELECT DISTINCT length(sealed) FROM templates")
    assert sizes == [(550,)]  # one sealed 128-d template each, nothing image-sized


def test_r17_no_key_no_service_and_a_failed_tag_refuses_to_match(
    tmp_path: Path, master: MasterKey
) -> None:
    enrolled(tmp_path / "s.db", master).close()
    with pytest.raises(WrongKey):
        FaceGate.open(tmp_path / "s.db", MasterKey.generate(), encoder=FakeEncoder())
    ((sealed,),) = peek.rows(tmp_path / "s.db", "SELECT sealed FROM templates WHERE id = 1")
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 0x80])  # one bit of the tag
    peek.execute(
        tmp_path / "s.db", f"UPDATE templates SET sealed = x'{flipped.hex()}' WHERE id = 1"
    )
    with pytest.raises(TamperedData):  # no plaintext fallback: nothing opens, nothing matches
        FaceGate.open(tmp_path / "s.db", master, encoder=FakeEncoder())


def test_r18_same_face_unlinkable_across_deployments_and_renewal(
    tmp_path: Path, master: MasterKey
) -> None:
    path = tmp_path / "s.db"
    gate = enrolled(path, master)
    gate.register_deployment("hotel", lobby(name="spa"))
    # Neither deployment was renewed yet: both turn templates by their rotation at epoch 0.
    spa_template = Rotation.derive(master, "spa", epoch=0).apply(FACES[0])
    lobby_template = Rotation.derive(master, "lobby", epoch=0).apply(FACES[0])
    assert np.linalg.norm(spa_template - lobby_template) > 1.0  # chance level for unit vectors
    before = peek.rows(path, "SELECT id, sealed FROM templates ORDER BY id")
    old_rotation = Rotation.derive(master, "lobby", epoch=0)
    assert gate.renew("lobby") == len(FACES)
    after = peek.rows(path, "SELECT id, sealed, rotation_epoch FROM templates ORDER BY id")
    assert all(b[1] != a[1] and a[2] == 1 for b, a in zip(before, after, strict=True))
    assert gate.identify("lobby", FACES[2] + 0.01, PURPOSE).subject == "g2"
    # The renewed templates, opened as the gate opens them into its gallery.
    stored = peek.rows(
        path,
        "SELECT t.id, t.sealed, k.wrapped, t.subject_id FROM templates t "
        "JOIN data_keys k ON k.subject_id = t.subject_id "
        "WHERE t.deployment_id = 'lobby' ORDER BY t.id",
    )
    ids, sealed, wrapped, subjects = (list(column) for column in zip(*stored, strict=True))
    renewed = Gallery()
    open_into_gallery(
        renewed,
        master,
        ids=ids,
        sealed=sealed,
        wrapped_keys=wrapped,
        subjects=subjects,
        deployment="lobby",
    )
    new_rotation = Rotation.derive(master, "lobby", epoch=1)
    fresh = renewed.search(new_rotation.apply(FACES[2]), max_distance=0.6)
    assert fresh.ids[0, 0] == ids[subjects.index("g2")]  # the new secret finds them
    stale = renewed.search(old_rotation.apply(FACES[2]), max_distance=0.6)
    assert stale.ids[0, 0] != ids[subjects.index("g2")]  # the old secret no longer does
    gate.close()
    reopened = FaceGate.open(tmp_path / "s.db", master, encoder=FakeEncoder())
    assert reopened.identify("lobby", FACES[3], PURPOSE).subject == "g3"


def test_a_kms_held_master_key_runs_the_whole_gate(tmp_path: Path) -> None:
    vault: dict[bytes, bytes] = {}

    def wrap(key: bytes, subject: str) -> bytes:
        handle = os.urandom(16)
        vault[handle] = key
        return handle

    kms = KmsMasterKey(wrap, lambda handle, subject: vault[handle], key_id="kms://test")
    gate = enrolled(tmp_path / "s.db", kms)
    assert gate.identify("lobby", FACES[1], PURPOSE).subject == "g1"
    gate.close()
    reopened = FaceGate.open(tmp_path / "s.db", kms, encoder=FakeEncoder())
    assert reopened.identify("lobby", FACES[1], PURPOSE).subject == "g1"
    assert reopened.verify_audit().ok
    vault.clear()  # the service lost the keys: nothing opens, with a typed error
    with pytest.raises(KeyFileError, match="failed to unwrap"):
        FaceGate.open(tmp_path / "s.db", kms, encoder=FakeEncoder())
