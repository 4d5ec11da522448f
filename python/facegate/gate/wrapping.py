"""Which key wraps the data keys, and what makes an erasure final in the database's files.

SQLite (:class:`MasterWrapping`): the master key wraps every data key; an erasure deletes the
wrapped key and the engine overwrites it (``secure_delete``, the WAL truncated), so no copy is
left to open.

PostgreSQL (:class:`EpochWrapping`): deleted rows survive in dead tuples, in the WAL and in base
backups, and the master key outlives them all, so a data key wrapped by it could be opened from
any such copy for ever. There the data keys are wrapped by an *erasure epoch key* instead:

- epoch ``n``'s key is kept outside the database, in ``erasure-<n>.key`` (mode 0600) in this
  store's folder on each host (the folder of its checkpoints), never in the database in any form;
- after an erasure commits, the store moves to epoch ``n + 1`` before the call returns: every
  live data key is re-wrapped under the next key, ``K(n+1) = HKDF(K(n), "epoch n+1")``, in one
  transaction, and the file of epoch ``n`` is deleted. The ratchet runs one way: each process, on
  any host, that sees the new epoch computes the next key itself from the one it holds and
  deletes its old file, and nobody can compute an old key from a newer one;
- so the copies of an erased person's wrapped key that remain in the database's files are
  wrapped under epoch keys that no longer exist anywhere, once every host holding the store has
  followed (running processes follow on their next call; a host that is not running keeps its
  old key file until its first open, which is the bound to state).

A host joins a store by copying the current key file from a host that uses it (see
docs/POSTGRES.md); :func:`erasure_status` is what a user checks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from facegate.errors import KeyFileError
from facegate.keys import KmsMasterKey, MasterKey
from facegate.store import Store

__all__ = ["EpochWrapping", "ErasureStatus", "MasterWrapping", "Wrapping", "wrapping_for"]

_PREFIX, _SUFFIX = "erasure-", ".key"


@dataclass(frozen=True, slots=True)
class ErasureStatus:
    """Where a store's erasure keys stand on this host.

    Attributes:
        epoch: the store's erasure epoch (None: the master key wraps the data keys).
        key_id: the id of the key that wraps every data key now.
        data_keys: how many data keys the store holds.
        wrapped_otherwise: how many of them are wrapped under another key (0 when sound).
        key_files: the erasure key files on this host (only the current one when sound).
    """

    epoch: int | None
    key_id: str
    data_keys: int
    wrapped_otherwise: int
    key_files: tuple[str, ...]


class Wrapping:
    """The key data keys are wrapped under, and the step that makes an erasure final."""

    @property
    def key(self) -> MasterKey | KmsMasterKey:
        raise NotImplementedError

    def follow(self) -> None:
        """Catches up with what other processes did to the keys (inside a transaction)."""

    def after_erasure(self, done: Callable[[], None]) -> None:
        """Runs after an erasure committed: leaves no openable copy; ``done`` once none is."""
        raise NotImplementedError

    def status(self) -> ErasureStatus:
        raise NotImplementedError

    def exported(self, wrapped: bytes, subject: str) -> bytes:
        """A stored wrapped key as the master key wraps it (what an export hands over)."""
        return wrapped


class MasterWrapping(Wrapping):
    """The master key wraps the data keys; the engine's files forget deleted rows."""

    def __init__(self, store: Store, master: MasterKey | KmsMasterKey) -> None:
        self._store, self._master = store, master

    @property
    def key(self) -> MasterKey | KmsMasterKey:
        return self._master

    def after_erasure(self, done: Callable[[], None]) -> None:
        self._store.compact(done)

    def status(self) -> ErasureStatus:
        return _status(self._store, None, self._master.id, ())


