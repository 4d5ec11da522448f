"""The personal-information impact assessment of M9 (R26): the document and its pre-filled draft.

facegate puts the deployment's declarations and the measured facts side by side under each of
the four items, and drafts the text; a person edits and signs it. The document is Markdown or a
self-contained HTML page whose every value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from facegate.compliance.facts import AssessmentFacts, Counts
from facegate.compliance.policy import PUBLIC_SECURITY, Deployment, Mode
from facegate.compliance.registry import TO_BE_COMPLETED, TO_CONFIRM, Assessment
from facegate.errors import InvalidArgument
from facegate.reports.labels import label_location, label_purpose

__all__ = ["TO_BE_COMPLETED", "TO_CONFIRM", "Row", "prefill_assessment", "render_assessment"]

# ----- impact assessment document (M9, R26) --------------------------------------------------

Row = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Item:
    """One of the four items of M9: what the signed assessment says, what the deployment
    declares, what was measured."""

    number: int
    title: str
    field: str
    declarations: tuple[Row, ...]
    facts: tuple[Row, ...]


def _list(counts: Counts) -> str:
    return ", ".join(f"{key or '(unspecified)'}: {count}" for key, count in counts) or "none"


def _count(number: int, one: str, many: str | None = None) -> str:
    """``number`` with its noun in the right number: "1 entry", "2 entries"."""
    return f"{number:,} {one if number == 1 else many or one + 's'}"


def _master_keys(facts: AssessmentFacts) -> str:
    """Which master key wraps the data keys: the ones recorded with them, or, before there is
    any data key, the store's own (it exists from the start)."""
    if facts.master_key_ids and facts.erasure_epoch is not None:
        return (
            f"{', '.join(facts.master_key_ids)} (erasure epoch {facts.erasure_epoch}'s key, "
            f"ratcheted after each erasure; the store's master key {facts.master_key_id})"
        )
    if facts.master_key_ids:
        return ", ".join(facts.master_key_ids)
    if facts.master_key_id:
        return f"{facts.master_key_id} (the store's; no data key wrapped yet)"
    return "no data key wrapped yet"


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "none"


def _purposes(deployment: Deployment) -> str:
    return ", ".join(f"{label_purpose(p)} ({p})" for p in deployment.purposes)


def _mode(deployment: Deployment) -> str:
    if Mode(deployment.mode) is Mode.IDENTIFY:
        return f"1:N identification, justified by: {deployment.identification_justification}"
    return "1:1 verification of a claimed identity (the least intrusive mode)"


def _targets(deployment: Deployment) -> str:
    if deployment.identifies:
        return (
            f"FPIR at most {deployment.target_fpir:.2%}; 1:N refused above FNIR "
            f"{deployment.max_fnir:.0%}; expected {deployment.expected_enrollments:,} people, "
            f"{deployment.enrollment_photos} photograph(s) each"
        )
    return f"FMR at most {deployment.target_fmr:.2%}"


def _threshold_rule(deployment: Deployment) -> str:
    ratio = deployment.ratio
    if deployment.threshold is not None:
        test = ""
        if deployment.identifies:
            second = ratio is not None and ratio < 1
            test = f", ratio {ratio} to the second-nearest" if second else " (distance rule)"
        return f"explicit match threshold {deployment.threshold} (floor 0.6){test}"
    if not deployment.identifies:
        return "derived from the target (floor 0.6), audited"
    if ratio is not None:
        test = "distance rule" if ratio >= 1 else f"second-best test at ratio {ratio}"
        return f"{test}; threshold derived from the target for the gallery's current size"
    return (
        "second-best test: threshold and ratio to the second-nearest person derived together "
        "from the target for the gallery's current size (floor 0.6), audited"
    )


def _next_point(facts: AssessmentFacts) -> str:
    point = facts.next_operating_point
    return point.describe() if point else "1:1 rates do not depend on the gallery's size"


def _alternatives(deployment: Deployment) -> str:
    described = [
        f"{a.description} ({'accessible' if a.accessible else 'not marked accessible'})"
        for a in deployment.alternatives
    ]
    return "; ".join(described) or f"none: legal mandate {deployment.legal_mandate}"


