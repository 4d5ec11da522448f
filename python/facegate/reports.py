"""The documents a deployment must show or keep: notice, signage, impact assessment.

- :func:`render_notice` is the notice of R6 (M5, PIPL 17/30) as plain text in Chinese or English,
  optionally in large print (R31): short lines, one idea per line, no markup, so that it can be
  printed big, shown on a screen or read aloud by a screen reader.
- :func:`render_signage` is the short sign posted where faces are captured (required in public
  places, R24, and useful everywhere).
- :func:`measure` reads what a deployment actually holds and did from the store, and
  :func:`render_assessment` / :func:`prefill_assessment` turn those facts and the deployment's
  declarations into the personal-information impact assessment of M9 (R26): facegate pre-fills
  it, a person edits and signs it.

Free text the operator declared (processor name, method, impact, alternatives...) is shown as
written: facegate translates only its own labels, so an operator who serves both languages should
write those fields in both.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from facegate.errors import InvalidArgument
from facegate.policy import Deployment, Location, Mode
from facegate.registry import Assessment, Registry
from facegate.store import Store

__all__ = [
    "ENCRYPTION",
    "LOCATION_LABELS",
    "PURPOSE_LABELS",
    "TO_BE_COMPLETED",
    "TRANSFORM",
    "AssessmentFacts",
    "Language",
    "label_location",
    "label_purpose",
    "measure",
    "prefill_assessment",
    "render_assessment",
    "render_notice",
    "render_signage",
]

Language = Literal["zh", "en"]

ENCRYPTION = "AES-256-GCM-SIV, per-subject data keys wrapped by a master key held outside the store"
"""How templates are sealed at rest (R17); stated in the assessment's risk and safeguard items."""

TRANSFORM = "per-deployment secret orthogonal rotation, renewable"
"""How templates are made unlinkable and renewable before sealing (R18)."""

TO_BE_COMPLETED = "TO BE COMPLETED"
"""What an unsigned assessment shows where a person still has to write or sign."""

LARGE_PRINT_WIDTH = 40
"""Large-print line width in display columns: 40 Latin characters or 20 CJK characters (R31)."""

# ----- labels --------------------------------------------------------------------------------

PURPOSE_LABELS: dict[str, tuple[str, str]] = {
    "access_control": ("Access control", "门禁通行"),
    "hotel_check_in": ("Hotel check-in", "酒店入住登记"),
    "payment": ("Payment", "刷脸支付"),
    "attendance": ("Attendance", "考勤打卡"),
    "venue_entry": ("Venue entry", "场馆入场"),
}
"""(English, Chinese) labels of the purposes in :data:`facegate.policy.PURPOSES`."""

LOCATION_LABELS: dict[str, tuple[str, str]] = {
    Location.HOTEL_GUEST_ROOM: ("Hotel guest room", "酒店客房"),
    Location.PUBLIC_BATHHOUSE: ("Public bathhouse", "公共浴室"),
    Location.BATHROOM: ("Bathroom", "卫生间"),
    Location.CHANGING_ROOM: ("Changing room", "更衣室"),
    Location.PUBLIC_TOILET: ("Public toilet", "公共厕所"),
    Location.HOTEL_LOBBY: ("Hotel lobby", "酒店大堂"),
    Location.OFFICE_ENTRANCE: ("Office entrance", "办公场所出入口"),
    Location.RESIDENTIAL_ENTRANCE: ("Residential entrance", "住宅小区出入口"),
    Location.VENUE_ENTRANCE: ("Venue entrance", "场馆入口"),
    Location.PAYMENT_COUNTER: ("Payment counter", "收银台"),
    Location.PUBLIC_PLACE: ("Public place", "公共场所"),
}
"""(English, Chinese) labels of every :class:`~facegate.policy.Location`."""


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[1] if language == "zh" else pair[0]


def label_purpose(purpose: str, language: Language = "en") -> str:
    """A purpose as people read it; a purpose added by configuration shows as its id."""
    pair = PURPOSE_LABELS.get(purpose)
    return _pick(pair, language) if pair else purpose


