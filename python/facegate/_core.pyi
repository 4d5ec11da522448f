# Hand-written stub of the Rust extension, checked against the built module by
# `python -m mypy.stubtest facegate._core`. Users never import _core; see facegate.matching.
from typing import final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DataKey",
    "Gallery",
    "HogDetector",
    "MasterKey",
    "ResnetEncoder",
    "Rotation",
    "ShapePredictor",
    "distances",
    "face_chips",
    "open_into_gallery",
    "open_keys_into_gallery",
    "open_template",
    "renew_template",
    "seal_template",
    "sealed_len",
    "simd_paths",
]

@final
class Gallery:
    def __new__(
        cls,
        dim: int = 128,
        *,
        metric: str = "euclidean",
        quantized: bool = False,
        simd: str | None = None,
    ) -> Gallery: ...
    def add(self, ids: npt.NDArray[np.uint64], vectors: npt.NDArray[np.float32]) -> None: ...
    def remove(self, ids: npt.NDArray[np.uint64]) -> None: ...
    def clear(self) -> None: ...
    def search(
        self,
        queries: npt.NDArray[np.float32],
        k: int = 1,
        max_distance: float | None = None,
        rerank: int | None = None,
        exact: bool = False,
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]]: ...
    def ids(self) -> npt.NDArray[np.uint64]: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: int, /) -> bool: ...
    @property
    def nbytes(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str: ...
    @property
    def quantized(self) -> bool: ...
    @property
    def simd(self) -> str: ...

@final
class ResnetEncoder:
    def __new__(cls, path: str) -> ResnetEncoder: ...
    def encode(
        self, chips: npt.NDArray[np.uint8], *, threads: int | None = None
    ) -> npt.NDArray[np.float32]: ...

@final
class HogDetector:
    def __new__(cls, model: bytes) -> HogDetector: ...
    @property
    def filters(self) -> int: ...
    def detect(
        self,
        image: npt.NDArray[np.uint8],
        upsample: int = 1,
        adjust: float = 0.0,
        *,
        parallel: bool = True,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...

@final
class ShapePredictor:
    def __new__(cls, path: str) -> ShapePredictor: ...
    @property
    def points(self) -> int: ...
    def predict(
        self, image: npt.NDArray[np.uint8], rects: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int32]: ...

def face_chips(
    image: npt.NDArray[np.uint8],
    landmarks: npt.NDArray[np.int32],
    size: int = 150,
    padding: float = 0.25,
) -> npt.NDArray[np.uint8]: ...
def distances(
    a: npt.NDArray[np.float32], b: npt.NDArray[np.float32], metric: str = "euclidean"
) -> npt.NDArray[np.float32]: ...
def simd_paths() -> list[str]: ...

@final
class MasterKey:
    @staticmethod
    def generate() -> MasterKey: ...
    @staticmethod
    def create_file(path: str) -> MasterKey: ...
    @staticmethod
    def from_file(path: str) -> MasterKey: ...
    @staticmethod
    def from_env(name: str) -> MasterKey: ...
    @staticmethod
    def from_bytes(data: bytes) -> MasterKey: ...
    @property
    def id(self) -> str: ...
    def wrap(self, key: DataKey, subject: str) -> bytes: ...
    def unwrap(self, wrapped: bytes, subject: str) -> DataKey: ...
    def rewrap(self, wrapped: bytes, subject: str, new: MasterKey) -> bytes: ...
    @staticmethod
    def _from_data_key(key: DataKey) -> MasterKey: ...
    def tag(self, domain: str, message: bytes) -> bytes: ...
    def check_tag(self, domain: str, message: bytes, tag: bytes) -> bool: ...
    def ratchet(self, label: bytes) -> MasterKey: ...
    def write_file(self, path: str) -> None: ...

@final
class DataKey:
    @staticmethod
    def generate() -> DataKey: ...
    @staticmethod
    def _from_kms(data: bytes) -> DataKey: ...
    def _to_kms(self) -> bytes: ...
    @property
    def id(self) -> str: ...

@final
class Rotation:
    @staticmethod
    def derive(master: MasterKey, deployment: str, epoch: int = 0, dim: int = 128) -> Rotation: ...
    @property
    def dim(self) -> int: ...
    def apply(self, rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]: ...
    def apply_inverse(self, rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]: ...

def sealed_len(dim: int) -> int: ...
def seal_template(
    template: npt.NDArray[np.float32], key: DataKey, deployment: str, subject: str, template_id: int
) -> bytes: ...
def open_template(
    sealed: bytes, key: DataKey, deployment: str, subject: str, template_id: int
) -> npt.NDArray[np.float32]: ...
def renew_template(
    sealed: bytes,
    key: DataKey,
    deployment: str,
    subject: str,
    template_id: int,
    old: Rotation,
    new: Rotation,
) -> bytes: ...
def open_into_gallery(
    gallery: Gallery,
    master: MasterKey,
    ids: npt.NDArray[np.uint64],
    sealed: list[bytes],
    wrapped: list[bytes],
    subjects: list[str],
    deployment: str,
) -> None: ...
def open_keys_into_gallery(
    gallery: Gallery,
    keys: list[DataKey],
    ids: npt.NDArray[np.uint64],
    sealed: list[bytes],
    subjects: list[str],
    deployment: str,
) -> None: ...
