"""The consent desk in a real headless browser (Debian's chromium and its driver), driven with
the keyboard as a front-desk clerk would: the notice is shown in both languages, a consent and a
decline are recorded, and both are in the audit trail naming the desk's device (issue 19)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.requirements.gate import audit_entries
from tests.service.site import Site, make_site

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian's chromium and chromium-driver (the test command installs them)",
)


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.implicitly_wait(10)
    yield driver
    driver.quit()


def _labelled(browser: Any, label: str) -> Any:
    """The control a label names (by its text), as a screen reader finds it."""
    from selenium.webdriver.common.by import By

    for element in browser.find_elements(By.TAG_NAME, "label"):
        if label in element.text:
            target = element.get_attribute("for")
            if target:
                return browser.find_element(By.ID, target)
            return element.find_element(By.TAG_NAME, "input")
    raise AssertionError(f"no control is labelled {label!r}")


def _status_saying(browser: Any, words: str) -> str:
    """The status region's text once it says `words`: a submitted form loads a new page, and
    until it has, the old page's region (or none, or a stale one) is what the browser finds."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def said(driver: Any) -> str | None:
        text = str(driver.find_element(By.CSS_SELECTOR, "[role=status]").text)
        return text if words in text else None

    ignored = (NoSuchElementException, StaleElementReferenceException)
    try:
        return str(WebDriverWait(browser, 10, ignored_exceptions=ignored).until(said))
    except Exception as error:  # TimeoutException: say what the page said instead
        shown = browser.find_elements(By.CSS_SELECTOR, "[role=status], [role=alert]")
        raise AssertionError(
            f"no status said {words!r}; shown: {[e.text for e in shown]}"
        ) from error


def _check_accessible_basics(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
    # The page is loaded by now; without this, each search that rightly finds nothing (a
    # control not wrapped in a label) waits out the whole implicit timeout.
    browser.implicitly_wait(0)
    try:
        assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
        for control in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden])"):
            ident = control.get_attribute("id")
            wrapped = control.find_elements(By.XPATH, "ancestor::label")
            named = ident and browser.find_elements(By.CSS_SELECTOR, f"label[for='{ident}']")
            assert wrapped or named, f"an unlabelled control: {control.get_attribute('name')}"
    finally:
        browser.implicitly_wait(10)


def test_the_desk_records_a_consent_and_a_decline_with_the_keyboard(
    tmp_path: Path, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    site: Site = make_site(tmp_path, tmp_path / "hotel.db").start()
    try:
        browser.get(f"{site.url}/desk")
        _check_accessible_basics(browser)
        _labelled(browser, "Staff key").send_keys(site.tokens["desk"])
        _labelled(browser, "Deployment").send_keys("lobby", Keys.ENTER)

        headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
        assert "告知书（中文）" in headings and "Notice (English)" in headings
        chinese = browser.find_element(By.CSS_SELECTOR, "pre[lang='zh-Hans']").text
        assert "人脸" in chinese
        _check_accessible_basics(browser)

        _labelled(browser, "Person's id").send_keys("guest-7")
        _labelled(browser, "separately").send_keys(Keys.SPACE)  # the separate consent (R8)
        _labelled(browser, "Person's id").send_keys(Keys.ENTER)
        _status_saying(browser, "Consent recorded for guest-7")

        _labelled(browser, "optional").send_keys("guest-8", Keys.ENTER)
        said = _status_saying(browser, "instead")
        assert "guest-7" not in said  # the new page's region, not the one before it

        # Without the separate consent ticked the browser does not send the form; sent anyway,
        # the library refuses it (R8) and the page says why.
        assert _labelled(browser, "separately").get_attribute("required") is not None
        form = {"subject": "guest-9", "purpose": "hotel_check_in"}
        form["notice_version"] = site.notice_version
        cookies = {"facegate_desk": site.tokens["desk"]}
        with httpx.Client(base_url=site.url, cookies=cookies) as clerk:
            sent = clerk.post("/desk/lobby/consent", data=form)
            elsewhere = clerk.post(
                "/desk/lobby/consent", data=form, headers={"origin": "https://evil.example"}
            )
        assert sent.status_code == 403 and 'role="alert"' in sent.text and "R8" in sent.text
        assert elsewhere.status_code == 403
    finally:
        assert site.stop() == 0
    with site.gate() as gate:
        entries = audit_entries(gate)
        consents = gate.export_subject("guest-7").consents
    assert [c.channel for c in consents] == ["desk"]
    done = {(e["action"], e["outcome"], e.get("device")) for e in entries}
    assert ("grant_consent", "ok", "desk-1") in done
    assert ("decline", "ok", "desk-1") in done
    assert not any(
        e.get("subject_ref") and e["action"] == "grant_consent" and e.get("device") != "desk-1"
        for e in entries
    )