def label_location(location: str, language: Language = "en") -> str:
    """A location type as people read it; falls back to the id."""
    pair = LOCATION_LABELS.get(str(location))
    return _pick(pair, language) if pair else str(location)


# ----- the notice's and the sign's sentences -------------------------------------------------
# One (English, Chinese) pair per sentence, filled in with str.format. The Chinese keeps its
# full-width punctuation, which ruff would otherwise take for look-alikes of ASCII.

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Facial recognition notice", "人脸识别告知书"),
    "h_processor": ("Who processes your face data", "个人信息处理者"),
    "contact": ("Contact: {0}", "联系方式：{0}"),  # noqa: RUF001
    "h_purposes": ("Purposes", "处理目的"),
    "h_method": ("How it works", "处理方式"),
    "verify": (
        "1:1 verification: your face is compared only with the template you registered.",
        "1:1 比对：仅将您的人脸与您本人登记的模板进行比对。",  # noqa: RUF001
    ),
    "identify": (
        "1:N identification: your face is searched among everyone enrolled here.",
        "1:N 识别：在此处全部已登记人员中检索您的人脸。",  # noqa: RUF001
    ),
    "no_images": (
        "Only an encrypted face template is kept; photos are not stored.",
        "仅保存加密的人脸特征模板，不保存照片。",  # noqa: RUF001
    ),
    "h_place": ("Where", "处理场所"),
    "capture_area": ("Capture area: {0}", "采集区域：{0}"),  # noqa: RUF001
    "h_retention": ("How long it is kept", "保存期限"),
    "retention": (
        "{0} days at most, then deleted.",
        "最长 {0} 天，期满即删除。",  # noqa: RUF001
    ),
    "h_impact": ("Why it is needed and how it affects you", "必要性及对个人权益的影响"),
    "h_rights": ("Your rights", "您的权利"),
    "withdraw": (
        "You may withdraw your consent at any time, as easily as you gave it; your face data "
        "is then deleted at once.",
        "您可以随时撤回同意，撤回与给予同意同样便捷；撤回后，您的人脸信息将立即删除。",  # noqa: RUF001
    ),
    "erase": (
        "You may ask for your face data to be erased.",
        "您可以要求删除您的人脸信息。",
    ),
    "access": (
        "You may ask what data about you is held.",
        "您可以查询我们所持有的您的个人信息。",
    ),
    "rights_contact": ("To exercise these rights: {0}", "行使上述权利请联系：{0}"),  # noqa: RUF001
    "h_alternatives": ("If you do not want facial recognition", "不使用人脸识别的替代方式"),
    "accessible": ("{0} (accessible)", "{0}（无障碍）"),  # noqa: RUF001
    "mandate": (
        "Facial recognition is required here by law: {0}",
        "依据法律规定，此处须使用人脸识别：{0}",  # noqa: RUF001
    ),
    "h_consent": ("Your consent", "单独同意"),
    "separate": (
        "Processing your face data needs your separate consent, apart from any other terms.",
        "处理您的人脸信息须取得您的单独同意，不与其他条款捆绑。",  # noqa: RUF001
    ),
    "refuse": (
        "You may refuse. Refusing carries no penalty.",
        "您可以拒绝同意，拒绝不会对您产生任何不利影响。",  # noqa: RUF001
    ),
    "refuse_alternative": (
        "You may refuse. Refusing carries no penalty: you can use an alternative above.",
        "您可以拒绝同意，拒绝不会对您产生任何不利影响，您可以使用上述替代方式。",  # noqa: RUF001
    ),
    "h_public": ("Public security", "公共安全"),
    "public_basis": ("Basis: {0}", "依据：{0}"),  # noqa: RUF001
    "public_only": (
        "Data captured here serves public security only.",
        "此处采集的信息仅用于维护公共安全。",
    ),
    "h_version": ("Notice version", "告知书版本"),
    "deployment": ("Deployment: {0}", "应用场景：{0}"),  # noqa: RUF001
    "version": ("Version: {0}", "版本：{0}"),  # noqa: RUF001
    "sign_title": ("Facial recognition in use", "此处使用人脸识别"),
    "sign_purpose": ("Purpose: {0}", "处理目的：{0}"),  # noqa: RUF001
    "sign_operator": ("Operator: {0}", "处理者：{0}"),  # noqa: RUF001
    "sign_alternative": (
        "Without facial recognition: {0}",
        "不使用人脸识别：{0}",  # noqa: RUF001
    ),
    "sign_notice": ("Full notice: {0}", "完整告知书：{0}"),  # noqa: RUF001
    "sign_notice_default": (
        "ask staff here, or contact {0}",
        "请向现场工作人员索取，或联系 {0}",  # noqa: RUF001
    ),
}

