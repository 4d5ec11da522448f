"""R19 and R20 for every verb: a handle refuses (and audits) whatever its capabilities do not
allow, and reaches nothing behind its verbs."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from facegate import Capability, FaceGate, MasterKey
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import CapabilityRequired, InvalidArgument
from tests import peek
from tests.requirements.deployments import lobby
from tests.requirements.gate import ASSESSMENT, CONSENT, open_gate

FACES = synthetic_faces(4, 0, seed=19).centres
PURPOSE = "hotel_check_in"

UNGATED = {"open", "handle", "close", "capabilities", "closed", "device", "bound_to"}
"""The public names of a gate that are not verbs: opening, narrowing, closing, reading what a
handle holds. Every other public name must be a guarded verb."""

ARGUMENTS: dict[str, Any] = {
    "deployment": "lobby",
    "subject": "guest-0",
    "purpose": PURPOSE,
    "image": FACES[0],
    "consent": CONSENT,
    "people": [("guest-1", CONSENT)],
    "operator": "hotel",
    "name": "Example Hotel",
    "contact": "dpo@example.com",
    "assessment": ASSESSMENT,
    "alternative": "Check in at the desk with an identity document",
    "subjects": ["guest-0"],
    "kind": "change",
    "device": "kiosk-1",
    "reason": "restored from the backup of 1 Dec, decided by the DPO",
    "destination": "postgresql://db.example/hotel",
    "detail": "a spa added",
    "capabilities": [Capability.MATCH],
    "token": "fgd_not-a-key",
}
"""A valid value for every parameter a verb takes, by name, so that a refusal can only come from
the capability check (an invalid argument would be refused with another error)."""


def call_of(handle: FaceGate, verb: str) -> Callable[[], Any]:
    """``handle.<verb>`` called with valid arguments."""
    method = getattr(handle, verb)
    given: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if name == "out":
            given[name] = io.StringIO()
        elif name == "people" and verb.startswith("enroll"):
            given[name] = [("guest-1", FACES[1])]  # encodings or photographs, not consents
        elif name in ("deployment", "definition") and verb in (
            "register_deployment",
            "update_deployment",
        ):
            given[name] = lobby(name="spa")
        elif name in ARGUMENTS:
            given[name] = ARGUMENTS[name]
        elif parameter.default is inspect.Parameter.empty:
            raise AssertionError(f"{verb}: no test value for its parameter {name!r}")
    return lambda: method(**given)


def verbs() -> list[str]:
    return sorted(
        name for name in dir(FaceGate) if not name.startswith("_") and name not in UNGATED
    )


@pytest.fixture
def gate(path: Path, master: MasterKey) -> Iterator[FaceGate]:
    gate = open_gate(path, master)
    gate.grant_consent("lobby", "guest-0", CONSENT)
    gate.enroll("lobby", "guest-0", FACES[0], PURPOSE)
    yield gate
    gate.close()


def test_r19_every_public_name_of_a_gate_is_a_guarded_verb() -> None:
    """A new public method that skips the guard fails here."""
    unguarded = [name for name in verbs() if not hasattr(getattr(FaceGate, name), "rule")]
    assert not unguarded, f"public names that do not pass the guard: {unguarded}"
    assert len(verbs()) >= 30  # the verbs are there to be checked


@pytest.mark.parametrize("verb", verbs())
def test_r19_r20_a_handle_without_the_capability_is_refused_and_audited(
    gate: FaceGate, path: Path, verb: str
) -> None:
    needs = getattr(FaceGate, verb).rule.needs
    others = frozenset(Capability) - needs
    # Every narrowing that lacks what the verb needs: the other capabilities, any part of them.
    narrowed = [frozenset(c) for n in range(len(others) + 1) for c in combinations(others, n)]
    for capabilities in narrowed:
        before = peek.rows(path, "SELECT COUNT(*), MAX(seq) FROM audit")[0]
        state = peek.rows(
            path,
            "SELECT (SELECT COUNT(*) FROM templates), (SELECT COUNT(*) FROM consent_events), "
            "(SELECT COUNT(*) FROM deployments), (SELECT COUNT(*) FROM operators), "
            "(SELECT SUM(active * LENGTH(id)) FROM deployments)",
        )
        handle = gate.handle(*capabilities)
        with pytest.raises(CapabilityRequired) as refused:
            call_of(handle, verb)()
        assert refused.value.rule == "R19"
        after = peek.rows(path, "SELECT COUNT(*), MAX(seq) FROM audit")[0]
        assert after[0] == before[0] + 1, f"{verb} on {set(capabilities)}: not audited once"
        (entry,) = peek.rows(
            path, "SELECT action, outcome, rule FROM audit WHERE seq = ?", (after[1],)
        )
        assert entry == (verb, "refused", "R19")
        assert state == peek.rows(
            path,
            "SELECT (SELECT COUNT(*) FROM templates), (SELECT COUNT(*) FROM consent_events), "
            "(SELECT COUNT(*) FROM deployments), (SELECT COUNT(*) FROM operators), "
            "(SELECT SUM(active * LENGTH(id)) FROM deployments)",
        ), f"{verb} on {set(capabilities)} changed the store"


@pytest.mark.parametrize("verb", verbs())
def test_r19_the_capability_a_verb_needs_lets_the_call_past_the_guard(
    gate: FaceGate, verb: str
) -> None:
    """The other half: the same call with the capability is not refused for its capability (it
    may be refused by another rule), so the refusals above are the capability check's."""
    for capability in getattr(FaceGate, verb).rule.needs:
        try:
            call_of(gate.handle(capability), verb)()
        except CapabilityRequired:  # pragma: no cover - the failure this test looks for
            pytest.fail(f"{verb} refused to a handle holding {capability}")
        except Exception:
            pass


