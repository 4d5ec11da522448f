"""Attempt limits on 1:1 verification and 1:N identification, in the spirit of NIST SP 800-63B.

Without limits, a match / no-match answer is still an oracle: someone who can submit crafted
probes can search for an accepted one. So after :data:`LOCK_AFTER` consecutive failed
verifications of a subject at a deployment, face verification waits (a delay that doubles with
each further failure, capped); after :data:`DISABLE_AFTER` it is off for that subject until an
administrator re-enables it. Identification is limited the same way per device and deployment
(:data:`IDENTIFY_LOCK_AFTER`, :data:`IDENTIFY_DISABLE_AFTER` consecutive identifications
without a match), and never names a person whose verification is locked: their face cannot be
probed through the other door. A success resets the count. The person is always offered the
deployment's alternatives instead, and every attempt is audited by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from facegate.errors import AttemptsExceeded
from facegate.store import Store
from facegate.store.database import Row

__all__ = [
    "DISABLE_AFTER",
    "IDENTIFY_DISABLE_AFTER",
    "IDENTIFY_LOCK_AFTER",
    "LOCK_AFTER",
    "AttemptState",
    "Attempts",
]

LOCK_AFTER = 5
"""Consecutive failed verifications of a person after which verification is delayed."""
DISABLE_AFTER = 50
"""Consecutive failed verifications after which verification is off until re-enabled."""
IDENTIFY_LOCK_AFTER = 20
"""Consecutive identifications without a match on one device after which it is delayed: a
door sees strangers, so the count is higher than for one claimed identity."""
IDENTIFY_DISABLE_AFTER = 200
"""Consecutive identifications without a match after which the device's identification is off
until an administrator re-enables it."""
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AttemptState:
    failures: int
    locked_until: datetime | None
    disabled: bool


class _Counters(Protocol):
    """Where the counts are kept (:mod:`facegate.store.attempts`)."""

    def get(self, who: str, deployment: str) -> Row | None: ...

    def put(
        self,
        who: str,
        deployment: str,
        *,
        failures: int,
        locked_until: str | None,
        disabled: bool,
    ) -> None: ...

    def clear(self, who: str, deployment: str) -> None: ...


class Attempts:
    """Consecutive failures per person (verification) or device (identification) and
    deployment, in the store."""

    __slots__ = ("_counters", "_kind", "_store")

    def __init__(self, store: Store, kind: Literal["verify", "identify"] = "verify") -> None:
        self._store, self._kind = store, kind
        self._counters: _Counters = store.attempts if kind == "verify" else store.identify_attempts

    def state(self, who: str, deployment: str) -> AttemptState:
        found = self._counters.get(who, deployment)
        if found is None:
            return AttemptState(0, None, False)
        failures, until, disabled = found
        with self._store.reading("an attempt counter"):
            locked = datetime.fromisoformat(str(until)) if until else None
            return AttemptState(int(str(failures)), locked, bool(disabled))

    def blocked(self, who: str, deployment: str, now: datetime) -> bool:
        """Whether ``who`` is locked or switched off at ``now``."""
        state = self.state(who, deployment)
        return state.disabled or bool(state.locked_until and now < state.locked_until)

    def check(self, who: str, deployment: str, alternatives: str, now: datetime) -> None:
        """Refuses an attempt while ``who`` is locked or disabled."""
        state = self.state(who, deployment)
        what = (
            "face verification is off for this person"
            if self._kind == "verify"
            else ("identification is off on this device")
        )
        if state.disabled:
            raise AttemptsExceeded(
                f"{what} after {state.failures} failed attempts; an administrator must "
                f"re-enable it. Offer: {alternatives}"
            )
        if state.locked_until and now < state.locked_until:
            wait = int((state.locked_until - now).total_seconds()) + 1
            raise AttemptsExceeded(
                f"too many failed attempts: try again in {wait} s, or use: {alternatives}"
            )

    def record(self, who: str, deployment: str, matched: bool, now: datetime) -> None:
        """Counts a failure (locking or disabling at the limits) or resets on success: the
        table holds only counts of failures, which keeps it small enough to check whenever
        another process has written (facegate.gate.integrity)."""
        if matched:
            if self._counters.get(who, deployment) is not None:
                self._counters.clear(who, deployment)
            return
        lock_after, disable_after = (
            (LOCK_AFTER, DISABLE_AFTER)
            if self._kind == "verify"
            else (IDENTIFY_LOCK_AFTER, IDENTIFY_DISABLE_AFTER)
        )
        failures = self.state(who, deployment).failures + 1
        locked = None
        if failures >= lock_after:
            delay = min(FIRST_DELAY * 2 ** (failures - lock_after), MAX_DELAY)
            locked = (now + delay).isoformat()
        self._counters.put(
            who,
            deployment,
            failures=failures,
            locked_until=locked,
            disabled=failures >= disable_after,
        )

    def reenable(self, who: str, deployment: str) -> None:
        self._counters.clear(who, deployment)
