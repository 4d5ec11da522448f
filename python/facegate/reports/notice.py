"""The notice given before a face is processed (R6, R31) and the sign posted where faces are
captured (R24).

Both say the same things to the same people, one in full and one in short, so they share the
sentences of :mod:`facegate.reports.labels` and the layout of :mod:`facegate.reports.layout`.
The deployment's free text comes in the language rendered (:meth:`Deployment.wording`): one
with no text in that language is refused (R6), never shown in another.
"""

from __future__ import annotations

from facegate.compliance.policy import PUBLIC_SECURITY, Deployment, Mode
from facegate.compliance.wording import Wording
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


def _alternative_lines(
    deployment: Deployment, text: Wording, language: Language
) -> tuple[str, ...]:
    lines = [
        _t("accessible", language, described) if offered.accessible else described
        for offered, described in zip(deployment.alternatives, text.alternatives, strict=True)
    ]
    if text.legal_mandate.strip():
        lines.append(_t("mandate", language, text.legal_mandate))
    return tuple(lines)


def _method_lines(deployment: Deployment, text: Wording, language: Language) -> tuple[str, ...]:
    mode = "identify" if deployment.mode is Mode.IDENTIFY else "verify"
    several = (
        [_t("multi_face", language, text.multi_face_basis)] if text.multi_face_basis.strip() else []
    )
    return (_t(mode, language), *several, text.method, _t("no_images", language))


def _public_only(deployment: Deployment) -> bool:
    """Whether the data serves public security only (always so in a public place, R24), which
    the notice and the sign may then say."""
    return set(deployment.purposes) == {PUBLIC_SECURITY}


def _place_lines(deployment: Deployment, text: Wording, language: Language) -> tuple[str, ...]:
    lines = [label_location(deployment.location, language)]
    if text.capture_area.strip():
        lines.append(_t("capture_area", language, text.capture_area))
    return tuple(lines)


def _rights_lines(text: Wording, language: Language) -> tuple[str, ...]:
    return (
        _t("withdraw", language),
        _t("erase", language),
        _t("access", language),
        _t("rights_contact", language, text.rights_contact),
    )


def _consent_lines(deployment: Deployment, language: Language) -> tuple[str, ...]:
    refuse = "refuse_alternative" if deployment.alternatives else "refuse"
    return (_t("separate", language), _t(refuse, language))


def _public_section(deployment: Deployment, text: Wording, language: Language) -> list[_Section]:
    """The public-security basis (R24); shown wherever one is declared, always in public
    places (where construction requires it)."""
    if not text.public_security_basis.strip():
        return []
    lines = [_t("public_basis", language, text.public_security_basis)]
    if _public_only(deployment):
        lines.append(_t("public_only", language))
    return [_Section(_t("h_public", language), tuple(lines))]


def _notice_sections(deployment: Deployment, language: Language) -> list[_Section]:
    notice, text = deployment.notice, deployment.wording(language)
    return [
        _Section(
            _t("h_processor", language),
            (text.processor_name, _t("contact", language, notice.processor_contact)),
        ),
        _Section(
            _t("h_purposes", language),
            tuple(label_purpose(p, language) for p in notice.purposes),
        ),
        _Section(_t("h_method", language), _method_lines(deployment, text, language)),
        _Section(_t("h_place", language), _place_lines(deployment, text, language)),
        *_public_section(deployment, text, language),
        _Section(_t("h_retention", language), (_t("retention", language, notice.retention_days),)),
        _Section(_t("h_impact", language), (text.necessity, text.impact)),
        _Section(_t("h_rights", language), _rights_lines(text, language)),
        _Section(_t("h_alternatives", language), _alternative_lines(deployment, text, language)),
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
    blank lines between sections, English headings in capitals. The free text is the
    deployment's in ``language`` (IncompleteNotice, R6, if it has none in that language).
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
    notice, text = deployment.notice, deployment.wording(language)
    separator = _pick(_LIST_SEPARATOR, language)
    purposes = separator.join(label_purpose(p, language) for p in notice.purposes)
    offered = _alternative_lines(deployment, text, language)
    lines = [
        _t("sign_purpose", language, purposes),
        _t("sign_operator", language, text.processor_name),
        _t("contact", language, notice.processor_contact),
        *(_t("sign_alternative", language, a) for a in offered),
    ]
    if text.capture_area.strip():
        lines.append(_t("capture_area", language, text.capture_area))
    if _public_only(deployment):
        lines.append(_t("public_only", language))
    where = notice_at.strip() or _t("sign_notice_default", language, notice.processor_contact)
    lines.append(_t("sign_notice", language, where))
    if large_print:
        # One idea per block, so each stands apart on a large sign.
        sections = [_Section("", (line,)) for line in lines]
    else:
        sections = [_Section("", tuple(lines))]
    return _layout(_t("sign_title", language), sections, language, large_print)
