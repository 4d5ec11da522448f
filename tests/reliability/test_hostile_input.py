"""Hostile input through the public API: wrong shapes, NaN, infinities, subnormals, odd dtypes,
non-contiguous arrays, odd ids, names and times. Each call must end in its documented outcome:
accepted (and then doing what it says), or refused with the typed error the rule names, having
written nothing but the refusal's one audit entry. A call that silently accepts what its rule
refuses fails here, and so does one that refuses with an untyped error or the wrong type.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from facegate.compliance.consent import ConsentLedger
from facegate.errors import (
    AttemptsExceeded,
    ConsentRequired,
    DuplicateId,
    FaceQualityError,
    InvalidArgument,
    MultipleFacesRefused,
    UndeclaredPurpose,
    UnknownId,
)
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from facegate.matching import Gallery
from facegate.store import Store
from tests import peek
from tests.requirements.gate import CONSENT, open_gate

PURPOSE = "hotel_check_in"
GOOD = np.ones(128, np.float32) / np.sqrt(128)
ANCHOR = "anchor \u2135"  # enrolled with GOOD; named so that no strategy below draws it
ACCEPTED = "accepted"
"""The expected outcome of a call that must succeed."""

# A refusal of bad input: a typed argument error, or a face-quality one (the fake encoder
# reads a matrix's rows as faces). Never an integrity, store or internal error.
INPUT_ERRORS = (InvalidArgument, FaceQualityError, MultipleFacesRefused)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

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
    hnp.arrays(st.sampled_from([np.bool_, np.str_, np.longdouble]), (128,)),
    st.lists(floats, min_size=0, max_size=130),
    st.sampled_from([None, "not an array", b"\x00" * 512, {"a": 1}, object(), [True] * 128]),
)
names = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a" * 10_000, "lobby\x00", "😀", "'; DROP TABLE audit;--"]),
    st.sampled_from(["\ud800", "a\udfffb"]),  # unpaired surrogates: not text SQLite can store
)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "s.db"


@pytest.fixture(scope="module")
def gate(path: Path) -> FaceGate:
    gate = open_gate(path, MasterKey.generate())
    for subject in ("known", ANCHOR):
        gate.grant_consent("lobby", subject, CONSENT)
    gate.enroll("lobby", ANCHOR, GOOD, PURPOSE)
    return gate


def state(path: Path) -> tuple[int, int, int, int]:
    """What the store file holds: templates, data keys, consent events, audit entries."""
    ((templates, keys, consents, audit),) = peek.rows(
        path,
        "SELECT (SELECT COUNT(*) FROM templates), (SELECT COUNT(*) FROM data_keys), "
        "(SELECT COUNT(*) FROM consent_events), (SELECT COUNT(*) FROM audit)",
    )
    return int(templates), int(keys), int(consents), int(audit)


Outcome = str | type[BaseException] | tuple[type[BaseException], ...]


def attempt(path: Path, call: Callable[[], Any], expected: Outcome, *, audited: bool) -> Any:
    """``call`` ends in ``expected``: ACCEPTED (it returns), or one of the given typed errors
    having changed nothing but adding the refusal's audit entry (one if ``audited``: the gate
    audits every refusal, R20; none for library calls outside the gate)."""
    before = state(path)
    if expected == ACCEPTED:
        return call()
    assert not isinstance(expected, str)
    with pytest.raises(expected):
        call()
    after = state(path)
    assert after[:3] == before[:3], (before, after)
    assert after[3] - before[3] == (1 if audited else 0), (before, after)
    return None


def _real_numbers(value: Any) -> np.ndarray | None:
    """``value`` as the array facegate reads it, if it holds real numbers (bool excluded)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    kind_ok = array.dtype.kind in "iu" or (array.dtype.kind == "f" and array.dtype.itemsize <= 8)
    return array if kind_ok else None