_LIST_SEPARATOR = ("; ", "\u3001")
"""How items are joined on one line: "; " in English, the enumeration comma in Chinese."""


def _t(key: str, language: Language, *values: object) -> str:
    return _pick(_TEXT[key], language).format(*values)


# ----- plain-text layout ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    """A heading (may be empty) and its lines, one idea each."""

    heading: str
    lines: tuple[str, ...]


_CJK = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
"""Whitespace, one CJK character, or a run of other characters (a word, kept whole)."""

_NO_LINE_START = frozenset(
    "\uff0c\u3002\u3001\uff1b\uff1a\uff01\uff1f\uff09\u300d\u300f\u300b\u3009\u3011\u2026"
)
"""Closing punctuation (full-width comma, full stop, colon, closing brackets...) that a line must
not start with: it stays with the character before it."""

_NO_LINE_END = frozenset("\uff08\u300c\u300e\u300a\u3008\u3010")
"""Opening brackets that a line must not end with: they stay with what follows."""


def _width(text: str) -> int:
    """Display columns: a wide (CJK) character takes two, so 40 columns hold 20 of them."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NUMBER_END = re.compile(r"(?:^|\s)\+?\d[\d-]*$")
_NUMBER_GROUP = re.compile(r"\d[\d-]*[,;.]?$")


def _glued(previous: str, token: str, space: bool) -> str | None:
    """``previous`` and ``token`` as one unbreakable unit, or None where a line may break:
    closing punctuation stays after its character, opening brackets before theirs, and the
    groups of a phone number ("+86 10 0000 0000") stay on one line to be read out whole."""
    if not space and (token[0] in _NO_LINE_START or previous[-1] in _NO_LINE_END):
        return previous + token
    if space and _NUMBER_END.search(previous) and _NUMBER_GROUP.match(token):
        return f"{previous} {token}"
    return None


def _units(text: str) -> list[tuple[bool, str]]:
    """The pieces a line may be broken between, each with whether a space preceded it: Latin
    words whole, CJK characters one by one, punctuation and numbers glued (:func:`_glued`)."""
    units: list[tuple[bool, str]] = []
    space = False
    for token in _TOKENS.findall(text):
        if token.isspace():
            space = True
            continue
        glued = _glued(units[-1][1], token, space) if units else None
        if glued is None:
            units.append((space, token))
        else:
            units[-1] = (units[-1][0], glued)
        space = False
    return units


def _wrap(text: str, width: int = LARGE_PRINT_WIDTH) -> list[str]:
    """Greedy wrap to ``width`` display columns, breaking only between words (Latin) or between
    characters (CJK). A single word wider than the line (a long e-mail address or URL) keeps a
    line of its own rather than being cut: a broken address is a wrong address."""
    lines: list[str] = []
    line = ""
    for space, unit in _units(text):
        joined = f"{line}{' ' if space and line else ''}{unit}"
        if line and _width(joined) > width:
            lines.append(line)
            line = unit
        else:
            line = joined
    if line:
        lines.append(line)
    return lines


def _heading(text: str, language: Language, large_print: bool) -> list[str]:
    if not text:
        return []
    if not large_print:
        return [text]
    return _wrap(text.upper() if language == "en" else text)


def _layout(title: str, sections: Iterable[_Section], language: Language, large_print: bool) -> str:
    """Plain text: the title, then each section with a blank line before it. Large print wraps
    every line to :data:`LARGE_PRINT_WIDTH` and drops the bullets; English headings are in
    capitals so they stand out without markup."""
    blocks = ["\n".join(_heading(title, language, large_print))]
    for section in sections:
        lines = _heading(section.heading, language, large_print)
        for line in section.lines:
            if large_print:
                lines.extend(_wrap(line))
            else:
                lines.append(f"- {line}" if section.heading else line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _check_language(language: str) -> Language:
    if language not in ("zh", "en"):
        raise InvalidArgument(f"language must be 'zh' or 'en', not {language!r}")
    return "zh" if language == "zh" else "en"


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


# ----- impact assessment facts (R26) ---------------------------------------------------------

Counts = tuple[tuple[str, int], ...]
"""(key, count) pairs, most frequent first: an immutable mapping (``dict(counts)``)."""


@dataclass(frozen=True, slots=True)
class AssessmentFacts:
    """What one deployment holds and did, measured from the store, for its impact assessment.

    The assessment must rest on facts, not only on declarations (R26): these show whether
    retention is enforced, how often the gate refused and why, whether people use the
    alternatives, and which keys and incidents exist.

    Attributes:
        deployment: the deployment's id.
        measured_at: when the store was read (UTC).
        templates: sealed templates stored for the deployment.
        subjects: distinct subjects those templates belong to.
        consents_granted, consents_withdrawn: subjects whose latest consent event for the
            deployment is a grant / a withdrawal (erased subjects have no events left).
        data_keys: data keys of the subjects with templates here (keys are per subject).
        data_keys_oldest, data_keys_newest: their creation times (None without keys).
        master_key_ids: the master keys wrapping them.
        retention_days: the notice's retention period.
        expired_templates: templates past expiry still stored (0: retention is enforced).
        audit_entries, audit_allowed, audit_refused: the deployment's audit entries, in all
            and by outcome (allowed: anything not refused).
        refusals_by_rule: refused entries by the rule that refused them.
        alternatives_used: recorded declines (a person chose an alternative, R11).
        alternatives_by_detail: those declines by the alternative chosen.
        incidents: integrity incidents of the deployment or of the whole store (R22).
        incidents_by_kind: those incidents by kind.
        encryption, transform: the protection of templates at rest (R17, R18).
    """

    deployment: str
    measured_at: datetime
    templates: int
    subjects: int
    consents_granted: int
    consents_withdrawn: int
    data_keys: int
    data_keys_oldest: datetime | None
    data_keys_newest: datetime | None
    master_key_ids: tuple[str, ...]
    retention_days: int
    expired_templates: int
    audit_entries: int
    audit_allowed: int
    audit_refused: int
    refusals_by_rule: Counts
    alternatives_used: int
    alternatives_by_detail: Counts
    incidents: int
    incidents_by_kind: Counts
    encryption: str = ENCRYPTION
    transform: str = TRANSFORM


def _counts(rows: list[tuple[object, ...]]) -> Counts:
    pairs = [(str(key), int(str(count))) for key, count in rows]
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def _count(store: Store, sql: str, params: tuple[object, ...]) -> int:
    return int(str(store.query(sql, params)[0][0]))


def _utc(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise InvalidArgument("times must be timezone-aware (for example datetime.now(UTC))")
    return moment.astimezone(UTC)


def _time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _template_facts(store: Store, deployment: str, now: datetime) -> tuple[int, int, int]:
    """(templates, distinct subjects, templates past expiry at ``now``)."""
    templates, subjects = store.query(
        "SELECT COUNT(*), COUNT(DISTINCT subject_id) FROM templates WHERE deployment_id = ?",
        (deployment,),
    )[0]
    expired = _count(
        store,
        "SELECT COUNT(*) FROM templates WHERE deployment_id = ? AND expires_at <= ?",
        (deployment, now.isoformat()),
    )
    return int(str(templates)), int(str(subjects)), expired


def _consent_facts(store: Store, deployment: str) -> tuple[int, int]:
    """(granted, withdrawn) now: the latest event of each subject for the deployment decides."""
    kinds = dict(
        _counts(
            store.query(
                "SELECT kind, COUNT(*) FROM consent_events e WHERE deployment_id = ? AND seq = "
                "(SELECT MAX(seq) FROM consent_events WHERE subject_id = e.subject_id AND "
                "deployment_id = e.deployment_id) GROUP BY kind",
                (deployment,),
            )
        )
    )
    return kinds.get("granted", 0), kinds.get("withdrawn", 0)


@dataclass(frozen=True, slots=True)
class _Keys:
    count: int
    oldest: datetime | None
    newest: datetime | None
    masters: tuple[str, ...]


def _key_facts(store: Store, deployment: str) -> _Keys:
    """Data keys are per subject, shared across deployments: those of the subjects with
    templates here are the ones this deployment's data depends on."""
    holders = "subject_id IN (SELECT subject_id FROM templates WHERE deployment_id = ?)"
    count, oldest, newest = store.query(
        f"SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM data_keys WHERE {holders}",
        (deployment,),
    )[0]
    masters = store.query(
        f"SELECT DISTINCT master_key_id FROM data_keys WHERE {holders} ORDER BY master_key_id",
        (deployment,),
    )
    return _Keys(
        int(str(count)), _time(oldest), _time(newest), tuple(str(row[0]) for row in masters)
    )


