"""The limits a service keeps (issue 19): a device's rate, a worker's capacity answered with 503
and Retry-After, a stop that finishes the requests in flight, and metrics and logs that say what
happened without a subject's id, an image or a distance."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from facegate.server.errors import Refused
from facegate.server.limits import Limits
from facegate.server.service import Service
from facegate.server.settings import ServiceSettings
from tests.faces import astronaut, hopper
from tests.service.site import PURPOSE, jpeg, make_site

LOBBY = "/v1/deployments/lobby"


def test_a_device_over_its_rate_is_told_to_wait_and_others_are_not(tmp_path: Path) -> None:
    site = make_site(tmp_path, tmp_path / "hotel.db").start(1, "--rate", "0.5", "--burst", "3")
    try:
        with site.client("kiosk") as kiosk, site.client("desk") as desk:
            answers = [kiosk.get(LOBBY) for _ in range(6)]
            assert desk.get(LOBBY).status_code == 200
        codes = [a.status_code for a in answers]
        assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
        slowed = next(a for a in answers if a.status_code == 429)
        assert int(slowed.headers["retry-after"]) >= 1
        assert slowed.json()["error"]["type"] == "Refused"
    finally:
        site.stop()


def test_a_full_worker_answers_503_with_retry_after_instead_of_queueing() -> None:
    release = asyncio.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    limits = Limits(slow, max_body=1000, in_flight=2, retry_after=3)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=limits)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            running = [asyncio.create_task(client.get("/v1/x")) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await client.get("/v1/x")
            health = asyncio.create_task(client.get("/healthz"))  # never refused
            await asyncio.sleep(0.05)
            release.set()
            return [refused, *(await asyncio.gather(*running)), await health]

    refused, first, second, health = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "3"
    assert refused.json()["error"]["type"] == "Overloaded"
    assert first.status_code == second.status_code == health.status_code == 200
    assert limits.running == 0


def test_a_stop_finishes_the_request_in_flight(tmp_path: Path) -> None:
    site = make_site(tmp_path, tmp_path / "hotel.db").start()
    answers: list[httpx.Response] = []
    with site.client("desk") as desk:
        assert desk.post(f"{LOBBY}/consents", json=site.consent("guest-1")).status_code == 201
        photos = [("photo", (f"{i}.jpg", jpeg(astronaut()), "image/jpeg")) for i in range(6)]
        form = {"subject": "guest-1", "purpose": PURPOSE}

        answered: list[float] = []

        def enrol() -> None:
            answers.append(desk.post(f"{LOBBY}/enrolments", data=form, files=photos))
            answered.append(time.monotonic())

        worker = threading.Thread(target=enrol)
        worker.start()
        time.sleep(0.3)  # the request is in flight: six photographs take a while
        stopping = time.monotonic()
        assert site.stop() == 0
        worker.join()
    assert answers and answers[0].status_code == 201, answers
    assert answered[0] > stopping  # answered after the stop was asked for
    with site.gate() as gate:
        assert len(gate.export_subject("guest-1").templates) == 1


def test_metrics_and_logs_say_what_happened_and_nothing_biometric(tmp_path: Path) -> None:
    site = make_site(tmp_path, tmp_path / "hotel.db").start()
    try:
        with site.client("desk") as desk, site.client("kiosk") as kiosk:
            desk.post(f"{LOBBY}/consents", json=site.consent("guest-1"))
            form = {"subject": "guest-1", "purpose": PURPOSE}
            photo = [("photo", ("f.jpg", jpeg(hopper()), "image/jpeg"))]
            assert desk.post(f"{LOBBY}/enrolments", data=form, files=photo).status_code == 201
            assert kiosk.post(f"{LOBBY}/verify", data=form, files=photo).json()["match"]
            assert kiosk.delete("/v1/subjects/guest-1").status_code == 403
            metrics = httpx.get(f"{site.url}/metrics").text
            assert httpx.get(f"{site.url}/healthz").json() == {"status": "ok"}
            assert httpx.get(f"{site.url}/readyz").status_code == 200
    finally:
        site.stop()
    assert 'route="/v1/deployments/{deployment}/verify"' in metrics
    assert 'facegate_refusals_total{rule="R19"} 1.0' in metrics
    assert "guest-1" not in metrics
    assert site.log is not None
    lines = [json.loads(line) for line in site.log.read_text().splitlines() if line.startswith("{")]
    routes = {line["route"] for line in lines if line.get("event") == "request"}
    assert "/v1/deployments/{deployment}/enrolments" in routes
    text = site.log.read_text()
    assert "guest-1" not in text and "distance" not in text and "fgd_" not in text


def test_a_request_past_its_timeout_is_answered_503_saying_to_check() -> None:
    settings = ServiceSettings(store="unused.db", key_file="unused.key", timeout=0.2, threads=1)
    service = Service(settings, gate=None)  # type: ignore[arg-type]  # run() needs no store
    try:
        with pytest.raises(Refused) as late:
            asyncio.run(service.run(lambda: time.sleep(1.0)))
        assert late.value.status == 503 and late.value.headers["retry-after"] == "1"
        assert "check before repeating" in str(late.value)
        time.sleep(1.0)  # the late work still had the pool's one thread: it completes
        assert asyncio.run(service.run(lambda: 42)) == 42  # and the pool goes on
    finally:
        service.pool.shutdown(wait=True)
