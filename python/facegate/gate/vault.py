"""Templates at rest: sealing and storing them, renewing them, and destroying them.

A template is turned by the deployment's rotation (R18), sealed under the subject's data key
with its deployment, subject and id authenticated (R17), and stored; the gallery in memory gets
it once the transaction commits. Destruction deletes the subject's data key first when no other
template of theirs remains (crypto-shredding, R13), then the rows, then the gallery entries,
and moves the write-ahead log into the database file so that no deleted page stays behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.compliance.filing import DEFAULT_WARNING_MARGIN, FILING_THRESHOLD, check_filing
from facegate.compliance.policy import Deployment
from facegate.errors import DuplicateId, TamperedData, UnknownId
from facegate.gate.galleries import Galleries
from facegate.gate.points import OperatingPoints
from facegate.gate.results import PendingReceipt, SealedTemplate
from facegate.gate.rotations import Rotations
from facegate.gate.wrapping import Wrapping
from facegate.keys import (
    DataKey,
    open_template,
    renew_template,
    seal_template,
)
from facegate.store import Store
from facegate.store.templates import StoredTemplate

__all__ = ["Enrollment", "Vault"]


@dataclass(frozen=True, slots=True)
class Enrollment:
    """One person's template to store: already turned by the deployment's rotation, with how
    many photographs it averages."""

    subject: str
    template: npt.NDArray[np.float32]
    photos: int


class Vault:
    """The sealed templates and data keys of one open store."""

    __slots__ = ("_galleries", "_points", "_rotations", "_store", "_wrapping")

    def __init__(
        self,
        store: Store,
        wrapping: Wrapping,
        galleries: Galleries,
        rotations: Rotations,
        points: OperatingPoints,
    ) -> None:
        self._store, self._wrapping = store, wrapping
        self._galleries, self._rotations, self._points = galleries, rotations, points

    def store(
        self,
        policy: Deployment,
        people: Sequence[Enrollment],
        *,
        replacing: int = 0,
        expires: datetime | None = None,
    ) -> None:
        """Seals and stores every template in one transaction, then publishes them to the
        gallery: all or nothing. ``replacing``: how many templates the caller removes in the
        same transaction; ``expires``: their expiry (by default the retention period from
        now)."""
        now = datetime.now(UTC)
        expires = expires or now + timedelta(days=policy.notice.retention_days)
        with self._store.transaction():
            # Before anything is written: a gallery loaded now holds the templates before.
            before = self._galleries.size(policy.name)
            # Ids are never used twice: a destroyed template's id stays recorded (R13).
            first = max(
                self._store.templates.next_id(), self._store.destroyed.highest_template() + 1
            )
            ids = list(range(first, first + len(people)))
            epoch = self._rotations.epoch(policy.name)
            self._store.templates.add(
                [
                    StoredTemplate(
                        id=template_id,
                        subject=person.subject,
                        deployment=policy.name,
                        sealed=seal_template(
                            person.template,
                            self._data_key(person.subject),
                            deployment=policy.name,
                            subject=person.subject,
                            template_id=template_id,
                        ),
                        rotation_epoch=epoch,
                        created_at=now.isoformat(),
                        expires_at=expires.isoformat(),
                        photos=person.photos,
                    )
                    for template_id, person in zip(ids, people, strict=True)
                ]
            )
            self._check_filing(policy.name, extra=len(people))
            self._points.resized(policy, before, before + len(people) - replacing)
        self._galleries.publish(
            policy.name,
            ids,
            np.stack([person.template for person in people]),
            [(person.subject, expires) for person in people],
        )
        self._galleries.caught_up()

    def refuse_enrolled(self, deployment: str, subjects: Sequence[str]) -> None:
        """DuplicateId if any of ``subjects`` already holds an unexpired template here: one
        template per person (R13), so that withdrawal and erasure account for everything."""
        now = datetime.now(UTC).isoformat()
        held = [
            s for s in subjects if self._store.templates.latest(s, deployment, unexpired_at=now)
        ]
        if held:
            raise DuplicateId(
                f"{held[0]!r} is already enrolled in deployment {deployment!r}"
                + (f" (and {len(held) - 1} more)" if len(held) > 1 else "")
                + "; add photographs to the template with add_photos, or withdraw first"
            )

    def templates_of(self, deployment: str, subject: str, now: datetime) -> list[npt.NDArray[Any]]:
        """The subject's unexpired templates here, opened (1:1 needs no gallery). A template
        recorded as destroyed refuses, as at a gallery's load (R13)."""
        rows = self._store.templates.unexpired_of(subject, deployment, at=now.isoformat())
        back = self._galleries.destroyed([row.id for row in rows])
        if back:
            raise TamperedData(
                f"template {min(back)} of deployment {deployment} was destroyed and is back in "
                "the store: restored from an older copy"
            )
        if not rows:
            return []
        key = self._wrapping.key.unwrap(rows[0].wrapped_key, subject)
        return [
            open_template(
                row.sealed, key, deployment=deployment, subject=subject, template_id=row.id
            )
            for row in rows
        ]

    def latest(
        self, deployment: str, subject: str
    ) -> tuple[int, npt.NDArray[np.float32], int, datetime]:
        """The subject's latest unexpired template here, opened, with its id, photograph count
        and expiry."""
        row = self._store.templates.latest(
            subject, deployment, unexpired_at=datetime.now(UTC).isoformat()
        )
        if row is None:
            raise UnknownId(
                f"subject {subject!r} has no unexpired template in deployment {deployment!r}; "
                "enroll first"
            )
        key = self._wrapping.key.unwrap(row.wrapped_key, subject)
        template = open_template(
            row.sealed, key, deployment=deployment, subject=subject, template_id=row.id
        )
        with self._store.reading("a template's expiry"):
            return row.id, template, row.photos, datetime.fromisoformat(row.expires_at)

    def replace(self, policy: Deployment, old: int, person: Enrollment, expires: datetime) -> None:
        """Stores ``person``'s new template in place of template ``old``, keeping its expiry:
        the first photograph's retention period does not start again."""
        with self._store.transaction():
            # Stored first, so the new template takes a fresh id and is published before the
            # old one is forgotten.
            self.store(policy, [person], replacing=1, expires=expires)
            self._store.templates.delete([old])
            self._store.destroyed.templates([old], at=datetime.now(UTC).isoformat())
            self._galleries.forget([(old, policy.name)])

    def destroy(
        self, subject: str, deployments: Sequence[str], *, expiring_by: str | None = None
    ) -> PendingReceipt:
        """Destroys the subject's templates in ``deployments`` (only those expiring by
        ``expiring_by`` when given), and their data key if no template of theirs is left."""
        with self._store.transaction():
            rows = self._store.templates.of_subject(subject, deployments, expiring_by=expiring_by)
            # The key goes first: once it is gone no copy of the templates can be opened.
            key_destroyed = self._store.templates.count_of_subject(subject) == len(rows)
            if key_destroyed:
                self._store.data_keys.delete(subject)
            ids = [template for template, _ in rows]
            self._store.templates.delete(ids)
            self._store.destroyed.templates(ids, at=datetime.now(UTC).isoformat())
            for deployment in sorted({deployment for _, deployment in rows}):
                # Counted in the store: a purge erases several subjects in one transaction.
                after = self._store.templates.count(deployment)
                gone = sum(1 for _, d in rows if d == deployment)
                self._points.resized(self._points.declared(deployment), after + gone, after)
            self._galleries.forget(rows)
            self._galleries.caught_up()
            receipt = PendingReceipt(
                subject, tuple(deployments), len(rows), key_destroyed, datetime.now(UTC)
            )
            # The engine's files may still hold the deleted rows: the wrapping makes them
            # unopenable (or the files forget them) once the erasure has committed.
            self._store.after_commit(lambda: self._wrapping.after_erasure(receipt.cleaned.set))
        return receipt

    def renew(self, deployment: str) -> int:
        """Re-keys every template of ``deployment`` to a new rotation epoch (R18), inside Rust
        and in the caller's transaction; returns how many were renewed."""
        with self._store.transaction():
            old, new, epoch = self._rotations.advance(deployment)
            rows = self._store.templates.sealed(deployment)
            for row in rows:
                renewed = renew_template(
                    row.sealed,
                    self._wrapping.key.unwrap(row.wrapped_key, row.subject),
                    deployment=deployment,
                    subject=row.subject,
                    template_id=row.id,
                    old=old,
                    new=new,
                )
                self._store.templates.reseal(row.id, renewed, rotation_epoch=epoch)
            self._galleries.renewed(deployment)
            self._galleries.caught_up()
        return len(rows)

    def export(self, deployment: str, subjects: Sequence[str]) -> tuple[SealedTemplate, ...]:
        """The subjects' sealed templates here with their wrapped keys, unopened."""
        return tuple(
            SealedTemplate(
                row.id,
                row.subject,
                row.sealed,
                self._wrapping.exported(row.wrapped_key, row.subject),
            )
            for row in self._store.templates.exported(deployment, subjects)
        )

    def _data_key(self, subject: str) -> DataKey:
        """The subject's data key: unwrapped, or made and stored wrapped on first use."""
        wrapped = self._store.data_keys.wrapped(subject)
        if wrapped is not None:
            return self._wrapping.key.unwrap(wrapped, subject)
        key = DataKey.generate()
        self._store.data_keys.add(
            subject,
            self._wrapping.key.wrap(key, subject),
            master_key_id=self._wrapping.key.id,
            at=datetime.now(UTC).isoformat(),
        )
        return key

    def _check_filing(self, deployment: str, *, extra: int) -> None:
        """Raises the filing events (R27) when the operator's stored individuals reach the
        warning margin or the threshold. Counting distinct people costs a scan, so it runs only
        once the operator's templates (an upper bound on people) could have got there."""
        operator = self._store.deployments.get(deployment).operator
        held = extra + sum(
            self._galleries.size(record.id) for record in self._store.deployments.all(operator)
        )
        if held >= DEFAULT_WARNING_MARGIN * FILING_THRESHOLD:
            check_filing(self._store, operator, threshold=FILING_THRESHOLD)
