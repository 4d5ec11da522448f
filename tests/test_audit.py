"""The audit trail under attack: a real store is filled through the API, copied, and its audit
table edited directly in SQLite (as someone with the file, but not the master key, would);
verification must name the first bad entry every time."""

from __future__ import annotations

import io
import json
import random
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facegate import Checkpoint, FaceGate, MasterKey
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import ConsentRequired, InvalidArgument, WrongKey
from facegate.gate.audit import AuditLog
from facegate.gate.guard import Guard
from facegate.gate.seal import Seal
from facegate.store import Store
from tests import peek
from tests.requirements.deployments import lobby
from tests.requirements.gate import CONSENT, FakeEncoder, audit_entries, open_gate

MASTER = MasterKey.generate()
PURPOSE = "hotel_check_in"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose audit trail holds a few dozen entries of every kind."""
    path = tmp_path_factory.mktemp("audit") / "store.db"
    gate = open_gate(path, MASTER)
    faces = synthetic_faces(12, 0, seed=1).centres
    for i, face in enumerate(faces):
        gate.grant_consent("lobby", f"guest-{i}", CONSENT)
        gate.enroll("lobby", f"guest-{i}", face, PURPOSE)
        gate.identify("lobby", face + 0.01, PURPOSE)
    with pytest.raises(ConsentRequired):
        gate.enroll("lobby", "stranger", faces[0], PURPOSE)
    gate.withdraw("lobby", "guest-3")
    gate.close()
    return path


def tamper(path: Path, *statements: str) -> None:
    """Runs ``statements`` on the audit table of ``path`` as someone with the file could."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER audit_append_only")  # what an attacker with the file can do
    db.execute("DROP TRIGGER audit_kept")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def tampered(original: Path, tmp_path: Path, *statements: str) -> FaceGate:
    """A copy of ``original`` with ``statements`` run on its audit table, opened again (with
    checkpoints of its own: a copy shares the original's store id)."""
    copy = tmp_path / "copy.db"
    shutil.copy(original, copy)
    tamper(copy, *statements)
    return FaceGate.open(copy, MASTER, encoder=FakeEncoder(), checkpoints=tmp_path / "kept")


def log_of(path: Path, key: MasterKey, checkpoints: Path) -> AuditLog:
    """The audit trail of the store at ``path`` as ``key`` sees it, without opening a gate."""
    store = Store.open(path)
    seal = Seal(store, key, str(store.meta.store_id()))
    return AuditLog(store, key, seal, checkpoints=checkpoints / seal.store_id)


def size(path: Path) -> int:
    return peek.count(path, "SELECT COUNT(*) FROM audit")


def seal_record(path: Path) -> str:
    """The state seal as stored: the audit trail's authenticated head is part of it."""
    ((value,),) = peek.rows(path, "SELECT value FROM meta WHERE key = 'seal'")
    return str(value)


def sealed_size(record: str) -> int:
    return int(json.loads(record)["size"])


def entries(gate: FaceGate, start: int = 1) -> list[dict[str, object]]:
    """The audit entries from ``start``, as the gate exports them."""
    out = io.StringIO()
    gate.export_audit(out, start=start)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_an_untouched_trail_verifies(original: Path, tmp_path: Path) -> None:
    gate = tampered(original, tmp_path)
    result = gate.verify_audit()
    assert result.ok and result.entries == size(original) > 40
    assert result.first_bad is None


