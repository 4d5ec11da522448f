"""R19 and R20 for device keys (issue 19): a token shown once and stored only as its keyed hash,
bound to capabilities and deployments, revocable, expiring, and named by every audit entry of
the calls made with it."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import facegate.gate.devices
from facegate import Capability, Device, FaceGate, KmsMasterKey, MasterKey
from facegate.errors import (
    CapabilityRequired,
    DeviceRefused,
    DuplicateId,
    InvalidArgument,
    UnknownId,
)
from facegate.gate.guard import Guard
from facegate.store.schema import SCHEMA_VERSION
from tests import peek
from tests.requirements.deployments import lobby
from tests.requirements.gate import CONSENT, FakeEncoder, audit_entries, open_gate
from tests.test_cli import Cli

PURPOSE = "hotel_check_in"
FACE = np.full(128, 0.05, np.float32)
TOKEN_CONTEXT = "device token v1"
"""The label under which device tokens are hashed with the master key."""


@pytest.fixture
def gate(path: Path, master: MasterKey) -> Iterator[FaceGate]:
    """A live 1:N lobby holding guest-1, and a second live deployment, the spa."""
    gate = open_gate(path, master)
    gate.register_deployment("hotel", lobby(name="spa"))
    gate.grant_consent("lobby", "guest-1", CONSENT)
    gate.enroll_encodings("lobby", [("guest-1", FACE)], PURPOSE)
    yield gate
    gate.close()


def last_entry(path: Path | str) -> tuple[Any, ...]:
    ((row),) = peek.rows(
        path,
        "SELECT action, deployment_id, outcome, rule, device FROM audit ORDER BY seq DESC LIMIT 1",
    )
    return tuple(row)


def every_value(path: Path | str) -> list[object]:
    """Every value of every row of every table of the store, read with the engine's client."""
    if str(path).startswith("postgresql://"):
        query = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    tables = [str(t) for (t,) in peek.rows(path, query)]
    assert "devices" in tables and "audit" in tables
    return [v for t in tables for row in peek.rows(path, f"SELECT * FROM {t}") for v in row]


def holds(values: list[object], secret: str) -> bool:
    raw = secret.encode()
    return any(
        (isinstance(v, str) and secret in v) or (isinstance(v, bytes) and raw in v) for v in values
    )


