"""The deployments ``facegate deployment example`` prints, to edit into one's own: 1:1 at
check-in, and (``--identify``) 1:N declared honestly. Each carries its notice's text in Chinese
too, since the notice is shown in Chinese by default and never in a language it has no text in
(R6)."""

from __future__ import annotations

import argparse
from typing import Any

from facegate.accuracy import MAX_PHOTOS
from facegate.errors import InvalidArgument

__all__ = ["IDENTIFICATION", "MEMBERS", "VERIFICATION", "definition"]

VERIFICATION: dict[str, Any] = {
    "name": "lobby",
    "location": "hotel_lobby",
    "purposes": ["hotel_check_in"],
    "necessity": "Guests are verified against their registration to issue room keys",
    "mode": "verify",
    "target_fmr": 0.001,
    "notice": {
        "processor_name": "Example Hotel Co., Ltd.",
        "processor_contact": "privacy@example.com",
        "purposes": ["hotel_check_in"],
        "method": "1:1 comparison of a live capture with the guest's registered template",
        "retention_days": 30,
        "impact": "Faster check-in; face data is kept encrypted on site for the stay only",
        "rights_contact": "Front desk, or privacy@example.com",
        "alternatives": [
            {"description": "Check in at the desk with an identity document", "accessible": True}
        ],
        "language": "en",
        "translations": [
            {
                "language": "zh",
                "processor_name": "示例酒店有限公司",
                "method": "将现场采集的人脸与宾客本人登记的模板进行一比一比对",
                "impact": "加快入住办理；人脸信息仅在住店期间加密保存于本地",
                "rights_contact": "前台，或发送电子邮件至 privacy@example.com",
                "alternatives": ["在前台出示身份证件办理入住"],
                "necessity": "核验宾客与登记信息一致后发放房卡",
            }
        ],
    },
}
"""1:1 verification at check-in, the least intrusive mode (R3)."""

MEMBERS = 100
"""The size the 1:N example expects: a loyalty programme's members, not every guest."""

IDENTIFICATION: dict[str, Any] = {
    "name": "lounge",
    "location": "venue_entrance",
    "purposes": ["access_control"],
    "necessity": "Loyalty members enter the executive lounge without showing a card",
    "mode": "identify",
    "identification_justification": "Members asked to be recognised at the lounge door without "
    "naming themselves; only the members who enrolled are searched, never other guests",
    "expected_enrollments": MEMBERS,
    "enrollment_photos": MAX_PHOTOS,
    "target_fpir": 0.003,
    "max_fnir": 0.5,
    "notice": {
        "processor_name": "Example Hotel Co., Ltd.",
        "processor_contact": "privacy@example.com",
        "purposes": ["access_control"],
        "method": "1:N search of a capture at the lounge door among the enrolled members' "
        "templates",
        "retention_days": 365,
        "impact": "Members enter without a card; face data is kept encrypted on site while "
        "the membership lasts and deleted on request",
        "rights_contact": "Lounge desk, or privacy@example.com",
        "alternatives": [
            {"description": "Show the membership card at the lounge desk", "accessible": True}
        ],
        "language": "en",
        "translations": [
            {
                "language": "zh",
                "processor_name": "示例酒店有限公司",
                "method": "在贵宾室门口将采集的人脸与已登记会员的模板进行一比多检索",
                "impact": "会员无需出示会员卡即可进入；人脸信息在会员期内加密保存于本地，"
                "可随时要求删除",
                "rights_contact": "贵宾室前台，或发送电子邮件至 privacy@example.com",
                "alternatives": ["在贵宾室前台出示会员卡"],
                "necessity": "会员无需出示卡片即可进入行政贵宾室",
            }
        ],
    },
}
"""1:N declared honestly: a justification (R3), the size it expects and the photographs per
person, at which the honest limits let it run (R5)."""


def definition(args: argparse.Namespace) -> dict[str, Any]:
    """The example the options ask for (``--identify``, ``--expected``, ``--photos``)."""
    if not args.identify:
        return VERIFICATION
    expected, photos = args.expected, args.photos
    if expected < 1 or not 1 <= photos <= MAX_PHOTOS:
        raise InvalidArgument(
            f"--expected is at least 1 and --photos from 1 to {MAX_PHOTOS}, not "
            f"{expected} and {photos}"
        )
    return IDENTIFICATION | {"expected_enrollments": expected, "enrollment_photos": photos}
