"""How one service runs: its store and key, its workers and threads, and the limits it keeps.

The settings travel to worker processes in one environment variable (``FACEGATE_SERVICE``, JSON):
the server starts its workers by spawning fresh interpreters (never ``fork()``, which neither
the store's connections nor the Rust core's thread pool survive), and each opens the store
itself. Nothing secret is in them: the master key stays in its file, read by each worker.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from facegate.errors import InvalidArgument
from facegate.faces.photos import MAX_PHOTOS_PER_CALL

__all__ = ["ENV", "ServiceSettings"]

ENV = "FACEGATE_SERVICE"

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything ``facegate serve`` needs; the limits are per worker unless said otherwise.

    Attributes:
        store: the store (a SQLite file, or a ``postgresql://`` URL for several hosts).
        key_file: the master key's file; it never leaves the server.
        checkpoints: the folder of the store's checkpoints (and PostgreSQL's erasure keys).
        host, port: where to listen.
        workers: worker processes (each opens the store; on SQLite all on this host).
        threads: threads per worker for detection, encoding and the store (0: the cores
            divided among the workers, at least one).
        max_request_bytes: the largest request body, refused (413) before it is read whole.
        max_image_bytes: the largest photograph, refused before it is decoded.
        max_image_pixels: the most pixels a photograph may have, read from its header before
            it is decoded (larger ones are refused as invalid images, 422).
        max_photos: photographs per enrolment request.
        rate: requests per second each device may make (a token bucket, per worker).
        burst: how many requests a device may make at once beyond ``rate``.
        queue: requests waiting per thread beyond those running; more are answered 503 with
            ``Retry-After`` rather than queued without bound.
        timeout: seconds a request may take before it is answered 503 (the work it started
            completes or rolls back whole; the answer says to check before repeating it).
        retry_after: the seconds an overloaded worker asks clients to wait.
        grace: seconds a stopping server gives the requests in flight to finish.
    """

    store: str
    key_file: str
    checkpoints: str | None = None
    host: str = "127.0.0.1"
    port: int = 8750
    workers: int = 1
    threads: int = 0
    max_request_bytes: int = 24 * _MIB
    max_image_bytes: int = 8 * _MIB
    max_image_pixels: int = 4096 * 4096
    max_photos: int = MAX_PHOTOS_PER_CALL
    rate: float = 20.0
    burst: int = 40
    queue: int = 8
    timeout: float = 30.0
    retry_after: int = 1
    grace: float = 30.0

    def __post_init__(self) -> None:
        for name in ("workers", "max_request_bytes", "max_image_bytes", "max_image_pixels"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InvalidArgument(f"service setting {name} must be a positive whole number")
        if not isinstance(self.threads, int) or self.threads < 0:
            raise InvalidArgument("service setting threads must be 0 (automatic) or more")
        if not 1 <= self.max_photos <= MAX_PHOTOS_PER_CALL:
            raise InvalidArgument(f"service setting max_photos must be 1 to {MAX_PHOTOS_PER_CALL}")
        for name in ("rate", "timeout", "grace"):
            if not isinstance(getattr(self, name), int | float) or getattr(self, name) <= 0:
                raise InvalidArgument(f"service setting {name} must be a positive number")
        if self.burst < 1 or self.queue < 0 or self.retry_after < 1:
            raise InvalidArgument("service settings burst and retry_after are at least 1, queue 0")
        if not 0 < self.port < 65536:
            raise InvalidArgument(f"port {self.port} is not a TCP port")

    @property
    def threads_per_worker(self) -> int:
        """The threads each worker runs: workers x threads fit the cores."""
        if self.threads:
            return self.threads
        return max(1, (os.cpu_count() or 1) // self.workers)

    @property
    def in_flight(self) -> int:
        """Requests a worker takes at once (running and waiting)."""
        return self.threads_per_worker * (1 + self.queue)

    def to_env(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServiceSettings:
        text = (os.environ if environ is None else environ).get(ENV)
        if not text:
            raise InvalidArgument(f"${ENV} is not set: start the service with `facegate serve`")
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