def test_r19_the_token_is_shown_once_and_stored_only_as_its_keyed_hash(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    added = gate.add_device("kiosk-3", capabilities=[Capability.MATCH], deployments=["lobby"])
    token = added.token
    assert token.startswith("fgd_") and len(token) > 40
    assert token not in repr(added) and token not in str(added.device)
    assert added.device == Device(
        "kiosk-3", (Capability.MATCH,), ("lobby",), added.device.created_at
    )
    # Nothing in the store holds the token (nor its body without the prefix).
    values = every_value(path)
    assert not holds(values, token) and not holds(values, token[4:])
    # What is stored is the master key's MAC of it, not a plain hash anyone could recompute.
    stored = peek.rows(path, "SELECT token_hash FROM devices WHERE name = 'kiosk-3'")
    assert stored == [(master.tag(TOKEN_CONTEXT, token.encode()).hex(),)]
    # The listing never carries the hash.
    assert "token_hash" not in {f.name for f in fields(Device)}
    (listed,) = gate.devices()
    assert listed == added.device and listed.state == "active"
    # The addition is audited, naming who added it and what it may do, without the token.
    entry = audit_entries(gate)[-1]
    assert (entry["action"], entry["outcome"], entry["device"]) == ("add_device", "ok", "local")
    assert "kiosk-3" in entry["detail"] and "match" in entry["detail"]
    assert gate.verify_audit().ok


def test_r19_r20_a_match_device_is_refused_beyond_its_key_and_every_entry_names_it(
    gate: FaceGate, path: Path
) -> None:
    token = gate.add_device("kiosk-3", capabilities=[Capability.MATCH], deployments=["lobby"]).token
    kiosk = gate.device_handle(token)
    assert kiosk.device == "kiosk-3" and kiosk.capabilities == {Capability.MATCH}
    assert kiosk.bound_to == {"lobby"}
    assert kiosk.identify("lobby", FACE, PURPOSE).subject == "guest-1"
    assert last_entry(path) == ("identify", "lobby", "match", "ok", "kiosk-3")
    refused = {
        "enroll": lambda: kiosk.enroll("lobby", "guest-1", FACE, PURPOSE),
        "erase": lambda: kiosk.erase("guest-1"),
        "export_subject": lambda: kiosk.export_subject("guest-1"),
        "add_device": lambda: kiosk.add_device("kiosk-4", capabilities=[Capability.ADMIN]),
        "identify": lambda: kiosk.identify("spa", FACE, PURPOSE),
        "verify": lambda: kiosk.verify("spa", "guest-1", FACE, PURPOSE),
    }
    for verb, call in refused.items():
        before = peek.count(path, "SELECT COUNT(*) FROM audit")
        with pytest.raises(CapabilityRequired) as refusal:
            call()
        assert refusal.value.rule == "R19"
        assert peek.count(path, "SELECT COUNT(*) FROM audit") == before + 1, verb
        action, _deployment, outcome, rule, device = last_entry(path)
        assert (action, outcome, rule, device) == (verb, "refused", "R19", "kiosk-3")
    with pytest.raises(CapabilityRequired, match="bound to 'lobby'"):
        kiosk.identify("spa", FACE, PURPOSE)
    # A handle from the device's handle cannot widen it: no capability, no deployment.
    assert kiosk.handle(Capability.ADMIN).capabilities == frozenset()
    assert kiosk.handle(Capability.MATCH, deployments=["spa"]).bound_to == frozenset()
    assert kiosk.handle(Capability.MATCH, device="other").bound_to == {"lobby"}
    assert gate.verify_audit().ok


def test_r19_a_key_bound_to_a_deployment_makes_only_calls_that_name_one(
    gate: FaceGate, path: Path
) -> None:
    """Even an administrator's key bound to the lobby cannot erase, export or read the trail
    (they name no deployment) or change the spa; it can administer the lobby."""
    token = gate.add_device("desk", capabilities=[Capability.ADMIN], deployments=["lobby"]).token
    desk = gate.device_handle(token)
    assert desk.operating_point("lobby").threshold > 0
    assert last_entry(path) == ("operating_point", "lobby", "ok", "ok", "desk")
    for verb, call in {
        "erase": lambda: desk.erase("guest-1"),
        "export_audit": lambda: desk.export_audit(io.StringIO()),
        "devices": lambda: desk.devices(),
        "activate": lambda: desk.activate("spa"),
    }.items():
        with pytest.raises(CapabilityRequired, match="may only make calls that name one"):
            call()
        action, _deployment, outcome, rule, device = last_entry(path)
        assert (action, outcome, rule, device) == (verb, "refused", "R19", "desk")
    assert gate.export_subject("guest-1").data_key_held  # the unbound gate still may


def test_r19_handles_bound_to_deployments_narrow_and_never_widen(gate: FaceGate) -> None:
    lobby_only = gate.handle(Capability.MATCH, deployments=["lobby"])
    assert gate.bound_to is None and lobby_only.bound_to == {"lobby"}
    assert lobby_only.handle(Capability.MATCH).bound_to == {"lobby"}
    assert lobby_only.handle(Capability.MATCH, deployments=["lobby", "spa"]).bound_to == {"lobby"}
    assert gate.handle(deployments=["lobby", "spa"]).bound_to == {"lobby", "spa"}
    for wrong in ("lobby", [""], [3], 7):
        with pytest.raises(InvalidArgument):
            gate.handle(Capability.MATCH, deployments=wrong)  # type: ignore[arg-type]
    assert "deployments: lobby" in repr(lobby_only)


def test_r19_revoked_and_expired_keys_are_refused_and_audited_without_the_token(
    gate: FaceGate, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked = gate.add_device("kiosk-3", capabilities=["match"], deployments=["lobby"]).token
    soon = datetime.now(UTC) + timedelta(hours=1)
    expiring = gate.add_device("kiosk-4", capabilities=["match"], expires_at=soon).token
    kiosk = gate.device_handle(revoked)
    assert gate.revoke_device("kiosk-3").state == "revoked"
    with pytest.raises(DeviceRefused, match="revoked") as refusal:
        gate.device_handle(revoked)
    assert refusal.value.rule == "R19" and revoked not in str(refusal.value)
    assert last_entry(path) == ("device_handle", None, "refused", "R19", "kiosk-3")
    # A revoked device keeps its record and its name.
    with pytest.raises(DuplicateId):
        gate.add_device("kiosk-3", capabilities=["match"])
    assert [d.name for d in gate.devices()] == ["kiosk-3", "kiosk-4"]
    # A handle opened before the revocation is one request's: the next request is refused.
    assert kiosk.identify("lobby", FACE, PURPOSE).match

    assert gate.device_handle(expiring).device == "kiosk-4"
    later = datetime.now(UTC) + timedelta(hours=2)
    real = facegate.gate.devices.utc
    monkeypatch.setattr(facegate.gate.devices, "utc", lambda at: real(at if at else later))
    with pytest.raises(DeviceRefused, match="expired"):
        gate.device_handle(expiring)
    assert last_entry(path) == ("device_handle", None, "refused", "R19", "kiosk-4")
    assert gate.devices()[1].state == "expired"

    for unknown in ("fgd_" + "A" * 43, "", revoked + "x", b"fgd_bytes", None):
        with pytest.raises(DeviceRefused):
            gate.device_handle(unknown)  # type: ignore[arg-type]
        assert last_entry(path) == ("device_handle", None, "refused", "R19", "local")
    values = every_value(path)
    for token in (revoked, expiring):
        assert not holds(values, token) and not holds(values, token[4:])
    assert gate.verify_audit().ok


def test_r19_what_a_key_is_given_is_checked_and_the_refusals_audited(gate: FaceGate) -> None:
    match = [Capability.MATCH]
    refused: list[tuple[type[Exception], dict[str, Any]]] = [
        (UnknownId, {"name": "k", "capabilities": match, "deployments": ["nowhere"]}),
        (InvalidArgument, {"name": "k", "capabilities": match, "deployments": []}),
        (InvalidArgument, {"name": "k", "capabilities": match, "deployments": "lobby"}),
        (InvalidArgument, {"name": "k", "capabilities": []}),
        (InvalidArgument, {"name": "k", "capabilities": ["match", "everything"]}),
        (InvalidArgument, {"name": "k", "capabilities": "match"}),
        (InvalidArgument, {"name": "", "capabilities": match}),
        (InvalidArgument, {"name": " k", "capabilities": match}),
        (InvalidArgument, {"name": "local", "capabilities": match}),
        (InvalidArgument, {"name": 7, "capabilities": match}),
        (
            InvalidArgument,
            {"name": "k", "capabilities": match, "expires_at": datetime.now(UTC) - timedelta(1)},
        ),
        (InvalidArgument, {"name": "k", "capabilities": match, "expires_at": datetime.now()}),
    ]
    for error, arguments in refused:
        with pytest.raises(error):
            gate.add_device(**arguments)
        entry = audit_entries(gate)[-1]
        assert (entry["action"], entry["outcome"]) == ("add_device", "refused"), arguments
    assert gate.devices() == ()
    one = gate.add_device("k", capabilities=Capability.MATCH).device
    assert one.capabilities == (Capability.MATCH,) and one.deployments is None
    with pytest.raises(DuplicateId):
        gate.add_device("k", capabilities=match)
    with pytest.raises(UnknownId):
        gate.revoke_device("nobody")


def test_r19_a_key_for_every_deployment_and_a_kms_held_master_key(tmp_path: Path) -> None:
    vault: dict[bytes, bytes] = {}

    def wrap(key: bytes, subject: str) -> bytes:
        handle = os.urandom(16)
        vault[handle] = key
        return handle

    kms = KmsMasterKey(wrap, lambda handle, subject: vault[handle], key_id="kms://test")
    gate = open_gate(tmp_path / "s.db", kms)
    gate.register_deployment("hotel", lobby(name="spa"))
    token = gate.add_device("door", capabilities=["match", "enroll"]).token
    gate.close()
    gate = FaceGate.open(tmp_path / "s.db", kms, encoder=FakeEncoder())
    door = gate.device_handle(token)
    assert door.bound_to is None and door.capabilities == {Capability.MATCH, Capability.ENROLL}
    door.grant_consent("lobby", "guest-1", CONSENT)
    assert audit_entries(gate)[-1]["device"] == "door"
    with pytest.raises(CapabilityRequired):
        door.erase("guest-1")
    assert gate.verify_audit().ok
    gate.close()


def test_r20_entries_written_before_devices_keep_their_links(
    tmp_path: Path, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of schema 9: no devices table, no device column, entries whose links cover no
    device, a seal record with no digest for devices. Migrated forward it verifies, and the
    entries written after name their device."""
    path = tmp_path / "nine.db"
    note = Guard.note

    def as_schema_9(self: Guard, call: Any, **given: Any) -> None:
        call.device = None  # what schema 9 wrote: no device in the entry
        note(self, call, **given)

    monkeypatch.setattr(Guard, "note", as_schema_9)
    gate = open_gate(path, master)
    gate.grant_consent("lobby", "guest-1", CONSENT)
    gate.enroll_encodings("lobby", [("guest-1", FACE)], PURPOSE)
    gate.identify("lobby", FACE, PURPOSE)
    with pytest.raises(CapabilityRequired):
        gate.handle(Capability.MATCH).erase("guest-1")
    gate.close()
    monkeypatch.undo()
    old = peek.count(path, "SELECT COUNT(*) FROM audit")
    peek.execute(
        path,
        "DROP TABLE devices",
        "ALTER TABLE audit DROP COLUMN device",
        "UPDATE meta SET value = json_remove(value, '$.digests.devices') WHERE key = 'seal'",
        "UPDATE meta SET value = '9' WHERE key = 'schema_version'",
    )
    (record,) = peek.rows(path, "SELECT value FROM meta WHERE key = 'seal'")
    assert "devices" not in json.loads(record[0])["digests"]

    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    assert peek.rows(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    assert gate.verify_audit().ok
    assert all("device" not in e for e in audit_entries(gate)[:old])
    token = gate.add_device("kiosk-3", capabilities=["match"], deployments=["lobby"]).token
    assert gate.device_handle(token).identify("lobby", FACE, PURPOSE).subject == "guest-1"
    assert last_entry(path) == ("identify", "lobby", "match", "ok", "kiosk-3")
    assert gate.verify_audit().ok
    gate.close()
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    assert gate.verify_audit().ok
    gate.close()


def test_r19_the_device_table_is_sealed(path: Path, master: MasterKey) -> None:
    """A device key added, widened or un-revoked in the file, behind facegate's back, is
    caught: the next verification fails and names the devices table."""
    gate = open_gate(path, master)
    gate.add_device("kiosk-3", capabilities=["match"], deployments=["lobby"])
    gate.revoke_device("kiosk-3")
    assert gate.verify_audit().ok
    gate.close()
    peek.execute(
        path,
        "UPDATE devices SET revoked_at = NULL, capabilities = '[\"admin\"]', deployments = NULL",
    )
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    result = gate.verify_audit()
    assert not result.ok and "devices" in str(result.problem)
    gate.close()


def test_r19_the_command_line_adds_lists_and_revokes_device_keys(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli("init")
    cli("operator", "add", "hotel", "--name", "Example Hotel", "--contact", "dpo@example.com")
    (tmp_path / "lobby.json").write_text(cli("deployment", "example").stdout)
    cli("deployment", "add", "lobby.json", "--operator", "hotel")
    added = cli("device", "add", "kiosk-3", "--deployment", "lobby", "--capability", "match")
    token = added.stdout.strip()
    assert token.startswith("fgd_") and "\n" not in token
    assert "shown this once" in added.stderr and token not in added.stderr
    later = cli.json("device", "add", "desk", "--capability", "enroll", "--days", "30")
    assert isinstance(later, dict) and later["token"].startswith("fgd_")
    assert later["deployments"] is None and later["state"] == "active"
    cli("device", "add", "old", "--capability", "match", "--expires", "2020-01-01", code=2)
    cli("device", "add", "far", "--capability", "match", "--deployment", "spa", code=5)
    cli("device", "add", "kiosk-3", "--capability", "match", code=5)
    table = cli("device", "list").stdout
    assert "kiosk-3\tmatch\tlobby\tactive" in table and "desk\tenroll\t(every)" in table
    assert token not in table and later["token"] not in table
    listed = cli.json("device", "list")
    assert isinstance(listed, list) and [d["name"] for d in listed] == ["desk", "kiosk-3"]
    assert all("token" not in d and "token_hash" not in d for d in listed)

    key = MasterKey.from_file(tmp_path / "hotel.key")
    gate = FaceGate.open(tmp_path / "hotel.db", key, encoder=FakeEncoder())
    assert gate.device_handle(token).bound_to == {"lobby"}
    gate.close()
    assert "revoked" in cli("device", "revoke", "kiosk-3").stdout
    refused = cli("device", "revoke", "nobody", code=5)
    assert "nobody" in refused.stderr
    assert "kiosk-3\tmatch\tlobby\trevoked" in cli("device", "list").stdout
    gate = FaceGate.open(tmp_path / "hotel.db", key, encoder=FakeEncoder())
    with pytest.raises(DeviceRefused):
        gate.device_handle(token)
    assert gate.verify_audit().ok
    gate.close()
