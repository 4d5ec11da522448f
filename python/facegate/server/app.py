"""The ASGI application: the API (:mod:`facegate.server.api`), the consent desk
(:mod:`facegate.server.desk`), health, readiness and metrics, with the limits around them.

FastAPI, because the OpenAPI document comes from the same pydantic models that check every
answer (schemathesis tests the served document against the running service), and a single
exception handler maps the library's errors once (docs/SERVICE.md says more).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from facegate import __version__
from facegate.errors import FacegateError, PolicyRefusal
from facegate.server import api, desk
from facegate.server.errors import Refused, body, status_of
from facegate.server.limits import Limits
from facegate.server.metrics import CONTENT_TYPE, REFUSALS, REQUESTS, SECONDS, exposition
from facegate.server.service import Service
from facegate.server.settings import ServiceSettings

__all__ = ["create_app", "from_environment"]

log = logging.getLogger("facegate.server")


def create_app(settings: ServiceSettings) -> Any:
    """The service over the store the settings name (opened when the application starts, and
    closed, after the requests in flight, when it stops)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = Service.open(settings)
        try:
            yield
        finally:
            app.state.service.close()

    app = FastAPI(
        title="facegate",
        version=__version__,
        summary="Face recognition behind a consent and policy gate, over HTTP",
        lifespan=lifespan,
    )
    app.include_router(api.router)
    app.include_router(desk.router)
    app.add_exception_handler(FacegateError, _answer)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.middleware("http")(_observed)

    @app.get("/healthz", tags=["service"])
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], responses={503: {"description": "not ready"}})
    async def ready(request: Request) -> Response:
        """The store answers (a deployment list read within two seconds)."""
        service: Service = request.app.state.service
        try:
            await service.run(lambda: service.gate.closed or service.gate.deployments())
        except FacegateError as exc:
            return JSONResponse(body(exc), status_code=503, headers={"retry-after": "1"})
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["service"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics: requests, latency, refusals by rule (never biometric data)."""
        return Response(exposition(), media_type=CONTENT_TYPE)

    return Limits(
        app,
        max_body=settings.max_request_bytes,
        in_flight=settings.in_flight,
        retry_after=settings.retry_after,
    )


def from_environment() -> Any:
    """The application for a worker process started by ``facegate serve`` (the settings come
    in ``$FACEGATE_SERVICE``)."""
    return create_app(ServiceSettings.from_env())


async def _answer(request: Request, error: FacegateError) -> JSONResponse:
    if isinstance(error, PolicyRefusal):
        REFUSALS.labels(rule=error.rule or type(error).__name__).inc()
    headers = error.headers if isinstance(error, Refused) else {}
    code = status_of(error)
    if code == 503 and "retry-after" not in headers:
        headers = {**headers, "retry-after": "1"}
    if code == 401:
        headers = {**headers, "www-authenticate": "Bearer"}
    return JSONResponse(body(error), status_code=code, headers=headers)


async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """A request the API's models refuse, in the same shape as every other error; it names
    the fields at fault and never repeats what was sent in them."""
    problems = []
    for item in error.errors()[:10]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    message = "invalid request: " + "; ".join(problems)
    body = {"error": {"type": "InvalidRequest", "rule": None, "message": message}}
    return JSONResponse(body, status_code=422)


async def _http(request: Request, error: HTTPException) -> JSONResponse:
    """What the framework itself refuses (a body that does not parse, an unknown route), in
    the same shape as every other error."""
    kind = {400: "MalformedRequest", 404: "NotFound", 405: "MethodNotAllowed"}
    body = {
        "error": {
            "type": kind.get(error.status_code, "HTTPError"),
            "rule": None,
            "message": str(error.detail),
        }
    }
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)


async def _observed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Any:
    """Counts and logs each request by its route's template (never the path itself, which
    may hold a subject's id), with its status and time; nothing biometric is ever logged."""
    started = time.perf_counter()
    response = await call_next(request)
    seconds = time.perf_counter() - started
    route = getattr(request.scope.get("route"), "path", "unmatched")
    REQUESTS.labels(method=request.method, route=route, status=str(response.status_code)).inc()
    SECONDS.labels(route=route).observe(seconds)
    log.info(
        json.dumps(
            {
                "event": "request",
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "ms": round(seconds * 1000, 1),
            }
        )
    )
    return response
