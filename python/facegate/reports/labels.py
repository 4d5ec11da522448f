"""The words people read: labels of purposes and locations, and every sentence of the notice
and the sign, in English and Chinese.

Kept apart from the layout and the documents so that a translation is reviewed in one place, and
so that the notice, the sign and the assessment name purposes and locations the same way.
"""

from __future__ import annotations

from typing import Literal

from facegate.compliance.policy import Location

__all__ = [
    "LOCATION_LABELS",
    "PURPOSE_LABELS",
    "Language",
    "label_location",
    "label_purpose",
]

Language = Literal["zh", "en"]

# ----- labels --------------------------------------------------------------------------------

PURPOSE_LABELS: dict[str, tuple[str, str]] = {
    "access_control": ("Access control", "门禁通行"),
    "hotel_check_in": ("Hotel check-in", "酒店入住登记"),
    "payment": ("Payment", "刷脸支付"),
    "attendance": ("Attendance", "考勤打卡"),
    "venue_entry": ("Venue entry", "场馆入场"),
    "public_security": ("Public security", "维护公共安全"),
}
"""(English, Chinese) labels of the purposes in :data:`facegate.compliance.policy.PURPOSES`."""

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
"""(English, Chinese) labels of every :class:`~facegate.compliance.policy.Location`."""


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
    "contact": ("Contact: {0}", "联系方式：{0}"),
    "h_purposes": ("Purposes", "处理目的"),
    "h_method": ("How it works", "处理方式"),
    "verify": (
        "1:1 verification: your face is compared only with the template you registered.",
        "1:1 比对：仅将您的人脸与您本人登记的模板进行比对。",
    ),
    "identify": (
        "1:N identification: your face is searched among everyone enrolled here.",
        "1:N 识别：在此处全部已登记人员中检索您的人脸。",
    ),
    "multi_face": (
        "Frames may hold several faces; each is searched, under: {0}",
        "画面中可能有多张人脸，每张均会被检索，依据：{0}",
    ),
    "no_images": (
        "Only an encrypted face template is kept; photos are not stored.",
        "仅保存加密的人脸特征模板，不保存照片。",
    ),
    "h_place": ("Where", "处理场所"),
    "capture_area": ("Capture area: {0}", "采集区域：{0}"),
    "h_retention": ("How long it is kept", "保存期限"),
    "retention": (
        "{0} days at most, then deleted.",
        "最长 {0} 天，期满即删除。",
    ),
    "h_impact": ("Why it is needed and how it affects you", "必要性及对个人权益的影响"),
    "h_rights": ("Your rights", "您的权利"),
    "withdraw": (
        "You may withdraw your consent at any time, as easily as you gave it; your face data "
        "is then deleted at once.",
        "您可以随时撤回同意，撤回与给予同意同样便捷；撤回后，您的人脸信息将立即删除。",
    ),
    "erase": (
        "You may ask for your face data to be erased.",
        "您可以要求删除您的人脸信息。",
    ),
    "access": (
        "You may ask what data about you is held.",
        "您可以查询我们所持有的您的个人信息。",
    ),
    "rights_contact": ("To exercise these rights: {0}", "行使上述权利请联系：{0}"),
    "h_alternatives": ("If you do not want facial recognition", "不使用人脸识别的替代方式"),
    "accessible": ("{0} (accessible)", "{0}（无障碍）"),
    "mandate": (
        "Facial recognition is required here by law: {0}",
        "依据法律规定，此处须使用人脸识别：{0}",
    ),
    "h_consent": ("Your consent", "单独同意"),
    "separate": (
        "Processing your face data needs your separate consent, apart from any other terms.",
        "处理您的人脸信息须取得您的单独同意，不与其他条款捆绑。",
    ),
    "refuse": (
        "You may refuse. Refusing carries no penalty.",
        "您可以拒绝同意，拒绝不会对您产生任何不利影响。",
    ),
    "refuse_alternative": (
        "You may refuse. Refusing carries no penalty: you can use an alternative above.",
        "您可以拒绝同意，拒绝不会对您产生任何不利影响，您可以使用上述替代方式。",
    ),
    "h_public": ("Public security", "公共安全"),
    "public_basis": ("Basis: {0}", "依据：{0}"),
    "public_only": (
        "Data captured here serves public security only.",
        "此处采集的信息仅用于维护公共安全。",
    ),
    "h_version": ("Notice version", "告知书版本"),
    "deployment": ("Deployment: {0}", "应用场景：{0}"),
    "version": ("Version: {0}", "版本：{0}"),
    "sign_title": ("Facial recognition in use", "此处使用人脸识别"),
    "sign_purpose": ("Purpose: {0}", "处理目的：{0}"),
    "sign_operator": ("Operator: {0}", "处理者：{0}"),
    "sign_alternative": (
        "Without facial recognition: {0}",
        "不使用人脸识别：{0}",
    ),
    "sign_notice": ("Full notice: {0}", "完整告知书：{0}"),
    "sign_notice_default": (
        "ask staff here, or contact {0}",
        "请向现场工作人员索取，或联系 {0}",
    ),
}

_LIST_SEPARATOR = ("; ", "\u3001")
"""How items are joined on one line: "; " in English, the enumeration comma in Chinese."""


def _t(key: str, language: Language, *values: object) -> str:
    return _pick(_TEXT[key], language).format(*values)
