"""Attempt limits on 1:1 verification, in the spirit of NIST SP 800-63B (rev. 4).

Without limits, a match / no-match answer is still an oracle: someone who can submit crafted
probes can search for an accepted one. So after :data:`LOCK_AFTER` consecutive failed
verifications of a subject at a deployment, face verification waits (a delay that doubles with
each further failure, capped); after :data:`DISABLE_AFTER` it is off for that subject until an
administrator re-enables it. A success resets the count. The person is always offered the
deployment's alternatives instead, and every attempt is audited by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from facegate.errors import AttemptsExceeded
from facegate.store import Store

__all__ = ["DISABLE_AFTER", "LOCK_AFTER", "AttemptState", "Attempts"]

LOCK_AFTER = 5
"""Consecutive failures after which verification is delayed."""
DISABLE_AFTER = 50
"""Consecutive failures after which verification is off until re-enabled."""
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AttemptState:
    failures: int
    locked_until: datetime | None
    disabled: bool


class Attempts:
    """Consecutive verification failures per subject and deployment, in the store."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def state(self, subject: str, deployment: str) -> AttemptState:
        found = self._store.attempts.get(subject, deployment)
        if found is None:
            return AttemptState(0, None, False)
        failures, until, disabled = found
        with self._store.reading("an attempt counter"):
            locked = datetime.fromisoformat(str(until)) if until else None
            return AttemptState(int(str(failures)), locked, bool(disabled))

    def check(self, subject: str, deployment: str, alternatives: str, now: datetime) -> None:
        """Refuses a verification while the subject is locked or disabled."""
        state = self.state(subject, deployment)
        if state.disabled:
            raise AttemptsExceeded(
                f"face verification is off for this person after {state.failures} failed "
                f"attempts; an administrator must re-enable it. Offer: {alternatives}"
            )
        if state.locked_until and now < state.locked_until:
            wait = int((state.locked_until - now).total_seconds()) + 1
            raise AttemptsExceeded(
                f"too many failed attempts: try again in {wait} s, or use: {alternatives}"
            )

    def record(self, subject: str, deployment: str, matched: bool, now: datetime) -> None:
        """Counts a failure (locking or disabling at the limits) or resets on success: the
        table holds only people with failures, which keeps it small enough to check whenever
        another process has written (facegate.gate.integrity)."""
        if matched:
            self._store.attempts.clear(subject, deployment)
            return
        failures = self.state(subject, deployment).failures + 1
        locked = None
        if failures >= LOCK_AFTER:
            delay = min(FIRST_DELAY * 2 ** (failures - LOCK_AFTER), MAX_DELAY)
            locked = (now + delay).isoformat()
        self._store.attempts.put(
            subject,
            deployment,
            failures=failures,
            locked_until=locked,
            disabled=failures >= DISABLE_AFTER,
        )

    def reenable(self, subject: str, deployment: str) -> None:
        self._store.attempts.clear(subject, deployment)
