"""Whether the store still holds what facegate wrote (R17, R20, R22).

Three things are checked, each against what facegate itself keeps:

- the state seal: its tag, and the digests of the sealed tables against their rows
  (:mod:`facegate.gate.seal`); the small tables that decide whether a deployment runs and a
  person is locked at every open and whenever another process has written, every table in the
  full verification;
- the seal's triggers: all present (a write that dropped them escapes the digests);
- the checkpoint kept outside the store: the trail has not been cut below it or rolled back.

A problem found is an integrity incident (R22): recorded once (the same problem found again is
not recorded again), which takes every deployment off line until a new assessment.
"""

from __future__ import annotations

from facegate.compliance.incidents import IncidentKind, record_incident
from facegate.errors import CorruptStore, IntegrityError, TamperedData, WrongKey
from facegate.gate.audit import AuditLog
from facegate.gate.seal import Seal
from facegate.store import Store
from facegate.store.seal import AT_OPEN, QUICK, SEALED, trigger_names

__all__ = ["Integrity", "StateTampered"]


class StateTampered(TamperedData):
    """The store's rows, seal or trail no longer match what facegate wrote: restore the store
    from a backup and investigate who could write to it."""


class Integrity:
    """The checks of the module docs, for one open store."""

    __slots__ = ("_audit", "_seal", "_store")

    def __init__(self, store: Store, seal: Seal, audit: AuditLog) -> None:
        self._store, self._seal, self._audit = store, seal, audit

    def problems(self, *, full: bool = False) -> list[str]:
        """What does not match: the seal, its triggers, the checkpoint (empty when all do).
        ``full`` checks every sealed table, else the small ones (:data:`QUICK`)."""
        return self._problems(tuple(SEALED) if full else QUICK)

    def _problems(self, tables: tuple[str, ...]) -> list[str]:
        found = []
        missing = trigger_names() - self._store.seal_triggers()
        if missing:
            found.append(f"the state seal's triggers were removed ({len(missing)} missing)")
        problem = self._seal.check(tables)
        if problem:
            found.append(problem)
        problem = self._behind_checkpoint()
        if problem:
            found.append(problem)
        return found

    def at_open(self) -> None:
        """The checks of an opening store (:data:`AT_OPEN`: the small tables, the record of
        destroyed templates and the change log, each read once). A problem is recorded as an
        incident; one in what the galleries will be loaded against (the record of destroyed
        templates, the change log) also refuses the store (fail closed: an erased person could
        come back)."""
        # One transaction: the seal and the rows are read at one moment, so another process
        # committing meanwhile does not look like a change made behind facegate's back.
        with self._store.transaction():
            problems = self._problems(AT_OPEN)
            loaded_against = self._seal.check(("destroyed", "changes")) if problems else None
            self.record(problems)
        if loaded_against:
            raise StateTampered(f"{self._store.location}: {loaded_against}; nothing was loaded")

    def record(self, problems: list[str]) -> None:
        """Records ``problems`` as one incident (not again while the latest says the same)."""
        if problems:
            record_incident(self._store, IncidentKind.AUDIT_CHAIN, "; ".join(problems))

    def incident(self, error: IntegrityError) -> None:
        """Records the incident an integrity failure found during an operation is (R22), in a
        transaction of its own: the operation itself was refused and rolled back."""
        kind = (
            IncidentKind.AUDIT_CHAIN
            if isinstance(error, StateTampered)
            else (
                IncidentKind.WRONG_KEY if isinstance(error, WrongKey) else IncidentKind.TEMPLATE_TAG
            )
        )
        record_incident(self._store, kind, f"during an operation: {type(error).__name__}: {error}")

    def ensure(self) -> None:
        """Raises StateTampered when the quick checks find a problem (after another process
        wrote): the caller records it and refuses the operation."""
        problems = self.problems()
        if problems:
            raise StateTampered(f"{self._store.location}: {'; '.join(problems)}")

    def _behind_checkpoint(self) -> str | None:
        """Why the trail is behind the checkpoint kept outside the store (None if it is not)."""
        kept = self._audit.latest_checkpoint()
        if kept is None:
            return None
        try:
            return self._audit.behind(kept)
        except (CorruptStore, TamperedData):
            return None  # the seal's own check reports it
