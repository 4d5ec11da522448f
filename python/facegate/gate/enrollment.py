"""Enrollment: photographs (or encodings computed elsewhere) into sealed templates.

Each photograph must pass the encoder's quality gates; several photographs of one person are
averaged into one template (:mod:`facegate.faces.photos`). Bulk enrollment needs every subject's
own valid consent and stores all of them in one transaction, or none (R30).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate._arrays import as_matrix
from facegate.compliance.consent import ConsentLedger
from facegate.compliance.policy import Deployment
from facegate.errors import ConsentRequired, DuplicateId, InvalidArgument, InvalidTemplate
from facegate.faces.photos import encode_photos, folded
from facegate.gate.encoder import Encoder
from facegate.gate.rotations import Rotations
from facegate.gate.vault import Enrollment, Vault

__all__ = ["Enrollments", "encoding_of"]

Encode = Callable[[Any], tuple[npt.NDArray[np.float32], int]]
"""One person's photographs (or encoding) -> their mean encoding and how many it averages."""


def encoding_of(value: Any) -> tuple[npt.NDArray[np.float32], int]:
    """One 128-d encoding computed elsewhere, as enrollment takes it (one per person)."""
    rows = as_matrix(value, name="an encoding", dim=128)
    if len(rows) != 1:
        raise InvalidTemplate(f"one encoding per person, got {len(rows)}")
    return rows.reshape(-1), 1


class Enrollments:
    """Enrollment into the deployments of one open store."""

    __slots__ = ("_encoder", "_ledger", "_rotations", "_vault")

    def __init__(
        self, encoder: Encoder, rotations: Rotations, ledger: ConsentLedger, vault: Vault
    ) -> None:
        self._encoder, self._rotations, self._ledger, self._vault = (
            encoder,
            rotations,
            ledger,
            vault,
        )

    def photos(self, image: Any) -> tuple[npt.NDArray[np.float32], int]:
        """The mean encoding of one photograph or a list of them, and how many there were."""
        return encode_photos(image, self._encoder.encode)

    def enroll(self, policy: Deployment, subject: str, image: Any) -> None:
        """Stores ``subject``'s template from one photograph or several (averaged)."""
        self._vault.refuse_enrolled(policy.name, [subject])
        mean, photos = self.photos(image)
        template = self._rotations.of(policy.name).apply(mean)[0]
        self._vault.store(policy, [Enrollment(subject, template, photos)])

    def add_photos(self, policy: Deployment, subject: str, image: Any) -> None:
        """Folds more photographs into ``subject``'s latest template here: it becomes the
        average over every photograph enrolled so far, and keeps its expiry."""
        mean, photos = self.photos(image)
        added = self._rotations.of(policy.name).apply(mean)[0]
        old_id, old, old_photos, expires = self._vault.latest(policy.name, subject)
        combined = folded(old, old_photos, added, photos)
        self._vault.replace(
            policy, old_id, Enrollment(subject, combined, old_photos + photos), expires
        )

    def enroll_many(
        self,
        policy: Deployment,
        people: Sequence[tuple[str, Any]],
        purpose: str,
        encode: Encode | None = None,
    ) -> None:
        """Stores every person's template in one transaction, or none: each needs their own
        valid consent and each image must pass the quality gates (``encode``: photographs by
        default; :func:`encoding_of` for encodings computed elsewhere)."""
        if not people:
            raise InvalidArgument("bulk enrollment needs at least one person")
        names = [subject for subject, _ in people]
        twice = [(name, n) for name, n in Counter(names).items() if n > 1]
        if twice:
            name, n = min(twice)
            raise DuplicateId(
                f"{name!r} is named {n} times in one bulk enrollment (one template per "
                "person; give several photographs as a list instead)"
            )
        self._vault.refuse_enrolled(policy.name, names)
        lacking = sorted(
            {
                subject
                for subject, _ in people
                if not self._ledger.is_valid(subject, policy.name, purpose, policy.notice.version)
            }
        )
        if lacking:
            raise ConsentRequired(
                f"{len(lacking)} of {len(people)} subjects have no valid consent; bulk "
                "enrollment needs a consent event for every subject and enrolls none without"
            )
        encoded = [(encode or self.photos)(item) for _, item in people]
        templates = self._rotations.of(policy.name).apply(
            np.stack([encoding for encoding, _ in encoded])
        )
        self._vault.store(
            policy,
            [
                Enrollment(subject, template, photos)
                for (subject, _), template, (_, photos) in zip(
                    people, templates, encoded, strict=True
                )
            ],
        )
