"""``facegate demo``: the README's main job, on a temporary SQLite store."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from facegate.cli.output import Output
from facegate.demo.hotel import run_gate_demo
from facegate.demo.matching import run_matching_demo
from facegate.errors import InvalidArgument

__all__ = ["register"]


def demo(args: argparse.Namespace, out: Output) -> int:
    if args.size < 1 or args.queries < 1 or args.guests < 1:
        raise InvalidArgument("--size, --queries and --guests must be at least 1")
    report = run_matching_demo(args.size, args.queries, seed=args.seed, say=out.say)
    report |= run_gate_demo(args.guests, seed=args.seed, say=out.say, out=args.out)
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
        "mode, then tells the consent gate's story on an SQLite store in a temporary folder.",
    )
    p.add_argument(
        "--size", type=int, default=1_000_000, help="identities searched (default 1,000,000)"
    )
    p.add_argument("--queries", type=int, default=1024, help="probes searched (default 1024)")
    p.add_argument(
        "--guests", type=int, default=100_000, help="guests in the gate story (default 100,000)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, help="write the notice and the assessment here")
    p.set_defaults(run=demo)
