"""The filing dossier (R28) as a Markdown document: one numbered section per material."""

from __future__ import annotations

from facegate.compliance.dossier import (
    AssessmentOnFile,
    DeploymentMethod,
    FilingDossier,
    ProcessingRules,
    SecurityMeasures,
)
from facegate.compliance.filing import FilingStatus
from facegate.store.operators import OperatorRecord

__all__ = ["render_dossier"]


def render_dossier(dossier: FilingDossier) -> str:
    """The dossier as Markdown, one numbered section per filing material."""
    sections = (
        _operator(dossier.operator),
        _methods(dossier.purposes_and_methods),
        _security(dossier.stored_count_and_security),
        _rules(dossier.processing_rules),
        _assessments(dossier.assessments),
        _filing(dossier.filing),
    )
    title = f"# Filing dossier: {dossier.operator.name}"
    generated = f"Generated {dossier.generated_at.isoformat()}."
    return "\n\n".join([title, generated, *sections]) + "\n"


def _operator(op: OperatorRecord) -> str:
    return "\n".join(
        ["## 1. Operator", f"- id: {op.id}", f"- name: {op.name}", f"- contact: {op.contact}"]
    )


def _methods(parts: tuple[DeploymentMethod, ...]) -> str:
    lines = ["## 2. Purposes and methods"]
    for d in parts:
        state = "active" if d.active else "inactive"
        lines += [
            f"- **{d.deployment}** ({d.location}, {d.mode}, {state}): " + ", ".join(d.purposes),
            f"  - method: {d.method}",
            f"  - necessity: {d.necessity}",
        ]
        extra = (
            ("identification justification", d.identification_justification),
            ("public security basis", d.public_security_basis),
            ("capture area", d.capture_area),
        )
        lines += [f"  - {label}: {value}" for label, value in extra if value is not None]
    return "\n".join(lines)


def _security(security: SecurityMeasures) -> str:
    return "\n".join(
        [
            "## 3. Stored count and security measures",
            f"- individuals: {security.individuals}",
            f"- templates: {security.templates}",
            f"- encryption: {security.encryption}",
            f"- transform: {security.transform}",
            f"- audit: {security.audit}",
            f"- storage: {security.storage}",
        ]
    )


def _rules(rules: tuple[ProcessingRules, ...]) -> str:
    lines = ["## 4. Processing rules and procedures"]
    for rule in rules:
        alternatives = "; ".join(a.description for a in rule.alternatives) or "none"
        lines += [
            f"- **{rule.deployment}**: kept {rule.retention_days} days; operating point: "
            f"{rule.operating_point}; alternatives: {alternatives}",
            f"  - consent: {rule.consent}",
            f"  - withdrawal and erasure: {rule.withdrawal_and_erasure}",
            f"  - rights: {rule.rights_contact}",
        ]
    return "\n".join(lines)


def _assessments(on_file: tuple[AssessmentOnFile, ...]) -> str:
    lines = ["## 5. Impact assessment"]
    for found in on_file:
        if found.assessment is None:
            lines.append(f"- **{found.deployment}**: no assessment recorded")
            continue
        current = "" if found.covers_current_notice else " (for an earlier notice version)"
        items = found.assessment
        lines.append(
            f"- **{found.deployment}**: signed off by {items.signed_off_by} at {found.signed_at}"
            + current
        )
        lines += [
            f"  - legality and necessity: {items.legality_and_necessity}",
            f"  - rights impact: {items.rights_impact}",
            f"  - risks: {items.risks}",
            f"  - safeguards: {items.safeguards}",
        ]
    return "\n".join(lines)


def _filing(filing: FilingStatus) -> str:
    lines = [
        "## Filing",
        f"- {filing.individuals:,} individuals stored: {filing.state} "
        f"(warning at {filing.warning_at:,}, filing at {filing.threshold:,})",
    ]
    if filing.deadline:
        lines.append(f"- file by: {filing.deadline}")
    for e in filing.events:
        due = f", due {e.deadline}" if e.deadline else ""
        due += " (provisional: the earliest it could be)" if e.provisional else ""
        what = f": {e.detail}" if e.detail else ""
        lines.append(
            f"- {e.kind} at {e.at.isoformat()[:16].replace('T', ' ')} UTC "
            f"({e.individuals:,} individuals){due}{what}"
        )
    return "\n".join(lines)
