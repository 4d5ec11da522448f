"""The limits a service keeps before any work starts: the size of a request, how many requests a
worker takes at once, and how fast one device may call.

- The body's size is checked from ``Content-Length`` before anything is read (the HTTP server
  holds a body to the length it declares); a body sent in chunks without one is refused (411).
  Past the limit the request ends with 413 and nothing is handed on.
- A worker takes ``threads x (1 + queue)`` requests at once; the next is answered 503 with
  ``Retry-After`` at once, instead of waiting in a queue that grows without bound. Health,
  readiness and metrics are always answered.
- Each device (by its token) has a token bucket: ``rate`` requests a second, ``burst`` at once;
  beyond it 429 with ``Retry-After``. The buckets are per worker; the attempt limits on
  matching (R12) are the store's, shared by every worker and host.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["Buckets", "Limits"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNLIMITED = ("/healthz", "/readyz", "/metrics")


class Limits:
    """ASGI middleware: the body size and the requests in flight (see the module docs)."""

    def __init__(self, app: ASGIApp, *, max_body: int, in_flight: int, retry_after: int) -> None:
        self.app, self.max_body, self.limit, self.retry_after = (
            app,
            max_body,
            in_flight,
            retry_after,
        )
        self.running = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is None and _chunked(scope):
            await _answer(send, 411, "send the request with a Content-Length")
            return
        if length is not None and length > self.max_body:
            await _answer(send, 413, f"the request body is over {self.max_body:,} bytes")
            return
        if self.running >= self.limit:
            await _answer(
                send,
                503,
                "the service is at capacity; retry shortly",
                {"retry-after": str(self.retry_after)},
            )
            return
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1


class Buckets:
    """Token buckets per device token (kept by a digest of it, never the token), the least
    recently used forgotten beyond ``size``."""

    def __init__(self, rate: float, burst: int, size: int = 10_000) -> None:
        self._rate, self._burst, self._size = rate, burst, size
        self._held: OrderedDict[bytes, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, token: str) -> float:
        """0 when ``token`` may call now (one request taken), else the seconds until it may."""
        key = hashlib.blake2b(token.encode(errors="replace"), digest_size=16).digest()
        now = time.monotonic()
        with self._lock:
            level, then = self._held.pop(key, (float(self._burst), now))
            level = min(float(self._burst), level + (now - then) * self._rate)
            if level >= 1.0:
                self._held[key] = (level - 1.0, now)
                waited = 0.0
            else:
                self._held[key] = (level, now)
                waited = (1.0 - level) / self._rate
            while len(self._held) > self._size:
                self._held.popitem(last=False)
        return waited


def _chunked(scope: Scope) -> bool:
    return any(
        name == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in scope.get("headers", ())
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(
    send: Send, status: int, message: str, headers: dict[str, str] | None = None
) -> None:
    kind = {411: "LengthRequired", 413: "RequestTooLarge", 503: "Overloaded"}.get(status, "Refused")
    data = json.dumps({"error": {"type": kind, "rule": None, "message": message}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})
