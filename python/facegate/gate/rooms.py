"""Everything behind the façade of one open store, built once by :func:`open_rooms` and shared
by every handle on it. Handles reach these only through their guarded methods."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from facegate.compliance.consent import ConsentLedger
from facegate.compliance.registry import Registry
from facegate.errors import WrongKey
from facegate.gate.attempts import Attempts
from facegate.gate.audit import AuditLog
from facegate.gate.decisions import Decisions
from facegate.gate.encoder import Encoder
from facegate.gate.enrollment import Enrollments
from facegate.gate.galleries import Galleries
from facegate.gate.guard import Guard
from facegate.gate.points import OperatingPoints
from facegate.gate.rotations import Rotations
from facegate.gate.vault import Vault
from facegate.keys import KmsMasterKey, MasterKey
from facegate.store import Store

__all__ = ["Rooms", "open_rooms"]


@dataclass(slots=True)
class Rooms:
    """The collaborators of one open store: the store and its keys, the compliance records,
    the audit trail, and the rooms that do the work."""

    store: Store
    master: MasterKey | KmsMasterKey
    registry: Registry
    ledger: ConsentLedger
    audit: AuditLog
    attempts: Attempts
    galleries: Galleries
    points: OperatingPoints
    vault: Vault
    enrollments: Enrollments
    decisions: Decisions
    guard: Guard
    closed: bool = False


def open_rooms(
    location: str | os.PathLike[str],
    key: MasterKey | KmsMasterKey,
    *,
    encoder: Encoder,
    checkpoints: str | os.PathLike[str] | None,
) -> Rooms:
    """Opens the store, checks that ``key`` is its master key, and loads every gallery."""
    store = Store.open(location)
    try:
        # Rotations and audit tags are derived from ``secrets``: the master key itself, or for
        # a KMS-held master key a random root that the service wraps.
        secrets = key if isinstance(key, MasterKey) else _kms_root(store, key)
        audit = AuditLog(store, secrets, checkpoints=checkpoints)
        if not audit.head_authentic():
            raise WrongKey(
                f"{Path(location)}: the audit trail's head does not authenticate under master "
                f"key {key.id} (another operator's key, or the head was altered)"
            )
        rooms = _build(store, key, secrets, encoder, audit)
        rooms.galleries.load_all()
    except BaseException:
        store.close()
        raise
    return rooms


def _build(
    store: Store,
    master: MasterKey | KmsMasterKey,
    secrets: MasterKey,
    encoder: Encoder,
    audit: AuditLog,
) -> Rooms:
    registry, ledger, attempts = Registry(store), ConsentLedger(store), Attempts(store)
    rotations = Rotations(store, secrets)
    galleries = Galleries(store, master, rotations)
    points = OperatingPoints(registry, galleries, audit)
    vault = Vault(store, master, galleries, rotations, points)
    decisions = Decisions(
        encoder=encoder,
        galleries=galleries,
        rotations=rotations,
        points=points,
        ledger=ledger,
        attempts=attempts,
    )
    enrollments = Enrollments(encoder, rotations, ledger, vault)
    guard = Guard(store, registry, ledger, audit, galleries)
    return Rooms(
        store=store,
        master=master,
        registry=registry,
        ledger=ledger,
        audit=audit,
        attempts=attempts,
        galleries=galleries,
        points=points,
        vault=vault,
        enrollments=enrollments,
        decisions=decisions,
        guard=guard,
    )


def _kms_root(store: Store, key: KmsMasterKey) -> MasterKey:
    """The derivation root of a store whose master key is held by a key service: created and
    stored wrapped on first use, unwrapped by the service on every open."""
    stored = store.meta.kms_root()
    root, wrapped = key.derivation_root(stored)
    if stored is None:
        store.meta.set_kms_root(wrapped)
    return root