def _finite(array: np.ndarray) -> bool:
    """Every value finite and within +/-1e15 once in float32 (the core's template range)."""
    with np.errstate(over="ignore"):
        values = array.astype(np.float32)
    return bool(np.all(np.isfinite(values)) and np.all(np.abs(values) <= 1e15))


def one_template(value: Any) -> bool:
    """Documented to be accepted as one face's template: real numbers, one vector of 128 values
    (or a 1 x 128 matrix), each finite and within +/-1e15."""
    array = _real_numbers(value)
    return array is not None and array.shape in ((128,), (1, 128)) and _finite(array)


def query_batch(value: Any) -> bool:
    """Documented to be accepted as search queries: one vector of 128 values or an m x 128
    matrix (m may be 0; an empty list is no queries), each value finite and within +/-1e15."""
    array = _real_numbers(value)
    if array is None:
        return False
    if array.ndim == 1 and array.size == 0:
        return True
    shaped = array.shape == (128,) or (array.ndim == 2 and array.shape[1] == 128)
    return shaped and _finite(array)


def text(value: Any) -> bool:
    """Documented to be accepted as an id, a deployment or a purpose: non-empty text that can
    be encoded (no unpaired surrogates)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def grantable(subject: Any) -> bool:
    """A consent can be recorded for it: text, and not only blanks (the ledger's rule)."""
    return text(subject) and bool(subject.strip())


def enrolled(gate: FaceGate, subject: str) -> bool:
    return bool(gate.export_subject(subject).templates)


@given(value=encodings)
@SETTINGS
def test_encodings(gate: FaceGate, path: Path, value: Any) -> None:
    one, batch = one_template(value), query_batch(value)
    # One template per person (R13): a second enrollment of "known" is refused, not added.
    enroll = (DuplicateId if enrolled(gate, "known") else ACCEPTED) if one else INPUT_ERRORS
    attempt(
        path,
        lambda: gate.enroll_encodings("lobby", [("known", value)], PURPOSE),
        enroll,
        audited=True,
    )
    face = ACCEPTED if one else INPUT_ERRORS
    attempt(path, lambda: gate.identify("lobby", value, PURPOSE), face, audited=True)
    attempt(path, lambda: gate.verify("lobby", ANCHOR, value, PURPOSE), face, audited=True)
    if one:
        # A match resets the failure counts (R19 attempt limits), so that a run of unmatched
        # probes never locks the door and hides what the next value does.
        assert gate.identify("lobby", GOOD, PURPOSE).match
        assert gate.verify("lobby", ANCHOR, GOOD, PURPOSE).match
    attempt(
        path, lambda: Gallery().add([1], value), ACCEPTED if one else INPUT_ERRORS, audited=False
    )
    attempt(
        path, lambda: Gallery().search(value), ACCEPTED if batch else INPUT_ERRORS, audited=False
    )


def naming(deployment: Any, purpose: Any = PURPOSE, *subjects: Any) -> Outcome | None:
    """The refusal the guard owes a call naming these, before its own work (None: none). Checks
    run in the guard's order: the text of every name, the deployment, then its purposes."""
    if not all(text(name) for name in (deployment, purpose, *subjects)):
        return InvalidArgument
    if deployment != "lobby":
        return UnknownId
    if purpose != PURPOSE:
        return UndeclaredPurpose
    return None


deployments = st.one_of(st.just("lobby"), names)
purposes = st.one_of(st.just(PURPOSE), names)


@given(subject=names, deployment=deployments)
@SETTINGS
def test_grant_consent_names(gate: FaceGate, path: Path, subject: Any, deployment: Any) -> None:
    outcome = naming(deployment, PURPOSE, subject) or ACCEPTED
    if text(subject) and not grantable(subject):
        # A blank id is refused by the ledger; an unknown deployment may be noticed first.
        outcome = InvalidArgument if outcome == ACCEPTED else (InvalidArgument, UnknownId)
    attempt(path, lambda: gate.grant_consent(deployment, subject, CONSENT), outcome, audited=True)


@given(subject=names, deployment=deployments, purpose=purposes)
@SETTINGS
def test_enroll_names(
    gate: FaceGate, path: Path, subject: Any, deployment: Any, purpose: Any
) -> None:
    outcome = naming(deployment, purpose, subject)
    if outcome is None and not grantable(subject):
        outcome = ConsentRequired  # no consent can exist for a blank id (R8)
    elif outcome is None:
        gate.grant_consent("lobby", subject, CONSENT)
        outcome = DuplicateId if enrolled(gate, subject) else ACCEPTED
    elif outcome is UndeclaredPurpose and grantable(subject):
        gate.grant_consent("lobby", subject, CONSENT)
    call = lambda: gate.enroll(deployment, subject, GOOD, purpose)  # noqa: E731
    attempt(path, call, outcome, audited=True)


@given(deployment=deployments, purpose=purposes)
@SETTINGS
def test_identify_names(gate: FaceGate, path: Path, deployment: Any, purpose: Any) -> None:
    outcome = naming(deployment, purpose) or ACCEPTED
    attempt(path, lambda: gate.identify(deployment, GOOD, purpose), outcome, audited=True)


@given(subject=names, deployment=deployments, purpose=purposes)
@SETTINGS
def test_verify_names(
    gate: FaceGate, path: Path, subject: Any, deployment: Any, purpose: Any
) -> None:
    outcome = naming(deployment, purpose, subject)
    call = lambda: gate.verify(deployment, subject, GOOD, purpose)  # noqa: E731
    if outcome is None and consented(path, subject):
        # Drawn again after another test's grant: matched (or, after five misses, delayed by
        # the attempt limit, R19), but refused for nothing about its names.
        with contextlib.suppress(AttemptsExceeded):
            call()
        return
    # A subject who never consented here is refused for that (R8) before any matching.
    attempt(path, call, outcome or ConsentRequired, audited=True)


@given(subject=names, deployment=deployments)
@SETTINGS
def test_withdraw_names(gate: FaceGate, path: Path, subject: Any, deployment: Any) -> None:
    outcome = naming(deployment, PURPOSE, subject)
    if outcome is None and grantable(subject):
        gate.grant_consent("lobby", subject, CONSENT)  # something to withdraw
        outcome = ACCEPTED
    elif outcome is None:
        outcome = UnknownId  # nothing was ever held: see the test below
    attempt(path, lambda: gate.withdraw(deployment, subject), outcome, audited=True)


@given(subject=names)
@SETTINGS
def test_export_names(gate: FaceGate, path: Path, subject: Any) -> None:
    shown = ACCEPTED if text(subject) else InvalidArgument
    attempt(path, lambda: gate.export_subject(subject), shown, audited=True)


@pytest.mark.parametrize("subject", [None, 7, b"known", 1.5, ["known"]])
@pytest.mark.parametrize(
    "verb",
    ["grant_consent", "enroll", "verify", "withdraw", "export_subject", "erase"],
)
def test_ids_that_are_not_text_are_invalid_arguments(
    gate: FaceGate, path: Path, verb: str, subject: Any
) -> None:
    calls: dict[str, Callable[[], Any]] = {
        "grant_consent": lambda: gate.grant_consent("lobby", subject, CONSENT),
        "enroll": lambda: gate.enroll("lobby", subject, GOOD, PURPOSE),
        "verify": lambda: gate.verify("lobby", subject, GOOD, PURPOSE),
        "withdraw": lambda: gate.withdraw("lobby", subject),
        "export_subject": lambda: gate.export_subject(subject),
        "erase": lambda: gate.erase(subject),
    }
    attempt(path, calls[verb], InvalidArgument, audited=True)


@pytest.mark.parametrize(
    ("deployment", "subject"),
    [("no such deployment", "known"), ("lobby", "never seen here")],
    ids=["unregistered deployment", "unknown subject"],
)
def test_withdrawing_what_was_never_there_is_unknown_id(
    gate: FaceGate, path: Path, deployment: str, subject: str
) -> None:
    # A receipt would claim a withdrawal and a destroyed key that never happened (as erase
    # refuses "nothing is held about" a subject, R13).
    attempt(path, lambda: gate.withdraw(deployment, subject), UnknownId, audited=True)


@given(
    ids=st.lists(
        st.one_of(st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=3)), max_size=4
    )
)
@SETTINGS
@pytest.mark.usefixtures("gate")  # the store whose state must not change
def test_gallery_ids(path: Path, ids: list[Any]) -> None:
    ints = all(isinstance(i, int) for i in ids)
    valid = ints and all(0 <= i < 2**64 - 1 for i in ids)
    vectors = np.tile(GOOD, (len(ids), 1))
    if not valid:
        outcome: Outcome = InvalidArgument
    elif len(set(ids)) < len(ids):
        outcome = DuplicateId  # repeated in one call
    else:
        outcome = ACCEPTED
    attempt(path, lambda: Gallery().add(ids, vectors), outcome, audited=False)
    removed: Outcome = ACCEPTED if not ids else (UnknownId if valid else InvalidArgument)
    attempt(path, lambda: Gallery().remove(ids), removed, audited=False)


