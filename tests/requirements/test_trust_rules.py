"""What an outside audit broke, as tests (issue 16, "Trust"): R17, R20, R22 and R13 against
someone with the database file and no key, and against a careless caller."""

from __future__ import annotations

import builtins
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import facegate.gate.attempts
from facegate import Capability, FaceGate, MasterKey
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import (
    AttemptsExceeded,
    CorruptStore,
    DuplicateId,
    InvalidArgument,
    NoFace,
    ResearchSeparation,
    TamperedData,
    UnknownId,
)
from facegate.research import ResearchStore
from facegate.store import Store
from tests import peek
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate, subject_ref

FACES = synthetic_faces(6, 0, seed=16).centres
PURPOSE = "hotel_check_in"


@pytest.fixture
def gate(path: Path, master: MasterKey) -> Iterator[FaceGate]:
    gate = open_gate(path, master)
    for i in range(4):
        gate.grant_consent("lobby", f"guest-{i}", CONSENT)
        gate.enroll("lobby", f"guest-{i}", FACES[i], PURPOSE)
    yield gate
    gate.close()


def reopened(path: Path, master: MasterKey) -> FaceGate:
    return FaceGate.open(path, master, encoder=FakeEncoder())


def last_entry(path: Path) -> tuple[Any, ...]:
    ((row),) = peek.rows(
        path,
        "SELECT action, deployment_id, purpose, subject_ref, outcome, rule FROM audit "
        "ORDER BY seq DESC LIMIT 1",
    )
    return tuple(row)


# ----- 1. one call with a non-string argument must not break the chain ---------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ("lobby", "guest-1", FACES[1], 7),  # the purpose an int
        (7, "guest-1", FACES[1], PURPOSE),  # the deployment an int
        ("lobby", b"guest-1", FACES[1], PURPOSE),  # the subject bytes
        ("lobby", "guest-\udcff", FACES[1], PURPOSE),  # an unpaired surrogate
        ("lobby", "", FACES[1], PURPOSE),
    ],
)
def test_r20_an_argument_of_the_wrong_type_is_refused_and_the_chain_holds(
    gate: FaceGate, path: Path, arguments: tuple[Any, ...]
) -> None:
    device = gate.handle(Capability.MATCH)
    with pytest.raises(InvalidArgument):
        device.verify(*arguments)
    action, deployment, purpose, subject_ref, outcome, rule = last_entry(path)
    assert (action, outcome, rule) == ("verify", "refused", "InvalidArgument")
    for stored in (deployment, purpose, subject_ref):  # the bad value never reached the trail
        assert stored is None or isinstance(stored, str)
    assert gate.verify_audit().ok
    assert gate.incidents() == ()
    assert gate.deployment_status("lobby").active


# ----- 2. the trail cannot be wiped, emptied or rolled back unnoticed ----------------------


