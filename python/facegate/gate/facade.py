"""``FaceGate``: the public object through which every biometric operation passes the gate.

Its methods are the short verbs (:mod:`facegate.gate.people`,
:mod:`facegate.gate.administration`, :mod:`facegate.gate.accountability`,
:mod:`facegate.gate.access`); each passes the one
guard (:mod:`facegate.gate.guard`): capability (R19), active deployment (R26), declared purpose
(R2), consent under the current notice (R7, R8), and an audit entry in the same transaction as
the operation (R20). Decisions say match or no match and list the alternatives (R4, R11).

Thresholds (and for 1:N the second-best ratio) come from the deployment's operating point (R5):
derived from its target error rate for the gallery's current size, and stated in the audit trail
whenever the size crosses a power of ten (:mod:`facegate.accuracy`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from facegate._text import deployment_names, encodable
from facegate.compliance.inference import refuse_inference
from facegate.errors import InvalidArgument
from facegate.faces.detect import FaceDetector
from facegate.gate.access import AccessVerbs
from facegate.gate.accountability import AccountabilityVerbs
from facegate.gate.administration import AdministrationVerbs
from facegate.gate.encoder import Encoder
from facegate.gate.guard import ALL, Capability
from facegate.gate.opening import open_rooms
from facegate.gate.people import PeopleVerbs
from facegate.gate.rooms import Rooms
from facegate.keys import KmsMasterKey, MasterKey

__all__ = ["LOCAL_DEVICE", "FaceGate"]

LOCAL_DEVICE = "local"
"""The device a gate speaks for until a handle names one."""


class FaceGate(PeopleVerbs, AdministrationVerbs, AccountabilityVerbs, AccessVerbs):
    """An operator's store, opened with its master key: use :meth:`open`.

    A handle (:meth:`handle`) is a narrowed view of the same open store: it has the same verbs,
    refuses those its capabilities do not allow (and audits the refusal), and reaches nothing
    behind them. Python keeps no secrets from code in the same process: a handle separates
    the duties of honest code (a kiosk's matching loop, an enrollment desk); code that must not
    hold the master key belongs in another process, behind the service's device keys
    (:meth:`add_device`, :meth:`device_handle`).
    """

    __slots__ = ("_capabilities", "_closed", "_deployments", "_device", "_owner", "_rooms")

    def __init__(
        self,
        rooms: Rooms,
        capabilities: frozenset[Capability],
        *,
        owner: bool,
        device: str = LOCAL_DEVICE,
        deployments: frozenset[str] | None = None,
    ) -> None:
        self._rooms = rooms
        self._capabilities = frozenset(capabilities)
        self._owner = owner
        self._closed = False
        self._device = device
        self._deployments = deployments

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        key: MasterKey | KmsMasterKey,
        *,
        encoder: Encoder | None = None,
        capabilities: frozenset[Capability] = ALL,
        checkpoints: str | os.PathLike[str] | None = None,
        load_galleries: bool = True,
    ) -> FaceGate:
        """Opens (or creates) the store at ``path`` with its master key; every deployment's
        gallery is rebuilt from its sealed templates inside Rust (no plaintext template becomes
        a Python object). ``path`` is a SQLite file, or a ``postgresql://`` URL naming an
        existing database that several processes and hosts share (docs/POSTGRES.md).
        ``encoder``: the face pipeline (default :class:`FaceDetector`).
        ``checkpoints`` names the folder, best on other storage, where the store's checkpoints
        are kept (default: ``$FACEGATE_STATE_DIR`` or ``~/.local/state/facegate``): the
        trail's head after every commit, and one every 1,000 entries; on PostgreSQL also the
        erasure epoch's key (facegate.gate.wrapping). A key that did not make
        the store raises WrongKey. ``load_galleries`` false loads each deployment's gallery
        when it is first searched instead (a command that verifies one person needs none:
        1:1 opens only that person's template)."""
        pipeline = encoder or FaceDetector()
        refuse_inference(pipeline, f"the face pipeline {type(pipeline).__name__}")
        rooms = open_rooms(
            path,
            key,
            encoder=pipeline,
            checkpoints=checkpoints,
            load_galleries=load_galleries,
        )
        return cls(rooms, frozenset(capabilities), owner=True)

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this handle may do (R19)."""
        return self._capabilities

    @property
    def device(self) -> str:
        """The device this handle speaks for: identification's attempt limits count per
        device and deployment."""
        return self._device

    @property
    def bound_to(self) -> frozenset[str] | None:
        """The deployments this handle may make calls in (None: every deployment, and the
        calls that name none, such as erasure or the audit trail)."""
        return self._deployments

    def handle(
        self,
        *capabilities: Capability,
        device: str | None = None,
        deployments: Iterable[str] | None = None,
    ) -> FaceGate:
        """A handle on the same open store limited to ``capabilities`` (a matching device:
        ``gate.handle(Capability.MATCH, device="kiosk-3")``); never more than this one holds.
        ``device`` names the device in the audit trail (default: this handle's).
        ``deployments`` binds the handle to those deployments (default None: this handle's
        own binding, if any): it may then only make calls that name one of them (R19), and
        never any outside this handle's."""
        if device is not None and (
            not isinstance(device, str) or not device.strip() or not encodable(device)
        ):
            raise InvalidArgument(f"a device is named by non-empty text, not {device!r}")
        unknown = [c for c in capabilities if c not in ALL]
        if unknown:
            raise InvalidArgument(
                f"unknown capabilities {unknown!r}; use {', '.join(c.name for c in Capability)}"
            )
        narrowed = frozenset(Capability(c) for c in capabilities) & self._capabilities
        bound = self._deployments
        if deployments is not None:
            named = _names(deployments)
            bound = named if bound is None else named & bound
        return FaceGate(
            self._rooms, narrowed, owner=False, device=device or self._device, deployments=bound
        )

    def close(self) -> None:
        """Closes this handle; on the gate :meth:`open` returned, closes the store and with it
        every handle."""
        self._closed = True
        if self._owner and not self._rooms.closed:
            self._rooms.closed = True
            self._rooms.audit.close()
            self._rooms.store.close()

    @property
    def closed(self) -> bool:
        return self._closed or self._rooms.closed

    def __enter__(self) -> FaceGate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        held = ", ".join(sorted(c.value for c in self._capabilities)) or "none"
        bound = (
            ""
            if self._deployments is None
            else f", deployments: {', '.join(sorted(self._deployments)) or 'none'}"
        )
        device = "" if self._device == LOCAL_DEVICE else f", device: {self._device}"
        state = " (closed)" if self.closed else ""
        return (
            f"FaceGate({self._rooms.store.location!r}, capabilities: {held}{bound}{device}){state}"
        )


def _names(deployments: Iterable[str]) -> frozenset[str]:
    """The deployment names a handle is bound to, checked."""
    return frozenset(deployment_names(deployments))
