"""The ``meta`` table: the store's own settings, one value per key.

It holds the schema version, the store's id, the state seal (the audit trail's authenticated
head and the digests of every sealed table), each deployment's rotation epoch and, for a master
key held by a key service, the wrapped derivation root.
"""

from __future__ import annotations

from facegate.store.database import Database

__all__ = ["Meta"]

_UPSERT = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


class Meta:
    """Named settings of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self) -> None:
        """Creates the table if the store is new (the first step of every migration)."""
        with self._db.transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")

    def schema_version(self) -> int:
        with self._db.reading("the schema version"):
            return int(str(self._get("schema_version") or 0))

    def set_schema_version(self, version: int) -> None:
        self._put("schema_version", str(version))

    def audit_head(self) -> str | None:
        """The audit trail's head as stores before schema 8 kept it (``size:link:tag``, hex),
        until the state seal replaces it."""
        return self._get("audit_head")

    def drop_audit_head(self) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM meta WHERE key = 'audit_head'")

    def seal(self) -> str | None:
        """The state seal's record (JSON), None before the first (facegate.gate.seal)."""
        return self._get("seal")

    def set_seal(self, record: str) -> None:
        self._put("seal", record)

    def seal_pending(self) -> bool:
        """Whether the store was upgraded from before the seal and awaits its first seal."""
        return self._get("seal_pending") is not None

    def set_seal_pending(self) -> None:
        self._put("seal_pending", "upgraded")

    def clear_seal_pending(self) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM meta WHERE key = 'seal_pending'")

    def rule_pending(self) -> bool:
        """Whether the store was upgraded from before the second-best test (schema 9) and its
        1:N deployments have not yet stated the rule they now run at."""
        return self._get("rule_pending") is not None

    def set_rule_pending(self) -> None:
        self._put("rule_pending", "second-best test")

    def clear_rule_pending(self) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM meta WHERE key = 'rule_pending'")

    def store_id(self) -> str | None:
        """The store's random id, which the seal and its checkpoints name."""
        return self._get("store_id")

    def set_store_id(self, store_id: str) -> None:
        self._put("store_id", store_id)

    def rotation_epoch(self, deployment: str) -> int:
        """How often the deployment's templates were renewed (R18): 0 at first."""
        with self._db.reading(f"the rotation epoch of {deployment!r}"):
            return int(str(self._get(f"rotation_epoch:{deployment}") or 0))

    def set_rotation_epoch(self, deployment: str, epoch: int) -> None:
        self._put(f"rotation_epoch:{deployment}", str(epoch))

    def erasure_epoch(self) -> int | None:
        """The erasure epoch whose key wraps the data keys (facegate.gate.wrapping), None
        where the master key wraps them."""
        found = self._get("erasure_epoch")
        with self._db.reading("the erasure epoch"):
            return None if found is None else int(found)

    def set_erasure_epoch(self, epoch: int) -> None:
        self._put("erasure_epoch", str(epoch))

    def moved_to(self) -> str | None:
        """Where the store was moved (``facegate store migrate``), if it was: it is retired."""
        return self._get("moved_to")

    def set_moved_to(self, where: str | None) -> None:
        if where is None:
            with self._db.transaction():
                self._db.execute("DELETE FROM meta WHERE key = 'moved_to'")
        else:
            self._put("moved_to", where)

    def kms_root(self) -> bytes | None:
        """The derivation root wrapped by the key service, if one was made."""
        found = self._get("kms_derivation_root")
        with self._db.reading("the wrapped derivation root"):
            return None if found is None else bytes.fromhex(found)

    def set_kms_root(self, wrapped: bytes) -> None:
        self._put("kms_derivation_root", wrapped.hex())

    def _get(self, key: str) -> str | None:
        found = self._db.value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if found is None else str(found)

    def _put(self, key: str, value: str) -> None:
        with self._db.transaction():
            self._db.execute(_UPSERT, (key, value))
