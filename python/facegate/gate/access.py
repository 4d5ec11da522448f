"""The gate's verbs for access control: device keys (R19, :mod:`facegate.gate.devices`).
Administrators only; each is guarded (:mod:`facegate.gate.guard`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from facegate.gate.devices import Device, NewDevice
from facegate.gate.guard import Call, Capability, Gated, guarded

if TYPE_CHECKING:
    from facegate.gate.facade import FaceGate

__all__ = ["AccessVerbs"]


class AccessVerbs(Gated):
    """Adding, listing and revoking device keys, and the handle a key opens (mixed into
    :class:`~facegate.FaceGate`)."""

    __slots__ = ()

    if TYPE_CHECKING:

        def handle(
            self,
            *capabilities: Capability,
            device: str | None = None,
            deployments: Iterable[str] | None = None,
        ) -> FaceGate: ...

    @guarded(Capability.ADMIN)
    def add_device(
        self,
        call: Call,
        name: str,
        *,
        capabilities: Iterable[Capability | str] | Capability,
        deployments: Iterable[str] | None = None,
        expires_at: datetime | None = None,
    ) -> NewDevice:
        """Adds a device key: ``name`` (printable text, never used before; audit entries carry
        it), the ``capabilities`` it may use (``[Capability.MATCH]`` for a kiosk), the
        ``deployments`` it may use them in (registered ones; default None: every
        deployment), and when it expires (a timezone-aware moment after now; default None:
        never). Returns the record and the token, shown this once: the store keeps only its
        keyed hash. DuplicateId if the name was ever used, UnknownId for an unregistered
        deployment, InvalidArgument for the rest."""
        added = self._rooms.devices.add(name, capabilities, deployments, expires_at)
        device = added.device
        where = ", ".join(device.deployments) if device.deployments else "every deployment"
        until = device.expires_at.isoformat() if device.expires_at else "never"
        caps = ", ".join(c.value for c in device.capabilities)
        call.detail = f"device {name!r} added: {caps}; {where}; expires {until}"
        return added

    @guarded(Capability.ADMIN)
    def revoke_device(self, call: Call, name: str) -> Device:
        """Revokes the device key ``name`` at once: its token opens nothing from the next
        :meth:`device_handle` on (handles opened before keep working until they are dropped:
        a service opens one per request). The record stays, revoked; UnknownId if there is no
        such device."""
        device = self._rooms.devices.revoke(name)
        call.detail = f"device {device.name!r} revoked"
        return device

    @guarded(Capability.ADMIN, audited=False)
    def devices(self, call: Call) -> tuple[Device, ...]:
        """Every device key, revoked and expired ones included, by name (never a token or its
        hash)."""
        return self._rooms.devices.all()

    @guarded(Capability.ADMIN, audited=False)
    def device_handle(self, call: Call, token: str) -> FaceGate:
        """The handle a device's ``token`` opens: this one narrowed to the device's
        capabilities and deployments, naming the device (:attr:`FaceGate.device`) in the audit
        entry of every call made with it. For a service, once per request. Not audited when it
        opens (the calls made with the handle are); DeviceRefused (R19), audited, when the
        token is unknown, revoked or expired: the entry names the device where the token is
        one, and holds nothing of the token."""
        device = self._rooms.devices.holder(token)
        call.device = device.name  # a refusal from here on names the device
        self._rooms.devices.check_usable(device)
        return self.handle(*device.capabilities, device=device.name, deployments=device.deployments)
