"""Template protection speed: facegate (Rust, AES-256-GCM-SIV) against pyca/cryptography's
AESGCM driven from Python, the way a pure-Python library would protect templates.

- one template: seal and open a 128-d template (512 bytes plus associated data);
- loading: unwrap every subject's data key with the master key, open every template and build a
  gallery. facegate does it in Rust on both cores (``open_into_gallery``); the anchor loops in
  Python over ``AESGCM.decrypt`` and then adds the matrix to a gallery.

Run with ``scripts/bench``.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from benches.conftest import QUICK
from facegate import DataKey, Gallery, MasterKey, open_into_gallery, open_template, seal_template
from facegate.demo.synthetic import synthetic_faces

SIZES = [2_000] if QUICK else [100_000, 1_000_000]
AAD = b"lobby|guest|42"


@cache
def faces(n: int) -> np.ndarray:
    return synthetic_faces(n, 0, seed=n).centres


@cache
def facegate_store(n: int) -> dict[str, Any]:
    master = MasterKey.generate()
    subjects = [f"subject-{i}" for i in range(n)]
    keys = [DataKey.generate() for _ in range(n)]
    rows = faces(n)
    return {
        "master": master,
        "ids": np.arange(n),
        "sealed": [
            seal_template(rows[i], keys[i], deployment="lobby", subject=subjects[i], template_id=i)
            for i in range(n)
        ],
        "wrapped_keys": [master.wrap(keys[i], subjects[i]) for i in range(n)],
        "subjects": subjects,
    }


@cache
def anchor_store(n: int) -> dict[str, Any]:
    master = AESGCM(AESGCM.generate_key(bit_length=256))
    rows = faces(n)
    sealed, wrapped = [], []
    for i in range(n):
        key = AESGCM.generate_key(bit_length=256)
        nonce, key_nonce = os.urandom(12), os.urandom(12)
        sealed.append(nonce + AESGCM(key).encrypt(nonce, rows[i].tobytes(), AAD))
        wrapped.append(key_nonce + master.encrypt(key_nonce, key, AAD))
    return {"master": master, "sealed": sealed, "wrapped": wrapped}


def load_facegate(n: int) -> Gallery:
    store = facegate_store(n)
    gallery = Gallery()
    open_into_gallery(
        gallery,
        store["master"],
        ids=store["ids"],
        sealed=store["sealed"],
        wrapped_keys=store["wrapped_keys"],
        subjects=store["subjects"],
        deployment="lobby",
    )
    return gallery


def load_anchor(n: int) -> Gallery:
    store = anchor_store(n)
    master = store["master"]
    rows = np.empty((n, 128), dtype=np.float32)
    for i, (sealed, wrapped) in enumerate(zip(store["sealed"], store["wrapped"], strict=True)):
        key = master.decrypt(wrapped[:12], wrapped[12:], AAD)
        rows[i] = np.frombuffer(AESGCM(key).decrypt(sealed[:12], sealed[12:], AAD), np.float32)
    gallery = Gallery()
    gallery.add(np.arange(n), rows)
    return gallery


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("engine", ["facegate", "cryptography"])
def test_load_gallery(benchmark: Any, engine: str, n: int) -> None:
    benchmark.group = f"load n={n}"
    benchmark.extra_info.update(engine=engine, n=n, operation="load")
    load = load_facegate if engine == "facegate" else load_anchor
    (facegate_store if engine == "facegate" else anchor_store)(n)  # build outside the timing
    gallery = benchmark.pedantic(load, args=(n,), rounds=3 if n >= 1_000_000 else 5)
    assert len(gallery) == n
    probe = faces(n)[n // 2]
    assert gallery.search(probe).ids[0, 0] == n // 2


@pytest.mark.parametrize("operation", ["seal", "open"])
@pytest.mark.parametrize("engine", ["facegate", "cryptography"])
def test_one_template(benchmark: Any, engine: str, operation: str) -> None:
    template = faces(SIZES[0])[0]
    benchmark.group = f"one template: {operation}"
    benchmark.extra_info.update(engine=engine, n=1, operation=operation)
    if engine == "facegate":
        key = DataKey.generate()
        ctx: dict[str, Any] = {"deployment": "lobby", "subject": "guest", "template_id": 42}
        sealed = seal_template(template, key, **ctx)
        if operation == "seal":
            out = benchmark(lambda: seal_template(template, key, **ctx))
        else:
            out = benchmark(lambda: open_template(sealed, key, **ctx))
    else:
        cipher = AESGCM(AESGCM.generate_key(bit_length=256))
        plain = template.tobytes()
        nonce = os.urandom(12)
        sealed = nonce + cipher.encrypt(nonce, plain, AAD)

        def seal() -> bytes:
            fresh = os.urandom(12)
            return fresh + cipher.encrypt(fresh, plain, AAD)

        def open_() -> np.ndarray:
            return np.frombuffer(cipher.decrypt(sealed[:12], sealed[12:], AAD), np.float32)

        out = benchmark(seal if operation == "seal" else open_)
    assert len(out) in (128, len(sealed))
