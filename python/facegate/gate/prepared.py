"""Faces encoded before the call's transaction, once the call is known to be admitted.

Detection and encoding take a hundred milliseconds and more per photograph; the rest of a call
takes a few. Run inside the call's transaction they would hold the store's write lock all that
time (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's writers' lock), so that the threads of a
service, and other processes, waited for each other's faces. So a call that takes a photograph
is run in two steps:

1. outside any transaction, the checks that must come before a face is processed are read: the
   capability and the deployments a handle is bound to, the active deployment and its purpose,
   the person's consent and their attempt limits (a face is never processed for a call that
   these would refuse: then nothing is prepared, and the call is refused in its transaction
   as before);
2. the face is encoded (in the calling thread, with no lock held), and its outcome, an
   encoding or the quality error, handed to the call, which runs in its transaction as before:
   every check again, then the match and the audit entry. A quality error is raised there, so
   it is audited as it always was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from facegate.errors import FacegateError
from facegate.faces.detect import Face
from facegate.gate.encoder import Encoder

if TYPE_CHECKING:
    from facegate.gate.guard import Call, Capability, Rule
    from facegate.gate.rooms import Rooms

__all__ = ["Prepared", "PreparingEncoder", "prepare"]


class Prepared:
    """A photograph's outcome, computed ahead: an encoding (or every face's, for ``all``), or
    the error encoding it raised."""

    __slots__ = ("_outcome", "all")

    def __init__(self, outcome: Any, *, every: bool) -> None:
        self._outcome, self.all = outcome, every

    def result(self) -> Any:
        if isinstance(self._outcome, FacegateError):
            raise self._outcome
        return self._outcome


class PreparingEncoder:
    """The gate's face pipeline: a :class:`Prepared` photograph is used as computed, anything
    else is encoded by ``inner``."""

    __slots__ = ("inner",)

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner

    def encode(self, image: Any) -> npt.NDArray[np.float32]:
        if isinstance(image, Prepared) and not image.all:
            return image.result()  # type: ignore[no-any-return]
        return self.inner.encode(_raw(image))

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        if isinstance(image, Prepared) and image.all:
            return image.result()  # type: ignore[no-any-return]
        return self.inner.encode_all(_raw(image))

    def ahead(self, image: Any, encodes: str) -> Any:
        """``image`` encoded now as the call will ask: ``"photos"``, one face of a photograph or
        of each of a list or tuple of them (enrollment); ``"one"``, one face; ``"all"``, every
        face (identification)."""
        if encodes == "photos" and isinstance(image, list | tuple):
            return type(image)(self._one(photo, every=False) for photo in image)
        return self._one(image, every=encodes == "all")

    def _one(self, image: Any, *, every: bool) -> Prepared:
        work: Callable[[Any], Any] = self.inner.encode_all if every else self.inner.encode
        try:
            return Prepared(work(image), every=every)
        except FacegateError as exc:
            return Prepared(exc, every=every)


def _raw(image: Any) -> Any:
    """A photograph prepared for the other kind of call: never made by facegate's verbs."""
    if isinstance(image, Prepared):
        raise TypeError("a face prepared for one kind of call was handed to another")
    return image


def prepare(
    rooms: Rooms,
    held: frozenset[Capability],
    rule: Rule,
    call: Call,
    image: Any,
    within: frozenset[str] | None,
) -> Any:
    """``image`` encoded ahead of the call's transaction when the call is admitted (see the
    module docs), else ``image`` as it is, for the transaction to refuse. ``held`` and
    ``within``: the handle's capabilities and the deployments it is bound to."""
    encoder = rooms.encoder
    if rule.encodes is None or not isinstance(encoder, PreparingEncoder):
        return image
    if not rooms.guard.admits(held, rule, call, within) or not rooms.decisions.may_try(call):
        return image
    return encoder.ahead(image, rule.encodes)
