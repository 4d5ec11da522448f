"""Replays the atheris corpora (seeds and every crasher fuzzing found) through the same
targets, so CI keeps them fixed. ``make fuzz`` grows them."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"


def target(name: str) -> Callable[[bytes], None]:
    spec = importlib.util.spec_from_file_location(
        f"fuzz_{name}", FUZZ / "python" / f"fuzz_{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    one: Callable[[bytes], None] = module.one
    return one


@pytest.mark.parametrize("name", ["images", "api"])
def test_every_corpus_input_passes_its_target(name: str) -> None:
    one = target(name)
    inputs = sorted((FUZZ / "corpus" / name).iterdir())
    assert len(inputs) >= 5
    for path in inputs:
        one(path.read_bytes())  # raises on any finding
