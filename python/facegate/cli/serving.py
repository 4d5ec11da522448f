"""``facegate serve``: the gate as a network service (facegate.server)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from facegate.cli.context import CHECKPOINTS_ENV, key_path, store_path
from facegate.cli.output import Output
from facegate.errors import KeyFileError, MissingExtra, StoreUnavailable

__all__ = ["register"]


def serve(args: argparse.Namespace, out: Output) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401

        from facegate.server import ServiceSettings
        from facegate.server import serve as run
    except ImportError as exc:
        raise MissingExtra(
            "`facegate serve` needs the service's packages: pip install 'facegate[serve]'"
        ) from exc
    store = store_path(args)
    if isinstance(store, Path) and not store.exists():
        raise StoreUnavailable(f"no store at {store}: run `facegate init --store {store}` first")
    key = key_path(args)
    if not key.exists():
        raise KeyFileError(f"no master key at {key}: the service reads the key from its file")
    checkpoints = args.checkpoints or os.environ.get(CHECKPOINTS_ENV)
    settings = ServiceSettings(
        store=str(store),
        key_file=str(key.resolve()),
        checkpoints=None if checkpoints is None else str(Path(checkpoints).resolve()),
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        max_request_bytes=args.max_request_mb * 1024 * 1024,
        rate=args.rate,
        burst=args.burst,
        queue=args.queue,
        timeout=args.timeout,
    )
    print(
        f"facegate serving {store} on http://{settings.host}:{settings.port} "
        f"({settings.workers} worker(s) x {settings.threads_per_worker} thread(s)); "
        "Ctrl-C or SIGTERM stops it after the requests in flight",
        file=sys.stderr,
        flush=True,
    )
    run(settings)
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands."""
    p = commands.add_parser(
        "serve",
        parents=[common],
        help="serve the gate over HTTP to devices holding device keys (facegate device add)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=8750, help="TCP port (default 8750)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument(
        "--threads", type=int, default=0, help="threads per worker (default: cores / workers)"
    )
    p.add_argument(
        "--max-request-mb", type=int, default=24, help="largest request body in MiB (24)"
    )
    p.add_argument("--rate", type=float, default=20.0, help="requests per second per device (20)")
    p.add_argument("--burst", type=int, default=40, help="requests a device may make at once (40)")
    p.add_argument(
        "--queue",
        type=int,
        default=8,
        help="requests waiting per thread before 503 and Retry-After (8)",
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before a request is answered 503"
    )
    p.set_defaults(run=serve)
