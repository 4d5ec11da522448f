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
from facegate._arrays import as_ids, as_matrix
from facegate.errors import InvalidArgument
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
        return cls(_core.MasterKey.create_file(os.fspath(path)))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MasterKey:
        """The key in ``path``. Raises InsecureKeyFile for a file group or others may access."""
        return cls(_core.MasterKey.from_file(os.fspath(path)))

    @classmethod
    def from_env(cls, name: str = DEFAULT_KEY_ENV) -> MasterKey:
        """The key in environment variable ``name`` (the key file's line, or 64 hex digits)."""
        return cls(_core.MasterKey.from_env(name))

    @classmethod
    def from_bytes(cls, data: bytes) -> MasterKey:
        """A key from exactly 32 bytes (prefer a file or the environment: Python cannot wipe
        ``bytes``)."""
        return cls(_core.MasterKey.from_bytes(bytes(data)))

    @property
    def id(self) -> str:
        """Public fingerprint (16 hex digits), recorded with everything the key protects."""
        return self._inner.id

    def wrap(self, key: DataKey, subject: str) -> bytes:
        """``key`` wrapped for ``subject``; only this master key can unwrap it, for that subject."""
        return self._inner.wrap(key._inner, subject)

    def unwrap(self, wrapped: bytes, subject: str) -> DataKey:
        """The data key in ``wrapped``. Raises WrongKey, TamperedData or MalformedData."""
        return DataKey(self._inner.unwrap(bytes(wrapped), subject))

    def rewrap(self, wrapped: bytes, subject: str, new: MasterKey) -> bytes:
        """Master-key rotation: ``wrapped`` re-wrapped under ``new``; templates are untouched."""
        return self._inner.rewrap(bytes(wrapped), subject, new._inner)

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
    """

    __slots__ = ("_unwrap", "_wrap", "id")

    def __init__(
        self,
        wrap: Callable[[bytes, str], bytes],
        unwrap: Callable[[bytes, str], bytes],
        *,
        key_id: str,
    ) -> None:
        self._wrap, self._unwrap, self.id = wrap, unwrap, key_id

    def wrap(self, key: DataKey, subject: str) -> bytes:
        return bytes(self._wrap(key._inner._to_kms(), subject))

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
        return DataKey(_core.DataKey._from_kms(bytes(self._unwrap(bytes(wrapped), subject))))

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
        if not 0 <= epoch < 2**32:
            raise InvalidArgument(f"epoch must be between 0 and 2**32 - 1, got {epoch}")
        return cls(_core.Rotation.derive(master._inner, deployment, epoch, dim))

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
    return _core.seal_template(template, key._inner, deployment, subject, int(template_id))


def open_template(
    sealed: bytes, key: DataKey, *, deployment: str, subject: str, template_id: int
) -> npt.NDArray[np.float32]:
    """The template in ``sealed``. Raises TamperedData, WrongKey, UnsupportedFormat or
    MalformedData; there is no fallback to anything unauthenticated."""
    return _core.open_template(bytes(sealed), key._inner, deployment, subject, int(template_id))


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
        bytes(sealed), key._inner, deployment, subject, int(template_id), old._inner, new._inner
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
