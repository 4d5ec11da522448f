"""Deployment rules, one test per requirement id (R1, R3, R5, R6, R7, R11, R23, R24, R31)."""

from __future__ import annotations

import pytest

from facegate import Alternative, Location, Mode
from facegate.errors import (
    AccessibilityWarning,
    IdentificationNotEnabled,
    IncompleteNotice,
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


def test_r24_public_places_need_basis_area_and_signage() -> None:
    with pytest.raises(PublicPlaceRequirements, match="public-security basis") as caught:
        lobby(location=Location.PUBLIC_PLACE, capture_area="Gate 3", signage=True)
    assert caught.value.rule == "R24"
    with pytest.raises(PublicPlaceRequirements, match="posted signage"):
        lobby(location=Location.PUBLIC_PLACE, public_security_basis="PSB order", capture_area="G3")
    ok = lobby(
        location=Location.PUBLIC_PLACE,
        public_security_basis="PSB order 12",
        capture_area="Gate 3",
        signage=True,
    )
    assert ok.location is Location.PUBLIC_PLACE


def test_r31_no_accessible_alternative_warns() -> None:
    with pytest.warns(AccessibilityWarning, match=r"\[R31\]"):
        lobby(notice=notice(alternatives=(Alternative("Desk check-in"),)))
