"""Filing with the regulator (R27, R28; Measures art. 15).

An operator that stores the face data of 100,000 or more individuals must file with the
cyberspace administration within 30 working days. facegate counts distinct individuals with a
template currently stored in any of the operator's deployments, records a ``warning`` event at a
margin below the threshold and a ``required`` event at it (each once, with the deadline), and
assembles the five filing materials. Changes to filed matters and decommissioning get their own
30-working-day deadlines (``record_change``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from facegate.errors import InvalidArgument, UnknownId
from facegate.registry import deployment_from_dict
from facegate.store import Store
from facegate.workdays import Deadline, add_working_days

__all__ = [
    "DEFAULT_WARNING_MARGIN",
    "FILING_THRESHOLD",
    "FILING_WORKING_DAYS",
    "FilingEvent",
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
"""The early warning comes at this share of the threshold (90,000)."""

_BEIJING = ZoneInfo("Asia/Shanghai")


class FilingState(StrEnum):
    BELOW = "below"
    WARNING = "warning"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class FilingEvent:
    """A recorded event: a warning, the filing requirement, a change or a decommissioning."""

    kind: str
    individuals: int
    at: str
    deadline: str | None
    provisional: bool
    detail: str | None


@dataclass(frozen=True, slots=True)
class FilingStatus:
    """Where an operator stands: how many individuals, against which threshold, what is due."""

    operator: str
    individuals: int
    threshold: int
    warning_at: int
    state: FilingState
    deadline: Deadline | None
    events: tuple[FilingEvent, ...]


def stored_individuals(store: Store, operator: str) -> int:
    """Distinct subjects with at least one template in any deployment of ``operator``."""
    return store.count(
        "SELECT COUNT(DISTINCT t.subject_id) FROM templates t JOIN deployments d "
        "ON d.id = t.deployment_id WHERE d.operator_id = ?",
        (operator,),
    )


def _local_date(now: datetime | None) -> tuple[datetime, date]:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise InvalidArgument("times must be timezone-aware (for example datetime.now(UTC))")
    return moment.astimezone(UTC), moment.astimezone(_BEIJING).date()


def _known(store: Store, operator: str) -> None:
    if not store.query("SELECT 1 FROM operators WHERE id = ?", (operator,)):
        raise UnknownId(f"operator {operator!r} is not registered")


def _events(store: Store, operator: str) -> tuple[FilingEvent, ...]:
    rows = store.query(
        "SELECT kind, individuals, at, deadline, provisional, detail FROM filing_events "
        "WHERE operator_id = ? ORDER BY id",
        (operator,),
    )
    return tuple(
        FilingEvent(
            str(kind),
            int(str(count)),
            str(at),
            None if due is None else str(due),
            bool(provisional),
            None if detail is None else str(detail),
        )
        for kind, count, at, due, provisional, detail in rows
    )


def _insert(
    store: Store,
    operator: str,
    kind: str,
    individuals: int,
    now: datetime | None,
    detail: str | None = None,
    *,
    with_deadline: bool = True,
) -> FilingEvent:
    moment, today = _local_date(now)
    deadline = add_working_days(today, FILING_WORKING_DAYS) if with_deadline else None
    event = FilingEvent(
        kind,
        individuals,
        moment.isoformat(),
        deadline.due.isoformat() if deadline else None,
        bool(deadline and deadline.provisional),
        detail,
    )
    with store.transaction() as db:
        db.execute(
            "INSERT INTO filing_events (operator_id, kind, individuals, at, deadline, "
            "provisional, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (operator, kind, individuals, event.at, event.deadline, event.provisional, detail),
        )
    return event


def check_filing(
    store: Store,
    operator: str,
    *,
    now: datetime | None = None,
    margin: float = DEFAULT_WARNING_MARGIN,
    threshold: int = FILING_THRESHOLD,
) -> FilingEvent | None:
    """Counts the operator's individuals and records the warning or the filing requirement the
    first time each is reached (inside the caller's transaction when there is one). Returns
    the event recorded, if any."""
    if not 0 < margin <= 1:
        raise InvalidArgument(f"the warning margin is a share of the threshold, not {margin}")
    count = stored_individuals(store, operator)
    kinds = {event.kind for event in _events(store, operator)}
    if count >= threshold and "required" not in kinds:
        return _insert(store, operator, "required", count, now)
    if count >= margin * threshold and not kinds & {"warning", "required"}:
        return _insert(store, operator, "warning", count, now, with_deadline=False)
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
    own deadline of 30 working days (R28)."""
    _known(store, operator)
    if kind not in ("change", "decommission"):
        raise InvalidArgument(f"kind must be 'change' or 'decommission', not {kind!r}")
    if not detail.strip():
        raise InvalidArgument("say what changed (or what is decommissioned)")
    return _insert(store, operator, kind, stored_individuals(store, operator), now, detail)


def filing_status(
    store: Store,
    operator: str,
    *,
    margin: float = DEFAULT_WARNING_MARGIN,
    threshold: int = FILING_THRESHOLD,
) -> FilingStatus:
    """The operator's count, state and filing deadline (from the recorded requirement)."""
    _known(store, operator)
    count = stored_individuals(store, operator)
    events = _events(store, operator)
    required = next((e for e in events if e.kind == "required"), None)
    if required is not None or count >= threshold:
        state = FilingState.REQUIRED
    elif count >= margin * threshold:
        state = FilingState.WARNING
    else:
        state = FilingState.BELOW
    deadline = None
    if required is not None:
        _, start = _local_date(datetime.fromisoformat(required.at))
        deadline = add_working_days(start, FILING_WORKING_DAYS)
    return FilingStatus(
        operator, count, threshold, int(margin * threshold), state, deadline, events
    )


def _deployments(store: Store, operator: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT definition, active FROM deployments WHERE operator_id = ? ORDER BY id",
        (operator,),
    )
    return [json.loads(str(r[0])) | {"active": bool(r[1])} for r in rows]


def _latest_assessment(store: Store, deployment: str) -> dict[str, Any] | None:
    rows = store.query(
        "SELECT content, signed_off_by, signed_at, notice_version FROM assessments "
        "WHERE deployment_id = ? ORDER BY seq DESC LIMIT 1",
        (deployment,),
    )
    if not rows:
        return None
    content, signed_by, signed_at, version = rows[0]
    return {
        "items": json.loads(str(content)),
        "signed_off_by": signed_by,
        "signed_at": signed_at,
        "notice_version": version,
    }


def filing_dossier(store: Store, operator: str) -> dict[str, Any]:
    """The five filing materials of R28, as plain data (JSON-ready)."""
    _known(store, operator)
    (ident, name, contact) = store.query(
        "SELECT id, name, contact FROM operators WHERE id = ?", (operator,)
    )[0]
    definitions = _deployments(store, operator)
    deployments = [deployment_from_dict(_without(d, "active")) for d in definitions]
    status = filing_status(store, operator)
    templates = store.count(
        "SELECT COUNT(*) FROM templates t JOIN deployments d ON d.id = t.deployment_id "
        "WHERE d.operator_id = ?",
        (operator,),
    )
    return {
        "operator": {"id": ident, "name": name, "contact": contact},
        "purposes_and_methods": [
            {
                "deployment": d.name,
                "location": str(d.location),
                "purposes": list(d.purposes),
                "mode": str(d.mode),
                "method": d.notice.method,
                "necessity": d.necessity,
                "active": definition["active"],
            }
            for d, definition in zip(deployments, definitions, strict=True)
        ],
        "stored_count_and_security": {
            "individuals": status.individuals,
            "templates": templates,
            "encryption": "AES-256-GCM-SIV, per-subject data keys wrapped by a master key "
            "held outside the store",
            "transform": "per-deployment secret orthogonal rotation, renewable (ISO/IEC 24745)",
            "audit": "keyed hash chain (HMAC-SHA256) with an authenticated head",
            "storage": "local SQLite store on the operator's premises; no image is stored",
        },
        "processing_rules": [
            {
                "deployment": d.name,
                "retention_days": d.notice.retention_days,
                "threshold": d.threshold,
                "alternatives": [a.description for a in d.alternatives],
                "consent": "separate consent to face data per deployment, purpose and notice "
                "version; guardians for subjects under 14",
                "withdrawal_and_erasure": "one call; the data key is destroyed first, then "
                "the templates; a deletion receipt is issued",
            }
            for d in deployments
        ],
        "assessment": {d.name: _latest_assessment(store, d.name) for d in deployments},
        "filing": {
            "state": str(status.state),
            "threshold": status.threshold,
            "deadline": str(status.deadline) if status.deadline else None,
            "events": [_event(e) for e in status.events],
        },
    }


def _event(event: FilingEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "individuals": event.individuals,
        "at": event.at,
        "deadline": event.deadline,
        "provisional": event.provisional,
        "detail": event.detail,
    }


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def render_dossier_markdown(dossier: dict[str, Any]) -> str:
    """The dossier as a Markdown document, one section per filing material."""
    op = dossier["operator"]
    lines = [
        f"# Filing dossier: {op['name']}",
        "",
        "## 1. Operator",
        f"- id: {op['id']}",
        f"- name: {op['name']}",
        f"- contact: {op['contact']}",
        "",
        "## 2. Purposes and methods",
    ]
    for d in dossier["purposes_and_methods"]:
        lines += [
            f"- **{d['deployment']}** ({d['location']}, {d['mode']}, "
            f"{'active' if d['active'] else 'inactive'}): {', '.join(d['purposes'])}",
            f"  - method: {d['method']}",
            f"  - necessity: {d['necessity']}",
        ]
    security = dossier["stored_count_and_security"]
    lines += ["", "## 3. Stored count and security measures"]
    lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in security.items()]
    lines += ["", "## 4. Processing rules and procedures"]
    for rule in dossier["processing_rules"]:
        lines += [
            f"- **{rule['deployment']}**: kept {rule['retention_days']} days, threshold "
            f"{rule['threshold']}; alternatives: {'; '.join(rule['alternatives']) or 'none'}",
            f"  - consent: {rule['consent']}",
            f"  - withdrawal and erasure: {rule['withdrawal_and_erasure']}",
        ]
    lines += ["", "## 5. Impact assessment"]
    for name, assessment in dossier["assessment"].items():
        if assessment is None:
            lines.append(f"- **{name}**: no assessment recorded")
            continue
        lines.append(
            f"- **{name}**: signed off by {assessment['signed_off_by']} at "
            f"{assessment['signed_at']}"
        )
        lines += [
            f"  - {key.replace('_', ' ')}: {text}" for key, text in assessment["items"].items()
        ]
    filing = dossier["filing"]
    lines += ["", "## Filing", f"- state: {filing['state']} (threshold {filing['threshold']:,})"]
    if filing["deadline"]:
        lines.append(f"- file by: {filing['deadline']}")
    for e in filing["events"]:
        due = f", due {e['deadline']}" if e["deadline"] else ""
        due += " (provisional)" if e["provisional"] else ""
        lines.append(f"- {e['kind']} at {e['at'][:10]} ({e['individuals']:,} individuals){due}")
    return "\n".join(lines)