def test_r19_a_handle_reaches_no_collaborator(gate: FaceGate) -> None:
    device = gate.handle(Capability.MATCH)
    public = {name for name in dir(device) if not name.startswith("_")}
    assert public <= set(verbs()) | UNGATED
    for name in ("registry", "ledger", "audit", "attempts", "store", "galleries", "vault"):
        assert not hasattr(device, name), name
    # No attribute can be added either (a handle is a fixed view).
    with pytest.raises(AttributeError):
        device.audit = object()  # type: ignore[attr-defined]


def test_r19_a_narrowed_handle_cannot_widen(gate: FaceGate) -> None:
    device = gate.handle(Capability.MATCH)
    assert device.capabilities == {Capability.MATCH}
    assert device.handle(Capability.ADMIN, Capability.ENROLL).capabilities == frozenset()
    assert device.handle(Capability.MATCH, Capability.ADMIN).capabilities == {Capability.MATCH}
    with pytest.raises(CapabilityRequired):
        device.handle(Capability.ADMIN).erase("guest-0")


def test_r20_a_handle_cannot_forge_an_audit_entry(gate: FaceGate, path: Path) -> None:
    """The one way into the trail is the guard: no verb takes an entry's fields, and every
    entry a handle causes names the verb it called."""
    device = gate.handle(Capability.MATCH, Capability.ENROLL)
    before = peek.count(path, "SELECT COUNT(*) FROM audit")
    device.verify("lobby", "guest-0", FACES[0], PURPOSE)
    with pytest.raises(CapabilityRequired):
        device.erase("guest-0")
    entries = peek.rows(
        path, "SELECT capability, action, outcome FROM audit WHERE seq > ?", (before,)
    )
    assert entries == [("match", "verify", "match"), ("admin", "erase", "refused")]
    for verb in verbs():
        parameters = set(inspect.signature(getattr(device, verb)).parameters)
        assert not parameters & {"outcome", "rule", "capability", "action", "link"}, verb


def test_r19_a_closed_handle_refuses_and_the_store_stays_open(gate: FaceGate) -> None:
    device = gate.handle(Capability.MATCH)
    device.close()
    assert device.closed and not gate.closed
    with pytest.raises(InvalidArgument, match="closed"):
        device.verify("lobby", "guest-0", FACES[0], PURPOSE)
    assert gate.verify("lobby", "guest-0", FACES[0], PURPOSE).match
