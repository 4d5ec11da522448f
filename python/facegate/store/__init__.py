"""The store: one owner per table, on one interface that each backend implements.

Every statement facegate runs lives in this package, in the module of the table it is about
(a read that joins a second table lives with the table whose rows it returns). Everything above
calls methods named for what they do (``store.templates.add``, ``store.consents.latest``); a
backend is a :class:`~facegate.store.database.Database` (SQLite: :mod:`facegate.store.sqlite`).
No image is ever stored (R15): templates only sealed, data keys only wrapped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from facegate.store import seal
from facegate.store.assessments import Assessments
from facegate.store.attempts import AttemptCounters, IdentifyCounters
from facegate.store.audit import AuditRows
from facegate.store.changes import Changes
from facegate.store.consents import Consents
from facegate.store.database import Database, Row, Sealer
from facegate.store.deployments import Deployments
from facegate.store.destroyed import Destroyed
from facegate.store.devices import Devices
from facegate.store.filing import FilingEvents
from facegate.store.incidents import Incidents
from facegate.store.keys import DataKeys
from facegate.store.meta import Meta
from facegate.store.operators import Operators
from facegate.store.schema import SCHEMA_VERSION, open_database
from facegate.store.subjects import Subjects
from facegate.store.templates import Templates

__all__ = ["SCHEMA_VERSION", "Store"]


class Store:
    """An open facegate store. Use :meth:`open`; close with :meth:`close` or ``with``.

    Its attributes are the table owners; :meth:`transaction` makes several of their calls one
    transaction (each call alone is one already).
    """

    __slots__ = (
        "_db",
        "assessments",
        "attempts",
        "audit",
        "changes",
        "consents",
        "data_keys",
        "deployments",
        "destroyed",
        "devices",
        "filing",
        "identify_attempts",
        "incidents",
        "meta",
        "operators",
        "subjects",
        "templates",
    )

    def __init__(self, db: Database) -> None:
        self._db = db
        self.meta = Meta(db)
        self.operators = Operators(db)
        self.deployments = Deployments(db)
        self.assessments = Assessments(db)
        self.subjects = Subjects(db)
        self.consents = Consents(db)
        self.data_keys = DataKeys(db)
        self.templates = Templates(db)
        self.audit = AuditRows(db)
        self.incidents = Incidents(db)
        self.filing = FilingEvents(db)
        self.attempts = AttemptCounters(db)
        self.identify_attempts = IdentifyCounters(db)
        self.destroyed = Destroyed(db)
        self.changes = Changes(db)
        self.devices = Devices(db)

    @classmethod
    def open(cls, location: str | os.PathLike[str]) -> Store:
        """Opens (creating if needed) the store at ``location`` and migrates it to the current
        schema: a SQLite file's path, or a ``postgresql://`` URL naming an existing database
        (facegate creates its tables in it).

        Raises CorruptStore if it is not a readable facegate store or comes from a newer
        facegate, StoreUnavailable if it cannot be opened just now.
        """
        return cls(open_database(location))

    @property
    def overwrites_deleted(self) -> bool:
        """Whether the engine can leave no copy of deleted rows in its files (SQLite, with
        :meth:`compact`); PostgreSQL keeps them in dead tuples, its WAL and base backups."""
        return self._db.overwrites_deleted

    @property
    def location(self) -> str:
        """Where the store is (for messages)."""
        return self._db.location

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction around several calls; see :meth:`Database.transaction`."""
        return self._db.transaction()

    def in_transaction(self) -> bool:
        """Whether this thread is inside a transaction of this store."""
        return self._db.in_transaction()

    def after_commit(self, work: Callable[[], object]) -> None:
        """Runs ``work`` once the current transaction has committed."""
        self._db.after_commit(work)

    def reading(self, what: str) -> AbstractContextManager[None]:
        """Turns a damaged stored value into CorruptStore naming ``what`` was read."""
        return self._db.reading(what)

    def attach(self, sealer: Sealer) -> None:
        """Routes every change of the sealed tables to ``sealer`` (the gate's state seal)."""
        self._db.attach(sealer)

    def scan(self, table: str) -> Iterator[Row]:
        """Every row of a sealed table, as its triggers report rows (for the seal's checks)."""
        return seal.scan(self._db, table)

    def seal_triggers(self) -> set[str]:
        """The seal's triggers the schema holds."""
        return seal.triggers_present(self._db)

    def changed(self) -> bool:
        """Whether another process has committed since the previous call."""
        return self._db.changed()

    def compact(self, done: Callable[[], None] | None = None) -> None:
        """Leaves no copy of deleted rows in the database's own files (R13), as soon as no
        other connection needs them; ``done`` runs once it has."""
        self._db.compact(done)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
