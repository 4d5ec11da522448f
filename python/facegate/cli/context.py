"""What every subcommand shares: where the store and the key are, and opening the gate."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from facegate.errors import KeyFileError, UnknownId
from facegate.gate import FaceGate
from facegate.keys import DEFAULT_KEY_ENV, MasterKey

__all__ = ["common_options", "key_path", "load_key", "open_gate", "store_path"]

STORE_ENV = "FACEGATE_STORE"
KEY_FILE_ENV = "FACEGATE_KEY_FILE"
CHECKPOINTS_ENV = "FACEGATE_CHECKPOINTS"


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes (so they may follow the subcommand's name)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        type=Path,
        help=f"the SQLite store (default ${STORE_ENV}, else ./facegate.db)",
    )
    common.add_argument(
        "--key",
        type=Path,
        help=f"the master key file (default ${KEY_FILE_ENV}, else ${DEFAULT_KEY_ENV} holding "
        "the key itself, else the store's name with .key)",
    )
    common.add_argument(
        "--checkpoints",
        type=Path,
        help=f"a folder for audit checkpoints, best on other storage (default ${CHECKPOINTS_ENV})",
    )
    common.add_argument("--json", action="store_true", help="print one JSON object, not prose")
    return common


def store_path(args: argparse.Namespace) -> Path:
    return Path(args.store or os.environ.get(STORE_ENV) or "facegate.db")


def key_path(args: argparse.Namespace) -> Path:
    explicit = args.key or os.environ.get(KEY_FILE_ENV)
    return Path(explicit) if explicit else store_path(args).with_suffix(".key")


def load_key(args: argparse.Namespace) -> MasterKey:
    if not (args.key or os.environ.get(KEY_FILE_ENV)) and os.environ.get(DEFAULT_KEY_ENV):
        return MasterKey.from_env()
    path = key_path(args)
    if not path.exists():
        raise KeyFileError(f"no master key at {path}: pass --key, or run `facegate init`")
    return MasterKey.from_file(path)


def open_gate(args: argparse.Namespace) -> FaceGate:
    """The store named by the options, opened with its key (it must exist: see ``init``)."""
    path = store_path(args)
    if not path.exists():
        raise UnknownId(f"no store at {path}: run `facegate init --store {path}` first")
    checkpoints = args.checkpoints or os.environ.get(CHECKPOINTS_ENV)
    return FaceGate.open(path, load_key(args), checkpoints=checkpoints)
