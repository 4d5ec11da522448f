"""Template protection through the public API: keys, sealing, rotations, loading."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
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


def test_kms_failures_are_key_file_errors_naming_the_service() -> None:
    """Whatever the key service raises or returns, the caller gets KeyFileError (the master
    key could not be used), never the service's own exception type nor CorruptStore."""

    class Outage(Exception):
        pass

    def fails(data: bytes, subject: str) -> bytes:
        raise Outage("service down; it saw " + data.hex())

    key = DataKey.generate()
    good = KmsMasterKey(lambda key, subject: b"handle", lambda blob, subject: bytes(32), key_id="k")
    handle = good.wrap(key, "s")
    cases = [
        (KmsMasterKey(fails, fails, key_id="kms://a"), "failed to wrap a data key \\(Outage\\)"),
        (KmsMasterKey(lambda k, s: None, fails, key_id="kms://b"), "returned NoneType from wrap"),  # type: ignore[arg-type, return-value]
        (KmsMasterKey(lambda k, s: b"", fails, key_id="kms://c"), "empty wrapped key"),
    ]
    for kms, message in cases:
        with pytest.raises(KeyFileError, match=message) as caught:
            kms.wrap(key, "s")
        assert key._inner._to_kms().hex() not in str(caught.value)
    unwraps = [
        (fails, "failed to unwrap a data key \\(Outage\\)"),
        (lambda blob, subject: None, "returned NoneType from unwrap, not bytes"),
        (lambda blob, subject: "text", "returned str from unwrap"),
        (lambda blob, subject: bytes(31), "returned 31 bytes from unwrap, not a 32-byte"),
        (lambda blob, subject: {}[blob], "failed to unwrap a data key \\(KeyError\\)"),
    ]
    for unwrap, message in unwraps:
        kms = KmsMasterKey(lambda k, s: b"handle", unwrap, key_id="kms://d")  # type: ignore[arg-type]
        with pytest.raises(KeyFileError, match=message) as caught:
            kms.unwrap(handle, "s")
        assert "kms://d" in str(caught.value) and "handle" not in str(caught.value)
        with pytest.raises(KeyFileError):
            kms.derivation_root(handle)
        with pytest.raises(KeyFileError):
            open_into_gallery(
                Gallery(),
                kms,
                ids=[1],
                sealed=[b"x"],
                wrapped_keys=[handle],
                subjects=["s"],
                deployment="d",
            )


def test_kms_settings_are_checked() -> None:
    with pytest.raises(InvalidArgument, match="callables"):
        KmsMasterKey(b"wrap", b"unwrap", key_id="k")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="key_id must be text"):
        KmsMasterKey(bytes, bytes, key_id=7)  # type: ignore[arg-type]


def test_key_material_of_the_wrong_type_is_refused_not_misread() -> None:
    # bytes(32) is 32 zero bytes: an int must not become an all-zero master key.
    with pytest.raises(InvalidArgument, match="data must be bytes, not int"):
        MasterKey.from_bytes(32)  # type: ignore[arg-type]
    master, key = MasterKey.generate(), DataKey.generate()
    with pytest.raises(InvalidArgument, match="wrapped must be bytes"):
        master.unwrap(64, "s")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="subject must be text, not int"):
        master.wrap(key, 7)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="unpaired surrogates"):
        master.wrap(key, "\ud800")
    with pytest.raises(InvalidArgument, match="name must be text"):
        MasterKey.from_env(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="key file path must be str"):
        MasterKey.from_file(3)  # type: ignore[arg-type]
    bad_contexts = [
        ({**CTX, "template_id": 2**64}, "template_id must be between 0 and 2\\*\\*64 - 1"),
        ({**CTX, "template_id": "42"}, "template_id must be an integer"),
        ({**CTX, "subject": None}, "subject must be text"),
        ({**CTX, "deployment": b"lobby"}, "deployment must be text"),
    ]
    for context, message in bad_contexts:
        with pytest.raises(InvalidArgument, match=message):
            seal_template(np.ones(128), key, **context)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument, match=message):
            open_template(b"sealed", key, **context)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="epoch must be an integer"):
        Rotation.derive(master, "d", epoch="1")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="between 1 and 4096"):
        Rotation.derive(master, "d", dim=2**64 - 1)
    with pytest.raises(InvalidArgument, match="must be bytes, subjects text"):
        open_into_gallery(
            Gallery(),
            master,
            ids=[1],
            sealed=[bytearray(4)],
            wrapped_keys=[b"w"],  # type: ignore[list-item]
            subjects=["s"],
            deployment="d",
        )


def test_a_fifo_as_key_file_is_refused_at_once(tmp_path: Path) -> None:
    """Reading a FIFO used to wait for a writer for ever, holding the GIL: the whole process
    stopped. Run in a child process, so that a regression fails instead of hanging the run."""
    fifo = tmp_path / "master.key"
    os.mkfifo(fifo, 0o600)
    script = (
        "import sys\n"
        "from facegate import KeyFileError, MasterKey\n"
        "try:\n"
        "    MasterKey.from_file(sys.argv[1])\n"
        "except KeyFileError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(fifo)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "not a regular file" in done.stdout


@pytest.mark.parametrize("name", ["directory", "device"])
def test_other_non_regular_key_files_are_refused(tmp_path: Path, name: str) -> None:
    path = {"directory": tmp_path, "device": Path("/dev/null")}[name]
    with pytest.raises(KeyFileError, match="not a regular file"):
        MasterKey.from_file(path)


def test_a_key_file_larger_than_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.key"
    MasterKey.generate(path)
    with path.open("a") as handle:
        handle.write("\n" * 10_000)
    with pytest.raises(KeyFileError, match="larger than a key file"):
        MasterKey.from_file(path)


def test_the_store_database_is_refused_as_a_key_file_without_being_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facegate import keys
    from facegate.gate.opening import open_store

    store = open_store(tmp_path / "s.db", MasterKey.generate())
    opened: list[str] = []

    class Recorder:
        @staticmethod
        def from_file(path: str) -> None:
            opened.append(path)

        create_file = from_file

    try:
        (tmp_path / "link.db").symlink_to(tmp_path / "s.db")
        monkeypatch.setattr(keys._core, "MasterKey", Recorder)
        for name in ("s.db", "s.db-wal", "link.db"):
            assert (tmp_path / name).exists(), name
            with pytest.raises(KeyFileError, match="database file of a store this process has"):
                MasterKey.from_file(tmp_path / name)
        assert opened == []
    finally:
        store.close()