def test_entries_hold_no_raw_subject_ids_or_templates(original: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    log_of(original, MASTER, tmp_path).export_jsonl(out)
    text = out.getvalue()
    assert "guest-" not in text and "stranger" not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == size(original)
    refs = {r["subject_ref"] for r in records if r["subject_ref"]}
    assert MASTER.tag("audit subject v1", b"guest-3").hex()[:32] in refs
    assert all(len(ref) == 32 for ref in refs)
    assert {"seq", "at", "action", "outcome", "rule", "threshold", "link"} <= set(records[0])


EDITS: dict[str, Callable[[int], list[str]]] = {
    "edit outcome": lambda k: [f"UPDATE audit SET outcome = outcome || 'x' WHERE seq = {k}"],
    "edit rule": lambda k: [f"UPDATE audit SET rule = rule || 'x' WHERE seq = {k}"],
    "edit time": lambda k: [f"UPDATE audit SET at = '2020-01-01T00:00:00+00:00' WHERE seq = {k}"],
    "edit subject": lambda k: [
        f"UPDATE audit SET subject_ref = COALESCE(subject_ref, '') || 'x' WHERE seq = {k}"
    ],
    "delete": lambda k: [f"DELETE FROM audit WHERE seq = {k}"],
    "swap with next": lambda k: [
        f"UPDATE audit SET seq = -1 WHERE seq = {k}",
        f"UPDATE audit SET seq = {k} WHERE seq = {k + 1}",
        f"UPDATE audit SET seq = {k + 1} WHERE seq = -1",
    ],
    "insert before": lambda k: [
        "CREATE TEMP TABLE moved AS SELECT * FROM audit WHERE seq >= " + str(k),
        f"DELETE FROM audit WHERE seq >= {k}",
        "UPDATE moved SET seq = seq + 1",
        "INSERT INTO audit SELECT * FROM moved",
        f"INSERT INTO audit SELECT {k}, at, capability, action, deployment_id, purpose, "
        f"subject_ref, 'forged', 'ok', threshold, detail, entry_hash, ratio, device FROM moved "
        f"WHERE seq = {k + 1}",
    ],
}


@pytest.mark.parametrize("how", sorted(EDITS))
@given(where=st.floats(0, 1))
@settings(max_examples=6, deadline=None)
def test_every_tampering_names_the_first_bad_entry(
    original: Path, tmp_path_factory: pytest.TempPathFactory, how: str, where: float
) -> None:
    n = size(original)
    k = 1 + int(where * (n - 2))  # leaves a next entry for swaps
    gate = tampered(original, tmp_path_factory.mktemp("t"), *EDITS[how](k))
    result = gate.verify_audit()
    assert not result.ok
    assert result.first_bad == k, (how, k, str(result))


def test_cutting_the_end_is_caught_by_the_authenticated_head(
    original: Path, tmp_path: Path
) -> None:
    n = size(original)
    gate = tampered(original, tmp_path, f"DELETE FROM audit WHERE seq > {n - 3}")
    result = gate.verify_audit()
    assert not result.ok and result.first_bad == n - 2
    assert "missing at the end" in str(result.problem)


def test_appending_a_forged_entry_is_caught(original: Path, tmp_path: Path) -> None:
    n = size(original)
    gate = tampered(
        original,
        tmp_path,
        f"INSERT INTO audit SELECT {n + 1}, at, capability, action, deployment_id, purpose, "
        f"subject_ref, outcome, rule, threshold, detail, entry_hash, ratio, device FROM audit "
        f"WHERE seq = {n}",
    )
    result = gate.verify_audit()
    assert not result.ok and result.first_bad == n + 1


def test_a_forged_head_is_caught(original: Path, tmp_path: Path) -> None:
    n = size(original)
    record = json.loads(seal_record(original))
    record |= {"size": n - 2, "link": "ab" * 32}  # the head moved back, the tag left as it was
    with pytest.raises(WrongKey, match="seal"):  # refused at open ...
        tampered(
            original,
            tmp_path,
            f"DELETE FROM audit WHERE seq > {n - 2}",
            f"UPDATE meta SET value = '{json.dumps(record)}' WHERE key = 'seal'",
        )
    result = log_of(tmp_path / "copy.db", MASTER, tmp_path).verify()  # ... and by verification
    assert not result.ok and "tag is invalid" in str(result.problem)


def test_a_rolled_back_head_is_caught_by_an_exported_checkpoint(tmp_path: Path) -> None:
    """Entries deleted and the authentic seal of an earlier moment put back: the trail is
    self-consistent, but behind the checkpoints kept outside the store (the one facegate keeps
    by itself, and one exported by hand)."""
    path = tmp_path / "s.db"
    gate = open_gate(path, MASTER)
    old_seal = seal_record(path)
    for i in range(5):
        gate.decline("lobby", "Check in at the desk with an identity document", f"p{i}")
    kept = Checkpoint.from_json(gate.audit_checkpoint().to_json())  # exported, kept elsewhere
    assert gate.verify_audit(kept).ok
    gate.close()
    size_before = sealed_size(old_seal)
    tamper(
        path,
        f"DELETE FROM audit WHERE seq > {size_before}",
        f"UPDATE meta SET value = '{old_seal}' WHERE key = 'seal'",
    )
    gate = FaceGate.open(path, MASTER, encoder=FakeEncoder())
    caught = gate.verify_audit()  # against the checkpoint facegate kept by itself
    assert not caught.ok and "rolled back" in str(caught.problem)
    caught = gate.verify_audit(kept)  # and against the exported one
    assert not caught.ok and "rolled back" in str(caught.problem)
    assert gate.incidents()  # an integrity incident (R22) ...
    assert not gate.deployment_status("lobby").active  # ... that took the lobby off line


def test_a_checkpoint_must_be_authentic(tmp_path: Path) -> None:
    gate = open_gate(tmp_path / "s.db", MASTER)
    real = gate.audit_checkpoint()
    forged = Checkpoint(real.size, real.head, "00" * 32, real.at)
    assert not gate.verify_audit(forged).ok
    with pytest.raises(InvalidArgument):
        Checkpoint.from_json("{}")


def test_another_master_key_cannot_verify(original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c.db"
    shutil.copy(original, copy)
    result = log_of(copy, MasterKey.generate(), tmp_path).verify()
    assert not result.ok and result.first_bad == 1


def test_the_store_refuses_to_rewrite_or_drop_entries(original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c.db"
    shutil.copy(original, copy)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        peek.execute(copy, "UPDATE audit SET outcome = 'ok' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="three years"):
        peek.execute(copy, "DELETE FROM audit WHERE seq = 1")
    assert size(copy) == size(original)


def test_the_store_refuses_to_rewrite_or_drop_entries_on_each_backend(path: Path) -> None:
    gate = open_gate(path, MASTER)
    before = size(path)
    with pytest.raises(Exception, match="append-only"):
        peek.execute(path, "UPDATE audit SET outcome = 'ok' WHERE seq = 1")
    with pytest.raises(Exception, match="three years"):
        peek.execute(path, "DELETE FROM audit WHERE seq = 1")
    assert size(path) == before
    assert gate.verify_audit().ok


def test_an_operation_and_its_entry_commit_together(path: Path) -> None:
    """A refused call rolls its work back but is itself recorded; every entry chains."""
    gate = open_gate(path, MASTER)
    before = size(path)
    face = np.zeros(128, np.float32)
    face[0] = 1
    with pytest.raises(ConsentRequired):
        gate.enroll("lobby", "nobody", face, PURPOSE)
    assert size(path) == before + 1
    (last,) = entries(gate, before + 1)
    assert (last["action"], last["outcome"], last["rule"]) == ("enroll", "refused", "R8")
    assert peek.count(path, "SELECT COUNT(*) FROM templates") == 0
    assert gate.verify_audit().ok


def test_tamper_matrix_over_10000_entries_given_the_last_checkpoint(tmp_path: Path) -> None:
    """Byte edits, deletions, swaps, insertions and truncation (with the head rolled back to
    an older authentic one): every one detected against the scheduled checkpoint."""
    folder = tmp_path / "checkpoints"
    gate = FaceGate.open(tmp_path / "s.db", MASTER, encoder=FakeEncoder(), checkpoints=folder)
    gate.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
    gate.register_deployment("hotel", lobby())
    consent = replace(CONSENT, notice_version=gate.deployment("lobby").notice.version)
    gate.grant_consents("lobby", [(f"p{i}", consent) for i in range(4_999)])
    old_seal = seal_record(tmp_path / "s.db")
    gate.grant_consents("lobby", [(f"q{i}", consent) for i in range(5_000)])
    assert size(tmp_path / "s.db") == 10_003
    # written after each commit that passed a 1,000
    newest = sorted(folder.glob("*/audit-*.json"))[-1]
    latest = Checkpoint.from_json(newest.read_text(encoding="utf-8"))
    assert latest.size == 10_003
    assert gate.verify_audit().ok
    gate.close()
    rng = random.Random(9)
    attacks: dict[str, Callable[[int], list[str]]] = {
        **{
            name: EDITS[name]
            for name in ("edit outcome", "edit subject", "delete", "swap with next")
        },
        "insert": EDITS["insert before"],
        "truncate": lambda k: [
            f"DELETE FROM audit WHERE seq > {sealed_size(old_seal)}",
            f"UPDATE meta SET value = '{old_seal}' WHERE key = 'seal'",
        ],
    }
    detected, tried = 0, 0
    for name, attack in attacks.items():
        for _ in range(4 if name != "truncate" else 1):
            k = rng.randrange(1, 10_000)
            copy = tmp_path / f"{name}-{k}.db"
            shutil.copy(tmp_path / "s.db", copy)
            db = sqlite3.connect(copy)
            db.execute("DROP TRIGGER audit_append_only")
            db.execute("DROP TRIGGER audit_kept")
            for statement in attack(k):
                db.execute(statement)
            db.commit()
            db.close()
            result = log_of(copy, MASTER, folder).verify()
            tried += 1
            detected += not result.ok
            assert not result.ok, (name, k)
    print(f"\ntamper matrix over 10,003 entries: {detected}/{tried} detected")


def test_entries_written_before_the_ratio_keep_their_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store of schema 8 had no ratio column (nor devices, schema 10); its entries' links
    # covered neither field. The same trail with the columns taken away and the version set
    # back migrates forward (9 adds the ratio) and verifies, and a 1:N decision afterwards
    # records its ratio.
    path = tmp_path / "eight.db"
    master = MasterKey.generate()
    note = Guard.note

    def without_device(self: Guard, call: Any, **given: Any) -> None:
        call.device = None  # as schema 8 wrote its entries
        note(self, call, **given)

    monkeypatch.setattr(Guard, "note", without_device)
    gate = open_gate(path, master)
    gate.grant_consent("lobby", "guest-1", CONSENT)
    gate.close()
    monkeypatch.undo()
    peek.execute(
        path, "ALTER TABLE audit DROP COLUMN ratio", "ALTER TABLE audit DROP COLUMN device"
    )
    peek.execute(path, "DROP TABLE devices")
    peek.execute(path, "UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    assert gate.verify_audit().ok
    # Its 1:N lobby's decisions change with the rule: the trail says so, once, at the upgrade.
    stated = [e for e in audit_entries(gate) if e["capability"] == "gate"]
    assert len(stated) == 1 and "now the second-best test" in stated[0]["detail"]
    assert stated[0]["ratio"] == gate.operating_point("lobby").ratio < 1
    gate.close()
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    assert len([e for e in audit_entries(gate) if e["capability"] == "gate"]) == 1
    gate.enroll_encodings("lobby", [("guest-1", np.full(128, 0.05, np.float32))], PURPOSE)
    decision = gate.identify("lobby", np.full(128, 0.05, np.float32), PURPOSE)
    assert decision.subject == "guest-1" and decision.ratio is not None
    assert peek.rows(path, "SELECT ratio FROM audit ORDER BY seq DESC LIMIT 1") == [
        (decision.ratio,)
    ]
    assert gate.verify_audit().ok
    gate.close()
