"""A real site for the service's tests: a store with the test deployment and device keys, and
``facegate serve`` started on it as a user would (its own processes, real HTTP on loopback)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
from PIL import Image

from facegate import Capability, FaceGate, MasterKey
from tests.requirements.deployments import lobby, translated
from tests.requirements.gate import ASSESSMENT, IDENTIFY

ROOT = Path(__file__).resolve().parents[2]
PURPOSE = "hotel_check_in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jpeg(pixels: npt.NDArray[np.uint8], quality: int = 92) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=quality)
    return out.getvalue()


@dataclass
class Site:
    """A store, its key file, the tokens of its devices, and a running service on it."""

    store: Path | str
    key_file: Path
    master: MasterKey
    tokens: dict[str, str]
    notice_version: str
    port: int = 0
    process: subprocess.Popen[str] | None = None
    log: Path | None = None
    extra: list[str] = field(default_factory=list)

    def consent(self, subject: str = "guest-1") -> dict[str, Any]:
        """A consent to the lobby's notice, as the API takes it."""
        return {
            "subject": subject,
            "purposes": [PURPOSE],
            "notice_version": self.notice_version,
            "channel": "kiosk",
            "face_data": True,
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, device: str | None = None, **options: Any) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.tokens[device]}"} if device else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0, **options)

    def start(self, workers: int = 1, *extra: str) -> Site:
        self.port = free_port()
        assert self.log is not None
        command = [
            sys.executable, "-m", "facegate", "serve", "--store", str(self.store),
            "--key", str(self.key_file), "--port", str(self.port), "--workers", str(workers),
            *self.extra, *extra,
        ]  # fmt: skip
        with self.log.open("a") as err:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=err,
                text=True,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the service exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the service did not become ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def gate(self) -> FaceGate:
        """The store opened here, as its administrator would (for checking what was written)."""
        return FaceGate.open(self.store, self.master, load_galleries=False)


def make_site(tmp_path: Path, store: Path | str) -> Site:
    """The test deployment ``lobby`` (1:N) and an ``other`` one, with four device keys: an
    administrator, a lobby kiosk (match), a lobby desk (enroll, match) and a kiosk of the
    other deployment."""
    master = MasterKey.generate()
    key_file = tmp_path / "site.key"
    master.write(key_file)
    gate = FaceGate.open(store, master)
    gate.register_operator("hotel", name="Example Hotel", contact="dpo@example.com")
    # The lobby's notice is worded in Chinese too: the desk shows it in both languages.
    for declared in (translated(lobby(**IDENTIFY, max_fnir=1.0)), lobby(name="other")):
        gate.register_deployment("hotel", declared)
        gate.record_assessment(declared.name, ASSESSMENT)
        gate.activate(declared.name)
    version = gate.deployment("lobby").notice.version
    tokens = {
        "admin": gate.add_device("back-office", capabilities=[Capability.ADMIN]).token,
        "kiosk": gate.add_device(
            "kiosk-1", capabilities=[Capability.MATCH], deployments=["lobby"]
        ).token,
        "desk": gate.add_device(
            "desk-1", capabilities=[Capability.ENROLL, Capability.MATCH], deployments=["lobby"]
        ).token,
        "other-kiosk": gate.add_device(
            "kiosk-9", capabilities=[Capability.MATCH], deployments=["other"]
        ).token,
    }
    gate.close()
    return Site(store, key_file, master, tokens, version, log=tmp_path / "service.log")
