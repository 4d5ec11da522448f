"""Filing with the regulator (R27, R28; Measures art. 15).

An operator that stores the face data of 100,000 or more individuals must file with the
cyberspace administration at or above the prefecture level within 30 working days. facegate
counts the distinct individuals with a template currently stored in any of the operator's
deployments, records a ``warning`` at a margin below the threshold (so the operator can prepare
the materials in time) and a ``required`` event at it, each once and with the deadline (the
five filing materials are :mod:`facegate.compliance.dossier`'s). A change to filed matters and
decommissioning each get their own 30-working-day deadline: the registry records them by itself
where the operator's filing is required (:func:`record_filed_change`: a deployment registered,
changed in what the dossier states, or decommissioned), and :func:`record_change` records any
other by hand.

Deadlines count Chinese working days (:mod:`facegate.compliance.workdays`) from the local date
in Beijing: a threshold crossed at 01:00 on a Monday in Beijing is crossed on Monday, not on
UTC's Sunday.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from facegate._time import utc
from facegate.compliance.workdays import Deadline, add_working_days
from facegate.errors import InvalidArgument, UnknownId
from facegate.store import Store

__all__ = [
    "DEFAULT_WARNING_MARGIN",
    "FILING_THRESHOLD",
    "FILING_WORKING_DAYS",
    "FilingEvent",
    "FilingKind",
    "FilingState",
    "FilingStatus",
    "check_filing",
    "filing_status",
    "record_change",
    "record_filed_change",
    "stored_individuals",
    "stored_templates",
]

FILING_THRESHOLD = 100_000
"""Individuals whose face data is stored at which filing becomes required (M15)."""
FILING_WORKING_DAYS = 30
"""Working days allowed to file, and to report a change or decommissioning."""
DEFAULT_WARNING_MARGIN = 0.9
"""The early warning comes at this share of the threshold (90,000 individuals)."""

FilingKind = Literal["warning", "required", "change", "decommission"]
"""What a filing event records (the ``filing_events.kind`` column)."""

_KINDS: dict[str, FilingKind] = {
    "warning": "warning",
    "required": "required",
    "change": "change",
    "decommission": "decommission",
}

_BEIJING = ZoneInfo("Asia/Shanghai")


class FilingState(StrEnum):
    """Where an operator stands against the threshold."""

    BELOW = "below"
    WARNING = "warning"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class FilingEvent:
    """A recorded event: the early warning, the filing requirement, a change, a
    decommissioning. ``deadline`` is the last day to file (None for a warning); ``provisional``
    when it is only the earliest it could be (see :mod:`facegate.compliance.workdays`)."""

    kind: FilingKind
    individuals: int
    at: datetime
    deadline: date | None
    provisional: bool
    detail: str | None


@dataclass(frozen=True, slots=True)
class FilingStatus:
    """How many individuals an operator stores, against which threshold, and what is due.

    ``required_since`` is when the requirement was recorded; ``deadline`` is counted from that
    day with today's calendar, so a deadline that was provisional firms up once the package
    covers its year.
    """

    operator: str
    individuals: int
    threshold: int
    warning_at: int
    state: FilingState
    required_since: datetime | None
    deadline: Deadline | None
    events: tuple[FilingEvent, ...]


def stored_individuals(store: Store, operator: str) -> int:
    """Distinct subjects with at least one template in any deployment of ``operator``: a
    person enrolled in two deployments is one individual, an erased one is none."""
    return _held(store, operator)[0]


def _held(store: Store, operator: str) -> tuple[int, int]:
    """(individuals, templates) of ``operator``; UnknownId for an unknown operator."""
    if not store.operators.exists(operator):
        raise UnknownId(f"operator {operator!r} is not registered")
    names = [record.id for record in store.deployments.all(operator)]
    return store.templates.individuals(names)


def check_filing(
    store: Store,
    operator: str,
    *,
    now: datetime | None = None,
    margin: float = DEFAULT_WARNING_MARGIN,
    threshold: int = FILING_THRESHOLD,
) -> FilingEvent | None:
    """Records the filing requirement, or the early warning, the first time it is reached.

    At ``threshold`` individuals it records a ``required`` event with its 30-working-day
    deadline; at ``margin * threshold`` a ``warning`` (no deadline), unless the requirement is
    already recorded (a warning after it would warn of nothing). Each is recorded once per
    operator. Counting and recording run in one transaction (the caller's, when it has one: an
    enrollment and its filing event commit together), so two processes enrolling at once cannot
    both record the event. Returns the event recorded, if any.
    """
    warning_at = _warning_at(threshold, margin)
    moment = utc(now)
    with store.transaction():
        count = stored_individuals(store, operator)
        kinds = store.filing.kinds(operator)
        if count >= threshold and "required" not in kinds:
            return _record(store, operator, _new_event("required", count, moment, None))
        if count >= warning_at and not kinds & {"warning", "required"}:
            return _record(store, operator, _new_event("warning", count, moment, None))
    return None


def record_change(
    store: Store,
    operator: str,
    kind: Literal["change", "decommission"],
    detail: str,
    *,
    now: datetime | None = None,
) -> FilingEvent:
    """Records a change to filed matters or the decommissioning of the system, each with its
    own 30-working-day deadline to report it (R28). ``detail`` says what changed."""
    if kind not in ("change", "decommission"):
        raise InvalidArgument(f"kind must be 'change' or 'decommission', not {kind!r}")
    if not isinstance(detail, str) or not detail.strip():
        raise InvalidArgument("say what changed (or what is decommissioned)")
    moment = utc(now)
    with store.transaction():
        count = stored_individuals(store, operator)
        return _record(store, operator, _new_event(kind, count, moment, detail.strip()))


def record_filed_change(
    store: Store,
    operator: str,
    detail: str,
    kind: Literal["change", "decommission"] = "change",
    *,
    now: datetime | None = None,
) -> FilingEvent | None:
    """Records a change to filed matters (or a decommissioning) with its 30-working-day
    deadline when the operator's filing is required (R28): the requirement was recorded, or
    the threshold is reached now. Otherwise nothing is due and nothing is recorded. Runs in the
    caller's transaction, so the event commits with the change it reports. Returns the event
    recorded, if any."""
    moment = utc(now)
    with store.transaction():
        count = stored_individuals(store, operator)
        if count < FILING_THRESHOLD and "required" not in store.filing.kinds(operator):
            return None
        return _record(store, operator, _new_event(kind, count, moment, detail))


def filing_status(
    store: Store,
    operator: str,
    *,
    now: datetime | None = None,
    margin: float = DEFAULT_WARNING_MARGIN,
    threshold: int = FILING_THRESHOLD,
) -> FilingStatus:
    """The operator's count, state and filing deadline. Read only: where the threshold is
    reached but no check has recorded it yet, the deadline is counted from ``now``."""
    warning_at = _warning_at(threshold, margin)
    count = stored_individuals(store, operator)
    with store.reading(f"filing events of {operator!r}"):
        events = tuple(_event(row) for row in store.filing.of_operator(operator))
    required = next((e for e in events if e.kind == "required"), None)
    return FilingStatus(
        operator=operator,
        individuals=count,
        threshold=threshold,
        warning_at=warning_at,
        state=_state(count, required is not None, threshold, warning_at),
        required_since=required.at if required else None,
        deadline=_status_deadline(required, count >= threshold, now),
        events=events,
    )


def stored_templates(store: Store, operator: str) -> int:
    """Templates stored in all of ``operator``'s deployments (for the dossier)."""
    return _held(store, operator)[1]


