"""The galleries of an open store: each deployment's templates in memory, decrypted inside Rust
(no plaintext template becomes a Python object on this path), with every template's owner and
expiry, kept in step with the store.

Changes made through this process reach the galleries after their transaction commits. Changes
committed by another process (another device or worker on the same store) are followed from the
store's change log before the next operation: only the templates that changed are read again.
A process that fell further behind than the log reaches rebuilds its galleries. A gallery is
loaded when the store opens, or, for a gate opened to load on use (the command line), when it
is first searched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy.typing as npt

from facegate.compliance.incidents import IncidentKind, record_incident
from facegate.errors import IntegrityError, TamperedData, WrongKey
from facegate.gate.rotations import Rotations
from facegate.gate.wrapping import Wrapping
from facegate.keys import open_into_gallery
from facegate.matching import NO_MATCH, Gallery
from facegate.store import Store

if TYPE_CHECKING:
    from facegate.accuracy import OperatingPoint

__all__ = ["Galleries", "Owners"]

Owners = dict[int, tuple[str, datetime]]
"""Template id -> (subject, expiry)."""


class Galleries:
    """Every deployment's gallery and its owners, shared by the handles of one open store."""

    __slots__ = ("_destroyed", "_held", "_rotations", "_seen", "_store", "_wrapping")

    def __init__(self, store: Store, wrapping: Wrapping, rotations: Rotations) -> None:
        self._store, self._wrapping, self._rotations = store, wrapping, rotations
        self._held: dict[str, tuple[Gallery, Owners]] = {}
        self._seen = 0
        # Every template id this process knows to be destroyed: read (and checked against the
        # seal) at open, then grown by every deletion it makes or follows. A template restored
        # behind facegate's back is refused against this, whatever the table says meanwhile.
        self._destroyed: set[int] = set()

    def load_all(self, *, now: bool = True) -> None:
        """Opens every deployment's gallery (when the store is opened; with ``now`` false,
        each when it is first searched). A template that fails its tag, a wrong key or a
        destroyed template that has come back is an integrity incident (R22), recorded before
        the store is refused (fail closed, R17)."""
        self._seen = self._store.changes.last()  # read first: later changes are followed
        self._destroyed = self._store.destroyed.template_ids()
        if not now:
            return
        for deployment in self._store.deployments.names():
            try:
                self._load(deployment)
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

    def destroyed(self, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` this process knows to be destroyed (for a 1:1 check, R13)."""
        return self._destroyed.intersection(ids)

    def follow(self) -> None:
        """Applies the changes other processes committed since the last call (inside the
        caller's transaction, so that none can commit meanwhile): the changed templates of
        each loaded gallery are read again, the rest stays as it is."""
        self._wrapping.follow()  # the key the changed templates' data keys are wrapped under
        changes = self._store.changes.since(self._seen)
        if not changes:
            return
        if self._store.changes.first() > self._seen + 1:
            self.reload()  # the log no longer reaches back to us
            return
        numbers = [change.seq for change in changes]
        if numbers != list(range(self._seen + 1, self._seen + 1 + len(numbers))):
            # The log is written by triggers, in one unbroken sequence, and only pruned from
            # its old end: a gap is a change removed behind facegate's back (an erasure other
            # processes would never hear of).
            raise TamperedData(
                f"{self._store.location}: the change log has a gap after change {self._seen}: "
                "changes were removed outside facegate"
            )
        self._rotations.refresh()
        changed: dict[str, set[int]] = defaultdict(set)
        for change in changes:
            changed[change.deployment].add(change.ident)
        for deployment, ids in changed.items():
            if deployment in self._held:
                self._apply(deployment, sorted(ids))
        self._seen = changes[-1].seq

    def reload(self) -> None:
        """Rebuilds every loaded gallery from the store, and derives the rotations again."""
        self._seen = self._store.changes.last()
        self._rotations.clear()
        self._destroyed |= self._store.destroyed.template_ids()
        loaded, self._held = list(self._held), {}
        for deployment in loaded:
            self._load(deployment)

    def caught_up(self) -> None:
        """Notes, inside a transaction, that this process has applied every change logged so
        far (its own included, which it publishes itself after the commit)."""
        self._store.changes.prune()
        last = self._store.changes.last()
        self._store.after_commit(lambda: setattr(self, "_seen", max(self._seen, last)))

    def size(self, deployment: str) -> int:
        """Templates in the deployment's gallery (its 1:N size)."""
        return len(self._entry(deployment)[0])

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
        if deployment not in self._held:
            return  # not loaded: it will be read from the store when it is
        gallery, known = self._held[deployment]

        def add() -> None:
            gallery.add(ids, templates)
            known.update(zip(ids, owners, strict=True))

        self._store.after_commit(add)

    def forget(self, templates: Sequence[tuple[int, str]]) -> None:
        """Drops (template id, deployment) pairs once the transaction deleting them commits."""

        def drop() -> None:
            for template, deployment in templates:
                self._destroyed.add(template)
                if deployment in self._held:
                    gallery, known = self._held[deployment]
                    gallery.remove([template])
                    known.pop(template, None)

        self._store.after_commit(drop)

    def renewed(self, deployment: str) -> None:
        """Rebuilds one gallery from the store once the transaction commits (after renewal)."""
        if deployment in self._held:
            self._store.after_commit(lambda: self._load(deployment))

    def nearest(
        self,
        deployment: str,
        probe: Any,
        point: OperatingPoint,
        eligible: Callable[[int], bool],
    ) -> int | None:
        """The template of the nearest eligible person when ``point``'s rule accepts them: at
        most its threshold away, and (the second-best test) at most its ratio times the
        distance to the nearest other eligible person. A person with nobody else eligible is
        judged on the distance alone. Looks at the 16 nearest first and widens only when all of
        them are close but ineligible.

        The search reaches ``threshold / ratio``: a second person beyond it is farther than
        any nearest distance the test could refuse."""
        gallery = self._entry(deployment)[0]
        threshold, ratio = point.threshold, point.ratio
        reach = threshold / ratio if ratio < 1.0 else threshold
        k = 16
        while True:
            found = gallery.search(probe, k=min(k, max(len(gallery), 1)), max_distance=reach)
            best: tuple[int, float, str] | None = None  # template, distance, owner
            for template, distance in zip(found.ids[0], found.distances[0], strict=True):
                if template == NO_MATCH:
                    return None if best is None else best[0]  # nobody else within reach
                # Exact early ends, before any consent lookup: a first candidate beyond the
                # threshold, or a second beyond d1 / ratio, cannot change the answer.
                if best is None and distance > threshold:
                    return None
                if best is not None and best[1] < ratio * distance:
                    return best[0]
                if not eligible(int(template)):
                    continue
                if best is None:
                    if ratio >= 1.0:
                        return int(template)  # the distance rule needs no second person
                    best = (
                        int(template),
                        float(distance),
                        self.owner(deployment, int(template))[0],
                    )
                    continue
                if self.owner(deployment, int(template))[0] == best[2]:
                    continue  # the second-nearest is another person
                # A second at distance 0 cannot be told apart from the first.
                return best[0] if distance > 0 and best[1] <= ratio * distance else None
            if k >= len(gallery):
                return None if best is None else best[0]
            k *= 4

    def _entry(self, deployment: str) -> tuple[Gallery, Owners]:
        if deployment not in self._held:
            self._load(deployment)
        return self._held[deployment]

    def _load(self, deployment: str) -> None:
        """The deployment's gallery, opened from its sealed templates, and their owners."""
        gallery: Gallery = Gallery()
        owners: Owners = {}
        self._open(deployment, gallery, owners, None)
        self._held[deployment] = (gallery, owners)

    def _apply(self, deployment: str, ids: list[int]) -> None:
        """Reads templates ``ids`` of a loaded gallery again: those still stored are replaced,
        those gone are dropped."""
        gallery, owners = self._held[deployment]
        held = [i for i in ids if i in owners]
        if held:
            gallery.remove(held)
            for template in held:
                owners.pop(template)
        found = self._open(deployment, gallery, owners, ids)
        self._destroyed.update(set(ids) - set(found))  # those gone were destroyed

    def _open(
        self,
        deployment: str,
        gallery: Gallery,
        owners: Owners,
        ids: list[int] | None,
    ) -> list[int]:
        """Opens the deployment's sealed templates (those of ``ids`` when given) into
        ``gallery``. A template recorded as destroyed is refused: restored from an older copy,
        it would bring back someone who was erased (R13)."""
        with self._store.reading(f"deployment {deployment!r}'s templates"):
            found, sealed, wrapped, subjects, expiries = self._store.templates.sealed_columns(
                deployment, ids
            )
            back = self._destroyed.intersection(found)
            if back:
                raise TamperedData(
                    f"template {min(back)} of deployment {deployment} was destroyed and is back "
                    f"in the store ({len(back)} such): restored from an older copy; nothing "
                    "was loaded"
                )
            if found:
                open_into_gallery(
                    gallery,
                    self._wrapping.key,
                    ids=found,
                    sealed=sealed,
                    wrapped_keys=wrapped,
                    subjects=subjects,
                    deployment=deployment,
                )
            # Templates enrolled together share an expiry: parse each distinct one once.
            parsed = {e: datetime.fromisoformat(e) for e in set(expiries)}
            people = zip(subjects, map(parsed.__getitem__, expiries), strict=True)
            owners.update(zip(found, people, strict=True))
        return found
