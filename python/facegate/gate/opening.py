"""Opening a store for the gate: its key, its seal, its checkpoints, its galleries.

In order: the store is opened and migrated; the master key (or, for a key service, the
derivation root it wraps) must authenticate the state seal, else WrongKey; a store upgraded from
before the seal is sealed once, as it is; the quick integrity checks run (a problem is recorded
as an incident, which takes the deployments off line); a store upgraded from before the
second-best test states in its trail the rule its 1:N deployments now run at; every gallery is
loaded, refusing a template that fails its tag or that was destroyed and has come back (fail
closed, R17).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from facegate.compliance.incidents import IncidentKind, record_incident
from facegate.errors import StoreUnavailable, TamperedData, WrongKey
from facegate.gate.audit import AuditLog, legacy_head
from facegate.gate.encoder import Encoder
from facegate.gate.rooms import Rooms, build_rooms
from facegate.gate.seal import GENESIS, Seal, SealRecord
from facegate.keys import KmsMasterKey, MasterKey
from facegate.store import Store
from facegate.store.seal import SEALED

__all__ = ["STATE_DIR_ENV", "checkpoint_folder", "open_rooms", "open_store"]

_WRONG_KEYS = "wrong-keys.json"

STATE_DIR_ENV = "FACEGATE_STATE_DIR"
"""Where checkpoints go when the caller names no folder (default ~/.local/state/facegate)."""


def checkpoint_folder(explicit: str | os.PathLike[str] | None, store_id: str) -> Path:
    """The folder of one store's checkpoints: ``<explicit>/<store id>``, else under
    ``$FACEGATE_STATE_DIR``, ``$XDG_STATE_HOME/facegate`` or ``~/.local/state/facegate``."""
    if explicit is not None:
        return Path(explicit) / store_id
    base = os.environ.get(STATE_DIR_ENV)
    if not base:
        xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        base = str(Path(xdg) / "facegate")
    return Path(base) / store_id


def open_rooms(
    location: str | os.PathLike[str],
    key: MasterKey | KmsMasterKey,
    *,
    encoder: Encoder,
    checkpoints: str | os.PathLike[str] | None,
    load_galleries: bool = True,
) -> Rooms:
    """Opens the store at ``location`` with its master key (see the module docs)."""
    store, root, audit, seal, folder = _open(location, key, checkpoints)
    try:
        rooms = build_rooms(store, key, root, encoder, audit, seal, folder)
        rooms.integrity.at_open()
        if store.meta.rule_pending():
            with store.transaction():
                rooms.points.restate_rule(store.deployments.names())
                store.meta.clear_rule_pending()
        rooms.galleries.load_all(now=load_galleries)
    except BaseException:
        store.close()
        raise
    return rooms


def open_store(
    location: str | os.PathLike[str],
    key: MasterKey | KmsMasterKey,
    *,
    checkpoints: str | os.PathLike[str] | None = None,
) -> Store:
    """The store at ``location``, sealed under its master key as the gate keeps it, for the
    store-level functions (``facegate.compliance.filing.check_filing`` and the like) and
    tools. Nothing writes to a store without its seal. Prefer :class:`facegate.FaceGate`."""
    return _open(location, key, checkpoints)[0]


def _open(
    location: str | os.PathLike[str],
    key: MasterKey | KmsMasterKey,
    checkpoints: str | os.PathLike[str] | None,
) -> tuple[Store, MasterKey, AuditLog, Seal, Path]:
    store = Store.open(location)
    try:
        moved = store.meta.moved_to()
        if moved is not None:
            raise StoreUnavailable(
                f"{store.location} was moved to {moved} (facegate store migrate): open that "
                "store; this copy is retired"
            )
        # Rotations, audit links and the seal are keyed from ``root``: the master key itself,
        # or for a KMS-held master key a random root that the service wraps.
        root = key if isinstance(key, MasterKey) else _kms_root(store, key)
        seal = Seal(store, root, _store_id(store))
        store.attach(seal)
        folder = checkpoint_folder(checkpoints, seal.store_id)
        audit = AuditLog(store, root, seal, checkpoints=folder)
        try:
            _first_seal(store, seal, root, key.id)
        except WrongKey:
            _note_wrong_key(folder, key.id)
            raise
        _record_wrong_keys(store, folder)
    except BaseException:
        store.close()
        raise
    return store, root, audit, seal, folder


def _store_id(store: Store) -> str:
    found = store.meta.store_id()
    if found is None:
        found = secrets.token_hex(16)
        store.meta.set_store_id(found)
    return found


def _first_seal(store: Store, seal: Seal, root: MasterKey, key_id: str) -> None:
    """Checks the seal authenticates under this key; seals, once, a store upgraded from before
    the seal (its rows as they are: there was nothing to check them against)."""
    try:
        if seal.stored() is not None:
            return
    except TamperedData as exc:
        raise WrongKey(
            f"{store.location}: the state seal does not authenticate under master key {key_id} "
            "(another operator's key, or the seal was altered)"
        ) from exc
    head = legacy_head(store, root)  # WrongKey for another operator's store of schema 7
    if not store.meta.seal_pending():
        return  # a new store (or one stripped of its seal: the integrity checks say which)
    size, link = head if head is not None else (0, GENESIS)
    with store.transaction():
        seal.write(SealRecord(size, link, {table: seal.digest(table) for table in SEALED}))
        store.meta.drop_audit_head()
        store.meta.clear_seal_pending()


def _note_wrong_key(folder: Path, key_id: str) -> None:
    """A wrong master key is an incident (R22), but the store cannot record it: nothing is
    written without its own key. It is noted beside the store's checkpoints, one note however
    often it happens, and recorded in the store at the next open with the right key."""
    note = folder / _WRONG_KEYS
    now = datetime.now(UTC).isoformat()
    try:
        seen = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seen = {"first": now, "count": 0, "key_ids": []}
    seen |= {"last": now, "count": int(seen.get("count", 0)) + 1}
    seen["key_ids"] = sorted({*seen.get("key_ids", []), key_id})
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{_WRONG_KEYS}.{os.getpid()}.partial"
        partial.write_text(json.dumps(seen, sort_keys=True), encoding="utf-8")
        os.replace(partial, note)
    except OSError:
        pass  # the refusal stands whether or not the note could be kept


def _record_wrong_keys(store: Store, folder: Path) -> None:
    """Records the wrong-key opens noted since the last open with the right key."""
    note = folder / _WRONG_KEYS
    try:
        seen = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    record_incident(
        store,
        IncidentKind.WRONG_KEY,
        f"{seen.get('count', 1)} attempt(s) to open the store with another master key "
        f"(key ids {', '.join(seen.get('key_ids', []))}) from {seen.get('first')} to "
        f"{seen.get('last')}",
    )
    note.unlink(missing_ok=True)


def _kms_root(store: Store, key: KmsMasterKey) -> MasterKey:
    """The derivation root of a store whose master key is held by a key service: created and
    stored wrapped on first use, unwrapped by the service on every open."""
    stored = store.meta.kms_root()
    root, wrapped = key.derivation_root(stored)
    if stored is None:
        store.meta.set_kms_root(wrapped)
    return root
