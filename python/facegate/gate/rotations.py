"""Each deployment's secret rotation (R18), derived once per process: deriving costs
milliseconds, and every enrollment and probe is turned by it."""

from __future__ import annotations

from facegate.keys import MasterKey, Rotation
from facegate.store import Store

__all__ = ["Rotations"]


class Rotations:
    """The rotations of one open store, derived from its secrets at the stored epoch."""

    __slots__ = ("_derived", "_epochs", "_secrets", "_store")

    def __init__(self, store: Store, secrets: MasterKey) -> None:
        self._store, self._secrets = store, secrets
        self._derived: dict[str, Rotation] = {}
        self._epochs: dict[str, int] = {}

    def of(self, deployment: str) -> Rotation:
        """The deployment's current rotation."""
        rotation = self._derived.get(deployment)
        if rotation is None:
            epoch = self._store.meta.rotation_epoch(deployment)
            rotation = Rotation.derive(self._secrets, deployment, epoch=epoch)
            self._derived[deployment] = rotation
            self._epochs[deployment] = epoch
        return rotation

    def epoch(self, deployment: str) -> int:
        """How often the deployment was renewed."""
        return self._store.meta.rotation_epoch(deployment)

    def advance(self, deployment: str) -> tuple[Rotation, Rotation, int]:
        """Records the next epoch (in the caller's transaction) and returns the old and the new
        rotation and the new epoch; the new rotation is used once the transaction commits."""
        old = self.of(deployment)
        epoch = self.epoch(deployment) + 1
        new = Rotation.derive(self._secrets, deployment, epoch=epoch)
        self._store.meta.set_rotation_epoch(deployment, epoch)

        def switch() -> None:
            self._derived[deployment] = new
            self._epochs[deployment] = epoch

        self._store.after_commit(switch)
        return old, new, epoch

    def clear(self) -> None:
        """Forgets every derived rotation."""
        self._derived.clear()
        self._epochs.clear()

    def refresh(self) -> None:
        """Forgets the rotations whose deployment another process renewed since."""
        stale = [
            deployment
            for deployment, epoch in self._epochs.items()
            if self._store.meta.rotation_epoch(deployment) != epoch
        ]
        for deployment in stale:
            self._derived.pop(deployment, None)
            self._epochs.pop(deployment, None)
