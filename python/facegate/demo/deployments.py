"""The demo hotel's deployments: 1:1 at check-in, 1:N for every guest (which the honest limits
refuse), and 1:N kept to a loyalty lounge where it is honest. Each notice carries its Chinese
text, the language it is shown in first (R6)."""

from __future__ import annotations

from facegate.accuracy import MAX_PHOTOS
from facegate.compliance.policy import Alternative, Deployment, Location, Mode, Notice
from facegate.compliance.wording import Wording

__all__ = ["CHECK_IN", "LOUNGE", "LOUNGE_MEMBERS", "check_in", "everyone", "lounge"]

CHECK_IN = "hotel_check_in"
LOUNGE = "access_control"
LOUNGE_MEMBERS = 30
"""The loyalty lounge's members: a size where 1:N is honest (FNIR 18 % with three
photographs each, measured), unlike every guest (FNIR 99.9 %)."""


def _notice(
    purpose: str, method: str, days: int, alternative: str, chinese: tuple[str, str, str]
) -> Notice:
    """The demo hotel's notice; ``chinese``: its method, alternative and the deployment's
    necessity in Chinese, the language the notice is shown in first (R6)."""
    method_zh, alternative_zh, necessity_zh = chinese
    return Notice(
        processor_name="Demo Hotel Co., Ltd.",
        processor_contact="privacy@demo-hotel.example",
        purposes=(purpose,),
        method=method,
        retention_days=days,
        impact="Faster service; face data sealed on site and deleted on request or at the "
        "end of the retention period",
        rights_contact="Front desk or privacy@demo-hotel.example",
        alternatives=(Alternative(alternative, accessible=True),),
        translations=(
            Wording(
                language="zh",
                processor_name="演示酒店有限公司",
                method=method_zh,
                impact="服务更便捷；人脸信息在本地加密保存，应要求或保存期满即删除",
                rights_contact="前台或 privacy@demo-hotel.example",
                alternatives=(alternative_zh,),
                necessity=necessity_zh,
            ),
        ),
    )


_DESK = "Check in at the front desk with an ID card"
_DESK_ZH = "在前台出示身份证件办理入住"


def check_in(location: Location = Location.HOTEL_LOBBY) -> Deployment:
    """1:1 at check-in: the capture is compared with the booking's guest only."""
    return Deployment(
        name="lobby" if location is Location.HOTEL_LOBBY else "room-412",
        location=location,
        purposes=(CHECK_IN,),
        necessity="Guests are verified against their booking to issue room keys without queueing",
        notice=_notice(
            CHECK_IN,
            "1:1 comparison with the booking guest's template",
            30,
            _DESK,
            (
                "与预订宾客的模板进行一比一比对",
                _DESK_ZH,
                "核验宾客与预订信息一致后发放房卡，无需排队",
            ),
        ),
    )


def everyone(guests: int) -> Deployment:
    """What the hotel first asked for: every guest recognised by a search of all of them."""
    return Deployment(
        name="returning-guests",
        location=Location.HOTEL_LOBBY,
        purposes=(CHECK_IN,),
        necessity="Returning guests are recognised at the kiosk without naming themselves",
        notice=_notice(
            CHECK_IN,
            "1:N search among every guest enrolled",
            30,
            _DESK,
            ("在所有已登记宾客中进行一比多检索", _DESK_ZH, "常客在自助机前无需报出姓名即可被识别"),
        ),
        mode=Mode.IDENTIFY,
        identification_justification="Returning-guest recognition requested by guests",
        expected_enrollments=guests,
    )


def lounge() -> Deployment:
    """1:N where it is honest: a small group who asked for it, with several photographs."""
    return Deployment(
        name="lounge",
        location=Location.VENUE_ENTRANCE,
        purposes=(LOUNGE,),
        necessity="Loyalty members enter the executive lounge without showing a card",
        notice=_notice(
            LOUNGE,
            "1:N search of a capture at the lounge door among the enrolled members",
            365,
            "Show the membership card at the lounge desk",
            (
                "在贵宾室门口将采集的人脸与已登记会员进行一比多检索",
                "在贵宾室前台出示会员卡",
                "会员无需出示卡片即可进入行政贵宾室",
            ),
        ),
        mode=Mode.IDENTIFY,
        identification_justification="Members asked to be recognised at the lounge door; "
        "only the members who enrolled are searched",
        expected_enrollments=LOUNGE_MEMBERS,
        enrollment_photos=MAX_PHOTOS,
    )
