"""Keys and template protection (R13, R15-R18, R22).

Face templates are stored only sealed: AES-256-GCM-SIV under a random per-subject
:class:`DataKey`, which is stored only wrapped by the :class:`MasterKey` (the key-encryption key,
held outside the database). Destroying a subject's wrapped data key makes every template sealed
under it unrecoverable: crypto-shredding. Before sealing, templates are turned by the
deployment's secret :class:`Rotation`, so the same face in two deployments cannot be linked.

Key material lives in Rust memory that is wiped when the object is freed; Python code holds
opaque handles and never sees key bytes (except through the KMS hook, :class:`KmsMasterKey`,
where a key service must see the data key it wraps). Byte formats: ``docs/FORMAT.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate import _core
from facegate._arrays import as_count, as_ids, as_matrix
from facegate._files import is_open_database
from facegate._text import checked_text
from facegate.errors import InvalidArgument, KeyFileError
from facegate.matching import Gallery

__all__ = [
    "DataKey",
    "KmsMasterKey",
    "MasterKey",
    "Rotation",
    "open_into_gallery",
    "open_template",
    "renew_template",
    "seal_template",
    "sealed_len",
]

DEFAULT_KEY_ENV = "FACEGATE_MASTER_KEY"
_ROOT_SUBJECT = "facegate:derivation-root"


class DataKey:
    """A subject's random 256-bit template key. ``id`` is a public fingerprint (16 hex digits)."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _core.DataKey) -> None:
        self._inner = inner

    @classmethod
    def generate(cls) -> DataKey:
        """A new random data key."""
        return cls(_core.DataKey.generate())

    @property
    def id(self) -> str:
        return self._inner.id

    def __repr__(self) -> str:
        return f"DataKey(id={self.id})"