def _audit_totals(store: Store, deployment: str) -> tuple[int, int]:
    """(entries, refused) of the deployment's audit entries."""
    total, refused = store.query(
        "SELECT COUNT(*), COALESCE(SUM(outcome = 'refused'), 0) FROM audit WHERE deployment_id = ?",
        (deployment,),
    )[0]
    return int(str(total)), int(str(refused))


def _refusals(store: Store, deployment: str) -> Counts:
    return _counts(
        store.query(
            "SELECT rule, COUNT(*) FROM audit WHERE deployment_id = ? AND outcome = 'refused' "
            "GROUP BY rule",
            (deployment,),
        )
    )


def _declines(store: Store, deployment: str) -> Counts:
    """Alternatives people chose (R11), by the alternative; a decline that was itself refused
    is not an alternative used."""
    return _counts(
        store.query(
            "SELECT COALESCE(detail, ''), COUNT(*) FROM audit WHERE deployment_id = ? "
            "AND action = 'decline' AND outcome != 'refused' GROUP BY detail",
            (deployment,),
        )
    )


def _incidents(store: Store, deployment: str) -> Counts:
    """Incidents of this deployment and of the whole store (a broken audit chain belongs to no
    one deployment but undermines the evidence of all), by kind."""
    return _counts(
        store.query(
            "SELECT kind, COUNT(*) FROM incidents WHERE deployment_id = ? "
            "OR deployment_id IS NULL GROUP BY kind",
            (deployment,),
        )
    )


