"""``facegate serve``: the application under uvicorn, with its worker processes.

uvicorn starts several workers by spawning fresh interpreters (the store's connections and the
Rust core's thread pool do not survive ``fork()``); each opens the store itself. SIGTERM or
SIGINT stops taking connections and gives the requests in flight ``grace`` seconds to finish.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile

from facegate.server.settings import ENV, ServiceSettings

__all__ = ["serve"]


def serve(settings: ServiceSettings) -> None:
    """Runs the service until it is stopped (blocks)."""
    import uvicorn

    os.environ[ENV] = settings.to_env()
    threads = str(settings.threads_per_worker)
    # Each worker's Rust core uses as many threads as the worker has: workers x threads fit.
    os.environ.setdefault("RAYON_NUM_THREADS", threads)
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="facegate-metrics-")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    # uvicorn raises the signal that stopped it again once it has shut down; a stop asked for
    # and done cleanly then ends with status 0, as a service manager expects.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)
    uvicorn.run(
        "facegate.server.app:from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=int(settings.grace),
        log_level="warning",
        access_log=False,
        server_header=False,
        limit_max_requests=None,
    )
