"""A valid deployment to vary in the requirement tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from facegate import Alternative, Deployment, Location, Notice, Wording
from facegate.compliance.wording import DEPLOYMENT_TEXT, NOTICE_TEXT

NOTICE = Notice(
    processor_name="Example Hotel Co., Ltd.",
    processor_contact="privacy@example.com, +86 10 0000 0000",
    purposes=("hotel_check_in",),
    method="1:1 comparison of a live capture with the guest's registered template",
    retention_days=30,
    impact="Speeds up check-in; face data is kept encrypted on site for the stay only",
    rights_contact="Front desk, or privacy@example.com, to withdraw consent or erase data",
    alternatives=(Alternative("Check in at the desk with an identity document", accessible=True),),
)

NECESSITY = "Guests are verified against their registration to issue room keys"


def lobby(**changes: Any) -> Deployment:
    """A hotel-lobby check-in deployment, valid unless ``changes`` break it."""
    base: dict[str, Any] = {
        "name": "lobby",
        "location": Location.HOTEL_LOBBY,
        "purposes": ("hotel_check_in",),
        "necessity": NECESSITY,
        "notice": NOTICE,
    }
    return Deployment(**{**base, **changes})


def notice(**changes: Any) -> Notice:
    return replace(NOTICE, **changes)


# The fixtures' free text in Chinese: the notice is shown in Chinese only with its own words.
ZH = {
    NOTICE.processor_name: "示例酒店有限公司",
    NOTICE.method: "将现场采集的人脸与宾客登记的模板进行一比一比对",
    NOTICE.impact: "加快入住办理速度，人脸信息在住店期间加密保存于本地，离店后即删除",
    NOTICE.rights_contact: "前台，或发送电子邮件至 privacy@example.com，撤回同意或要求删除",
    NOTICE.alternatives[0].description: "在前台出示身份证件办理入住",
    "Use the room card sent by text message": "使用短信发送的房卡",
    NECESSITY: "核验宾客与登记信息一致后发放房卡",
    "Order of the city public security bureau No. 12": "市公安局第 12 号令",
    "Main entrance, inside the yellow line": "正门黄线以内",
    "Art. 12 of the venue safety regulation": "场馆安全规定第 12 条",
    "Returning guests": "常客",
    "Desk": "前台",
}


def translated(deployment: Deployment) -> Deployment:
    """``deployment`` with its notice's free text also in Chinese (from :data:`ZH`; a text
    missing there is a KeyError naming it, to add)."""
    declared = deployment.wording("en")
    wording = Wording(
        language="zh",
        alternatives=tuple(ZH[a] for a in declared.alternatives),
        **{
            name: ZH[getattr(declared, name)] if getattr(declared, name) else ""
            for name in (*NOTICE_TEXT, *DEPLOYMENT_TEXT)
        },
    )
    return replace(deployment, notice=replace(deployment.notice, translations=(wording,)))
