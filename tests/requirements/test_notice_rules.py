"""R6 and R31: the notice names every element, in Chinese and English, also in large print."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace

import pytest

from facegate import Alternative, Location, Wording
from facegate.compliance.registry import deployment_from_dict
from facegate.errors import IncompleteNotice, InvalidArgument
from facegate.reports import render_notice, render_signage
from tests.requirements.deployments import NOTICE, ZH, lobby, notice, translated

ALTERNATIVES = (
    Alternative("Check in at the desk with an identity document", accessible=True),
    Alternative("Use the room card sent by text message"),
)
PUBLIC = translated(
    lobby(
        location=Location.PUBLIC_PLACE,
        purposes=("public_security",),
        public_security_basis="Order of the city public security bureau No. 12",
        capture_area="Main entrance, inside the yellow line",
        signage=True,
        notice=notice(alternatives=ALTERNATIVES, purposes=("public_security",)),
    )
)

# What each R6 element looks like in each language; the free text is the operator's own, in
# the language of the notice (its translation for Chinese).
FREE_TEXT = {
    "processor name": NOTICE.processor_name,
    "method": NOTICE.method,
    "impact": NOTICE.impact,
    "necessity": PUBLIC.necessity,
    "rights contact": NOTICE.rights_contact,
    "alternative": ALTERNATIVES[1].description,
    "capture area": PUBLIC.capture_area,
    "public-security basis": PUBLIC.public_security_basis,
}
COMMON = {"processor contact": NOTICE.processor_contact, "version": PUBLIC.notice.version[:12]}
ELEMENTS = {
    "en": {
        **FREE_TEXT,
        "title": "Facial recognition notice",
        "purpose": "Purposes\n- Public security\n",
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
        **{name: ZH[text] for name, text in FREE_TEXT.items()},
        "title": "人脸识别告知书",
        "purpose": "处理目的\n- 维护公共安全\n",
        "retention": "30 天",
        "withdraw": "随时撤回同意",
        "erase": "要求删除您的人脸信息",
        "ask what is held": "查询我们所持有的您的个人信息",
        "accessible alternative": f"{ZH[ALTERNATIVES[0].description]}（无障碍）",
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
        assert PUBLIC.notice.version not in text
    assert "人脸" not in render_notice(PUBLIC, language="en")
    # Chinese is the default, as the signs are in China.
    assert render_notice(PUBLIC) == render_notice(PUBLIC, language="zh")


def test_r06_notice_outside_public_places_has_no_public_security_section() -> None:
    text = render_notice(lobby(), language="en")
    assert "Public security" not in text and "Capture area" not in text
    assert "Hotel lobby" in text and "Hotel check-in" in text


def test_r07_the_notice_shows_the_version_that_covers_its_mode() -> None:
    many = lobby(mode="identify", identification_justification="Returning guests")
    text = render_notice(many, language="en")
    assert "1:N identification" in text and many.notice.version[:12] in text
    assert NOTICE.version[:12] not in text  # the 1:1 notice's version, which it is not


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z0-9@.,;:+'()-]+", text)}


def test_r31_large_print_notice_has_short_lines() -> None:
    for deployment in (PUBLIC, translated(lobby())):
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


# ----- R6: the notice in the language of the people who read it -------------------------------


def test_r06_a_notice_is_shown_only_in_a_language_it_has_words_in() -> None:
    english_only = lobby()
    for render in (render_notice, render_signage):
        with pytest.raises(IncompleteNotice, match=r"\[R6\].*no zh wording"):
            render(english_only, language="zh")
    chinese = render_notice(translated(english_only), language="zh")
    for english in (NOTICE.processor_name, NOTICE.method, NOTICE.impact, english_only.necessity):
        assert english not in chinese
        assert ZH[english] in chinese
    sign = render_signage(translated(english_only), language="zh")
    assert ZH[NOTICE.processor_name] in sign and NOTICE.processor_name not in sign


def test_r06_a_notice_written_in_chinese_is_shown_in_english_from_its_translation() -> None:
    english = lobby().wording("en")
    written = lobby(
        necessity=ZH[english.necessity],
        notice=notice(
            language="zh",
            processor_name=ZH[english.processor_name],
            method=ZH[english.method],
            impact=ZH[english.impact],
            rights_contact=ZH[english.rights_contact],
            alternatives=(Alternative(ZH[english.alternatives[0]], accessible=True),),
            translations=(replace(english, language="en"),),
        ),
    )
    assert ZH[english.method] in render_notice(written, language="zh")
    text = render_notice(written, language="en")
    assert english.method in text and ZH[english.method] not in text
    assert f"{english.alternatives[0]} (accessible)" in text


def test_r06_a_translation_says_exactly_what_is_declared() -> None:
    wording = translated(lobby()).notice.translations[0]
    wrong = {
        "an empty method": replace(wording, method=""),
        "a capture area never declared": replace(wording, capture_area="正门"),
        "one alternative too many": replace(wording, alternatives=(*wording.alternatives, "电话")),
    }
    for translation in wrong.values():
        with pytest.raises(IncompleteNotice, match="does not match its declarations"):
            lobby(notice=notice(translations=(translation,)))
    with pytest.raises(InvalidArgument, match="other than its own"):
        notice(translations=(replace(wording, language="en"),))
    with pytest.raises(InvalidArgument, match="languages zh, en"):
        replace(wording, language="fr")
    with pytest.raises(InvalidArgument, match="languages zh, en"):
        notice(language="english")


def test_r07_the_translated_method_is_part_of_the_notice_version() -> None:
    chinese = translated(lobby())
    wording = chinese.notice.translations[0]
    assert chinese.notice.version != lobby().notice.version
    other = replace(wording, method="将现场采集的人脸与所有登记模板进行比对")
    assert notice(translations=(other,)).version != chinese.notice.version
    # What the version does not cover (R7: purpose, method, retention, mode) leaves it as it is.
    kinder = replace(wording, impact="加快入住办理")
    assert notice(translations=(kinder,)).version == chinese.notice.version


def test_a_translated_definition_survives_its_json() -> None:
    from facegate.compliance.registry import _to_json

    chinese = translated(PUBLIC)
    assert deployment_from_dict(json.loads(_to_json(chinese))) == chinese
    assert isinstance(chinese.notice.translations[0], Wording)
