"""The service over real HTTP, on both stores: the whole life cycle with real photographs, what a
device key may not do, and uploads that must write nothing (issue 19)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import peek
from tests.faces import astronaut, hopper, transformed
from tests.requirements.gate import audit_entries
from tests.service.site import PURPOSE, Site, jpeg, make_site


@pytest.fixture
def site(tmp_path: Path, path: Path | str) -> Iterator[Site]:
    running = make_site(tmp_path, path).start()
    yield running
    running.stop()


def _photo(pixels: object, name: str = "photo") -> tuple[str, tuple[str, bytes, str]]:
    return (name, ("face.jpg", jpeg(pixels), "image/jpeg"))  # type: ignore[arg-type]


def test_the_whole_life_cycle_over_http(site: Site) -> None:
    with site.client("desk") as desk, site.client("kiosk") as kiosk, site.client("admin") as admin:
        _life_cycle(site, desk, kiosk, admin)
    assert site.stop() == 0  # SIGTERM: a clean stop
    with site.gate() as gate:
        devices = {(e["action"], e.get("device")) for e in audit_entries(gate)}
    assert {("enroll", "desk-1"), ("verify", "kiosk-1"), ("erase", "back-office")} <= devices


def _life_cycle(site: Site, desk: httpx.Client, kiosk: httpx.Client, admin: httpx.Client) -> None:
    lobby = "/v1/deployments/lobby"
    assert kiosk.get(lobby).json()["name"] == "lobby"
    notice = kiosk.get(f"{lobby}/notice", params={"language": "en", "large_print": True})
    assert notice.json()["notice_version"] == site.notice_version
    assert notice.status_code == 200 and notice.json()["text"]

    assert desk.post(f"{lobby}/consents", json=site.consent()).status_code == 201
    form = {"subject": "guest-1", "purpose": PURPOSE}
    enrolled = desk.post(f"{lobby}/enrolments", data=form, files=[_photo(astronaut())])
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["allowed"] is True

    again = transformed(astronaut())["jpeg"]
    same = kiosk.post(f"{lobby}/verify", data=form, files=[_photo(again)]).json()
    assert same["match"] is True and "distance" not in json.dumps(same)
    other = kiosk.post(f"{lobby}/verify", data=form, files=[_photo(hopper())]).json()
    assert other["match"] is False and other["alternatives"]
    found = kiosk.post(f"{lobby}/identify", data={"purpose": PURPOSE}, files=[_photo(again)])
    assert found.json()["subject"] == "guest-1"

    assert admin.get(f"{lobby}/operating-point").json()["identify"] is True
    exported = admin.get("/v1/subjects/guest-1/export").json()
    assert exported["subject"] == "guest-1" and len(exported["templates"]) == 1
    assert admin.get("/v1/operators/hotel/filing").json()["individuals"] == 1
    erased = admin.delete("/v1/subjects/guest-1")
    assert erased.status_code == 200 and erased.json()["templates_removed"] == 1
    gone = kiosk.post(f"{lobby}/identify", data={"purpose": PURPOSE}, files=[_photo(again)])
    assert gone.json()["subject"] is None and gone.json()["match"] is False

    checked = admin.get("/v1/audit/verify").json()
    assert checked["ok"] is True
    assert admin.post("/v1/audit/checkpoint").json()["size"] >= checked["entries"]


def test_a_kiosk_key_does_only_what_it_was_given(site: Site) -> None:
    with site.client("kiosk") as kiosk, site.client() as anyone:
        _refusals(site, kiosk, anyone)


def _refusals(site: Site, kiosk: httpx.Client, anyone: httpx.Client) -> None:
    form = {"subject": "guest-1", "purpose": PURPOSE}
    refused = {
        "enrol": kiosk.post(
            "/v1/deployments/lobby/enrolments", data=form, files=[_photo(astronaut())]
        ),
        "consent": kiosk.post("/v1/deployments/lobby/consents", json=site.consent()),
        "erase": kiosk.delete("/v1/subjects/guest-1"),
        "export": kiosk.get("/v1/subjects/guest-1/export"),
        "audit": kiosk.get("/v1/audit/verify"),
        "other deployment": kiosk.post(
            "/v1/deployments/other/identify", data={"purpose": PURPOSE}, files=[_photo(hopper())]
        ),
    }
    for what, answer in refused.items():
        assert answer.status_code == 403, (what, answer.text)
        assert answer.json()["error"]["rule"] == "R19", what
    assert anyone.get("/v1/deployments/lobby").status_code == 401
    bad = anyone.get("/v1/deployments/lobby", headers={"authorization": "Bearer nope"})
    assert bad.status_code == 401 and "nope" not in bad.text
    site.stop()
    with site.gate() as gate:
        entries = audit_entries(gate)
    kiosk_refusals = [
        e for e in entries if e["outcome"] == "refused" and e.get("device") == "kiosk-1"
    ]
    assert len(kiosk_refusals) >= len(refused)
    assert all(e["rule"] == "R19" for e in kiosk_refusals)
    assert "nope" not in json.dumps(entries)
    assert peek.count(site.store, "SELECT count(*) FROM templates") == 0


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def test_oversized_and_hostile_uploads_are_refused_and_write_nothing(
    tmp_path: Path, path: Path | str
) -> None:
    site = make_site(tmp_path, path).start(1, "--max-request-mb", "1")
    try:
        with site.client("desk") as desk:
            _hostile(site, desk)
    finally:
        site.stop()
    assert peek.count(site.store, "SELECT count(*) FROM templates") == 0
    assert peek.count(site.store, "SELECT count(*) FROM data_keys") == 0


def _hostile(site: Site, desk: httpx.Client) -> None:
    lobby = "/v1/deployments/lobby"
    assert desk.post(f"{lobby}/consents", json=site.consent()).status_code == 201
    form = {"subject": "guest-1", "purpose": PURPOSE}
    huge = ("photo", ("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg"))
    cases = {
        "body over the limit": desk.post(f"{lobby}/enrolments", data=form, files=[huge]),
        "not an image": desk.post(
            f"{lobby}/enrolments",
            data=form,
            files=[("photo", ("x.jpg", b"GIF89a..", "image/jpeg"))],
        ),
        "empty": desk.post(
            f"{lobby}/enrolments", data=form, files=[("photo", ("x.jpg", b"", "image/jpeg"))]
        ),
        "bomb": desk.post(
            f"{lobby}/enrolments",
            data=form,
            files=[("photo", ("b.png", _png_header(60000, 60000), "image/png"))],
        ),
        "no face": desk.post(
            f"{lobby}/enrolments",
            data=form,
            files=[_photo(transformed(hopper())["crop"][:40, :40])],
        ),
        "no photo": desk.post(f"{lobby}/enrolments", data=form),
        "too many photos": desk.post(
            f"{lobby}/enrolments", data=form, files=[_photo(hopper())] * 17
        ),
        "chunked": desk.post(
            f"{lobby}/consents",
            content=iter([json.dumps(site.consent()).encode()]),
            headers={"content-type": "application/json"},
        ),
    }
    for what, answer in cases.items():
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text)
        assert "error" in answer.json() or "detail" in answer.json(), what
    assert cases["body over the limit"].status_code == 413
    assert cases["chunked"].status_code == 411
