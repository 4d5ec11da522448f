"""Several workers on one store (issue 19): an erasure through one is honoured by every other
before its answer returns, and a worker killed with SIGKILL mid-request loses nothing that was
acknowledged (the store's transactions are whole, the audit trail still verifies)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests import peek
from tests.faces import astronaut, hopper, transformed
from tests.service.site import PURPOSE, Site, jpeg, make_site

LOBBY = "/v1/deployments/lobby"


def _workers(site: Site) -> list[int]:
    assert site.process is not None
    found = subprocess.run(
        ["pgrep", "-P", str(site.process.pid)], capture_output=True, text=True, check=False
    )
    workers = []
    for pid in found.stdout.split():  # uvicorn's spawned workers, not the resource tracker
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"spawn_main" in command and b"resource_tracker" not in command:
            workers.append(int(pid))
    return workers


def _enrol(site: Site, subject: str, photo: bytes) -> None:
    with site.client("desk") as desk:
        assert desk.post(f"{LOBBY}/consents", json=site.consent(subject)).status_code == 201
        form = {"subject": subject, "purpose": PURPOSE}
        files = [("photo", ("f.jpg", photo, "image/jpeg"))]
        answer = desk.post(f"{LOBBY}/enrolments", data=form, files=files)
        assert answer.status_code == 201, answer.text


def test_an_erasure_through_one_worker_is_honoured_by_the_other(
    tmp_path: Path, path: Path | str
) -> None:
    site = make_site(tmp_path, path).start(2)
    try:
        assert len(_workers(site)) == 2
        face = jpeg(transformed(astronaut())["jpeg"])
        _enrol(site, "guest-1", jpeg(astronaut()))
        probe = [("photo", ("f.jpg", face, "image/jpeg"))]
        for _ in range(12):  # a new connection each time: both workers answer some
            with site.client("kiosk") as kiosk:
                found = kiosk.post(f"{LOBBY}/identify", data={"purpose": PURPOSE}, files=probe)
                assert found.json()["subject"] == "guest-1"
        with site.client("admin") as admin:
            assert admin.delete("/v1/subjects/guest-1").status_code == 200
        for _ in range(12):
            with site.client("kiosk") as kiosk:
                found = kiosk.post(f"{LOBBY}/identify", data={"purpose": PURPOSE}, files=probe)
                assert found.status_code == 200 and found.json()["subject"] is None
    finally:
        assert site.stop() == 0


def test_a_worker_killed_mid_request_loses_nothing_acknowledged(
    tmp_path: Path, path: Path | str
) -> None:
    site = make_site(tmp_path, path).start(2)
    photos = [jpeg(astronaut()), jpeg(hopper())]
    acknowledged: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()

    def enrol_many(worker: int) -> None:
        for n in range(8):
            subject = f"w{worker}-{n}"
            try:
                _enrol(site, subject, photos[n % 2])
            except (httpx.HTTPError, AssertionError):
                with lock:
                    failed.append(subject)
                continue
            with lock:
                acknowledged.append(subject)

    try:
        threads = [threading.Thread(target=enrol_many, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        time.sleep(3.0)
        victim = _workers(site)[0]
        os.kill(victim, signal.SIGKILL)
        for t in threads:
            t.join(timeout=600)
        assert victim not in _workers(site)
        _enrol(site, "after", photos[0])  # the service still answers
        print(f"acknowledged {len(acknowledged)}, failed {len(failed)}")
        with site.client("admin") as admin:
            assert admin.get("/v1/audit/verify").json()["ok"] is True
    finally:
        site.stop()
    assert acknowledged, "no enrolment was acknowledged"
    stored = {str(r[0]) for r in peek.rows(site.store, "SELECT subject_id FROM templates")}
    assert set(acknowledged) <= stored
    with site.gate() as gate:
        assert gate.verify_audit().ok
