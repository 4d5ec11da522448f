"""Prometheus metrics: requests, latency and refusals by rule, by route template (never a path
with a subject's id in it, never biometric data).

With several workers each process writes its own files under ``$PROMETHEUS_MULTIPROC_DIR``
(set by ``facegate serve``) and ``/metrics`` sums them, so any worker answers for all.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = ["CONTENT_TYPE", "REFUSALS", "REQUESTS", "SECONDS", "exposition"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter("facegate_requests", "Requests answered", ["method", "route", "status"])
SECONDS = Histogram(
    "facegate_request_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REFUSALS = Counter("facegate_refusals", "Calls refused, by rule", ["rule"])


def exposition() -> bytes:
    """The metrics of every worker (one process: this one's)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
