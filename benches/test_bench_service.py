"""The service under load (issue 19): verify and identify with real photographs over HTTP on
loopback, from a bounded load generator (a fixed number of requests from a fixed number of
clients), with 1 and 2 workers, against the same calls made on the library directly in the same
run. The figures (requests per second, p50 and p99 latency, and the service's overhead per
request: its latency alone against the library's) go to ``extra_info``; ``benches/report.py``
prints them.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from tests.faces import astronaut, hopper, transformed
from tests.requirements.gate import CONSENT
from tests.service.site import PURPOSE, Site, jpeg, make_site

from benches.conftest import QUICK
from facegate import FaceGate

REQUESTS = 12 if QUICK else 240
CLIENTS = 4
LOBBY = "/v1/deployments/lobby"


def _load(call: Callable[[int], None], requests: int, clients: int) -> dict[str, float]:
    """``requests`` calls spread over ``clients`` threads, after a few untimed ones (models
    loaded, connections open): throughput and latency."""
    for n in range(2 * clients):
        call(n)
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            started = time.perf_counter()
            call(n)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / wall,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    folder = tmp_path_factory.mktemp("service")
    site = make_site(folder, folder / "hotel.db")
    with FaceGate.open(site.store, site.master) as gate:
        for subject, pixels in (("guest-1", astronaut()), ("guest-2", hopper())):
            version = site.notice_version
            gate.grant_consent("lobby", subject, replace(CONSENT, notice_version=version))
            gate.enroll("lobby", subject, jpeg(pixels), PURPOSE)
    return site


def _photos() -> list[bytes]:
    return [jpeg(transformed(astronaut())["jpeg"]), jpeg(transformed(hopper())["jpeg"])]


@pytest.mark.parametrize("verb", ["verify", "identify"])
def test_service_against_the_library(benchmark: Any, site: Site, verb: str) -> None:
    photos = _photos()
    subjects = ["guest-1", "guest-2"]
    figures: dict[str, dict[str, float]] = {}

    with FaceGate.open(site.store, site.master) as gate:
        kiosk = gate.device_handle(site.tokens["kiosk"])

        def direct(n: int) -> None:
            if verb == "verify":
                assert kiosk.verify("lobby", subjects[n % 2], photos[n % 2], PURPOSE).match
            else:
                assert kiosk.identify("lobby", photos[n % 2], PURPOSE).subject == subjects[n % 2]

        figures["library, 1 client"] = _load(direct, REQUESTS // 4, 1)
        figures[f"library, {CLIENTS} clients"] = _load(direct, REQUESTS, CLIENTS)

    def over_http(workers: int) -> None:
        site.start(workers, "--rate", "100000", "--burst", "100000")
        local = threading.local()
        opened: list[httpx.Client] = []

        def call(n: int) -> None:
            if not hasattr(local, "client"):
                local.client = site.client("kiosk")
                opened.append(local.client)
            files = [("photo", ("p.jpg", photos[n % 2], "image/jpeg"))]
            form = {"purpose": PURPOSE}
            if verb == "verify":
                form["subject"] = subjects[n % 2]
            answer = local.client.post(f"{LOBBY}/{verb}", data=form, files=files)
            assert answer.status_code == 200 and answer.json()["match"], answer.text

        try:
            if workers == 1:
                figures["service 1 worker, 1 client"] = _load(call, REQUESTS // 4, 1)
            figures[f"service {workers} worker(s), {CLIENTS} clients"] = _load(
                call, REQUESTS, CLIENTS
            )
        finally:
            for client in opened:
                client.close()
            site.stop()

    def run() -> None:
        over_http(1)
        over_http(2)

    benchmark.pedantic(run, rounds=1, iterations=1)
    one = figures["library, 1 client"]["p50_ms"]
    figures["overhead per request"] = {
        "p50_ms": figures["service 1 worker, 1 client"]["p50_ms"] - one,
        "rps": 0.0,
        "p99_ms": 0.0,
    }
    benchmark.extra_info["service"] = {"verb": verb, "requests": REQUESTS, **figures}
    for name, f in figures.items():
        print(
            f"{verb:8} {name:32} {f['rps']:7.1f} req/s  p50 {f['p50_ms']:7.1f} ms  "
            f"p99 {f['p99_ms']:7.1f} ms"
        )
