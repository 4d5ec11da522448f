"""Device keys (R19): how a device that reaches the gate through a service (a kiosk, a door) is
known, bound and stopped.

An administrator adds a device with the capabilities it may use and the deployments it may
use them in (all of them, or some). Its token is shown once, when it is added: the store keeps
only the token's keyed hash (HMAC-SHA256 under a key derived from the master key, the
context ``"device token v1"``), so neither a copy of the store nor its administrator can
recover it. A token presented later is found by its hash (an index lookup; the token is never
compared, so the lookup's timing says nothing about it) and opens a handle narrowed to that
device's capabilities and deployments, which names the device in every audit entry. A revoked
or expired key opens nothing; a lost token is revoked and replaced, never shown again.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from facegate._text import deployment_names, encodable
from facegate._time import utc
from facegate.errors import DeviceRefused, InvalidArgument, UnknownId
from facegate.gate.guard import Capability
from facegate.keys import MasterKey
from facegate.store import Store
from facegate.store.devices import DeviceRecord

__all__ = ["TOKEN_PREFIX", "Device", "DeviceKeys", "NewDevice"]

TOKEN_PREFIX = "fgd_"
"""How a device token begins (so that a secret scanner, or a person, recognises one)."""

_TOKEN = "device token v1"
_NAME_LIMIT = 100
_RESERVED = frozenset({"local"})
"""Names a device cannot take: the one the gate itself speaks for in the audit trail."""


@dataclass(frozen=True, slots=True)
class Device:
    """A device key as stored, never its token: its ``name`` (which audit entries carry), the
    ``capabilities`` it may use, the ``deployments`` it may use them in (None: every one), when
    it was added, when it expires (None: never) and when it was revoked (None: it was not)."""

    name: str
    capabilities: tuple[Capability, ...]
    deployments: tuple[str, ...] | None
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime | None = None) -> bool:
        """Whether its token opens a handle at ``now`` (default now): not revoked, not expired."""
        moment = utc(now)
        return self.revoked_at is None and (self.expires_at is None or moment < self.expires_at)

    @property
    def state(self) -> str:
        """``"active"``, ``"revoked"`` or ``"expired"``, now."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.usable() else "expired"


@dataclass(frozen=True, slots=True)
class NewDevice:
    """A device just added: its record, and its ``token``, shown this once (facegate keeps only
    its keyed hash). Give the token to the device; it is left out of the repr, so that a log
    line does not carry it."""

    device: Device
    token: str = field(repr=False)


