"""What an open store keeps in memory, and how it is rebuilt from the store: each deployment's
gallery (decrypted inside Rust) with every template's owner and expiry, and for a KMS-held
master key the derivation root that rotations and audit tags come from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facegate.keys import KmsMasterKey, MasterKey, Rotation, open_into_gallery
from facegate.matching import Gallery
from facegate.store import Store

__all__ = ["Owners", "Shared", "kms_root", "load_gallery"]

Owners = dict[int, tuple[str, datetime]]
"""Template id -> (subject, expiry)."""


@dataclass(slots=True)
class Shared:
    """What every handle on one open store shares: the galleries (with each template's owner
    and expiry), the derived rotations, and the store's data version they reflect."""

    galleries: dict[str, tuple[Gallery, Owners]]
    rotations: dict[str, Rotation]
    version: int


def load_gallery(
    store: Store, master: MasterKey | KmsMasterKey, deployment: str
) -> tuple[Gallery, Owners]:
    """The deployment's gallery, opened from its sealed templates, and their owners."""
    rows = store.query(
        "SELECT t.id, t.sealed, k.wrapped, t.subject_id, t.expires_at FROM templates t "
        "JOIN data_keys k ON k.subject_id = t.subject_id WHERE t.deployment_id = ?",
        (deployment,),
    )
    gallery = Gallery()
    if not rows:
        return gallery, {}
    # Columns at C speed: a 1M-template store is a million rows. A damaged row's wrong type
    # surfaces as a TypeError, which the caller reports as CorruptStore.
    ids, sealed, wrapped, subjects, expiries = (list(c) for c in zip(*rows, strict=True))
    open_into_gallery(
        gallery,
        master,
        ids=ids,
        sealed=sealed,
        wrapped_keys=wrapped,
        subjects=subjects,
        deployment=deployment,
    )
    # Templates enrolled together share an expiry: parse each distinct one once.
    parsed = {e: datetime.fromisoformat(str(e)) for e in set(expiries)}
    owners = zip(subjects, map(parsed.__getitem__, expiries), strict=True)
    return gallery, dict(zip(ids, owners, strict=True))


def kms_root(store: Store, key: KmsMasterKey) -> MasterKey:
    """The derivation root of a store whose master key is held by a key service: created and
    stored wrapped on first use, unwrapped by the service on every open."""
    rows = store.query("SELECT value FROM meta WHERE key = 'kms_derivation_root'")
    root, wrapped = key.derivation_root(bytes.fromhex(str(rows[0][0])) if rows else None)
    if not rows:
        with store.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('kms_derivation_root', ?)", (wrapped.hex(),)
            )
    return root
