"""A valid deployment to vary in the requirement tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from facegate import Alternative, Deployment, Location, Notice

NOTICE = Notice(
    processor_name="Example Hotel Co., Ltd.",
    processor_contact="privacy@example.com, +86 10 0000 0000",
    purposes=("hotel_check_in",),
    method="1:1 comparison of a live capture with the guest's registered template",
    retention_days=30,
    impact="Speeds up check-in; face data is kept encrypted on site for the stay only",
    rights_contact="Front desk, or privacy@example.com, to withdraw consent or erase data",
    alternatives=(Alternative("Check in at the desk with an identity document", accessible=True),),
)


def lobby(**changes: Any) -> Deployment:
    """A hotel-lobby check-in deployment, valid unless ``changes`` break it."""
    base: dict[str, Any] = {
        "name": "lobby",
        "location": Location.HOTEL_LOBBY,
        "purposes": ("hotel_check_in",),
        "necessity": "Guests are verified against their registration to issue room keys",
        "notice": NOTICE,
    }
    return Deployment(**{**base, **changes})


def notice(**changes: Any) -> Notice:
    return replace(NOTICE, **changes)