class EpochWrapping(Wrapping):
    """Erasure epoch keys wrap the data keys (see the module docs)."""

    def __init__(self, store: Store, master: MasterKey | KmsMasterKey, folder: Path) -> None:
        self._store, self._master, self._folder = store, master, folder
        self._lock = threading.Lock()
        with store.transaction():
            epoch = store.meta.erasure_epoch()
            if epoch is None:  # a new store, or one moved here from SQLite
                self._epoch, self._key = 0, MasterKey.generate()
                self._write(0, self._key)
                self._rewrap(master, self._key)
                store.meta.set_erasure_epoch(0)
                store.after_commit(lambda: self._forget_below(0))
            else:
                self._epoch, self._key = self._held(epoch)

    @property
    def key(self) -> MasterKey:
        return self._key

    def follow(self) -> None:
        epoch = self._store.meta.erasure_epoch()
        if epoch is not None and epoch != self._epoch:
            with self._lock:
                self._epoch, self._key = self._held(epoch)

    def after_erasure(self, done: Callable[[], None]) -> None:
        """Moves the store to the next epoch (its own transaction, after the erasure's)."""
        # The transaction first, then the lock, as in follow() (called inside a transaction).
        with self._store.transaction(), self._lock:
            epoch = self._store.meta.erasure_epoch()
            if epoch != self._epoch:
                self._epoch, self._key = self._held(int(str(epoch)))
            following = self._key.ratchet(f"epoch {self._epoch + 1}")
            self._write(self._epoch + 1, following)
            self._rewrap(self._key, following)
            self._store.meta.set_erasure_epoch(self._epoch + 1)
        self._epoch, self._key = self._epoch + 1, following
        self._forget_below(self._epoch)
        self._store.compact(done)  # a SQLite file (a store moved from PostgreSQL) forgets too

    def status(self) -> ErasureStatus:
        return _status(self._store, self._epoch, self._key.id, self._files())

    def exported(self, wrapped: bytes, subject: str) -> bytes:
        return self._master.wrap(self._key.unwrap(wrapped, subject), subject)

    # ----- the key files --------------------------------------------------------------------

    def _held(self, epoch: int) -> tuple[int, MasterKey]:
        """The key of ``epoch``, from this host's newest file at or before it (walked forward,
        the file rewritten), its older files deleted."""
        usable = [n for n in self._numbers() if n <= epoch]
        if not usable:
            raise KeyFileError(
                f"this host holds no erasure key for {self._store.location} (epoch {epoch}): "
                f"copy the current {_PREFIX}<n>{_SUFFIX} from a host that uses the store into "
                f"{self._folder}"
            )
        start = max(usable)
        key = MasterKey.from_file(self._path(start))
        for n in range(start + 1, epoch + 1):
            key = key.ratchet(f"epoch {n}")
        if start != epoch:
            self._write(epoch, key)
        self._forget_below(epoch)
        return epoch, key

    def _write(self, epoch: int, key: MasterKey) -> None:
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self._path(epoch)
        try:
            key.write(target)
        except KeyFileError:
            if not target.exists() or MasterKey.from_file(target).id != key.id:
                raise
        _sync_folder(self._folder)

    def _forget_below(self, epoch: int) -> None:
        for n in self._numbers():
            if n < epoch:
                self._path(n).unlink(missing_ok=True)
        _sync_folder(self._folder)

    def _numbers(self) -> list[int]:
        if not self._folder.is_dir():
            return []
        found = []
        for name in os.listdir(self._folder):
            middle = name[len(_PREFIX) : -len(_SUFFIX)]
            if name.startswith(_PREFIX) and name.endswith(_SUFFIX) and middle.isdigit():
                found.append(int(middle))
        return sorted(found)

    def _files(self) -> tuple[str, ...]:
        return tuple(str(self._path(n)) for n in self._numbers())

    def _path(self, epoch: int) -> Path:
        return self._folder / f"{_PREFIX}{epoch}{_SUFFIX}"

    def _rewrap(self, old: MasterKey | KmsMasterKey, new: MasterKey) -> None:
        """Every data key of the store re-wrapped from ``old`` to ``new`` (in the caller's
        transaction)."""
        rows = self._store.data_keys.all()
        if isinstance(old, MasterKey):
            moved = [(s, old.rewrap(w, s, new)) for s, w in rows]
        else:
            moved = [(s, new.wrap(old.unwrap(w, s), s)) for s, w in rows]
        self._store.data_keys.rewrap(moved, master_key_id=new.id)


def _sync_folder(folder: Path) -> None:
    """Makes the folder's entries (a key file written or deleted) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _status(store: Store, epoch: int | None, key_id: str, files: tuple[str, ...]) -> ErasureStatus:
    count, other = store.data_keys.wrapped_by(key_id)
    return ErasureStatus(epoch, key_id, count, other, files)


def wrapping_for(store: Store, master: MasterKey | KmsMasterKey, folder: Path) -> Wrapping:
    """The wrapping the store's engine needs (see the module docs); a SQLite store moved from
    PostgreSQL keeps its erasure epochs."""
    if store.overwrites_deleted and store.meta.erasure_epoch() is None:
        return MasterWrapping(store, master)
    return EpochWrapping(store, master, folder)