def _optional(rows: Iterable[Row]) -> tuple[Row, ...]:
    """Drops declarations left empty (a legal mandate, a public-security basis...)."""
    return tuple((label, value) for label, value in rows if value.strip())


def _legality_item(deployment: Deployment, facts: AssessmentFacts) -> _Item:
    declarations = _optional(
        [
            ("Purposes", _purposes(deployment)),
            ("Necessity", deployment.necessity),
            ("Method", deployment.notice.method),
            ("Mode", _mode(deployment)),
            ("Location", label_location(deployment.location)),
            ("Legal mandate", deployment.legal_mandate),
            ("Public-security basis", deployment.public_security_basis),
            ("Capture area", deployment.capture_area),
            ("Multi-face basis", deployment.multi_face_basis),
        ]
    )
    measured = (
        ("Templates stored", str(facts.templates)),
        ("Distinct subjects", str(facts.subjects)),
        ("Consents currently granted", str(facts.consents_granted)),
        ("Consents withdrawn", str(facts.consents_withdrawn)),
    )
    title = "Legality, legitimacy and necessity of the purpose and method"
    return _Item(1, title, "legality_and_necessity", declarations, measured)


def _rights_item(deployment: Deployment, facts: AssessmentFacts) -> _Item:
    notice = deployment.notice
    declarations = (
        ("Impact on the person", notice.impact),
        ("Retention", f"{notice.retention_days} days"),
        ("Alternatives", _alternatives(deployment)),
        ("Rights contact", notice.rights_contact),
        ("Processor", f"{notice.processor_name} ({notice.processor_contact})"),
    )
    measured = (
        ("Consents withdrawn", str(facts.consents_withdrawn)),
        ("Alternatives used", str(facts.alternatives_used)),
        ("Alternatives used, by alternative", _list(facts.alternatives_by_detail)),
        ("Templates past retention still stored", str(facts.expired_templates)),
    )
    title = "Impact on personal rights and interests, and its mitigation"
    return _Item(2, title, "rights_impact", declarations, measured)


def _risks_item(deployment: Deployment, facts: AssessmentFacts) -> _Item:
    declarations = (
        ("Storage", "local store on the operator's premises; images are never stored"),
        ("Mode", _mode(deployment)),
        ("Error-rate targets", _targets(deployment)),
    )
    measured = (
        ("Encryption at rest", facts.encryption),
        ("Template transform", facts.transform),
        ("Data keys", str(facts.data_keys)),
        ("Oldest data key", _when(facts.data_keys_oldest)),
        ("Newest data key", _when(facts.data_keys_newest)),
        ("Master keys in use", _master_keys(facts)),
        ("Integrity incidents", str(facts.incidents)),
        ("Incidents by kind", _list(facts.incidents_by_kind)),
        ("Operating point", facts.operating_point.describe()),
        ("Operating point at the next size", _next_point(facts)),
    )
    title = "Risks of leaks, tampering, loss and misuse"
    return _Item(3, title, "risks", declarations, measured)


def _safeguards_item(deployment: Deployment, facts: AssessmentFacts) -> _Item:
    retention = "enforced" if facts.expired_templates == 0 else "NOT enforced: purge needed"
    declarations = (
        ("Threshold governance", _threshold_rule(deployment)),
        ("Retention", f"{deployment.notice.retention_days} days"),
        ("Signage posted", "yes" if deployment.signage else "no"),
    )
    measured = (
        ("Retention enforcement", f"{retention} ({facts.expired_templates} expired stored)"),
        ("Audit entries", str(facts.audit_entries)),
        ("Allowed", str(facts.audit_allowed)),
        ("Refused", str(facts.audit_refused)),
        ("Refusals by rule", _list(facts.refusals_by_rule)),
        ("Integrity incidents", str(facts.incidents)),
    )
    title = "Whether the protective measures are lawful, effective and proportionate"
    return _Item(4, title, "safeguards", declarations, measured)


def _items(deployment: Deployment, facts: AssessmentFacts) -> tuple[_Item, ...]:
    if facts.deployment != deployment.name:
        raise InvalidArgument(
            f"the facts were measured for deployment {facts.deployment!r}, not {deployment.name!r}"
        )
    return (
        _legality_item(deployment, facts),
        _rights_item(deployment, facts),
        _risks_item(deployment, facts),
        _safeguards_item(deployment, facts),
    )


