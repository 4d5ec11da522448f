"""The ``facegate`` command line (also ``python -m facegate``).

Subcommands cover the whole life cycle of a store: ``init``; ``operator``, ``deployment``,
``assessment``, ``assess``, ``activate`` and ``notice`` to set up; ``consent``, ``enroll``,
``verify``, ``identify``, ``decline``, ``erase``, ``purge`` and ``export-subject`` for people;
``audit``, ``incidents``, ``filing`` and ``renew`` for accountability; ``store migrate`` and
``store erasure`` for the store itself; ``device`` for the keys of devices and ``serve`` for the
service they call (facegate.server); and ``demo``, the whole story on a temporary store. Prose
on stdout by default, ``--json`` (before or after the subcommand's name) for one JSON object,
errors included; errors on stderr, naming the rule (R-id) that refused. Every failure ends with
its documented exit code (:mod:`facegate.cli.output`), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from facegate import __version__
from facegate.cli import accountability, demo, devices, people, serving, setup, stores
from facegate.cli.context import common_options, global_options
from facegate.cli.output import EXIT, Output, exit_code
from facegate.errors import FacegateError

__all__ = ["main"]


class UsageError(Exception):
    """A command line argparse could not read (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors come back to :func:`main` (for the JSON error object)
    instead of ending the process."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().rstrip()}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="facegate",
        description="Face recognition behind a consent and policy gate.",
        epilog="Exit codes: 0 success or match, 1 no match, 2 bad usage or input, 3 refused by "
        "a rule, 4 integrity failure, 5 other errors.",
    )
    parser.add_argument("--version", action="version", version=f"facegate {__version__}")
    global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()
    for module in (setup, people, accountability, stores, devices, serving, demo):
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    out = Output(json_mode="--json" in arguments)
    try:
        args = _parser().parse_args(arguments)
    except UsageError as exc:
        out.error(exc, EXIT["usage"], kind="UsageError")
        return EXIT["usage"]
    out = Output(json_mode=bool(args.json))
    try:
        code: int = args.run(args, out)
    except FacegateError as exc:
        code = exit_code(exc)
        out.error(exc, code)
        return code
    except KeyboardInterrupt:
        out.error("interrupted", 130, kind="KeyboardInterrupt")
        return 130
    except BrokenPipeError:
        return EXIT["ok"]
    except OSError as exc:
        # A file the command needed (an image, a folder) that the system refused.
        where = f" ({exc.filename})" if exc.filename else ""
        out.error(f"{exc.strerror or exc}{where}", EXIT["error"], kind=type(exc).__name__)
        return EXIT["error"]
    except Exception as exc:  # the documented exit code, never a traceback
        out.error(
            f"unexpected {type(exc).__name__}: {exc} (a facegate bug: please report it)",
            EXIT["error"],
            kind="InternalError",
        )
        return EXIT["error"]
    return code
