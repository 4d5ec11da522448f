"""The ``facegate`` command line (also ``python -m facegate``).

Subcommands cover the whole life cycle of a store: ``init``; ``operator``, ``deployment``,
``assessment``, ``assess``, ``activate`` and ``notice`` to set up; ``consent``, ``enroll``,
``verify``, ``identify``, ``decline``, ``erase``, ``purge`` and ``export-subject`` for people;
``audit``, ``incidents``, ``filing`` and ``renew`` for accountability; and ``demo``, the whole
story on a temporary store. Prose on stdout by default, ``--json`` for one JSON object; errors
on stderr, naming the rule (R-id) that refused. Exit codes are in :mod:`facegate.cli.output`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from facegate import __version__
from facegate.cli import accountability, demo, people, setup
from facegate.cli.context import common_options
from facegate.cli.output import EXIT, Output, exit_code
from facegate.errors import FacegateError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facegate",
        description="Face recognition behind a consent and policy gate.",
        epilog="Exit codes: 0 success or match, 1 no match, 2 bad usage or input, 3 refused by "
        "a rule, 4 integrity failure, 5 other errors.",
    )
    parser.add_argument("--version", action="version", version=f"facegate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()
    for module in (setup, people, accountability, demo):
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    out = Output(json_mode=bool(getattr(args, "json", False)))
    try:
        code: int = args.run(args, out)
    except FacegateError as exc:
        out.error(exc)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("facegate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT["ok"]
    return code