class MasterKey:
    """The key-encryption key: wraps data keys, derives rotations, never enters the database.

    Load it with :meth:`from_file` (a key file of mode 0600, refused if group or others can
    access it), :meth:`from_env` (``FACEGATE_MASTER_KEY`` by default) or :meth:`from_bytes`;
    create one with :meth:`generate`. For a KMS or HSM use :class:`KmsMasterKey`.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: _core.MasterKey) -> None:
        self._inner = inner

    @classmethod
    def generate(cls, path: str | os.PathLike[str] | None = None) -> MasterKey:
        """A new random key; with ``path``, also written there as a new file of mode 0600.

        Raises KeyFileError if the file exists or cannot be written.
        """
        if path is None:
            return cls(_core.MasterKey.generate())
        return cls(_core.MasterKey.create_file(_key_path(path)))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MasterKey:
        """The key in ``path``.

        Raises InsecureKeyFile for a file group or others may access, KeyFileError for a
        missing or unreadable file, one that holds no key, one that is not a regular file (a
        FIFO is refused at once: reading never waits), and a database file this process has
        open as a store (opening and closing it would drop the store's locks).
        """
        return cls(_core.MasterKey.from_file(_key_path(path)))

    @classmethod
    def from_env(cls, name: str = DEFAULT_KEY_ENV) -> MasterKey:
        """The key in environment variable ``name`` (the key file's line, or 64 hex digits)."""
        return cls(_core.MasterKey.from_env(checked_text(name, "name")))

    @classmethod
    def from_bytes(cls, data: bytes) -> MasterKey:
        """A key from exactly 32 bytes (prefer a file or the environment: Python cannot wipe
        ``bytes``)."""
        return cls(_core.MasterKey.from_bytes(_blob(data, "data")))

    @property
    def id(self) -> str:
        """Public fingerprint (16 hex digits), recorded with everything the key protects."""
        return self._inner.id

    def wrap(self, key: DataKey, subject: str) -> bytes:
        """``key`` wrapped for ``subject``; only this master key can unwrap it, for that subject."""
        return self._inner.wrap(key._inner, checked_text(subject, "subject"))

    def unwrap(self, wrapped: bytes, subject: str) -> DataKey:
        """The data key in ``wrapped``. Raises WrongKey, TamperedData or MalformedData."""
        return DataKey(
            self._inner.unwrap(_blob(wrapped, "wrapped"), checked_text(subject, "subject"))
        )

    def rewrap(self, wrapped: bytes, subject: str, new: MasterKey) -> bytes:
        """Master-key rotation: ``wrapped`` re-wrapped under ``new``; templates are untouched."""
        return self._inner.rewrap(
            _blob(wrapped, "wrapped"), checked_text(subject, "subject"), new._inner
        )

    def ratchet(self, label: str) -> MasterKey:
        """The next key of a one-way ratchet (HKDF-SHA256 of this key with ``label``): whoever
        holds it cannot compute this one back (facegate.gate.wrapping's erasure epochs)."""
        return MasterKey(self._inner.ratchet(checked_text(label, "label").encode()))

    def write(self, path: str | os.PathLike[str]) -> None:
        """Writes this key to ``path`` as a new key file of mode 0600 (it must not exist).

        Raises KeyFileError if it exists or cannot be written.
        """
        self._inner.write_file(_key_path(path))

    def tag(self, domain: str, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under a key derived from this one for ``domain`` (the
        audit trail's head, pseudonymous subject references); the key stays in Rust."""
        return self._inner.tag(domain, message)

    def check_tag(self, domain: str, message: bytes, tag: bytes) -> bool:
        """Whether ``tag`` is :meth:`tag` of ``message``, compared in constant time."""
        return self._inner.check_tag(domain, message, tag)

    def __repr__(self) -> str:
        return f"MasterKey(id={self.id})"


class KmsMasterKey:
    """A master key held by a key service: data keys are wrapped and unwrapped by callables.

    Args:
        wrap: ``wrap(data_key_bytes, subject) -> blob``, e.g. a KMS Encrypt call.
        unwrap: ``unwrap(blob, subject) -> data_key_bytes``, e.g. a KMS Decrypt call.
        key_id: the service's name for the key, recorded like :attr:`MasterKey.id`.

    The service sees the data key's bytes, which is what wrapping by a KMS means; facegate
    holds them only inside the call.

    Whatever a callable raises (an outage, access denied, a lost key), and a result that is not
    bytes (``None``, say) or not a 32-byte data key, is raised as KeyFileError naming the key
    service and the exception's type, with the service's own exception as its ``__cause__``:
    the master key could not be used, which is not damage to the store. A data key that
    unwraps to the wrong key is caught later, as TamperedData, when templates fail to open.
    """

    __slots__ = ("_unwrap", "_wrap", "id")

    def __init__(
        self,
        wrap: Callable[[bytes, str], bytes],
        unwrap: Callable[[bytes, str], bytes],
        *,
        key_id: str,
    ) -> None:
        if not callable(wrap) or not callable(unwrap):
            raise InvalidArgument("wrap and unwrap must be callables (the key service's calls)")
        self._wrap, self._unwrap, self.id = wrap, unwrap, checked_text(key_id, "key_id")

    def wrap(self, key: DataKey, subject: str) -> bytes:
        """``key`` wrapped by the service for ``subject``; raises KeyFileError if it fails."""
        subject = checked_text(subject, "subject")
        wrapped = self._call(self._wrap, "wrap", key._inner._to_kms(), subject)
        if not wrapped:
            raise KeyFileError(f"key service {self.id!r} returned an empty wrapped key")
        return wrapped

    def derivation_root(self, wrapped: bytes | None) -> tuple[MasterKey, bytes]:
        """A key for what a store derives rather than wraps (rotations, audit tags): random,
        wrapped by the service like a data key, and kept wrapped in the store. Pass the stored
        blob (None the first time); returns the root and the blob to store."""
        if wrapped is None:
            key = DataKey.generate()
            wrapped = self.wrap(key, _ROOT_SUBJECT)
        else:
            key = self.unwrap(wrapped, _ROOT_SUBJECT)
        return MasterKey(_core.MasterKey._from_data_key(key._inner)), wrapped

    def unwrap(self, wrapped: bytes, subject: str) -> DataKey:
        """The data key the service unwraps from ``wrapped``; raises KeyFileError if it
        fails or returns something that is not a 32-byte key."""
        blob = _blob(wrapped, "wrapped")
        raw = self._call(self._unwrap, "unwrap", blob, checked_text(subject, "subject"))
        try:
            return DataKey(_core.DataKey._from_kms(raw))
        except InvalidArgument as exc:  # the core's length check
            raise KeyFileError(
                f"key service {self.id!r} returned {len(raw)} bytes from unwrap, not a "
                "32-byte data key"
            ) from exc

    def _call(
        self, call: Callable[[bytes, str], bytes], verb: str, data: bytes, subject: str
    ) -> bytes:
        """``call(data, subject)`` as bytes; its failures as KeyFileError."""
        try:
            result = call(data, subject)
        except Exception as exc:
            # Only the type: the service's message may quote what it was given.
            raise KeyFileError(
                f"key service {self.id!r} failed to {verb} a data key ({type(exc).__name__}); "
                "check the service and its credentials, then retry"
            ) from exc
        if not isinstance(result, bytes | bytearray | memoryview):
            raise KeyFileError(
                f"key service {self.id!r} returned {type(result).__name__} from {verb}, not bytes"
            )
        return bytes(result)

    def __repr__(self) -> str:
        return f"KmsMasterKey(id={self.id!r})"


class Rotation:
    """A deployment's secret orthogonal transform (R18), derived from the master key.

    It preserves every Euclidean distance, so matching is unchanged; the same face enrolled in two
    deployments gives templates as far apart as two strangers'. ``epoch`` renews it: re-keying
    turns templates back with the old rotation and forward with the new one.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: _core.Rotation) -> None:
        self._inner = inner

    @classmethod
    def derive(
        cls, master: MasterKey, deployment: str, *, epoch: int = 0, dim: int = 128
    ) -> Rotation:
        """The rotation of ``deployment`` at ``epoch`` for ``dim``-wide templates."""
        epoch = as_count(epoch, name="epoch")
        if epoch >= 2**32:
            raise InvalidArgument(f"epoch must be between 0 and 2**32 - 1, got {epoch}")
        # The core refuses widths beyond its bound with its own message; 2**64 must not reach it.
        width = min(as_count(dim, name="dim"), 2**32)
        return cls(
            _core.Rotation.derive(
                master._inner, checked_text(deployment, "deployment"), epoch, width
            )
        )

    @property
    def dim(self) -> int:
        return self._inner.dim

    def apply(self, vectors: Any) -> npt.NDArray[np.float32]:
        """The rotated templates, ``[n, dim]`` (one vector gives one row)."""
        return self._inner.apply(as_matrix(vectors, name="vectors", dim=self.dim))

    def apply_inverse(self, vectors: Any) -> npt.NDArray[np.float32]:
        """The templates rotated back."""
        return self._inner.apply_inverse(as_matrix(vectors, name="vectors", dim=self.dim))

    def __repr__(self) -> str:
        return f"Rotation(dim={self.dim})"


def sealed_len(dim: int = 128) -> int:
    """Bytes of a sealed template of ``dim`` values (34 header + 4·dim + 16 tag)."""
    return _core.sealed_len(dim)


def seal_template(
    template: Any, key: DataKey, *, deployment: str, subject: str, template_id: int
) -> bytes:
    """``template`` sealed under ``key``; deployment, subject and template id are authenticated
    with it, so it opens nowhere else. Each call uses a fresh random nonce."""
    if not (
        isinstance(template, np.ndarray)
        and template.dtype == np.float32
        and template.ndim == 1
        and template.flags.c_contiguous
    ):
        matrix = as_matrix(template, name="template")
        if matrix.shape[0] != 1:
            raise InvalidArgument("seal_template seals one template; call it once per template")
        template = matrix[0]
    return _core.seal_template(template, key._inner, *_context(deployment, subject, template_id))


def open_template(
    sealed: bytes, key: DataKey, *, deployment: str, subject: str, template_id: int
) -> npt.NDArray[np.float32]:
    """The template in ``sealed``. Raises TamperedData, WrongKey, UnsupportedFormat or
    MalformedData; there is no fallback to anything unauthenticated."""
    return _core.open_template(
        _blob(sealed, "sealed"), key._inner, *_context(deployment, subject, template_id)
    )


def renew_template(
    sealed: bytes,
    key: DataKey,
    *,
    deployment: str,
    subject: str,
    template_id: int,
    old: Rotation,
    new: Rotation,
) -> bytes:
    """Re-keys a sealed template from rotation ``old`` to ``new`` (R18 renewal): opened, turned
    back and forward, and sealed again inside Rust; the plaintext never reaches Python."""
    return _core.renew_template(
        _blob(sealed, "sealed"),
        key._inner,
        *_context(deployment, subject, template_id),
        old._inner,
        new._inner,
    )


def open_into_gallery(
    gallery: Gallery,
    master: MasterKey | KmsMasterKey,
    *,
    ids: Any,
    sealed: Sequence[bytes],
    wrapped_keys: Sequence[bytes],
    subjects: Sequence[str],
    deployment: str,
) -> None:
    """Opens sealed templates straight into ``gallery``, all or nothing.

    Row i is template ``ids[i]`` of ``subjects[i]``, sealed as ``sealed[i]`` under the data key
    ``wrapped_keys[i]``. With a :class:`MasterKey`, keys are unwrapped and templates decrypted in
    Rust, in parallel, with the GIL released: neither ever becomes a Python object. If any row
    fails, the error names its template id and nothing is added.
    """
    id_array = as_ids(ids)
    if not len(sealed) == len(wrapped_keys) == len(subjects) == len(id_array):
        raise InvalidArgument(
            f"{len(id_array)} ids need as many sealed templates, wrapped keys and subjects; "
            f"got {len(sealed)}, {len(wrapped_keys)} and {len(subjects)}"
        )
    deployment = checked_text(deployment, "deployment")
    try:
        if isinstance(master, KmsMasterKey):
            keys = [master.unwrap(w, s)._inner for w, s in zip(wrapped_keys, subjects, strict=True)]
            _core.open_keys_into_gallery(
                gallery._inner, keys, id_array, list(sealed), list(subjects), deployment
            )
            return
        _core.open_into_gallery(
            gallery._inner,
            master._inner,
            id_array,
            list(sealed),
            list(wrapped_keys),
            list(subjects),
            deployment,
        )
    except (TypeError, UnicodeEncodeError) as exc:
        # Checked by the binding as it borrows the rows (no per-row cost here on the load path).
        raise InvalidArgument(
            "sealed templates and wrapped keys must be bytes, subjects text without unpaired "
            f"surrogates ({type(exc).__name__})"
        ) from exc


def _blob(value: Any, name: str) -> bytes:
    """``value`` as bytes; refuses what ``bytes()`` would misread (an int gives zeros)."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidArgument(f"{name} must be bytes, not {type(value).__name__}")
    return bytes(value)


def _context(deployment: Any, subject: Any, template_id: Any) -> tuple[str, str, int]:
    """A seal context's three fields, checked."""
    return (
        checked_text(deployment, "deployment"),
        checked_text(subject, "subject"),
        as_count(template_id, name="template_id"),
    )


def _key_path(path: Any) -> str:
    """A key file's path as text, refused (before anything opens it) when it is a database
    file this process has open: opening and closing it would drop the store's locks."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(
            f"a key file path must be str or os.PathLike, not {type(path).__name__}"
        )
    text = os.fsdecode(os.fspath(path))
    if is_open_database(text):
        raise KeyFileError(
            f"{text} is a database file of a store this process has open, not a key file"
        )
    return text