def measure(store: Store, deployment: str, *, now: datetime | None = None) -> AssessmentFacts:
    """Measures the facts of ``deployment`` in ``store`` at ``now`` (default: the current time,
    which decides which templates count as expired). Raises UnknownId for an unknown
    deployment. Reads only; the store is not changed."""
    moment = _utc(now)
    declared = Registry(store).deployment(deployment)
    templates, subjects, expired = _template_facts(store, deployment, moment)
    granted, withdrawn = _consent_facts(store, deployment)
    keys = _key_facts(store, deployment)
    entries, refused = _audit_totals(store, deployment)
    declines = _declines(store, deployment)
    incidents = _incidents(store, deployment)
    return AssessmentFacts(
        deployment=deployment,
        measured_at=moment,
        templates=templates,
        subjects=subjects,
        consents_granted=granted,
        consents_withdrawn=withdrawn,
        data_keys=keys.count,
        data_keys_oldest=keys.oldest,
        data_keys_newest=keys.newest,
        master_key_ids=keys.masters,
        retention_days=declared.notice.retention_days,
        expired_templates=expired,
        audit_entries=entries,
        audit_allowed=entries - refused,
        audit_refused=refused,
        refusals_by_rule=_refusals(store, deployment),
        alternatives_used=sum(count for _, count in declines),
        alternatives_by_detail=declines,
        incidents=sum(count for _, count in incidents),
        incidents_by_kind=incidents,
    )


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


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "none"


def _purposes(deployment: Deployment) -> str:
    return ", ".join(f"{label_purpose(p)} ({p})" for p in deployment.purposes)


