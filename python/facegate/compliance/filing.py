"""Filing with the regulator (R27, R28; Measures art. 15).

An operator that stores the face data of 100,000 or more individuals must file with the
cyberspace administration at or above the prefecture level within 30 working days. facegate
counts the distinct individuals with a template currently stored in any of the operator's
deployments, records a ``warning`` at a margin below the threshold (so the operator can prepare
the materials in time) and a ``required`` event at it, each once and with the deadline, and
assembles the five filing materials. A change to filed matters and decommissioning each get
their own 30-working-day deadline (:func:`record_change`).

Deadlines count Chinese working days (:mod:`facegate.workdays`) from the local date in Beijing:
a threshold crossed at 01:00 on a Monday in Beijing is crossed on Monday, not on UTC's Sunday.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from facegate._time import utc
from facegate.accuracy import OperatingPoint
from facegate.consent import MINOR_AGE
from facegate.errors import InvalidArgument, UnknownId
from facegate.policy import Deployment, Location, Mode
from facegate.registry import Registry
from facegate.store import Store
from facegate.workdays import Deadline, add_working_days

__all__ = [
    "DEFAULT_WARNING_MARGIN",
    "FILING_THRESHOLD",
    "FILING_WORKING_DAYS",
    "FilingEvent",
    "FilingKind",
    "FilingState",
    "FilingStatus",
    "check_filing",
    "filing_dossier",
    "filing_status",
    "record_change",
    "render_dossier_markdown",
    "stored_individuals",
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

_INDIVIDUALS_SQL = (
    "SELECT COUNT(DISTINCT templates.subject_id) FROM templates JOIN deployments "
    "ON deployments.id = templates.deployment_id WHERE deployments.operator_id = ?"
)
_TEMPLATES_SQL = (
    "SELECT COUNT(*) FROM templates JOIN deployments "
    "ON deployments.id = templates.deployment_id WHERE deployments.operator_id = ?"
)
_EVENTS_SQL = (
    "SELECT kind, individuals, at, deadline, provisional, detail FROM filing_events "
    "WHERE operator_id = ? ORDER BY id"
)

_ENCRYPTION = "AES-256-GCM-SIV per-subject data keys wrapped by a master key held outside the store"
_TRANSFORM = "per-deployment secret orthogonal rotation, renewable (ISO/IEC 24745)"
_AUDIT = "hash-chained (HMAC-SHA256 links), HMAC-authenticated head, kept at least three years"
_STORAGE = (
    "no face image is stored, only sealed templates; erased rows are overwritten "
    "(SQLite secure_delete) and the write-ahead log truncated"
)


class FilingState(StrEnum):
    """Where an operator stands against the threshold."""

    BELOW = "below"
    WARNING = "warning"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class FilingEvent:
    """A recorded event: the early warning, the filing requirement, a change, a
    decommissioning. ``deadline`` is the last day to file (None for a warning); ``provisional``
    when it is only the earliest it could be (see :mod:`facegate.workdays`)."""

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
    return store.count(_INDIVIDUALS_SQL, (operator,))


def check_filing(
    store: Store,
    operator: str,
    *,
    now: datetime | None = None,
    margin: float = DEFAULT_WARNING_MARGIN,
    threshold: int = FILING_THRESHOLD,
    db: sqlite3.Connection | None = None,
) -> FilingEvent | None:
    """Records the filing requirement, or the early warning, the first time it is reached.

    At ``threshold`` individuals it records a ``required`` event with its 30-working-day
    deadline; at ``margin * threshold`` a ``warning`` (no deadline), unless the requirement is
    already recorded (a warning after it would warn of nothing). Each is recorded once per
    operator. Counting and recording run in one transaction, so two processes enrolling at once
    cannot both record the event: ``db`` is the caller's open transaction (an enrolment and its
    filing event commit together), or None to open one. Returns the event recorded, if any.
    """
    warning_at = _warning_at(threshold, margin)
    moment = _moment(now)
    if db is not None:
        return _check(db, operator, moment, threshold, warning_at)
    with store.transaction() as own:
        return _check(own, operator, moment, threshold, warning_at)


def record_change(
    store: Store,
    operator: str,
    kind: Literal["change", "decommission"],
    detail: str,
    *,
    now: datetime | None = None,
    db: sqlite3.Connection | None = None,
) -> FilingEvent:
    """Records a change to filed matters or the decommissioning of the system, each with its
    own 30-working-day deadline to report it (R28). ``detail`` says what changed."""
    if kind not in ("change", "decommission"):
        raise InvalidArgument(f"kind must be 'change' or 'decommission', not {kind!r}")
    if not isinstance(detail, str) or not detail.strip():
        raise InvalidArgument("say what changed (or what is decommissioned)")
    moment = _moment(now)
    if db is not None:
        return _record(db, operator, kind, moment, detail.strip())
    with store.transaction() as own:
        return _record(own, operator, kind, moment, detail.strip())


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
    _require_operator(store.query("SELECT 1 FROM operators WHERE id = ?", (operator,)), operator)
    count = stored_individuals(store, operator)
    with store.reading(f"filing events of {operator!r}"):
        events = tuple(_event(row) for row in store.query(_EVENTS_SQL, (operator,)))
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


def filing_dossier(store: Store, operator: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The five filing materials of R28 as JSON-ready data: operator, purposes and methods,
    stored count and security measures, processing rules and procedures, the assessment; plus
    the filing state and deadlines, and when the dossier was generated."""
    moment = _moment(now)
    status = filing_status(store, operator, now=moment)
    ident, name, contact = store.query(
        "SELECT id, name, contact FROM operators WHERE id = ?", (operator,)
    )[0]
    rows = store.query(
        "SELECT id, active FROM deployments WHERE operator_id = ? ORDER BY id", (operator,)
    )
    registry = Registry(store)
    deployments = [(registry.deployment(str(d)), bool(active)) for d, active in rows]
    return {
        "operator": {"id": ident, "name": name, "contact": contact},
        "purposes_and_methods": [_purposes(d, active) for d, active in deployments],
        "stored_count_and_security": {
            "individuals": status.individuals,
            "templates": store.count(_TEMPLATES_SQL, (operator,)),
            "encryption": _ENCRYPTION,
            "transform": _TRANSFORM,
            "audit": _AUDIT,
            "storage": _STORAGE,
        },
        "processing_rules": [_rules(d, registry.operating_point(d.name)) for d, _ in deployments],
        "assessment": {d.name: _latest_assessment(store, d) for d, _ in deployments},
        "filing": _filing_json(status),
        "generated_at": moment.isoformat(),
    }


