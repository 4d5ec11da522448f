"""The galleries of an open store: each deployment's templates in memory, decrypted inside Rust
(no plaintext template becomes a Python object on this path), with every template's owner and
expiry, kept in step with the store.

Changes made through this process reach the galleries after their transaction commits; changes
committed by another process (another device or worker on the same store) are seen before the
next operation, which rebuilds the galleries from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy.typing as npt

from facegate.compliance.incidents import IncidentKind, record_incident
from facegate.errors import IntegrityError, TamperedData, WrongKey
from facegate.gate.rotations import Rotations
from facegate.keys import KmsMasterKey, MasterKey, open_into_gallery
from facegate.matching import NO_MATCH, Gallery
from facegate.store import Store

__all__ = ["Galleries", "Owners"]

Owners = dict[int, tuple[str, datetime]]
"""Template id -> (subject, expiry)."""


class Galleries:
    """Every deployment's gallery and its owners, shared by the handles of one open store."""

    __slots__ = ("_held", "_master", "_rotations", "_store")

    def __init__(
        self, store: Store, master: MasterKey | KmsMasterKey, rotations: Rotations
    ) -> None:
        self._store, self._master, self._rotations = store, master, rotations
        self._held: dict[str, tuple[Gallery, Owners]] = {}

    def load_all(self) -> None:
        """Opens every deployment's gallery (when the store is opened). A template that fails
        its tag, a wrong key or a destroyed template that has come back is an integrity
        incident (R22), recorded before the store is refused (fail closed, R17)."""
        destroyed = self._store.destroyed.template_ids()
        for deployment in self._store.deployments.names():
            try:
                self._load(deployment, destroyed)
            except IntegrityError as exc:
                kind = (
                    IncidentKind.WRONG_KEY
                    if isinstance(exc, WrongKey)
                    else (IncidentKind.TEMPLATE_TAG)
                )
                record_incident(
                    self._store,
                    kind,
                    f"opening deployment {deployment}: {type(exc).__name__}",
                    deployment=deployment,
                    affected=self._store.templates.count(deployment),
                )
                raise

    def reload(self) -> None:
        """Catches up with commits by other processes: the galleries are rebuilt, and the
        rotations derived again (a renewal elsewhere changes them)."""
        self._rotations.clear()
        self._held.clear()
        destroyed = self._store.destroyed.template_ids()
        for deployment in self._store.deployments.names():
            self._load(deployment, destroyed)

    def size(self, deployment: str) -> int:
        """Templates in the deployment's gallery (its 1:N size)."""
        held = self._held.get(deployment)
        return len(held[0]) if held else 0

    def owner(self, deployment: str, template: int) -> tuple[str, datetime]:
        """(subject, expiry) of a template in the gallery."""
        return self._entry(deployment)[1][template]

    def publish(
        self,
        deployment: str,
        ids: Sequence[int],
        templates: npt.NDArray[Any],
        owners: Iterable[tuple[str, datetime]],
    ) -> None:
        """Adds templates to the gallery once the transaction storing them commits."""
        gallery, known = self._entry(deployment)

        def add() -> None:
            gallery.add(ids, templates)
            known.update(zip(ids, owners, strict=True))

        self._store.after_commit(add)

    def forget(self, templates: Sequence[tuple[int, str]]) -> None:
        """Drops (template id, deployment) pairs once the transaction deleting them commits."""

        def drop() -> None:
            for template, deployment in templates:
                gallery, known = self._entry(deployment)
                gallery.remove([template])
                known.pop(template, None)

        self._store.after_commit(drop)

    def renewed(self, deployment: str) -> None:
        """Rebuilds one gallery from the store once the transaction commits (after renewal)."""
        self._store.after_commit(
            lambda: self._load(deployment, self._store.destroyed.template_ids())
        )

    def nearest(
        self, deployment: str, probe: Any, threshold: float, eligible: Callable[[int], bool]
    ) -> tuple[int, float] | None:
        """The nearest template within ``threshold`` that ``eligible`` accepts, and its
        distance. Looks at the 16 nearest first and widens only when all of them are close but
        ineligible."""
        gallery = self._entry(deployment)[0]
        k = 16
        while True:
            found = gallery.search(probe, k=min(k, max(len(gallery), 1)), max_distance=threshold)
            for template, distance in zip(found.ids[0], found.distances[0], strict=True):
                if template == NO_MATCH:
                    return None
                if eligible(int(template)):
                    return int(template), float(distance)
            if k >= len(gallery):
                return None
            k *= 4

    def _entry(self, deployment: str) -> tuple[Gallery, Owners]:
        return self._held.setdefault(deployment, (Gallery(), {}))

    def _load(self, deployment: str, destroyed: set[int]) -> None:
        """The deployment's gallery, opened from its sealed templates, and their owners. A
        template recorded as destroyed is refused: restored from an older copy, it would
        bring back someone who was erased (R13)."""
        with self._store.reading(f"deployment {deployment!r}'s templates"):
            ids, sealed, wrapped, subjects, expiries = self._store.templates.sealed_columns(
                deployment
            )
            back = destroyed.intersection(ids)
            if back:
                raise TamperedData(
                    f"template {min(back)} of deployment {deployment} was destroyed and is back "
                    f"in the store ({len(back)} such): restored from an older copy; nothing "
                    "was loaded"
                )
            gallery = Gallery()
            if ids:
                open_into_gallery(
                    gallery,
                    self._master,
                    ids=ids,
                    sealed=sealed,
                    wrapped_keys=wrapped,
                    subjects=subjects,
                    deployment=deployment,
                )
            # Templates enrolled together share an expiry: parse each distinct one once.
            parsed = {e: datetime.fromisoformat(e) for e in set(expiries)}
            owners = zip(subjects, map(parsed.__getitem__, expiries), strict=True)
            self._held[deployment] = (gallery, dict(zip(ids, owners, strict=True)))