def test_r20_r22_a_wiped_trail_is_caught_without_an_exported_checkpoint(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    gate.close()
    peek.execute(
        path,
        "DROP TRIGGER audit_kept",
        "DELETE FROM audit",
        "DELETE FROM meta WHERE key IN ('seal', 'audit_head')",
    )
    with pytest.raises(TamperedData, match="outside facegate"):
        reopened(path, master)  # fail closed: the store's state cannot be trusted
    ((description,),) = peek.rows(path, "SELECT description FROM incidents")
    assert "seal is missing" in description  # an integrity incident (R22), recorded once
    assert peek.rows(path, "SELECT DISTINCT active FROM deployments") == [(0,)]


@pytest.mark.sqlite_only
def test_r17_an_emptied_store_file_is_not_begun_again(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    gate.close()
    path.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with pytest.raises(CorruptStore, match="empty"):
        reopened(path, master)
    assert path.stat().st_size == 0  # nothing was written into it


@pytest.mark.sqlite_only
def test_r20_an_older_authentic_state_put_back_is_caught(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    """An attacker keeps the state (seal and all) of an earlier moment, as a WAL or a backup
    would hold it, and puts it back after later entries were written."""
    gate.close()
    early = path.parent / "early.db"
    shutil.copy(path, early)  # every file of the store at that moment
    again = reopened(path, master)
    again.withdraw("lobby", "guest-2")
    again.close()
    shutil.copy(early, path)
    rolled = reopened(path, master)
    assert rolled.incidents(), "caught at open, against the checkpoint kept outside"
    result = rolled.verify_audit()
    assert not result.ok and "rolled back" in str(result.problem)
    assert not rolled.deployment_status("lobby").active  # guest-2 cannot be matched again
    # A restore that was meant (investigated, decided): accepted, and audited as such.
    with pytest.raises(InvalidArgument):
        rolled.accept_restored_store(" ")
    rolled.accept_restored_store("restored from the backup of 1 Dec by the DPO, ticket 42")
    assert rolled.verify_audit().ok
    action, *_ = last_entry(path)
    assert action == "verify_audit"
    details = peek.rows(
        path, "SELECT detail FROM audit WHERE action = 'accept_restored_store' AND outcome = 'ok'"
    )
    assert details == [("restored from the backup of 1 Dec by the DPO, ticket 42",)]


# ----- 3. state the trail says was destroyed or changed does not come back -----------------


@pytest.mark.sqlite_only
def test_r13_an_erased_person_restored_from_an_older_copy_is_refused(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    copy = path.parent / "before.db"
    gate.close()
    shutil.copy(path, copy)
    gate = reopened(path, master)
    gate.erase("guest-1")
    gate.close()
    rows = {
        table: peek.rows(copy, f"SELECT * FROM {table} WHERE {column} = 'guest-1'")
        for table, column in (
            ("subjects", "id"),
            ("data_keys", "subject_id"),
            ("templates", "subject_id"),
            ("consent_events", "subject_id"),
        )
    }
    peek.execute(
        path,
        *(
            f"INSERT INTO {table} VALUES ({', '.join(_literal(v) for v in row)})"
            for table, found in rows.items()
            for row in found
        ),
    )
    for _ in range(2):  # fail closed, every time: the resurrected template is never loaded
        with pytest.raises(TamperedData, match="outside facegate"):
            reopened(path, master)
    assert peek.count(path, "SELECT COUNT(*) FROM incidents") == 1  # an incident, once
    # Even with the change log's digest put right (a faked seal is beyond an attacker without
    # the key, but the record of what was destroyed stands on its own): a template that was
    # destroyed does not load.
    from facegate.gate.seal import Seal

    with Store.open(path) as store:
        seal = Seal(store, master, str(store.meta.store_id()))
        store.attach(seal)
        record = seal.stored()
        assert record is not None
        with store.transaction():
            seal.write(
                replace(record, digests=record.digests | {"changes": seal.digest("changes")})
            )
    with pytest.raises(TamperedData, match="destroyed"):
        reopened(path, master)


def test_r19_deleted_attempt_counters_are_caught(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    device = gate.handle(Capability.MATCH)
    for i in range(5):
        device.verify("lobby", "guest-0", FACES[4 + i % 2], PURPOSE)
    with pytest.raises(AttemptsExceeded):
        device.verify("lobby", "guest-0", FACES[0], PURPOSE)
    peek.execute(path, "DELETE FROM attempts")  # the lock, gone behind facegate's back
    with pytest.raises(TamperedData):  # the running gate notices before it decides
        device.verify("lobby", "guest-0", FACES[0], PURPOSE)
    assert gate.incidents()
    again = reopened(path, master)  # and so does the next process
    assert not again.verify_audit().ok


def test_r26_a_deployment_rewritten_in_the_file_is_caught(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    gate.close()
    ((definition,),) = peek.rows(path, "SELECT definition FROM deployments WHERE id = 'lobby'")
    loose = json.loads(definition) | {"threshold": 0.6, "max_fnir": 1.0}
    peek.execute(
        path,
        "UPDATE deployments SET definition = "
        + _literal(json.dumps(loose))
        + " WHERE id = 'lobby'",
    )
    again = reopened(path, master)
    assert again.incidents()
    assert not again.deployment_status("lobby").active
    assert not again.verify_audit().ok


def test_r17_a_store_without_its_key_cannot_write_at_all(path: Path, master: MasterKey) -> None:
    open_gate(path, master).close()

    with Store.open(path) as store, pytest.raises(InvalidArgument, match="sealed"):
        store.operators.add("rogue", name="x", contact="y", at="now")
    # Nor can the sqlite3 shell, psql, or any program without facegate.
    refusal = peek.plain_write(path, "INSERT INTO operators VALUES ('rogue', 'x', 'y', 'now')")
    assert "fg_row" in refusal or "fg_sealed_rows" in refusal
    assert peek.count(path, "SELECT COUNT(*) FROM operators WHERE id = 'rogue'") == 0


def _literal(value: Any) -> str:
    """A SQL literal for a value read back from SQLite."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"x'{value.hex()}'"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


# ----- 6. identification has attempt limits too -------------------------------------------


def test_r19_a_person_locked_out_of_verification_is_not_named_by_identification(
    gate: FaceGate,
) -> None:
    device = gate.handle(Capability.MATCH, device="door-1")
    assert device.identify("lobby", FACES[0], PURPOSE).subject == "guest-0"
    for i in range(5):
        device.verify("lobby", "guest-0", FACES[4 + i % 2], PURPOSE)
    with pytest.raises(AttemptsExceeded):
        device.verify("lobby", "guest-0", FACES[0], PURPOSE)
    decision = device.identify("lobby", FACES[0], PURPOSE)
    assert decision.subject is None and not decision.match
    assert device.identify("lobby", FACES[1], PURPOSE).subject == "guest-1"  # others still work


def test_r19_identification_is_limited_per_device_and_deployment(
    gate: FaceGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facegate.gate.attempts, "IDENTIFY_LOCK_AFTER", 3)
    door = gate.handle(Capability.MATCH, device="door-1")
    other = gate.handle(Capability.MATCH, device="door-2")
    for _ in range(3):
        assert not door.identify("lobby", FACES[5], PURPOSE).match  # a stranger, probing
    with pytest.raises(AttemptsExceeded, match="try again"):
        door.identify("lobby", FACES[0], PURPOSE)
    assert other.identify("lobby", FACES[0], PURPOSE).subject == "guest-0"  # per device
    gate.reenable_identification("lobby", "door-1")
    assert door.identify("lobby", FACES[0], PURPOSE).subject == "guest-0"


# ----- R25, R20: a decision per face, each named in the trail -----------------------------


def test_r25_with_a_legal_basis_every_face_is_decided(path: Path, master: MasterKey) -> None:
    gate = open_gate(path, master, multi_face_basis="Art. 12 of the venue safety regulation")
    for i in range(2):
        gate.grant_consent("lobby", f"guest-{i}", CONSENT)
        gate.enroll("lobby", f"guest-{i}", FACES[i], PURPOSE)
    frame = np.stack([FACES[0], FACES[5], FACES[1]])
    decision = gate.identify("lobby", frame, PURPOSE)
    assert [face.subject for face in decision.faces] == ["guest-0", None, "guest-1"]
    assert decision.match and decision.subject is None  # no one subject speaks for the frame
    refs = peek.rows(path, "SELECT subject_ref, outcome FROM audit WHERE action = 'identify_face'")
    assert [outcome for _, outcome in refs] == ["match", "ok", "match"]
    assert refs[0][0] == subject_ref(master, "guest-0") and refs[1][0] is None


def test_r20_an_identification_names_its_match_in_the_trail(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    gate.identify("lobby", FACES[2], PURPOSE)
    ((ref, outcome),) = peek.rows(
        path, "SELECT subject_ref, outcome FROM audit WHERE action = 'identify'"
    )
    assert (ref, outcome) == (subject_ref(master, "guest-2"), "match")


def test_identification_of_an_image_without_a_face_says_so(gate: FaceGate) -> None:
    with pytest.raises(NoFace):
        gate.identify("lobby", np.zeros((0, 128), np.float32), PURPOSE)


# ----- R13: receipts claim only what happened; one template per person ---------------------


def test_r13_erasing_someone_never_held_is_refused_not_receipted(gate: FaceGate) -> None:
    with pytest.raises(UnknownId, match="nothing to erase"):
        gate.erase("nobody")
    gate.erase("guest-0")
    with pytest.raises(UnknownId):  # and erased people are nobody afterwards
        gate.erase("guest-0")


def test_r13_one_template_per_person(gate: FaceGate, path: Path) -> None:
    with pytest.raises(DuplicateId, match="already enrolled"):
        gate.enroll("lobby", "guest-1", FACES[1], PURPOSE)
    gate.grant_consent("lobby", "guest-9", CONSENT)
    with pytest.raises(DuplicateId, match="named 2 times"):
        gate.enroll_encodings("lobby", [("guest-9", FACES[4]), ("guest-9", FACES[5])], PURPOSE)
    with pytest.raises(DuplicateId, match="already enrolled"):
        gate.enroll_encodings("lobby", [("guest-9", FACES[4]), ("guest-2", FACES[5])], PURPOSE)
    assert peek.rows(
        path, "SELECT subject_id, COUNT(*) FROM templates GROUP BY subject_id ORDER BY subject_id"
    ) == [(f"guest-{i}", 1) for i in range(4)]
    gate.add_photos("lobby", "guest-1", FACES[1], PURPOSE)  # the way to add: one template still
    assert peek.count(path, "SELECT COUNT(*) FROM templates WHERE subject_id = 'guest-1'") == 1


# ----- 4. nothing opens the store's own file with ordinary I/O -----------------------------


@pytest.mark.sqlite_only
def test_r12_research_mode_refuses_a_store_without_opening_its_file(
    gate: FaceGate, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing any descriptor on a database file drops every SQLite lock the process holds on
    it: the check reads the file through SQLite, never with open()."""
    opened: list[str] = []
    real = io.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", spy)
    monkeypatch.setattr(builtins, "open", spy)
    link = path.parent / "innocent.db"
    link.symlink_to(path)
    for target in (path, Path(f"{path}-wal"), Path(f"{path}-journal"), link):
        with pytest.raises(ResearchSeparation):
            ResearchStore.open(target)
    assert not Path(f"{path}-journal").exists()
    assert not [name for name in opened if name.startswith(str(path))], opened
    assert gate.verify_audit().ok


@pytest.mark.sqlite_only
def test_r17_a_new_store_and_its_journal_are_private_to_their_owner(
    gate: FaceGate, path: Path
) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert name.exists() and name.stat().st_mode & 0o077 == 0, oct(name.stat().st_mode)


def test_r12_research_never_opens_a_postgresql_store() -> None:
    with pytest.raises(InvalidArgument, match="research store is a SQLite file"):
        ResearchStore.open("postgresql://postgres@127.0.0.1:1/production")
