"""R6 and R31: the notice names every element, in Chinese and English, also in large print."""

from __future__ import annotations

import re
import unicodedata

from facegate import Alternative, Location
from facegate.reports import render_notice
from tests.requirements.deployments import NOTICE, lobby, notice

ALTERNATIVES = (
    Alternative("Check in at the desk with an identity document", accessible=True),
    Alternative("Use the room card sent by text message"),
)
PUBLIC = lobby(
    location=Location.PUBLIC_PLACE,
    public_security_basis="Order of the city public security bureau No. 12",
    capture_area="Main entrance, inside the yellow line",
    signage=True,
    notice=notice(alternatives=ALTERNATIVES),
)

# What each R6 element looks like in each language; the free text is the operator's own.
COMMON = {
    "processor name": NOTICE.processor_name,
    "processor contact": NOTICE.processor_contact,
    "method": NOTICE.method,
    "impact": NOTICE.impact,
    "necessity": PUBLIC.necessity,
    "rights contact": NOTICE.rights_contact,
    "alternative": ALTERNATIVES[1].description,
    "version": NOTICE.version[:12],
    "capture area": PUBLIC.capture_area,
    "public-security basis": PUBLIC.public_security_basis,
}
ELEMENTS = {
    "en": {
        "title": "Facial recognition notice",
        "purpose": "Hotel check-in",
        "retention": "30 days",
        "withdraw": "withdraw your consent at any time",
        "erase": "face data to be erased",
        "ask what is held": "ask what data about you is held",
        "accessible alternative": f"{ALTERNATIVES[0].description} (accessible)",
        "separate consent": "separate consent",
        "refusal without penalty": "You may refuse. Refusing carries no penalty",
        "public security only": "public security only",
        "location": "Public place",
    },
    "zh": {
        "title": "人脸识别告知书",
        "purpose": "酒店入住登记",
        "retention": "30 天",
        "withdraw": "随时撤回同意",
        "erase": "要求删除您的人脸信息",
        "ask what is held": "查询我们所持有的您的个人信息",
        "accessible alternative": f"{ALTERNATIVES[0].description}（无障碍）",  # noqa: RUF001
        "separate consent": "单独同意",
        "refusal without penalty": "拒绝不会对您产生任何不利影响",
        "public security only": "仅用于维护公共安全",
        "location": "公共场所",
    },
}
HEADINGS = {
    "en": ["Purposes", "How it works", "How long it is kept", "Your rights", "Your consent"],
    "zh": ["处理目的", "处理方式", "保存期限", "您的权利", "单独同意"],
}


def test_r06_notice_renders_every_element_in_chinese_and_english() -> None:
    for language in ("en", "zh"):
        text = render_notice(PUBLIC, language=language)
        expected = {**COMMON, **ELEMENTS[language]}
        missing = [name for name, fragment in expected.items() if fragment not in text]
        assert not missing, f"{language} notice lacks {missing}:\n{text}"
        assert all(f"\n{heading}\n" in text for heading in HEADINGS[language])
        # Only the accessible alternative is marked, and the short version is shown.
        assert text.count("(accessible)" if language == "en" else "无障碍") == 1
        assert NOTICE.version not in text
    assert "人脸" not in render_notice(PUBLIC, language="en")
    # Chinese is the default, as the signs are in China.
    assert render_notice(PUBLIC) == render_notice(PUBLIC, language="zh")


def test_r06_notice_outside_public_places_has_no_public_security_section() -> None:
    text = render_notice(lobby(), language="en")
    assert "Public security" not in text and "Capture area" not in text
    assert "Hotel lobby" in text


CHINESE_NOTICE = notice(
    processor_name="示例酒店有限公司",
    impact="加快入住办理速度，人脸信息在住店期间加密保存于本地，离店后即删除",  # noqa: RUF001
    rights_contact="前台，或发送电子邮件至 privacy@example.com 撤回同意或要求删除",  # noqa: RUF001
    alternatives=(Alternative("在前台出示身份证件办理入住", accessible=True),),
)


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z0-9@.,;:+'()-]+", text)}


def test_r31_large_print_notice_has_short_lines() -> None:
    for deployment in (PUBLIC, lobby(notice=CHINESE_NOTICE)):
        english = render_notice(deployment, language="en", large_print=True)
        chinese = render_notice(deployment, language="zh", large_print=True)
        # At most 40 characters in English, 20 CJK characters (40 columns) in Chinese.
        assert max(len(line) for line in english.splitlines()) <= 40
        assert max(_columns(line) for line in chinese.splitlines()) <= 40
        for line in chinese.splitlines():
            cjk = [c for c in line if unicodedata.east_asian_width(c) in "WF"]
            assert len(cjk) <= 20, line
            # Chinese breaks between characters, never before closing punctuation.
            assert not line.startswith(("\uff0c", "\u3002", "\u3001", "\uff1b", "\uff09"))
        # Never mid-word: every word of a large-print line is a word of the normal notice.
        normal = {
            english: _words(render_notice(deployment, language="en")),
            chinese: _words(render_notice(deployment, language="zh")),
        }
        for text, words in normal.items():
            assert _words(text) <= words, _words(text) - words
        # Headings in capitals, each section after a blank line, plain text only.
        assert "\n\nYOUR RIGHTS\n" in english and "\n\nYOUR CONSENT\n" in english
        assert english.startswith("FACIAL RECOGNITION NOTICE\n\n")
        assert "\n\n您的权利\n" in chinese
        for text in (english, chinese):
            assert not re.search(r"[<>*#_`|]|^- ", text, re.MULTILINE)
            assert "\n\n\n" not in text
    # The phone number's groups stay together, to be read out whole.
    english = render_notice(PUBLIC, language="en", large_print=True)
    assert "+86 10 0000 0000" in english.splitlines()
