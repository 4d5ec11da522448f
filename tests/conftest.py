"""Shared test settings: hypothesis profiles (CI runs more examples, deterministically), and the
fixtures most gate tests start from: a fresh master key and the path of the store file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from facegate import MasterKey

# Checkpoints kept outside each store (facegate.gate.opening) go to one folder per test run,
# not the user's state folder; worker processes inherit it.
os.environ.setdefault("FACEGATE_STATE_DIR", tempfile.mkdtemp(prefix="facegate-state-"))

settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def master() -> MasterKey:
    """A fresh master key (in memory)."""
    return MasterKey.generate()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """The store file a test's gate uses."""
    return tmp_path / "hotel.db"
