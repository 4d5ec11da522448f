"""Everything behind the façade of one open store, built once when it is opened
(:mod:`facegate.gate.opening`) and shared by every handle on it. Handles reach these only
through their guarded methods."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facegate.compliance.consent import ConsentLedger
from facegate.compliance.registry import Registry
from facegate.gate.attempts import Attempts
from facegate.gate.audit import AuditLog
from facegate.gate.decisions import Decisions
from facegate.gate.devices import DeviceKeys
from facegate.gate.encoder import Encoder
from facegate.gate.enrollment import Enrollments
from facegate.gate.galleries import Galleries
from facegate.gate.guard import Guard
from facegate.gate.integrity import Integrity
from facegate.gate.points import OperatingPoints
from facegate.gate.prepared import PreparingEncoder
from facegate.gate.rotations import Rotations
from facegate.gate.seal import Seal
from facegate.gate.vault import Vault
from facegate.gate.wrapping import Wrapping, wrapping_for
from facegate.keys import KmsMasterKey, MasterKey
from facegate.store import Store

__all__ = ["Rooms", "build_rooms"]


@dataclass(slots=True)
class Rooms:
    """The collaborators of one open store: the store and its keys, the compliance records,
    the audit trail, and the rooms that do the work."""

    store: Store
    master: MasterKey | KmsMasterKey
    wrapping: Wrapping
    registry: Registry
    ledger: ConsentLedger
    audit: AuditLog
    attempts: Attempts
    identify_attempts: Attempts
    galleries: Galleries
    points: OperatingPoints
    vault: Vault
    enrollments: Enrollments
    decisions: Decisions
    integrity: Integrity
    guard: Guard
    devices: DeviceKeys
    encoder: PreparingEncoder
    closed: bool = False


def build_rooms(
    store: Store,
    master: MasterKey | KmsMasterKey,
    secrets: MasterKey,
    encoder: Encoder,
    audit: AuditLog,
    seal: Seal,
    folder: Path,
) -> Rooms:
    """The rooms over an open store whose seal and audit trail are set up."""
    pipeline = PreparingEncoder(encoder)
    registry, ledger, attempts = Registry(store), ConsentLedger(store), Attempts(store)
    identify_attempts = Attempts(store, "identify")
    rotations = Rotations(store, secrets)
    wrapping = wrapping_for(store, master, folder)
    galleries = Galleries(store, wrapping, rotations)
    points = OperatingPoints(registry, galleries, audit)
    vault = Vault(store, wrapping, galleries, rotations, points)
    decisions = Decisions(
        encoder=pipeline,
        galleries=galleries,
        rotations=rotations,
        points=points,
        ledger=ledger,
        attempts=attempts,
        identify_attempts=identify_attempts,
        vault=vault,
    )
    enrollments = Enrollments(pipeline, rotations, ledger, vault)
    integrity = Integrity(store, seal, audit)
    guard = Guard(store, registry, ledger, audit, galleries, integrity)
    return Rooms(
        store=store,
        master=master,
        wrapping=wrapping,
        registry=registry,
        ledger=ledger,
        audit=audit,
        attempts=attempts,
        identify_attempts=identify_attempts,
        galleries=galleries,
        points=points,
        vault=vault,
        enrollments=enrollments,
        decisions=decisions,
        integrity=integrity,
        guard=guard,
        devices=DeviceKeys(store, secrets),
        encoder=pipeline,
    )
