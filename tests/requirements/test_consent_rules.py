"""Consent rules, one test per requirement id (R2, R7, R8, R9, R10), on a real SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from facegate import MasterKey
from facegate.compliance.consent import ConsentGrant, ConsentLedger, Guardian
from facegate.errors import ConsentNotSeparate, GuardianConsentRequired, UnknownId
from facegate.gate.opening import open_store
from tests import peek

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GRANT = ConsentGrant(
    purposes=("hotel_check_in",), notice_version="v1", channel="kiosk", face_data=True
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ConsentLedger]:
    with open_store(tmp_path / "operator.db", MasterKey.generate()) as store:
        with store.transaction():
            store.operators.add("op", name="Hotel", contact="dpo@example.com", at="now")
            store.deployments.add(
                "lobby", operator="op", definition="{}", notice_version="v1", at="now"
            )
        yield ConsentLedger(store)


def test_r08_consent_must_be_separate_specific_and_evidenced(ledger: ConsentLedger) -> None:
    for bad in (
        replace(GRANT, face_data=False),
        replace(GRANT, bundled=True),
        replace(GRANT, purposes=()),
        replace(GRANT, channel=" "),
        replace(GRANT, written=True),
    ):
        with pytest.raises(ConsentNotSeparate) as caught:
            ledger.grant("guest", "lobby", bad, at=NOW)
        assert caught.value.rule == "R8"
    assert ledger.valid_subjects("lobby", "hotel_check_in", "v1", at=NOW) == set()
    ledger.grant("guest", "lobby", replace(GRANT, written=True, evidence_ref="form 7"), at=NOW)
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", "v1", at=NOW)


def test_r09_under_14_needs_a_guardian(ledger: ConsentLedger) -> None:
    thirteen = date(2013, 11, 25)  # turns 14 the day after NOW
    with pytest.raises(GuardianConsentRequired) as caught:
        ledger.grant("child", "lobby", GRANT, birth_date=thirteen, at=NOW)
    assert caught.value.rule == "R9"
    with pytest.raises(GuardianConsentRequired):
        ledger.grant(
            "child",
            "lobby",
            replace(GRANT, guardian=Guardian("p1", "")),
            at=NOW,
            birth_date=thirteen,
        )
    ledger.grant(
        "child",
        "lobby",
        replace(GRANT, guardian=Guardian("p1", "mother")),
        birth_date=thirteen,
        at=NOW,
    )
    ledger.grant("teen", "lobby", GRANT, birth_date=date(2012, 11, 24), at=NOW)  # 14 today
    assert ledger.valid_subjects("lobby", "hotel_check_in", "v1", at=NOW) == {"child", "teen"}


def test_r10_withdrawal_is_one_call_and_immediate(ledger: ConsentLedger) -> None:
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    ledger.withdraw("guest", "lobby", at=NOW + timedelta(seconds=1))
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", "v1", at=NOW)
    assert not ledger.is_valid(
        "guest", "lobby", "hotel_check_in", "v1", at=NOW + timedelta(seconds=2)
    )
    ledger.grant("guest", "lobby", GRANT, at=NOW + timedelta(seconds=3))
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", "v1", at=NOW + timedelta(seconds=4))


def test_r02_r07_purpose_and_notice_version_must_match(ledger: ConsentLedger) -> None:
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    assert not ledger.is_valid("guest", "lobby", "payment", "v1", at=NOW)
    assert not ledger.is_valid("guest", "lobby", "hotel_check_in", "v2", at=NOW)


def test_expired_consent_no_longer_counts(ledger: ConsentLedger) -> None:
    ledger.grant("guest", "lobby", replace(GRANT, expires_at=NOW + timedelta(days=1)), at=NOW)
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", "v1", at=NOW + timedelta(hours=23))
    assert not ledger.is_valid("guest", "lobby", "hotel_check_in", "v1", at=NOW + timedelta(days=2))


def test_the_ledger_is_append_only_and_names_unknown_deployments(
    ledger: ConsentLedger, tmp_path: Path
) -> None:
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    path = tmp_path / "operator.db"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        peek.execute(path, "UPDATE consent_events SET kind = 'withdrawn'")
    assert peek.rows(path, "SELECT kind FROM consent_events") == [("granted",)]
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", "v1", at=NOW)
    with pytest.raises(UnknownId, match="unknown deployment 'pool'"):
        ledger.grant("guest", "pool", GRANT, at=NOW)