def _assessed(item: _Item, assessment: Assessment | None) -> str:
    return str(getattr(assessment, item.field)) if assessment else TO_BE_COMPLETED


def _preamble(deployment: Deployment, facts: AssessmentFacts) -> tuple[Row, ...]:
    return (
        ("Deployment", deployment.name),
        ("Processor", deployment.notice.processor_name),
        ("Notice version", deployment.notice.version),
        ("Facts measured at", _when(facts.measured_at)),
    )


_SIGN_OFF_NOTE = (
    "The assessment covers the deployment as declared now: a change of purpose, method, mode, "
    "retention, threshold or any other declaration it rests on, or a major incident, requires "
    "a new one (R26). Keep it at least three years (R21)."
)
_TITLE = "Personal information impact assessment: facial recognition"


def _markdown_rows(rows: Iterable[Row]) -> list[str]:
    return [f"- **{label}**: {value}" for label, value in rows]


def _markdown(
    deployment: Deployment,
    facts: AssessmentFacts,
    items: tuple[_Item, ...],
    assessment: Assessment | None,
) -> str:
    lines = [f"# {_TITLE}", "", *_markdown_rows(_preamble(deployment, facts))]
    for item in items:
        lines += ["", f"## {item.number}. {item.title}", "", "### Assessment", ""]
        lines += [_assessed(item, assessment), "", "### Declarations", ""]
        lines += _markdown_rows(item.declarations)
        lines += ["", "### Measured facts", "", *_markdown_rows(item.facts)]
    signer = assessment.signed_off_by if assessment else TO_BE_COMPLETED
    lines += ["", "## Sign-off", "", f"- **Signed off by**: {signer}", "", _SIGN_OFF_NOTE]
    return "\n".join(lines) + "\n"


def _html_rows(rows: Iterable[Row]) -> str:
    cells = "".join(
        f'<tr><th scope="row">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>'
        for label, value in rows
    )
    return f"<table>{cells}</table>"