class DeviceKeys:
    """The device keys of one open store, hashed under ``key`` (the master key, or for a key
    service the derivation root the store keeps wrapped)."""

    __slots__ = ("_key", "_store")

    def __init__(self, store: Store, key: MasterKey) -> None:
        self._store, self._key = store, key

    def add(
        self,
        name: str,
        capabilities: Iterable[Capability | str] | Capability,
        deployments: Iterable[str] | None,
        expires_at: datetime | None,
        *,
        now: datetime | None = None,
    ) -> NewDevice:
        """Stores a new device key; returns it with its token (:meth:`FaceGate.add_device`)."""
        moment = utc(now)
        _check_name(name)
        held = _capabilities(capabilities)
        bound = None if deployments is None else self._deployments(deployments)
        expires = None
        if expires_at is not None:
            expires = utc(expires_at)
            if expires <= moment:
                raise InvalidArgument(
                    f"a device key cannot expire in the past ({expires.isoformat()}): give a "
                    "moment after now, or none for a key that does not expire"
                )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._store.devices.add(
            name,
            token_hash=self._hash(token),
            capabilities=json.dumps([c.value for c in held]),
            deployments=None if bound is None else json.dumps(list(bound)),
            at=moment.isoformat(),
            expires_at=None if expires is None else expires.isoformat(),
        )
        device = Device(name, held, bound, moment, expires)
        return NewDevice(device, token)

    def revoke(self, name: str, *, now: datetime | None = None) -> Device:
        """Revokes the device called ``name`` (one revoked already stays as it was); UnknownId
        if there is none."""
        if not isinstance(name, str) or self._store.devices.get(name) is None:
            raise UnknownId(f"no device is called {name!r}")
        self._store.devices.revoke(name, at=utc(now).isoformat())
        return self.get(name)

    def get(self, name: str) -> Device:
        found = self._store.devices.get(name)
        if found is None:
            raise UnknownId(f"no device is called {name!r}")
        return self._device(found)

    def all(self) -> tuple[Device, ...]:
        """Every device, revoked and expired ones included, by name."""
        return tuple(self._device(record) for record in self._store.devices.all())

    def holder(self, token: object) -> Device:
        """The device whose token is ``token``, usable or not; DeviceRefused if there is none
        (the message holds no part of the token)."""
        if not isinstance(token, str) or not encodable(token):
            raise DeviceRefused("a device token is text; this is not a device key")
        found = self._store.devices.by_token_hash(self._hash(token))
        if found is None:
            raise DeviceRefused("this device key is not known to the store: ask for a new one")
        return self._device(found)

    def check_usable(self, device: Device, *, now: datetime | None = None) -> None:
        """DeviceRefused if ``device``'s key was revoked or has expired at ``now``."""
        if device.revoked_at is not None:
            raise DeviceRefused(
                f"the key of device {device.name!r} was revoked at "
                f"{device.revoked_at.isoformat()}: it opens nothing"
            )
        if device.expires_at is not None and not device.usable(now):
            raise DeviceRefused(
                f"the key of device {device.name!r} expired at "
                f"{device.expires_at.isoformat()}: ask for a new one"
            )

    def _hash(self, token: str) -> str:
        return self._key.tag(_TOKEN, token.encode()).hex()

    def _deployments(self, deployments: Iterable[str]) -> tuple[str, ...]:
        names = deployment_names(deployments)
        if not names:
            raise InvalidArgument(
                "name at least one deployment the device may use, or None for every one"
            )
        for name in names:
            self._store.deployments.get(name)  # UnknownId if it is not registered
        return tuple(sorted(set(names)))

    def _device(self, record: DeviceRecord) -> Device:
        with self._store.reading(f"device {record.name!r}"):
            deployments = None if record.deployments is None else json.loads(record.deployments)
            return Device(
                name=record.name,
                capabilities=tuple(Capability(c) for c in json.loads(record.capabilities)),
                deployments=None if deployments is None else tuple(str(d) for d in deployments),
                created_at=_moment(record.created_at),
                expires_at=None if record.expires_at is None else _moment(record.expires_at),
                revoked_at=None if record.revoked_at is None else _moment(record.revoked_at),
            )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name.strip() or not encodable(name):
        raise InvalidArgument(f"a device is named by non-empty text, not {name!r}")
    if name != name.strip() or len(name) > _NAME_LIMIT or not name.isprintable():
        raise InvalidArgument(
            f"a device name is printable text of at most {_NAME_LIMIT} characters with no "
            f"space around it, not {name!r}"
        )
    if name in _RESERVED:
        raise InvalidArgument(f"{name!r} is the gate's own name in the trail: choose another")


def _capabilities(given: Iterable[Capability | str] | Capability) -> tuple[Capability, ...]:
    if isinstance(given, Capability):
        given = (given,)
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise InvalidArgument(
            "capabilities is a list of capabilities ([Capability.MATCH]), not "
            f"{type(given).__name__} {given!r}"
        )
    held: set[Capability] = set()
    for value in given:
        try:
            held.add(Capability(value))
        except ValueError:
            raise InvalidArgument(
                f"unknown capability {value!r}; use {', '.join(c.value for c in Capability)}"
            ) from None
    if not held:
        raise InvalidArgument("a device needs at least one capability (match, enroll, admin)")
    return tuple(sorted(held))