def render_dossier_markdown(dossier: dict[str, Any]) -> str:
    """The dossier as a Markdown document, one numbered section per filing material."""
    sections = (
        _md_operator(dossier["operator"]),
        _md_purposes(dossier["purposes_and_methods"]),
        _md_security(dossier["stored_count_and_security"]),
        _md_rules(dossier["processing_rules"]),
        _md_assessment(dossier["assessment"]),
        _md_filing(dossier["filing"]),
    )
    title = f"# Filing dossier: {dossier['operator']['name']}"
    generated = f"Generated {dossier['generated_at']}."
    return "\n\n".join([title, generated, *sections]) + "\n"


# ----- recording --------------------------------------------------------------------------


def _check(
    db: sqlite3.Connection, operator: str, moment: datetime, threshold: int, warning_at: int
) -> FilingEvent | None:
    _require_operator(db.execute("SELECT 1 FROM operators WHERE id = ?", (operator,)), operator)
    count = int(db.execute(_INDIVIDUALS_SQL, (operator,)).fetchone()[0])
    kinds = {
        str(kind)
        for (kind,) in db.execute(
            "SELECT DISTINCT kind FROM filing_events WHERE operator_id = ?", (operator,)
        )
    }
    if count >= threshold and "required" not in kinds:
        return _insert(db, operator, _new_event("required", count, moment, None))
    if count >= warning_at and not kinds & {"warning", "required"}:
        return _insert(db, operator, _new_event("warning", count, moment, None))
    return None


def _record(
    db: sqlite3.Connection,
    operator: str,
    kind: Literal["change", "decommission"],
    moment: datetime,
    detail: str,
) -> FilingEvent:
    _require_operator(db.execute("SELECT 1 FROM operators WHERE id = ?", (operator,)), operator)
    count = int(db.execute(_INDIVIDUALS_SQL, (operator,)).fetchone()[0])
    return _insert(db, operator, _new_event(kind, count, moment, detail))


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


