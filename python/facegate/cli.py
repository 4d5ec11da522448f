"""The ``facegate`` command line (also ``python -m facegate``).

Exit codes: 0 success, 1 a facegate error (message on stderr), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from facegate import __version__
from facegate.demo import run_matching_demo
from facegate.demo_gate import run_gate_demo
from facegate.errors import FacegateError, InvalidArgument

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facegate", description="Face recognition behind a consent and policy gate."
    )
    parser.add_argument("--version", action="version", version=f"facegate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run the matching engine and the consent gate and report what they did and how fast",
        description="Searches a synthetic gallery of face encodings exactly and through the int8 "
        "compressed mode, then tells the consent gate's story on an SQLite store in a temporary "
        "folder: a refused guest-room camera, a lobby deployment, enrolment refused without "
        "consent and done with it, identification, withdrawal.",
    )
    demo.add_argument(
        "--size", type=int, default=1_000_000, help="identities enrolled (default 1,000,000)"
    )
    demo.add_argument("--queries", type=int, default=1024, help="probes searched (default 1024)")
    demo.add_argument(
        "--guests",
        type=int,
        default=10_000,
        help="synthetic guests in the consent-gate story (default 10,000)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--json", action="store_true", help="print one JSON object, not prose")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            if args.size < 1 or args.queries < 1 or args.guests < 1:
                raise InvalidArgument("--size, --queries and --guests must be at least 1")
            say = (lambda _line: None) if args.json else print
            report = run_matching_demo(args.size, args.queries, seed=args.seed, say=say)
            report |= run_gate_demo(args.guests, seed=args.seed, say=say)
            if args.json:
                print(json.dumps(report, indent=2))
    except FacegateError as exc:
        print(f"facegate: error: {exc}", file=sys.stderr)
        return 1
    return 0
