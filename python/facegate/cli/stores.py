"""Subcommands about the store itself: moving it to another engine, and its erasure keys."""

from __future__ import annotations

import argparse
from typing import Any

from facegate.cli.context import load_key, open_gate
from facegate.cli.output import EXIT, Output
from facegate.gate.moving import move_store

__all__ = ["register"]


def migrate(args: argparse.Namespace, out: Output) -> int:
    """Moves SRC to DST (a new SQLite file or an empty PostgreSQL database): SRC is retired,
    the copy opened with the key and verified in full (facegate.gate.moving)."""
    counts, verified = move_store(args.source, args.destination, load_key(args))
    rows = ", ".join(f"{n:,} {t}" for t, n in counts.items() if n and t != "meta")
    out.result(
        {"copied": counts, "destination": args.destination, "verified": verified},
        f"moved {args.source} to {args.destination}: {rows or 'an empty store'} ({args.source} "
        f"is retired)\n{verified}",
    )
    return EXIT["ok"] if verified.ok else EXIT["integrity"]


def erasure(args: argparse.Namespace, out: Output) -> int:
    status = open_gate(args).erasure_status()
    lines = [
        f"data keys: {status.data_keys:,}, all wrapped under key {status.key_id}"
        if not status.wrapped_otherwise
        else f"data keys: {status.data_keys:,}, {status.wrapped_otherwise:,} NOT under the "
        f"current key {status.key_id}",
        "erasure epochs: none (SQLite: erased rows are overwritten in the file)"
        if status.epoch is None
        else f"erasure epoch {status.epoch}; key files on this host: "
        + (", ".join(status.key_files) or "none"),
    ]
    out.result(status, "\n".join(lines))
    sound = not status.wrapped_otherwise and (status.epoch is None or len(status.key_files) == 1)
    return EXIT["ok"] if sound else EXIT["integrity"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands."""
    store = commands.add_parser("store", help="the store itself: move it, check its erasure keys")
    acts = store.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = acts.add_parser(
        "migrate",
        parents=[common],
        help="move a store to another engine (SQLite <-> PostgreSQL), verified there",
    )
    p.add_argument("source", help="the store to copy (a SQLite file or a postgresql:// URL)")
    p.add_argument("destination", help="a new SQLite file or an empty PostgreSQL database")
    p.set_defaults(run=migrate)
    p = acts.add_parser(
        "erasure",
        parents=[common],
        help="which key wraps the data keys, and this host's erasure key files (R13)",
    )
    p.set_defaults(run=erasure)