def _new_event(kind: FilingKind, count: int, moment: datetime, detail: str | None) -> FilingEvent:
    """A warning has no deadline; every other event is due 30 working days from its day."""
    deadline = (
        None if kind == "warning" else add_working_days(_local_date(moment), FILING_WORKING_DAYS)
    )
    return FilingEvent(
        kind=kind,
        individuals=count,
        at=moment,
        deadline=deadline.due if deadline else None,
        provisional=bool(deadline and deadline.provisional),
        detail=detail,
    )


def _record(store: Store, operator: str, event: FilingEvent) -> FilingEvent:
    store.filing.add(
        operator,
        kind=event.kind,
        individuals=event.individuals,
        at=event.at.isoformat(),
        deadline=event.deadline.isoformat() if event.deadline else None,
        provisional=event.provisional,
        detail=event.detail,
    )
    return event


def _event(row: tuple[object, ...]) -> FilingEvent:
    kind, count, at, due, provisional, detail = row
    return FilingEvent(
        kind=_KINDS[str(kind)],  # a KeyError here is a damaged row (CorruptStore)
        individuals=int(str(count)),
        at=datetime.fromisoformat(str(at)),
        deadline=None if due is None else date.fromisoformat(str(due)),
        provisional=bool(provisional),
        detail=None if detail is None else str(detail),
    )


def _state(count: int, recorded: bool, threshold: int, warning_at: int) -> FilingState:
    """A recorded requirement stands even if erasures bring the count back under: the duty to
    file arose when the threshold was reached."""
    if recorded or count >= threshold:
        return FilingState.REQUIRED
    if count >= warning_at:
        return FilingState.WARNING
    return FilingState.BELOW


def _status_deadline(
    required: FilingEvent | None, reached: bool, now: datetime | None
) -> Deadline | None:
    if required is not None:
        return add_working_days(_local_date(required.at), FILING_WORKING_DAYS)
    if reached:
        return add_working_days(_local_date(utc(now)), FILING_WORKING_DAYS)
    return None


def _warning_at(threshold: int, margin: float) -> int:
    """The individual count at which the warning comes (rounded up, never past threshold)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise InvalidArgument(f"the filing threshold is a count of at least 1, not {threshold!r}")
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 < margin <= 1:
        raise InvalidArgument(f"the warning margin is a share in (0, 1], not {margin!r}")
    # round() first: 0.9 * 100_000 must be 90,000, not 90,001 from a float's last bit.
    return min(threshold, math.ceil(round(margin * threshold, 6)))


def _local_date(moment: datetime) -> date:
    """The date in Beijing, where the working days are counted."""
    return moment.astimezone(_BEIJING).date()