NAIVE = [datetime(2026, 1, 1), datetime.max, datetime.min]
NOT_TIMES = ["2026-01-01", 0, 1.5, True, datetime(2026, 1, 1).date()]


@pytest.mark.parametrize("when", [*NAIVE, *NOT_TIMES], ids=repr)
def test_times_that_are_not_aware_datetimes_are_invalid_arguments(
    gate: FaceGate, path: Path, when: Any
) -> None:
    attempt(path, lambda: gate.purge_expired(when), InvalidArgument, audited=True)
    with pytest.raises(InvalidArgument):
        consent_valid(path, when)


@pytest.mark.parametrize(
    "when", [None, "now, local", datetime(2020, 1, 1, tzinfo=UTC), datetime.min.replace(tzinfo=UTC)]
)
def test_now_and_past_times_are_accepted(gate: FaceGate, path: Path, when: Any) -> None:
    now = when is None or when == "now, local"
    if when == "now, local":
        when = datetime.now(UTC).astimezone()  # aware, in this machine's zone
    assert attempt(path, lambda: gate.purge_expired(when), ACCEPTED, audited=True) >= 0
    # "known" consented when the module's gate was made: valid now, not before.
    assert consent_valid(path, when) is now


def _future() -> list[datetime]:
    return [datetime.now(UTC) + timedelta(days=3650), datetime.max.replace(tzinfo=UTC)]


@pytest.mark.parametrize("when", _future(), ids=repr)
def test_purging_as_of_a_future_time_is_refused(gate: FaceGate, path: Path, when: Any) -> None:
    # It would destroy every template that has not expired yet (R14 purges the expired), as
    # an erasure nobody asked for.
    attempt(path, lambda: gate.purge_expired(when), InvalidArgument, audited=True)


@pytest.mark.parametrize("when", _future(), ids=repr)
@pytest.mark.usefixtures("gate")  # the consent asked about
def test_asking_about_consent_at_a_future_time_is_answered(path: Path, when: Any) -> None:
    # A read: "will this consent still be valid then?" (it has no expiry here).
    assert consent_valid(path, when) is True


def consent_valid(path: Path, when: Any, subject: str = "known") -> bool:
    """The consent ledger's answer for ``subject`` at ``when``, on a connection of its own."""
    with Store.open(path) as store:
        version = CONSENT.notice_version
        return ConsentLedger(store).is_valid(subject, "lobby", PURPOSE, version, at=when)


def consented(path: Path, subject: str) -> bool:
    return consent_valid(path, None, subject)


def test_the_store_is_still_whole(gate: FaceGate, path: Path) -> None:
    assert peek.rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert gate.verify_audit().ok
