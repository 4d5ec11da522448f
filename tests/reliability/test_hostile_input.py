"""Hostile input through the public API: wrong shapes, NaN, infinities, subnormals, odd dtypes,
non-contiguous arrays, odd ids and bad times give typed errors only (never a panic or a bare
Python error) and write nothing but the refusal's audit entry."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from facegate.compliance.consent import ConsentLedger
from facegate.errors import FacegateError
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from facegate.matching import Gallery
from facegate.store import Store
from tests import peek
from tests.requirements.gate import CONSENT, open_gate

PURPOSE = "hotel_check_in"
GOOD = np.ones(128, np.float32) / np.sqrt(128)

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.0, 1e-45, -1e-45, 1e38, -1e38, float("nan"), float("inf")]),
)
encodings = st.one_of(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.float16, np.int8, np.int64, np.complex64]),
        st.sampled_from([(128,), (127,), (129,), (0,), (1, 128), (2, 128), (128, 1), (3,)]),
    ),
    hnp.arrays(np.float32, (128,), elements=floats),
    hnp.arrays(np.float32, (256,), elements=floats).map(lambda a: a[::2]),  # non-contiguous
    st.lists(floats, min_size=0, max_size=130),
    st.sampled_from([None, "not an array", b"\x00" * 512, {"a": 1}, object()]),
)
names = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a" * 10_000, "lobby\x00", "😀", "'; DROP TABLE audit;--"]),
)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "s.db"


@pytest.fixture(scope="module")
def gate(path: Path) -> FaceGate:
    gate = open_gate(path, MasterKey.generate())
    gate.grant_consent("lobby", "known", CONSENT)
    return gate


def state(path: Path) -> tuple[int, int, int, int]:
    """What the store file holds: templates, data keys, consent events, audit entries."""
    ((templates, keys, consents, audit),) = peek.rows(
        path,
        "SELECT (SELECT COUNT(*) FROM templates), (SELECT COUNT(*) FROM data_keys), "
        "(SELECT COUNT(*) FROM consent_events), (SELECT COUNT(*) FROM audit)",
    )
    return int(templates), int(keys), int(consents), int(audit)


def attempt(path: Path, call: Any) -> None:
    """``call`` succeeds, or fails with a typed error having written only its audit entry."""
    before = state(path)
    try:
        call()
    except FacegateError:
        after = state(path)
        assert after[:3] == before[:3] and after[3] - before[3] <= 1, (before, after)


def consent_valid(path: Path, when: Any) -> bool:
    """The consent ledger's answer for ``known`` at ``when``, on a connection of its own."""
    with Store.open(path) as store:
        return ConsentLedger(store).is_valid("known", "lobby", PURPOSE, "v", at=when)


@given(value=encodings)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_encodings(gate: FaceGate, path: Path, value: Any) -> None:
    attempt(path, lambda: gate.enroll_encodings("lobby", [("known", value)], PURPOSE))
    attempt(path, lambda: gate.identify("lobby", value, PURPOSE))
    attempt(path, lambda: gate.verify("lobby", "known", value, PURPOSE))
    attempt(path, lambda: Gallery().add([1], value))
    attempt(path, lambda: Gallery().search(value))


@given(subject=names, deployment=names, purpose=names)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_names(gate: FaceGate, path: Path, subject: str, deployment: str, purpose: str) -> None:
    attempt(path, lambda: gate.grant_consent(deployment, subject, CONSENT))
    attempt(path, lambda: gate.enroll(deployment, subject, GOOD, purpose))
    attempt(path, lambda: gate.identify(deployment, GOOD, purpose))
    attempt(path, lambda: gate.withdraw(deployment, subject))
    attempt(path, lambda: gate.export_subject(subject))


@given(
    ids=st.lists(
        st.one_of(st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=3)), max_size=4
    )
)
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.usefixtures("gate")  # the store whose state must not change
def test_gallery_ids(path: Path, ids: list[Any]) -> None:
    attempt(path, lambda: Gallery().add(ids, np.tile(GOOD, (len(ids), 1))))
    attempt(path, lambda: Gallery().remove(ids))


@pytest.mark.parametrize(
    "when",
    [datetime(2026, 1, 1), "2026-01-01", 0, None, datetime.max, datetime.min],
)
def test_times(gate: FaceGate, path: Path, when: Any) -> None:
    attempt(path, lambda: gate.purge_expired(when))
    attempt(path, lambda: consent_valid(path, when))


def test_the_store_is_still_whole(gate: FaceGate, path: Path) -> None:
    assert peek.rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert gate.verify_audit().ok
