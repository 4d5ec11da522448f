"""Research mode (R12): encodings for training and evaluation, kept apart from production.

Research and development on face data is outside the Measures (M2), so this mode has no consent
gate; in exchange it can never touch production data. A research store is its own kind of
SQLite file (``PRAGMA application_id`` and a ``kind`` row say so): :class:`ResearchStore`
refuses production stores, master keys and key files, and sealed production templates or
exports; :class:`~facegate.FaceGate` refuses research stores. There is no path from a
production store to plaintext templates, so production templates cannot reach research mode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate._arrays import as_matrix
from facegate._files import is_open_database
from facegate.errors import InvalidArgument, ResearchSeparation
from facegate.gate.results import SealedTemplate
from facegate.store.postgres import is_postgres
from facegate.store.research import ResearchEncodings
from facegate.store.sqlite import RESEARCH_APPLICATION_ID

__all__ = ["ResearchStore"]

_KEY_FILE_PREFIX = b"facegate-master-key"
_PRODUCTION = (bytes, bytearray, dict, SealedTemplate)
"""What production hands out about templates: sealed bytes, exports (R12)."""


def _refuse(what: str) -> ResearchSeparation:
    return ResearchSeparation(
        f"{what}: research mode is kept apart from production face data (M2); use "
        "encodings collected for research with their own agreement"
    )


def _check_not_production(path: Path) -> None:
    """Refuses a production store or key file at ``path``, without ever opening a database
    file with ordinary I/O: closing such a descriptor would drop this process's SQLite locks
    on a store it has open (facegate._files)."""
    if is_open_database(path):
        raise _refuse(f"{path} is a production store this process has open")
    if not path.exists() or path.stat().st_size == 0:
        return
    application_id = ResearchEncodings.application_id(path)
    if application_id is None:  # not a database: reading it cannot touch a lock
        with path.open("rb") as file:
            if file.read(len(_KEY_FILE_PREFIX)) == _KEY_FILE_PREFIX:
                raise _refuse(f"{path} is a production master key file")
        return
    if application_id != RESEARCH_APPLICATION_ID:
        raise _refuse(f"{path} is not a research store")


class ResearchStore:
    """Labelled 128-d encodings for research, in a SQLite file of their own."""

    __slots__ = ("_table", "path")

    def __init__(self, path: Path, table: ResearchEncodings) -> None:
        self.path, self._table = path, table

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, key: Any = None) -> ResearchStore:
        """Opens or creates a research store. Refuses (R12) any production store or key file,
        and any master key: research data is not protected by, or linked to, production keys."""
        if key is not None:
            raise _refuse("a master key was given")
        if is_postgres(path):
            raise InvalidArgument(
                "a research store is a SQLite file of its own; a postgresql:// URL names a "
                "production store (R12)"
            )
        path = Path(path)
        _check_not_production(path)
        return cls(path, ResearchEncodings.open(path))

    def add(self, labels: list[str], encodings: Any, *, source: str) -> int:
        """Adds encodings with their labels; ``source`` names the research collection and its
        agreement. Sealed production templates and exports are refused (R12)."""
        if isinstance(encodings, _PRODUCTION) or (
            isinstance(encodings, list | tuple)
            and any(isinstance(e, _PRODUCTION) for e in encodings)
        ):
            raise _refuse("sealed production templates or an export were given")
        rows = as_matrix(encodings, name="encodings")
        if len(labels) != len(rows):
            raise InvalidArgument(f"{len(labels)} labels for {len(rows)} encodings")
        self._table.add(
            [(label, source, row.tobytes()) for label, row in zip(labels, rows, strict=True)]
        )
        return len(rows)

    def encodings(self) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Every label and encoding, in insertion order."""
        rows = self._table.all()
        if not rows:
            return [], np.zeros((0, 0), np.float32)  # no rows, so no dimension either
        matrix = np.array([np.frombuffer(data, np.float32) for _, data in rows], np.float32)
        return [label for label, _ in rows], matrix.reshape(len(rows), -1)

    def close(self) -> None:
        self._table.close()
