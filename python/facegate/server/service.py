"""One worker's service: the open gate, the bounded pool its work runs in, and the limits on
each call (a device's rate, the time a request may take).

Every request that touches the gate becomes one job in the pool: the device's token is turned
into its handle (facegate.gate.devices) and the handle's verb is called, so the library's
guard, rules and audit decide everything, and the event loop never waits on detection, the
Rust core or the store.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from facegate.errors import StoreUnavailable
from facegate.faces.detect import FaceDetector
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from facegate.server.errors import Refused
from facegate.server.limits import Buckets
from facegate.server.settings import ServiceSettings

__all__ = ["Service"]

T = TypeVar("T")


class Service:
    """The gate of one worker process and how its calls are run."""

    def __init__(self, settings: ServiceSettings, gate: FaceGate) -> None:
        self.settings, self.gate = settings, gate
        self.pool = ThreadPoolExecutor(
            max_workers=settings.threads_per_worker, thread_name_prefix="facegate-call"
        )
        self.buckets = Buckets(settings.rate, settings.burst)
        self.stopping = False

    @classmethod
    def open(cls, settings: ServiceSettings) -> Service:
        """Opens the store with the master key from its file, and a face pipeline bounded as
        the settings say."""
        key = MasterKey.from_file(settings.key_file)
        encoder = FaceDetector(max_pixels=settings.max_image_pixels)
        gate = FaceGate.open(settings.store, key, encoder=encoder, checkpoints=settings.checkpoints)
        return cls(settings, gate)

    async def call(self, token: str, work: Callable[[FaceGate], T]) -> T:
        """``work`` run in the pool with the handle of the device holding ``token``."""
        waited = self.buckets.wait(token)
        if waited:
            raise Refused(
                429,
                "too many requests from this device; slow down",
                {"retry-after": str(max(1, round(waited + 0.5)))},
            )
        return await self.run(lambda: work(self.gate.device_handle(token)))

    async def run(self, work: Callable[[], T]) -> T:
        """``work`` in the pool, answered 503 past the request timeout."""
        if self.stopping:
            raise StoreUnavailable("the service is stopping; retry on another worker")
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.pool, functools.partial(work))
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.settings.timeout)
        except TimeoutError:
            raise Refused(
                503,
                f"the request took over {self.settings.timeout:g} s; it may still complete "
                "(a change is applied whole or not at all): check before repeating it",
                {"retry-after": str(self.settings.retry_after)},
            ) from None

    def close(self) -> None:
        """Finishes the calls in flight, then closes the store."""
        self.stopping = True
        self.pool.shutdown(wait=True)
        self.gate.close()