def _html_text(text: str) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [text]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def _html(
    deployment: Deployment,
    facts: AssessmentFacts,
    items: tuple[_Item, ...],
    assessment: Assessment | None,
) -> str:
    """A complete, self-contained document; every value from the deployment, the facts or the
    assessment is escaped, so a declared name cannot inject markup or script."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{html.escape(_TITLE)}: {html.escape(deployment.name)}</title></head>",
        "<body>",
        f"<h1>{html.escape(_TITLE)}</h1>",
        _html_rows(_preamble(deployment, facts)),
    ]
    for item in items:
        parts += [
            f"<section><h2>{item.number}. {html.escape(item.title)}</h2>",
            f"<h3>Assessment</h3>{_html_text(_assessed(item, assessment))}",
            f"<h3>Declarations</h3>{_html_rows(item.declarations)}",
            f"<h3>Measured facts</h3>{_html_rows(item.facts)}</section>",
        ]
    signer = assessment.signed_off_by if assessment else TO_BE_COMPLETED
    parts += [
        "<section><h2>Sign-off</h2>",
        _html_rows([("Signed off by", signer)]),
        f"<p>{html.escape(_SIGN_OFF_NOTE)}</p></section>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def render_assessment(
    deployment: Deployment,
    facts: AssessmentFacts,
    assessment: Assessment | None = None,
    *,
    fmt: Literal["markdown", "html"] = "markdown",
) -> str:
    """The impact assessment of M9 (R26) as a document to review, sign and keep.

    Each of the four items shows the signed ``assessment``'s text (or "TO BE COMPLETED"), the
    deployment's declarations and the measured facts relevant to it; then the sign-off.
    ``facts`` must have been measured for ``deployment``.
    """
    items = _items(deployment, facts)
    if fmt == "markdown":
        return _markdown(deployment, facts, items, assessment)
    if fmt == "html":
        return _html(deployment, facts, items, assessment)
    raise InvalidArgument(f"fmt must be 'markdown' or 'html', not {fmt!r}")


# ----- pre-filled draft (R26) ----------------------------------------------------------------


def _clause(text: str) -> str:
    """Declared text inside a sentence of the draft, without its own closing full stop."""
    return text.strip().rstrip(".")


def _draft_legality(deployment: Deployment, facts: AssessmentFacts) -> str:
    only = "; data serves public security only" if deployment.purposes == (PUBLIC_SECURITY,) else ""
    public = (
        f" Public security: basis {deployment.public_security_basis}; capture area "
        f"{deployment.capture_area or 'not declared'}{only}."
        if deployment.public_security_basis.strip()
        else ""
    )
    mandate = (
        f" and the legal mandate {deployment.legal_mandate}" if deployment.legal_mandate else ""
    )
    return (
        f"Purposes: {_purposes(deployment)}. Necessity: {_clause(deployment.necessity)}. "
        f"Method: {_clause(deployment.notice.method)}; {_mode(deployment)}. "
        f"Location: {label_location(deployment.location)}, not a private space.{public} "
        f"Lawful basis: each person's separate consent{mandate}; "
        f"{_count(facts.consents_granted, 'consent')} currently granted, "
        f"{_count(facts.subjects, 'person', 'people')} enrolled. "
        f"{TO_CONFIRM} the purpose cannot reasonably be achieved without facial recognition."
    )


def _draft_rights(deployment: Deployment, facts: AssessmentFacts) -> str:
    return (
        f"Impact: {_clause(deployment.notice.impact)}. Mitigation: templates kept at most "
        f"{deployment.notice.retention_days} days; alternatives offered: "
        f"{_alternatives(deployment)}; "
        f"{_count(facts.alternatives_used, 'person', 'people')} chose an alternative "
        f"({_list(facts.alternatives_by_detail)}). Withdrawal is one call and deletes the "
        f"person's face data at once ({_count(facts.consents_withdrawn, 'consent')} withdrawn "
        f"so far); rights are exercised through {_clause(deployment.notice.rights_contact)}. "
        f"{TO_CONFIRM} the remaining impact is proportionate to the purpose."
    )


def _draft_risks(deployment: Deployment, facts: AssessmentFacts) -> str:
    return (
        "Risks: leak of templates or keys, tampering with templates or the audit log, loss "
        "of the store or the master key, misuse by staff or for other purposes. "
        f"Mode: {_mode(deployment)}. "
        f"Exposure: {_count(facts.templates, 'template')} of "
        f"{_count(facts.subjects, 'person', 'people')} under "
        f"{_count(facts.data_keys, 'data key')} (master key: {_master_keys(facts)}). "
        f"Integrity incidents recorded: {facts.incidents} ({_list(facts.incidents_by_kind)}). "
        f"{TO_CONFIRM} how likely each risk is here, and what it would cost the people concerned."
    )


def _draft_safeguards(deployment: Deployment, facts: AssessmentFacts) -> str:
    retention = (
        "enforced (no expired template stored)"
        if facts.expired_templates == 0
        else f"NOT enforced: {_count(facts.expired_templates, 'expired template')} still stored"
    )
    return (
        f"Encryption: {facts.encryption}. Transform: {facts.transform}. Operating point: "
        f"{facts.operating_point.describe()}. Retention {retention}. Tamper-evident audit log: "
        f"{_count(facts.audit_entries, 'entry', 'entries')}, "
        f"{_count(facts.audit_refused, 'refusal')} ({_list(facts.refusals_by_rule)}). "
        f"{TO_CONFIRM} these measures are lawful, effective and proportionate to the risks."
    )


def prefill_assessment(deployment: Deployment, facts: AssessmentFacts) -> dict[str, str]:
    """Draft text of the four M9 items from the declarations and measured facts (R26).

    The keys are :class:`~facegate.Assessment`'s fields, so a person can review and edit the
    draft and sign it: ``Assessment(**draft, signed_off_by="...")``. facegate never signs:
    the judgement is a person's, so each item ends with a ":data:`TO_CONFIRM` ..." sentence
    that the assessor replaces with their own, and the gate refuses to record an assessment
    that still holds one (R26).
    """
    _items(deployment, facts)  # the same check that the facts are this deployment's
    return {
        "legality_and_necessity": _draft_legality(deployment, facts),
        "rights_impact": _draft_rights(deployment, facts),
        "risks": _draft_risks(deployment, facts),
        "safeguards": _draft_safeguards(deployment, facts),
    }
