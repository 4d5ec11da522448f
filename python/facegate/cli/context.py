"""What every subcommand shares: where the store and the key are, opening the gate, and
writing files a user asked for (``--out``) without destroying anything.

The store is found the same way by every command: ``--store``, else ``$FACEGATE_STORE``, else
``./facegate.db``; a ``postgresql://`` URL names a shared store (whose key must then be named:
there is no file to name it after). ``init`` records nothing anywhere: a user who names the
store once with ``export FACEGATE_STORE=...`` (as the README does) reaches it from every later
command, and one who does not is told so by the first command that cannot find it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from facegate.errors import InvalidArgument, KeyFileError, UnknownId
from facegate.gate import FaceGate
from facegate.keys import DEFAULT_KEY_ENV, MasterKey
from facegate.store.postgres import is_postgres

__all__ = [
    "DEFAULT_STORE",
    "common_options",
    "global_options",
    "key_path",
    "load_key",
    "open_gate",
    "store_path",
    "write_out",
]

STORE_ENV = "FACEGATE_STORE"
KEY_FILE_ENV = "FACEGATE_KEY_FILE"
CHECKPOINTS_ENV = "FACEGATE_CHECKPOINTS"
DEFAULT_STORE = "facegate.db"

_STORE_FILES = ("", "-wal", "-shm", "-journal")
"""The store file and SQLite's companions: none of them is ever written by ``--out``."""


def _add_options(parser: argparse.ArgumentParser, **defaults: Any) -> None:
    parser.add_argument(
        "--store",
        help=f"the store: a SQLite file or a postgresql:// URL (default ${STORE_ENV}, else "
        f"./{DEFAULT_STORE})",
        **defaults,
    )
    parser.add_argument(
        "--key",
        type=Path,
        help=f"the master key file (default ${KEY_FILE_ENV}, else ${DEFAULT_KEY_ENV} holding "
        "the key itself, else the store's name with .key)",
        **defaults,
    )
    parser.add_argument(
        "--checkpoints",
        type=Path,
        help=f"a folder for audit checkpoints, best on other storage (default ${CHECKPOINTS_ENV})",
        **defaults,
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object, not prose (errors too, as {"error": ...})',
        **defaults,
    )


def global_options(parser: argparse.ArgumentParser) -> None:
    """The shared options before the subcommand's name (``facegate --json verify ...``)."""
    _add_options(parser)


def common_options() -> argparse.ArgumentParser:
    """The same options after the subcommand's name (``facegate verify ... --json``). Their
    default is to leave the value given before the name, if any, alone."""
    common = argparse.ArgumentParser(add_help=False)
    _add_options(common, default=argparse.SUPPRESS)
    return common


def store_path(args: argparse.Namespace) -> Path | str:
    """The store the options name: ``--store``, ``$FACEGATE_STORE``, else the default (a
    ``postgresql://`` URL as it is, anything else a path)."""
    named = args.store or os.environ.get(STORE_ENV) or DEFAULT_STORE
    return str(named) if is_postgres(str(named)) else Path(named)


def store_named(args: argparse.Namespace) -> bool:
    """Whether the user named the store (on the command line or in the environment)."""
    return bool(args.store or os.environ.get(STORE_ENV))


def key_path(args: argparse.Namespace) -> Path:
    explicit = args.key or os.environ.get(KEY_FILE_ENV)
    if explicit:
        return Path(explicit)
    store = store_path(args)
    if isinstance(store, str):
        raise KeyFileError(
            f"a postgresql:// store has no file to name its key after: pass --key, or set "
            f"${KEY_FILE_ENV} or ${DEFAULT_KEY_ENV}"
        )
    return store.with_suffix(".key")


def load_key(args: argparse.Namespace) -> MasterKey:
    if not (args.key or os.environ.get(KEY_FILE_ENV)) and os.environ.get(DEFAULT_KEY_ENV):
        return MasterKey.from_env()
    path = key_path(args)
    if not path.exists():
        raise KeyFileError(f"no master key at {path}: pass --key, or run `facegate init`")
    return MasterKey.from_file(path)


def open_gate(args: argparse.Namespace, **options: Any) -> FaceGate:
    """The store named by the options, opened with its key (it must exist: see ``init``).
    ``options`` go to :meth:`FaceGate.open` (an ``encoder``, say). A command is one call, so
    galleries load only if it searches one (a 1:1 verify opens one person's template)."""
    path = store_path(args)
    if isinstance(path, Path) and not path.exists():
        how = (
            f"no store at {path}: run `facegate init --store {path}` first"
            if store_named(args)
            else f"no store at ./{DEFAULT_STORE} (the default: neither --store nor "
            f"${STORE_ENV} names one); name yours with --store or "
            f"`export {STORE_ENV}=/path/to/store.db`, or create it with `facegate init`"
        )
        raise UnknownId(how)
    checkpoints = args.checkpoints or os.environ.get(CHECKPOINTS_ENV)
    options.setdefault("load_galleries", False)
    return FaceGate.open(path, load_key(args), checkpoints=checkpoints, **options)


def _protected(args: argparse.Namespace) -> list[Path]:
    """The files ``--out`` never writes, even with ``--force``: the store and its SQLite
    companions, and the master key file."""
    store = store_path(args)
    if isinstance(store, str):
        return [key_path(args)]
    return [*(store.with_name(store.name + suffix) for suffix in _STORE_FILES), key_path(args)]


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def write_out(args: argparse.Namespace, path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` for ``--out``: never over the store or the key file, not
    over any other existing file unless ``--force`` was given, and never into a folder that
    does not exist (InvalidArgument naming the path, exit 2)."""
    path = Path(path)
    if any(_same_file(path, kept) for kept in _protected(args)):
        raise InvalidArgument(
            f"{path} is the store or its master key; facegate never writes over them "
            "(not even with --force): choose another file"
        )
    if path.is_dir():
        raise InvalidArgument(f"{path} is a folder; --out names a file")
    folder = path.parent
    if not folder.is_dir():
        raise InvalidArgument(
            f"cannot write {path}: the folder {folder} does not exist (create it first)"
        )
    force = bool(getattr(args, "force", False))
    try:
        with path.open("w" if force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise InvalidArgument(
            f"{path} already exists; facegate does not overwrite files unless --force is given"
        ) from None
    except OSError as exc:
        raise InvalidArgument(f"cannot write {path}: {exc.strerror}") from exc


def out_options(parser: argparse.ArgumentParser, what: str = "write to this file") -> None:
    """``--out FILE`` and ``--force`` (to replace an existing file other than the store or
    the key)."""
    parser.add_argument("--out", type=Path, help=f"{what} (never over an existing file)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --out file (never the store or the key file)",
    )
