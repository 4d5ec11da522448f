"""Deployment rules, one test per requirement id (R1, R3, R5, R6, R7, R11, R14, R23, R24, R31),
and typed errors for declarations of the wrong kind."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from facegate import Alternative, Location, Mode
from facegate.compliance.policy import MAX_RETENTION_DAYS
from facegate.errors import (
    AccessibilityWarning,
    IdentificationNotEnabled,
    IncompleteNotice,
    InvalidArgument,
    NoAlternative,
    PolicyRefusal,
    ProhibitedPlace,
    PublicPlaceRequirements,
    ThresholdTooLoose,
    UndeclaredPurpose,
)
from tests.requirements.deployments import lobby, notice


def test_r01_purpose_and_necessity_are_required() -> None:
    assert lobby().purposes == ("hotel_check_in",)
    with pytest.raises(UndeclaredPurpose, match="at least one purpose") as caught:
        lobby(purposes=())
    assert caught.value.rule == "R1" and str(caught.value).startswith("[R1] ")
    with pytest.raises(UndeclaredPurpose, match="unknown purpose marketing"):
        lobby(purposes=("marketing",), notice=notice(purposes=("marketing",)))
    with pytest.raises(UndeclaredPurpose, match="necessary"):
        lobby(necessity="  ")
    extended = lobby(
        purposes=("spa_entry",),
        notice=notice(purposes=("spa_entry",)),
        extra_purposes={"spa_entry"},
    )
    assert extended.purposes == ("spa_entry",)


def test_r03_identification_needs_a_justification() -> None:
    assert lobby().mode is Mode.VERIFY
    with pytest.raises(IdentificationNotEnabled, match="recorded justification"):
        lobby(mode=Mode.IDENTIFY)
    assert (
        lobby(mode=Mode.IDENTIFY, identification_justification="VIP recognition").mode == "identify"
    )


@pytest.mark.parametrize("threshold", [0.61, 1.0, 0.0, -0.1])
def test_r05_threshold_looser_than_the_floor_is_refused(threshold: float) -> None:
    # By default the threshold is derived from the target FMR 0.001, inside the floor.
    assert lobby().threshold is None
    assert 0.5 < lobby().operating_point(1).threshold < 0.6
    assert lobby(threshold=0.45).operating_point(1).threshold == 0.45
    with pytest.raises(ThresholdTooLoose) as caught:
        lobby(threshold=threshold)
    assert caught.value.rule == "R5"


@pytest.mark.parametrize(
    "field", ["processor_name", "processor_contact", "method", "impact", "rights_contact"]
)
def test_r06_notice_fields_are_all_required(field: str) -> None:
    with pytest.raises(IncompleteNotice, match=field):
        notice(**{field: ""})
    with pytest.raises(IncompleteNotice, match="retention"):
        notice(retention_days=0)
    with pytest.raises(IncompleteNotice, match="exactly the deployment's purposes"):
        lobby(notice=notice(purposes=("payment",)))


def test_r07_changing_purpose_method_or_retention_makes_a_new_notice_version() -> None:
    base = notice().version
    assert notice(processor_contact="dpo@example.com").version == base
    for change in (
        {"purposes": ("hotel_check_in", "payment")},
        {"method": "1:N search"},
        {"retention_days": 31},
    ):
        assert notice(**change).version != base  # type: ignore[arg-type]


def test_r11_an_alternative_is_required_unless_a_law_mandates() -> None:
    bare = notice(alternatives=())
    with pytest.raises(NoAlternative, match="non-biometric alternative"):
        lobby(notice=bare)
    with pytest.warns(AccessibilityWarning):
        mandated = lobby(notice=bare, legal_mandate="Regulation X art. 5")
    assert mandated.alternatives == ()
    assert lobby().alternatives[0].description.startswith("Check in at the desk")


@pytest.mark.parametrize(
    "place",
    [
        Location.HOTEL_GUEST_ROOM,
        Location.PUBLIC_BATHHOUSE,
        Location.BATHROOM,
        Location.CHANGING_ROOM,
        Location.PUBLIC_TOILET,
    ],
)
def test_r23_private_spaces_are_refused(place: Location) -> None:
    with pytest.raises(ProhibitedPlace, match="not allowed") as caught:
        lobby(location=place)
    assert isinstance(caught.value, PolicyRefusal) and caught.value.rule == "R23"


PUBLIC = {
    "location": Location.PUBLIC_PLACE,
    "purposes": ("public_security",),
    "notice": notice(purposes=("public_security",)),
    "public_security_basis": "PSB order 12",
    "capture_area": "Gate 3",
    "signage": True,
}


def test_r24_public_places_need_basis_area_and_signage() -> None:
    with pytest.raises(PublicPlaceRequirements, match="public-security basis") as caught:
        lobby(**{**PUBLIC, "public_security_basis": ""})
    assert caught.value.rule == "R24"
    with pytest.raises(PublicPlaceRequirements, match="posted signage"):
        lobby(**{**PUBLIC, "signage": False})
    ok = lobby(**PUBLIC)
    assert ok.location is Location.PUBLIC_PLACE


@pytest.mark.parametrize("purposes", [("payment",), ("public_security", "payment")])
def test_r24_public_place_data_serves_public_security_only(purposes: tuple[str, ...]) -> None:
    with pytest.raises(PublicPlaceRequirements, match="public security only") as caught:
        lobby(**{**PUBLIC, "purposes": purposes, "notice": notice(purposes=purposes)})
    assert caught.value.rule == "R24"
    # Nor can public security be claimed without the basis it rests on, anywhere.
    with pytest.raises(PublicPlaceRequirements, match="needs the public-security basis"):
        lobby(purposes=("public_security",), notice=notice(purposes=("public_security",)))


def test_r07_the_notice_version_covers_the_mode() -> None:
    one = lobby()
    many = lobby(mode=Mode.IDENTIFY, identification_justification="VIP recognition")
    # A consent given for 1:1 does not count for 1:N: the same notice text, another version.
    assert one.notice.version == notice().version != many.notice.version
    assert one.notice.mode is Mode.VERIFY and many.notice.mode is Mode.IDENTIFY
    assert replace(one, mode="identify", identification_justification="VIP recognition") == many


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"location": "moon"}, "unknown location 'moon'; use one of: hotel_guest_room"),
        ({"mode": "1:N"}, "unknown mode '1:N'; use one of: verify, identify"),
        ({"purposes": "hotel_check_in"}, "purposes is a tuple of purpose ids"),
        ({"name": 7}, "name is text, not a int"),
        ({"necessity": None}, "necessity is text"),
        ({"threshold": "0.5"}, "threshold is a distance"),
        ({"signage": "yes"}, "signage is true or false"),
        ({"notice": {"method": "1:1"}}, "notice must be a Notice"),
    ],
)
def test_declarations_of_the_wrong_kind_are_typed_errors(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        lobby(**changes)


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        (10**7, "at most 3650 (ten years), not 10000000"),
        (3651, "at most 3650"),
        ("30", "whole number of days, not '30'"),
        (30.0, "whole number of days"),
        (True, "whole number of days"),
    ],
)
def test_r14_retention_is_a_bounded_whole_number_of_days(retention: object, message: str) -> None:
    assert notice(retention_days=MAX_RETENTION_DAYS).retention_days == 3650
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        notice(retention_days=retention)


def test_r06_notice_parts_of_the_wrong_kind_are_typed_errors() -> None:
    with pytest.raises(InvalidArgument, match="method is text"):
        notice(method=b"1:1")
    with pytest.raises(InvalidArgument, match="alternatives are Alternative"):
        notice(alternatives=("the desk",))
    with pytest.raises(NoAlternative, match="described in words"):
        Alternative("  ")


def test_r31_no_accessible_alternative_warns() -> None:
    with pytest.warns(AccessibilityWarning, match=r"\[R31\]"):
        lobby(notice=notice(alternatives=(Alternative("Desk check-in"),)))
