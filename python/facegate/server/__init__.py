"""facegate as a network service (``facegate serve``): the gate over HTTP for kiosks, cameras
and the front desk, with a key per device instead of the master key.

The service is the library over HTTP, not a second library: each route calls the device's
handle (facegate.gate.devices), so the same guard, rules and audit decide; the library's
errors become status codes in one place (:mod:`facegate.server.errors`). Install it with
``pip install 'facegate[serve]'``; docs/SERVICE.md describes the API, the limits and the desk.
"""

from __future__ import annotations

from facegate.server.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app", "serve"]


def create_app(settings: ServiceSettings) -> object:
    """The ASGI application (see :mod:`facegate.server.app`)."""
    from facegate.server.app import create_app as create

    return create(settings)


def serve(settings: ServiceSettings) -> None:
    """Runs the service with its workers until it is stopped."""
    from facegate.server.run import serve as run

    run(settings)
