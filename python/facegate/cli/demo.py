"""``facegate demo``: the README's main job, on a temporary SQLite store."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from facegate.cli.context import write_out
from facegate.cli.output import Output
from facegate.demo.hotel import DOCUMENTS, require_photograph, run_gate_demo
from facegate.demo.matching import run_matching_demo
from facegate.errors import InvalidArgument

__all__ = ["register"]


def _folder(args: argparse.Namespace) -> Path | None:
    """The ``--out`` folder, made if missing (its parent must exist), checked before the
    demo's minutes of work rather than after."""
    folder: Path | None = args.out
    if folder is None:
        return None
    if folder.exists() and not folder.is_dir():
        raise InvalidArgument(f"--out {folder} is a file; it names a folder for the documents")
    if not folder.parent.is_dir():
        raise InvalidArgument(
            f"cannot write into {folder}: the folder {folder.parent} does not exist"
        )
    there = [name for name in DOCUMENTS if (folder / name).exists()]
    if there and not args.force:
        raise InvalidArgument(
            f"{folder} already holds {', '.join(there)}; facegate does not overwrite files "
            "unless --force is given"
        )
    folder.mkdir(exist_ok=True)
    return folder


def demo(args: argparse.Namespace, out: Output) -> int:
    if args.size < 1 or args.queries < 1 or args.guests < 1:
        raise InvalidArgument("--size, --queries and --guests must be at least 1")
    require_photograph()
    folder = _folder(args)
    report = run_matching_demo(args.size, args.queries, seed=args.seed, say=out.say)
    gate_report, documents = run_gate_demo(args.guests, seed=args.seed, say=out.say)
    report |= gate_report
    if folder is not None:
        for name, text in documents.items():
            write_out(args, folder / name, text + "\n")
        out.say(f"  {', '.join(documents)} written to {folder}")
        report["documents"] = [str(folder / name) for name in documents]
    if out.json:
        print(json.dumps(report, indent=2))
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds ``demo``."""
    p = commands.add_parser(
        "demo",
        parents=[common],
        help="the whole story on a temporary store, with timings",
        description="Searches a synthetic gallery exactly and through the int8 compressed "
        "mode, then tells the consent gate's story at a hotel on an SQLite store in a "
        "temporary folder: 1:1 verification at check-in, 1:N only for a small loyalty lounge, "
        "the filing monitor at 100,000 guests. Needs scikit-image for its one real "
        "photograph (pip install 'facegate[demo]').",
    )
    p.add_argument(
        "--size", type=int, default=1_000_000, help="identities searched (default 1,000,000)"
    )
    p.add_argument("--queries", type=int, default=1024, help="probes searched (default 1024)")
    p.add_argument(
        "--guests", type=int, default=100_000, help="guests in the gate story (default 100,000)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--out", type=Path, help="write each deployment's notices and assessment into this folder"
    )
    p.add_argument(
        "--force", action="store_true", help="replace documents already in the --out folder"
    )
    p.set_defaults(run=demo)
