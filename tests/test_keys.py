"""Template protection through the public API: keys, sealing, rotations, loading."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facegate import (
    DataKey,
    Gallery,
    InsecureKeyFile,
    IntegrityError,
    InvalidArgument,
    KeyFileError,
    KmsMasterKey,
    MalformedData,
    MasterKey,
    Rotation,
    TamperedData,
    UnsupportedFormat,
    WrongKey,
    open_into_gallery,
    open_template,
    seal_template,
)
from facegate.demo.synthetic import synthetic_faces
from facegate.keys import renew_template, sealed_len

CTX = {"deployment": "lobby", "subject": "guest-17", "template_id": 42}
TEMPLATES = arrays(
    np.float32,
    st.integers(1, 256),
    elements=st.floats(-1e6, 1e6, width=32, allow_nan=False, allow_infinity=False),
)


@given(TEMPLATES)
def test_any_template_round_trips_and_never_seals_the_same_twice(template: np.ndarray) -> None:
    key = DataKey.generate()
    first = seal_template(template, key, **CTX)  # type: ignore[arg-type]
    second = seal_template(template, key, **CTX)  # type: ignore[arg-type]
    assert len(first) == sealed_len(len(template))
    assert first != second
    np.testing.assert_array_equal(open_template(first, key, **CTX), template)  # type: ignore[arg-type]


def test_every_single_bit_flip_is_refused() -> None:
    key = DataKey.generate()
    sealed = seal_template(np.linspace(-0.3, 0.3, 128), key, **CTX)  # type: ignore[arg-type]
    refused = 0
    for bit in range(len(sealed) * 8):
        bad = bytearray(sealed)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(IntegrityError):
            open_template(bytes(bad), key, **CTX)  # type: ignore[arg-type]
        refused += 1
    assert refused == len(sealed) * 8 == sealed_len(128) * 8


@pytest.mark.parametrize(
    "other",
    [{"deployment": "pool"}, {"subject": "guest-18"}, {"template_id": 43}],
)
def test_a_template_moved_to_another_record_does_not_open(other: dict[str, object]) -> None:
    key = DataKey.generate()
    sealed = seal_template(np.ones(128), key, **CTX)  # type: ignore[arg-type]
    with pytest.raises(TamperedData, match="altered, truncated or moved"):
        open_template(sealed, key, **{**CTX, **other})  # type: ignore[arg-type]


def test_wrong_keys_truncation_and_future_versions_are_refused_by_kind() -> None:
    key = DataKey.generate()
    sealed = seal_template(np.ones(128), key, **CTX)  # type: ignore[arg-type]
    with pytest.raises(WrongKey):
        open_template(sealed, DataKey.generate(), **CTX)  # type: ignore[arg-type]
    with pytest.raises(MalformedData):
        open_template(sealed[:-1], key, **CTX)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedFormat, match="format version 9"):
        open_template(b"\x09" + sealed[1:], key, **CTX)  # type: ignore[arg-type]


def test_crypto_shredding_a_new_key_for_the_same_subject_opens_nothing_old() -> None:
    master = MasterKey.generate()
    old = DataKey.generate()
    sealed = seal_template(np.ones(128), old, **CTX)  # type: ignore[arg-type]
    del old  # the store deletes the wrapped key: the only copy of the key is gone
    replacement = master.unwrap(master.wrap(DataKey.generate(), "guest-17"), "guest-17")
    with pytest.raises(WrongKey):
        open_template(sealed, replacement, **CTX)  # type: ignore[arg-type]


def test_wrapping_binds_master_key_and_subject_and_rotation_rewraps() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    key = DataKey.generate()
    wrapped = old.wrap(key, "s1")
    assert old.unwrap(wrapped, "s1").id == key.id
    with pytest.raises(TamperedData):
        old.unwrap(wrapped, "s2")
    with pytest.raises(WrongKey):
        new.unwrap(wrapped, "s1")
    moved = old.rewrap(wrapped, "s1", new)
    assert new.unwrap(moved, "s1").id == key.id
    with pytest.raises(WrongKey):
        old.unwrap(moved, "s1")


def test_key_file_is_created_0600_and_loose_permissions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    created = MasterKey.generate(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert MasterKey.from_file(path).id == created.id
    with pytest.raises(KeyFileError, match="cannot create"):
        MasterKey.generate(path)
    for loose in (0o640, 0o604, 0o660):
        path.chmod(loose)
        with pytest.raises(InsecureKeyFile, match="chmod 600"):
            MasterKey.from_file(path)
    path.chmod(0o600)
    (tmp_path / "junk.key").write_text("not a key\n")
    (tmp_path / "junk.key").chmod(0o600)
    with pytest.raises(KeyFileError, match="does not hold a key"):
        MasterKey.from_file(tmp_path / "junk.key")
    with pytest.raises(KeyFileError, match="cannot read"):
        MasterKey.from_file(tmp_path / "missing.key")


def test_key_from_environment_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEGATE_MASTER_KEY", "ab" * 32)
    assert MasterKey.from_env().id == MasterKey.from_bytes(bytes([0xAB] * 32)).id
    monkeypatch.delenv("FACEGATE_MASTER_KEY")
    with pytest.raises(KeyFileError, match="not set"):
        MasterKey.from_env()
    with pytest.raises(InvalidArgument, match="32 bytes, got 3 bytes"):
        MasterKey.from_bytes(b"abc")


def test_no_key_or_template_bytes_in_reprs_or_errors() -> None:
    secret = bytes(range(32))
    master = MasterKey.from_bytes(secret)
    key = DataKey.generate()
    texts = [repr(master), repr(key), repr(Rotation.derive(master, "d", dim=8))]
    try:
        open_template(b"\x01T" + secret + bytes(40), key, **CTX)  # type: ignore[arg-type]
    except IntegrityError as exc:
        texts.append(str(exc))
    assert len(texts) == 4
    for text in texts:
        assert secret.hex()[:8] not in text and str(list(secret[:4])) not in text


@given(arrays(np.float32, (12, 128), elements=st.floats(-1, 1, width=32)))
def test_rotation_preserves_every_pairwise_distance(rows: np.ndarray) -> None:
    rotation = Rotation.derive(MasterKey.from_bytes(bytes(32)), "lobby")
    turned = rotation.apply(rows)
    before = np.linalg.norm(rows[:, None] - rows[None], axis=2)
    after = np.linalg.norm(turned[:, None] - turned[None], axis=2)
    np.testing.assert_allclose(after, before, atol=1e-5)
    np.testing.assert_allclose(rotation.apply_inverse(turned), rows, atol=1e-5)


def test_the_same_face_in_two_deployments_is_at_chance_distance() -> None:
    master = MasterKey.from_bytes(bytes(range(32)))
    faces = synthetic_faces(2000, 0, seed=5).centres
    lobby = Rotation.derive(master, "lobby").apply(faces)
    pool = Rotation.derive(master, "pool").apply(faces)
    same_face = np.linalg.norm(lobby - pool, axis=1)
    # Independent directions of the same lengths: E|a - b|^2 = |a|^2 + |b|^2. The faces share a
    # mean vector, so the ratio moves with the pair of rotations by a few percent; a comparable
    # template would sit near 0 (the same face re-captured is at 0.3-0.5 of a length of ~1.1).
    chance = np.sqrt(2.0) * np.linalg.norm(faces, axis=1)
    assert abs(float(np.mean(same_face / chance)) - 1.0) < 0.1
    assert float(np.min(same_face)) > 0.6  # no face matches itself across deployments
    renewed = Rotation.derive(master, "lobby", epoch=1).apply(faces)
    assert float(np.min(np.linalg.norm(lobby - renewed, axis=1))) > 0.6


def test_renewing_a_sealed_template_moves_it_to_the_new_epoch() -> None:
    master, key = MasterKey.generate(), DataKey.generate()
    old, new = Rotation.derive(master, "lobby"), Rotation.derive(master, "lobby", epoch=1)
    face = synthetic_faces(1, 0, seed=2).centres
    sealed = seal_template(old.apply(face)[0], key, **CTX)  # type: ignore[arg-type]
    renewed = renew_template(sealed, key, old=old, new=new, **CTX)  # type: ignore[arg-type]
    opened = open_template(renewed, key, **CTX)  # type: ignore[arg-type]
    np.testing.assert_allclose(opened, new.apply(face)[0], atol=1e-5)


def _sealed_store(n: int, master: MasterKey) -> dict[str, object]:
    faces = synthetic_faces(n, 0, seed=9).centres
    subjects = [f"person-{i}" for i in range(n)]
    keys = [DataKey.generate() for _ in range(n)]
    sealed = [
        seal_template(faces[i], keys[i], deployment="gate", subject=subjects[i], template_id=i)
        for i in range(n)
    ]
    wrapped = [master.wrap(keys[i], subjects[i]) for i in range(n)]
    return {"faces": faces, "subjects": subjects, "sealed": sealed, "wrapped": wrapped}


def test_open_into_gallery_loads_all_or_nothing() -> None:
    master = MasterKey.generate()
    store = _sealed_store(300, master)
    faces, subjects = store["faces"], store["subjects"]
    assert isinstance(faces, np.ndarray) and isinstance(subjects, list)
    rows = {
        "ids": np.arange(300),
        "sealed": store["sealed"],
        "wrapped_keys": store["wrapped"],
        "subjects": subjects,
        "deployment": "gate",
    }
    gallery = Gallery()
    open_into_gallery(gallery, master, **rows)  # type: ignore[arg-type]
    assert len(gallery) == 300
    assert gallery.search(faces[[7, 123]]).ids[:, 0].tolist() == [7, 123]

    tampered = list(store["sealed"])  # type: ignore[call-overload]
    tampered[200] = tampered[200][:-1] + bytes([tampered[200][-1] ^ 1])
    fresh = Gallery()
    with pytest.raises(TamperedData, match="template 200"):
        open_into_gallery(fresh, master, **{**rows, "sealed": tampered})  # type: ignore[arg-type]
    with pytest.raises(WrongKey, match="template 0"):
        open_into_gallery(fresh, MasterKey.generate(), **rows)  # type: ignore[arg-type]
    assert len(fresh) == 0


def test_kms_hook_wraps_and_loads_through_callables() -> None:
    vault: dict[bytes, bytes] = {}

    def wrap(key: bytes, subject: str) -> bytes:
        handle = os.urandom(16)
        vault[handle] = key
        return handle

    def unwrap(handle: bytes, subject: str) -> bytes:
        return vault[handle]

    kms = KmsMasterKey(wrap, unwrap, key_id="kms://test/facegate")
    key = DataKey.generate()
    handle = kms.wrap(key, "s")
    assert kms.unwrap(handle, "s").id == key.id
    sealed = seal_template(np.ones(128), key, deployment="d", subject="s", template_id=5)
    gallery = Gallery()
    open_into_gallery(
        gallery,
        kms,
        ids=[5],
        sealed=[sealed],
        wrapped_keys=[handle],
        subjects=["s"],
        deployment="d",
    )
    assert gallery.search(np.ones(128)).ids.tolist() == [[5]]
