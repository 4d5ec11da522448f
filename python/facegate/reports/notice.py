"""The notice given before a face is processed (R6, R31) and the sign posted where faces are
captured (R24).

Both say the same things to the same people, one in full and one in short, so they share the
sentences of :mod:`facegate.reports.labels` and the layout of :mod:`facegate.reports.layout`.
"""

from __future__ import annotations

from facegate.compliance.policy import Deployment, Mode
from facegate.reports.labels import (
    _LIST_SEPARATOR,
    Language,
    _pick,
    _t,
    label_location,
    label_purpose,
)
from facegate.reports.layout import _check_language, _layout, _Section

__all__ = ["render_notice", "render_signage"]

# ----- the notice (R6, R31) ------------------------------------------------------------------


def _alternative_lines(deployment: Deployment, language: Language) -> tuple[str, ...]:
    lines = [
        _t("accessible", language, a.description) if a.accessible else a.description
        for a in deployment.alternatives
    ]
    if deployment.legal_mandate.strip():
        lines.append(_t("mandate", language, deployment.legal_mandate))
    return tuple(lines)


def _method_lines(deployment: Deployment, language: Language) -> tuple[str, ...]:
    mode = "identify" if Mode(deployment.mode) is Mode.IDENTIFY else "verify"
    return (
        _t(mode, language),
        deployment.notice.method,
        _t("no_images", language),
    )


def _place_lines(deployment: Deployment, language: Language) -> tuple[str, ...]:
    lines = [label_location(deployment.location, language)]
    if deployment.capture_area.strip():
        lines.append(_t("capture_area", language, deployment.capture_area))
    return tuple(lines)


def _rights_lines(deployment: Deployment, language: Language) -> tuple[str, ...]:
    return (
        _t("withdraw", language),
        _t("erase", language),
        _t("access", language),
        _t("rights_contact", language, deployment.notice.rights_contact),
    )


def _consent_lines(deployment: Deployment, language: Language) -> tuple[str, ...]:
    refuse = "refuse_alternative" if deployment.alternatives else "refuse"
    return (_t("separate", language), _t(refuse, language))


def _public_section(deployment: Deployment, language: Language) -> list[_Section]:
    """The public-security basis (R24); shown wherever one is declared, always in public
    places (where construction requires it)."""
    if not deployment.public_security_basis.strip():
        return []
    lines = (
        _t("public_basis", language, deployment.public_security_basis),
        _t("public_only", language),
    )
    return [_Section(_t("h_public", language), lines)]


def _notice_sections(deployment: Deployment, language: Language) -> list[_Section]:
    notice = deployment.notice
    return [
        _Section(
            _t("h_processor", language),
            (notice.processor_name, _t("contact", language, notice.processor_contact)),
        ),
        _Section(
            _t("h_purposes", language),
            tuple(label_purpose(p, language) for p in notice.purposes),
        ),
        _Section(_t("h_method", language), _method_lines(deployment, language)),
        _Section(_t("h_place", language), _place_lines(deployment, language)),
        *_public_section(deployment, language),
        _Section(_t("h_retention", language), (_t("retention", language, notice.retention_days),)),
        _Section(_t("h_impact", language), (deployment.necessity, notice.impact)),
        _Section(_t("h_rights", language), _rights_lines(deployment, language)),
        _Section(_t("h_alternatives", language), _alternative_lines(deployment, language)),
        _Section(_t("h_consent", language), _consent_lines(deployment, language)),
        _Section(
            _t("h_version", language),
            (
                _t("deployment", language, deployment.name),
                _t("version", language, notice.version[:12]),
            ),
        ),
    ]


def render_notice(
    deployment: Deployment, *, language: Language = "zh", large_print: bool = False
) -> str:
    """The notice people must be given before their face is processed (R6), as plain text.

    It names the processor and contact, purposes, method, place, retention, necessity and impact,
    the rights and how to exercise them, the alternatives (marking the accessible ones), that
    consent is separate and may be refused without penalty, and the notice version (its first
    12 hex digits), plus the capture area and public-security basis where declared.
    ``large_print`` (R31) keeps lines to 40 columns (20 CJK characters), one idea per line,
    blank lines between sections, English headings in capitals.
    """
    language = _check_language(language)
    sections = _notice_sections(deployment, language)
    return _layout(_t("title", language), sections, language, large_print)


# ----- signage (R24) -------------------------------------------------------------------------


def render_signage(
    deployment: Deployment,
    *,
    language: Language = "zh",
    large_print: bool = False,
    notice_at: str = "",
) -> str:
    """The short sign posted where faces are captured: facial recognition in use, purpose,
    operator and contact, the alternative, and where to read the full notice (``notice_at``,
    such as a URL or "at the front desk"; by default: ask staff or the operator's contact).
    Required in public places (R24), where it also shows the capture area and that the data
    serves public security only."""
    language = _check_language(language)
    notice = deployment.notice
    separator = _pick(_LIST_SEPARATOR, language)
    purposes = separator.join(label_purpose(p, language) for p in notice.purposes)
    lines = [
        _t("sign_purpose", language, purposes),
        _t("sign_operator", language, notice.processor_name),
        _t("contact", language, notice.processor_contact),
        *(_t("sign_alternative", language, a) for a in _alternative_lines(deployment, language)),
    ]
    if deployment.capture_area.strip():
        lines.append(_t("capture_area", language, deployment.capture_area))
    if deployment.public_security_basis.strip():
        lines.append(_t("public_only", language))
    where = notice_at.strip() or _t("sign_notice_default", language, notice.processor_contact)
    lines.append(_t("sign_notice", language, where))
    if large_print:
        # One idea per block, so each stands apart on a large sign.
        sections = [_Section("", (line,)) for line in lines]
    else:
        sections = [_Section("", tuple(lines))]
    return _layout(_t("sign_title", language), sections, language, large_print)