def _insert(db: sqlite3.Connection, operator: str, event: FilingEvent) -> FilingEvent:
    db.execute(
        "INSERT INTO filing_events (operator_id, kind, individuals, at, deadline, provisional, "
        "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            operator,
            event.kind,
            event.individuals,
            event.at.isoformat(),
            event.deadline.isoformat() if event.deadline else None,
            int(event.provisional),
            event.detail,
        ),
    )
    return event


# ----- reading ----------------------------------------------------------------------------


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
        return add_working_days(_local_date(_moment(now)), FILING_WORKING_DAYS)
    return None


# ----- helpers ----------------------------------------------------------------------------


def _warning_at(threshold: int, margin: float) -> int:
    """The individual count at which the warning comes (rounded up, never past threshold)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise InvalidArgument(f"the filing threshold is a count of at least 1, not {threshold!r}")
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 < margin <= 1:
        raise InvalidArgument(f"the warning margin is a share in (0, 1], not {margin!r}")
    # round() first: 0.9 * 100_000 must be 90,000, not 90,001 from a float's last bit.
    return min(threshold, math.ceil(round(margin * threshold, 6)))


def _moment(now: datetime | None) -> datetime:
    """``now`` (or the current time) in UTC; a naive time is refused, as its day is unknown."""
    return utc(now)


def _local_date(moment: datetime) -> date:
    """The date in Beijing, where the working days are counted."""
    return moment.astimezone(_BEIJING).date()


def _require_operator(rows: Iterable[Any], operator: str) -> None:
    if not list(rows):
        raise UnknownId(f"operator {operator!r} is not registered")


# ----- dossier parts ----------------------------------------------------------------------


def _purposes(deployment: Deployment, active: bool) -> dict[str, Any]:
    """Material 2 for one deployment: what it is for, where, and how faces are compared."""
    part: dict[str, Any] = {
        "deployment": deployment.name,
        "location": Location(deployment.location).value,
        "purposes": list(deployment.purposes),
        "mode": Mode(deployment.mode).value,
        "necessity": deployment.necessity,
        "method": deployment.notice.method,
        "active": active,
        "notice_version": deployment.notice.version,
    }
    if Mode(deployment.mode) is Mode.IDENTIFY:
        part["identification_justification"] = deployment.identification_justification
    if Location(deployment.location) is Location.PUBLIC_PLACE:
        part["public_security_basis"] = deployment.public_security_basis
        part["capture_area"] = deployment.capture_area
        part["signage"] = deployment.signage
    return part


def _rules(deployment: Deployment, point: OperatingPoint) -> dict[str, Any]:
    """Material 4 for one deployment: retention, matching, alternatives, consent, erasure."""
    notice = deployment.notice
    return {
        "deployment": deployment.name,
        "retention_days": notice.retention_days,
        "threshold": point.threshold,
        "operating_point": point.describe(),
        "alternatives": [
            {"description": a.description, "accessible": a.accessible}
            for a in deployment.alternatives
        ],
        "consent": (
            f"separate consent to face processing for {', '.join(deployment.purposes)}, tied to "
            f"notice version {notice.version} and recorded with its time and channel; a "
            f"guardian consents for a subject under {MINOR_AGE} (by declared birth date); a "
            "consent given to an older notice version no longer counts"
        ),
        "withdrawal_and_erasure": (
            "withdrawal is one call and takes effect at once: the subject's templates in the "
            "deployment are deleted, and the data key with them when no other template remains; "
            "erasure deletes data key, templates and consents everywhere and issues a deletion "
            f"receipt; templates are deleted after {notice.retention_days} days"
        ),
        "rights_contact": notice.rights_contact,
    }


def _latest_assessment(store: Store, deployment: Deployment) -> dict[str, Any] | None:
    """Material 5 for one deployment: its latest signed impact assessment, if any."""
    rows = store.query(
        "SELECT content, signed_off_by, signed_at, notice_version FROM assessments "
        "WHERE deployment_id = ? ORDER BY seq DESC LIMIT 1",
        (deployment.name,),
    )
    if not rows:
        return None
    content, signed_by, signed_at, version = rows[0]
    with store.reading(f"the impact assessment of {deployment.name!r}"):
        parsed = json.loads(str(content))
    return {
        "content": parsed,
        "signed_off_by": str(signed_by),
        "signed_at": str(signed_at),
        "notice_version": str(version),
        "covers_current_notice": version == deployment.notice.version,
    }


def _filing_json(status: FilingStatus) -> dict[str, Any]:
    deadline = status.deadline
    return {
        "state": status.state.value,
        "individuals": status.individuals,
        "threshold": status.threshold,
        "warning_at": status.warning_at,
        "required_since": status.required_since.isoformat() if status.required_since else None,
        "deadline": str(deadline) if deadline else None,
        "due": deadline.due.isoformat() if deadline else None,
        "provisional": bool(deadline and deadline.provisional),
        "events": [_event_json(e) for e in status.events],
    }


def _event_json(event: FilingEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "individuals": event.individuals,
        "at": event.at.isoformat(),
        "deadline": event.deadline.isoformat() if event.deadline else None,
        "provisional": event.provisional,
        "detail": event.detail,
    }


# ----- Markdown ---------------------------------------------------------------------------


def _md_operator(op: dict[str, Any]) -> str:
    return "\n".join(
        [
            "## 1. Operator",
            f"- id: {op['id']}",
            f"- name: {op['name']}",
            f"- contact: {op['contact']}",
        ]
    )


def _md_purposes(parts: list[dict[str, Any]]) -> str:
    lines = ["## 2. Purposes and methods"]
    for d in parts:
        state = "active" if d["active"] else "inactive"
        lines += [
            f"- **{d['deployment']}** ({d['location']}, {d['mode']}, {state}): "
            + ", ".join(d["purposes"]),
            f"  - method: {d['method']}",
            f"  - necessity: {d['necessity']}",
        ]
        extra = ("identification_justification", "public_security_basis", "capture_area")
        lines += [f"  - {k.replace('_', ' ')}: {d[k]}" for k in extra if k in d]
    return "\n".join(lines)


def _md_security(security: dict[str, Any]) -> str:
    lines = ["## 3. Stored count and security measures"]
    lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in security.items()]
    return "\n".join(lines)


def _md_rules(rules: list[dict[str, Any]]) -> str:
    lines = ["## 4. Processing rules and procedures"]
    for rule in rules:
        alternatives = "; ".join(a["description"] for a in rule["alternatives"]) or "none"
        lines += [
            f"- **{rule['deployment']}**: kept {rule['retention_days']} days; operating point: "
            f"{rule['operating_point']}; alternatives: {alternatives}",
            f"  - consent: {rule['consent']}",
            f"  - withdrawal and erasure: {rule['withdrawal_and_erasure']}",
            f"  - rights: {rule['rights_contact']}",
        ]
    return "\n".join(lines)


def _md_assessment(assessments: dict[str, Any]) -> str:
    lines = ["## 5. Impact assessment"]
    for name, found in assessments.items():
        if found is None:
            lines.append(f"- **{name}**: no assessment recorded")
            continue
        current = "" if found["covers_current_notice"] else " (for an earlier notice version)"
        lines.append(
            f"- **{name}**: signed off by {found['signed_off_by']} at {found['signed_at']}"
            + current
        )
        lines += [f"  - {k.replace('_', ' ')}: {v}" for k, v in found["content"].items()]
    return "\n".join(lines)


def _md_filing(filing: dict[str, Any]) -> str:
    lines = [
        "## Filing",
        f"- {filing['individuals']:,} individuals stored: {filing['state']} "
        f"(warning at {filing['warning_at']:,}, filing at {filing['threshold']:,})",
    ]
    if filing["deadline"]:
        lines.append(f"- file by: {filing['deadline']}")
    for e in filing["events"]:
        due = f", due {e['deadline']}" if e["deadline"] else ""
        due += " (provisional: the earliest it could be)" if e["provisional"] else ""
        what = f": {e['detail']}" if e["detail"] else ""
        lines.append(
            f"- {e['kind']} at {e['at'][:16].replace('T', ' ')} UTC "
            f"({e['individuals']:,} individuals){due}{what}"
        )
    return "\n".join(lines)
