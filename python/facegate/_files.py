"""Files this process must never open with ordinary I/O: the database files it has open.

On POSIX, SQLite's locks are fcntl locks, which belong to the process and the file: closing any
descriptor on a database file drops every lock the process holds on it, so another process may
then delete a ``-wal`` still in use and acknowledged writes vanish. The store registers each
file it opens here (with its ``-wal`` and ``-shm``), and code that opens files a caller names
(images, research stores) asks :func:`is_open_database` first.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["is_open_database", "register_database", "unregister_database"]

_SUFFIXES = ("", "-wal", "-shm", "-journal")
_lock = threading.Lock()
_open: dict[str, int] = {}  # database path -> how many stores of this process have it open


def _identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def register_database(path: str | os.PathLike[str]) -> None:
    """Notes that this process has the SQLite database at ``path`` open."""
    with _lock:
        key = str(Path(path).resolve())
        _open[key] = _open.get(key, 0) + 1


def unregister_database(path: str | os.PathLike[str]) -> None:
    """Notes that one store of this process closed the database at ``path``."""
    with _lock:
        key = str(Path(path).resolve())
        if _open.get(key, 0) <= 1:
            _open.pop(key, None)
        else:
            _open[key] -= 1


def is_open_database(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is (or is a companion file of) a database this process has open: the
    same file by device and inode, whatever the name it is given by, or a companion's name
    (a ``-wal`` that does not exist at the moment must not be created by anyone else)."""
    with _lock:
        databases = list(_open)
    try:
        named = str(Path(path).resolve())
    except (OSError, ValueError):
        return False
    if any(named == database + suffix for database in databases for suffix in _SUFFIXES):
        return True
    target = _identity(path)
    if target is None:
        return False
    return any(
        _identity(database + suffix) == target for database in databases for suffix in _SUFFIXES
    )
