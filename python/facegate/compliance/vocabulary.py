"""The closed sets a deployment declares from: purposes, places and modes of comparison."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PUBLIC_SECURITY", "PURPOSES", "Location", "Mode"]

PUBLIC_SECURITY = "public_security"
"""The one purpose a public-place deployment may serve (R24, PIPL 26)."""

PURPOSES: frozenset[str] = frozenset(
    {"access_control", "hotel_check_in", "payment", "attendance", "venue_entry", PUBLIC_SECURITY}
)
"""The closed set of purposes (R1); a deployment may add to it with ``extra_purposes``."""


class Location(StrEnum):
    """Where a deployment is. The first five are private spaces, always refused (R23)."""

    HOTEL_GUEST_ROOM = "hotel_guest_room"
    PUBLIC_BATHHOUSE = "public_bathhouse"
    BATHROOM = "bathroom"
    CHANGING_ROOM = "changing_room"
    PUBLIC_TOILET = "public_toilet"
    HOTEL_LOBBY = "hotel_lobby"
    OFFICE_ENTRANCE = "office_entrance"
    RESIDENTIAL_ENTRANCE = "residential_entrance"
    VENUE_ENTRANCE = "venue_entrance"
    PAYMENT_COUNTER = "payment_counter"
    PUBLIC_PLACE = "public_place"

    @property
    def is_private(self) -> bool:
        return self in _PRIVATE


_PRIVATE = frozenset(
    {
        Location.HOTEL_GUEST_ROOM,
        Location.PUBLIC_BATHHOUSE,
        Location.BATHROOM,
        Location.CHANGING_ROOM,
        Location.PUBLIC_TOILET,
    }
)


class Mode(StrEnum):
    """How faces are compared: 1:1 against a claimed identity, or 1:N against everyone."""

    VERIFY = "verify"
    IDENTIFY = "identify"