def _mode(deployment: Deployment) -> str:
    if Mode(deployment.mode) is Mode.IDENTIFY:
        return f"1:N identification, justified by: {deployment.identification_justification}"
    return "1:1 verification of a claimed identity (the least intrusive mode)"


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
        ("Match threshold", f"{deployment.threshold} (Euclidean distance)"),
    )
    measured = (
        ("Encryption at rest", facts.encryption),
        ("Template transform", facts.transform),
        ("Data keys", str(facts.data_keys)),
        ("Oldest data key", _when(facts.data_keys_oldest)),
        ("Newest data key", _when(facts.data_keys_newest)),
        ("Master keys in use", ", ".join(facts.master_key_ids) or "none"),
        ("Integrity incidents", str(facts.incidents)),
        ("Incidents by kind", _list(facts.incidents_by_kind)),
    )
    title = "Risks of leaks, tampering, loss and misuse"
    return _Item(3, title, "risks", declarations, measured)


def _safeguards_item(deployment: Deployment, facts: AssessmentFacts) -> _Item:
    retention = "enforced" if facts.expired_templates == 0 else "NOT enforced: purge needed"
    declarations = (
        ("Threshold governance", f"match threshold {deployment.threshold}"),
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
    "The assessment covers the current notice version only: a change of purpose, method or "
    "retention, or a major incident, requires a new one (R26). Keep it at least three years "
    "(R21)."
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
    public = (
        f" Public place: basis {deployment.public_security_basis}; capture area "
        f"{deployment.capture_area}; data serves public security only."
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
        f"Lawful basis: each person's separate consent{mandate}; {facts.consents_granted} consents "
        f"currently granted for {facts.subjects} people enrolled. "
        "To confirm: the purpose cannot reasonably be achieved without facial recognition."
    )


def _draft_rights(deployment: Deployment, facts: AssessmentFacts) -> str:
    return (
        f"Impact: {_clause(deployment.notice.impact)}. Mitigation: templates kept at most "
        f"{deployment.notice.retention_days} days; alternatives offered: "
        f"{_alternatives(deployment)}; {facts.alternatives_used} people chose an alternative "
        f"({_list(facts.alternatives_by_detail)}). Withdrawal is one call and deletes the "
        f"person's face data at once ({facts.consents_withdrawn} withdrawn so far); rights are "
        f"exercised through {_clause(deployment.notice.rights_contact)}."
    )


def _draft_risks(deployment: Deployment, facts: AssessmentFacts) -> str:
    return (
        "Risks: leak of templates or keys, tampering with templates or the audit log, loss "
        "of the store or the master key, misuse by staff or for other purposes. "
        f"Mode: {_mode(deployment)}. "
        f"Exposure: {facts.templates} templates of {facts.subjects} people under "
        f"{facts.data_keys} data keys (master keys: {', '.join(facts.master_key_ids) or 'none'}). "
        f"Integrity incidents recorded: {facts.incidents} ({_list(facts.incidents_by_kind)})."
    )


def _draft_safeguards(deployment: Deployment, facts: AssessmentFacts) -> str:
    retention = (
        "enforced (no expired template stored)"
        if facts.expired_templates == 0
        else f"NOT enforced: {facts.expired_templates} expired templates still stored"
    )
    return (
        f"Encryption: {facts.encryption}. Transform: {facts.transform}. Match threshold "
        f"{deployment.threshold}. Retention {retention}. Tamper-evident audit log: "
        f"{facts.audit_entries} entries, {facts.audit_refused} refusals "
        f"({_list(facts.refusals_by_rule)}). "
        "To confirm: these measures are lawful, effective and proportionate to the risks."
    )


def prefill_assessment(deployment: Deployment, facts: AssessmentFacts) -> dict[str, str]:
    """Draft text of the four M9 items from the declarations and measured facts (R26).

    The keys are :class:`~facegate.registry.Assessment`'s fields, so a person can review and
    edit the draft and sign it: ``Assessment(**draft, signed_off_by="...")``. facegate never
    signs: the judgement is a person's.
    """
    _items(deployment, facts)  # the same check that the facts are this deployment's
    return {
        "legality_and_necessity": _draft_legality(deployment, facts),
        "rights_impact": _draft_rights(deployment, facts),
        "risks": _draft_risks(deployment, facts),
        "safeguards": _draft_safeguards(deployment, facts),
    }
