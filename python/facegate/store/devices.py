"""The ``devices`` table: the keys of devices that reach the gate through a service (R19).

A device's token is never stored, only its keyed hash (:mod:`facegate.gate.devices` computes
it), so the store alone opens nothing. Rows are kept once revoked: the audit trail names
devices, and a name is never given to another device.
"""

from __future__ import annotations

from dataclasses import dataclass

from facegate.errors import DuplicateId
from facegate.store.database import Database, UniqueViolation

__all__ = ["DeviceRecord", "Devices"]

_COLUMNS = "name, capabilities, deployments, created_at, expires_at, revoked_at"


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """One stored device, without its token's hash: ``capabilities`` and ``deployments`` as
    stored (JSON lists; ``deployments`` None for every deployment), times as ISO 8601 text."""

    name: str
    capabilities: str
    deployments: str | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class Devices:
    """The device keys of one store."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        name: str,
        *,
        token_hash: str,
        capabilities: str,
        deployments: str | None,
        at: str,
        expires_at: str | None,
    ) -> None:
        """Stores a new device key; DuplicateId if ``name`` was ever used."""
        if self.get(name) is not None:
            raise DuplicateId(
                f"device {name!r} exists already (a revoked device keeps its name): choose "
                "another name"
            )
        try:
            with self._db.transaction():
                self._db.execute(
                    "INSERT INTO devices (name, token_hash, capabilities, deployments, "
                    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (name, token_hash, capabilities, deployments, at, expires_at),
                )
        except UniqueViolation as exc:
            raise DuplicateId(f"device {name!r} could not be stored: its key is taken") from exc

    def get(self, name: str) -> DeviceRecord | None:
        """The device called ``name``, if any."""
        found = self._db.row(f"SELECT {_COLUMNS} FROM devices WHERE name = ?", (name,))
        return None if found is None else _record(found)

    def by_token_hash(self, token_hash: str) -> DeviceRecord | None:
        """The device whose token has this keyed hash, if any (an index lookup: the token
        itself is compared nowhere)."""
        found = self._db.row(f"SELECT {_COLUMNS} FROM devices WHERE token_hash = ?", (token_hash,))
        return None if found is None else _record(found)

    def all(self) -> list[DeviceRecord]:
        """Every device, revoked ones included, by name."""
        return [
            _record(row) for row in self._db.rows(f"SELECT {_COLUMNS} FROM devices ORDER BY name")
        ]

    def revoke(self, name: str, *, at: str) -> None:
        """Marks the device revoked at ``at`` (a device revoked already keeps its time)."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE devices SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (at, name),
            )


def _record(row: tuple[object, ...]) -> DeviceRecord:
    name, capabilities, deployments, created, expires, revoked = row
    return DeviceRecord(
        name=str(name),
        capabilities=str(capabilities),
        deployments=None if deployments is None else str(deployments),
        created_at=str(created),
        expires_at=None if expires is None else str(expires),
        revoked_at=None if revoked is None else str(revoked),
    )
