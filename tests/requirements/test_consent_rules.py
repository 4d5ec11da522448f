"""Consent rules, one test per requirement id (R2, R7, R8, R9, R10), on a real SQLite store;
consents given through the gate, one by one and in bulk, in test_gate_rules.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from facegate import MasterKey
from facegate.compliance.consent import ConsentGrant, ConsentLedger, Guardian
from facegate.compliance.registry import Registry
from facegate.errors import (
    ConsentNotSeparate,
    GuardianConsentRequired,
    InvalidArgument,
    UndeclaredPurpose,
    UnknownId,
)
from facegate.gate.opening import open_store
from tests import peek
from tests.requirements.deployments import lobby, notice

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
V1 = lobby().notice.version
GRANT = ConsentGrant(
    purposes=("hotel_check_in",), notice_version=V1, channel="kiosk", face_data=True
)
THIRTEEN = date(2013, 11, 25)  # turns 14 the day after NOW


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ConsentLedger]:
    with open_store(tmp_path / "operator.db", MasterKey.generate()) as store:
        registry = Registry(store)
        registry.register_operator("op", name="Hotel", contact="dpo@example.com")
        registry.register_deployment("op", lobby())
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
    assert ledger.valid_subjects("lobby", "hotel_check_in", V1, at=NOW) == set()
    ledger.grant("guest", "lobby", replace(GRANT, written=True, evidence_ref="form 7"), at=NOW)
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW)


def test_r09_under_14_needs_a_guardian(ledger: ConsentLedger) -> None:
    child = replace(GRANT, birth_date=THIRTEEN)
    with pytest.raises(GuardianConsentRequired) as caught:
        ledger.grant("child", "lobby", child, at=NOW)
    assert caught.value.rule == "R9"
    with pytest.raises(GuardianConsentRequired):
        ledger.grant("child", "lobby", replace(child, guardian=Guardian("p1", "")), at=NOW)
    ledger.grant("child", "lobby", replace(child, guardian=Guardian("p1", "mother")), at=NOW)
    teen = replace(GRANT, birth_date=date(2012, 11, 24))  # 14 today
    ledger.grant("teen", "lobby", teen, at=NOW)
    assert ledger.valid_subjects("lobby", "hotel_check_in", V1, at=NOW) == {"child", "teen"}


def test_r09_nobody_is_their_own_guardian(ledger: ConsentLedger) -> None:
    for guardian in (Guardian("child", "mother"), Guardian(" child ", "self")):
        with pytest.raises(GuardianConsentRequired, match="guardian consents for someone else"):
            ledger.grant(
                "child", "lobby", replace(GRANT, birth_date=THIRTEEN, guardian=guardian), at=NOW
            )
    # Not even for an adult, where no guardian is needed.
    with pytest.raises(GuardianConsentRequired):
        ledger.grant("adult", "lobby", replace(GRANT, guardian=Guardian("adult", "x")), at=NOW)
    assert ledger.valid_subjects("lobby", "hotel_check_in", V1, at=NOW) == set()


@pytest.mark.parametrize(
    "born", ["2013-11-25", 20131125, datetime(2013, 11, 25, tzinfo=UTC), date(2026, 11, 25)]
)
def test_r09_a_birth_date_is_a_date_no_later_than_the_consent(
    ledger: ConsentLedger, born: object
) -> None:
    with pytest.raises(InvalidArgument, match="birth"):
        ledger.grant("child", "lobby", replace(GRANT, birth_date=born), at=NOW)  # type: ignore[arg-type]


def test_r07_a_consent_must_name_the_current_notice_version(
    ledger: ConsentLedger, tmp_path: Path
) -> None:
    for version in ("v0", notice(retention_days=90).version):
        with pytest.raises(ConsentNotSeparate, match="shows version") as caught:
            ledger.grant("guest", "lobby", replace(GRANT, notice_version=version), at=NOW)
        assert caught.value.rule == "R7"
    assert peek.count(tmp_path / "operator.db", "SELECT COUNT(*) FROM consent_events") == 0
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW)


def test_r02_a_consent_names_only_purposes_the_deployment_declares(
    ledger: ConsentLedger,
) -> None:
    with pytest.raises(UndeclaredPurpose, match="does not declare") as caught:
        ledger.grant("guest", "lobby", replace(GRANT, purposes=("hotel_check_in", "payment")))
    assert caught.value.rule == "R2"
    with pytest.raises(InvalidArgument, match="tuple of purpose ids"):
        ledger.grant("guest", "lobby", replace(GRANT, purposes="hotel_check_in"))  # type: ignore[arg-type]


def test_r10_withdrawal_is_one_call_and_immediate(ledger: ConsentLedger) -> None:
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    ledger.withdraw("guest", "lobby", at=NOW + timedelta(seconds=1))
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW)
    assert not ledger.is_valid(
        "guest", "lobby", "hotel_check_in", V1, at=NOW + timedelta(seconds=2)
    )
    ledger.grant("guest", "lobby", GRANT, at=NOW + timedelta(seconds=3))
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW + timedelta(seconds=4))


def test_r02_r07_purpose_and_notice_version_must_match(ledger: ConsentLedger) -> None:
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    assert not ledger.is_valid("guest", "lobby", "payment", "v1", at=NOW)
    assert not ledger.is_valid("guest", "lobby", "hotel_check_in", "v2", at=NOW)


def test_expired_consent_no_longer_counts(ledger: ConsentLedger) -> None:
    ledger.grant("guest", "lobby", replace(GRANT, expires_at=NOW + timedelta(days=1)), at=NOW)
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW + timedelta(hours=23))
    assert not ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW + timedelta(days=2))


def test_the_ledger_is_append_only_and_names_unknown_deployments(
    ledger: ConsentLedger, tmp_path: Path
) -> None:
    ledger.grant("guest", "lobby", GRANT, at=NOW)
    path = tmp_path / "operator.db"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        peek.execute(path, "UPDATE consent_events SET kind = 'withdrawn'")
    assert peek.rows(path, "SELECT kind FROM consent_events") == [("granted",)]
    assert ledger.is_valid("guest", "lobby", "hotel_check_in", V1, at=NOW)
    with pytest.raises(UnknownId, match="deployment 'pool' is not registered"):
        ledger.grant("guest", "pool", GRANT, at=NOW)
