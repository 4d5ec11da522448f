"""The consent gate told as a story, on an embedded SQLite store in a temporary folder.

Uses the public-domain astronaut photograph that scikit-image ships (NASA) when it is installed,
and synthetic encodings for everyone else.
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from facegate.api import FaceGate
from facegate.consent import ConsentGrant
from facegate.errors import ConsentRequired, ProhibitedPlace
from facegate.keys import MasterKey
from facegate.policy import Alternative, Deployment, Location, Mode, Notice
from facegate.registry import Assessment
from facegate.synthetic import synthetic_faces

__all__ = ["run_gate_demo"]

PURPOSE = "hotel_check_in"


def _notice() -> Notice:
    return Notice(
        processor_name="Demo Hotel Co., Ltd.",
        processor_contact="privacy@demo-hotel.example",
        purposes=(PURPOSE,),
        method="Identification of returning guests at the lobby kiosk",
        retention_days=30,
        impact="Faster check-in; face data sealed on site and deleted on checkout or request",
        rights_contact="Front desk or privacy@demo-hotel.example",
        alternatives=(Alternative("Check in at the front desk with an ID card", accessible=True),),
    )


def _lobby(notice: Notice, location: Location = Location.HOTEL_LOBBY) -> Deployment:
    return Deployment(
        name="lobby" if location is Location.HOTEL_LOBBY else "room-412",
        location=location,
        purposes=(PURPOSE,),
        necessity="Returning guests are recognised to issue room keys without queueing",
        notice=notice,
        mode=Mode.IDENTIFY,
        identification_justification="Returning-guest recognition requested by guests",
    )


def run_gate_demo(
    identities: int, *, seed: int = 0, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Runs the story with ``identities`` synthetic guests; returns its figures."""
    from PIL import Image
    from skimage import data

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        master = MasterKey.generate(root / "master.key")
        gate = FaceGate.open(root / "hotel.db", master)
        say(f"\nconsent gate demo: SQLite store {root / 'hotel.db'} (temporary)")
        gate.register_operator(
            "demo-hotel", name="Demo Hotel", contact="privacy@demo-hotel.example"
        )
        notice = _notice()
        try:
            _lobby(notice, Location.HOTEL_GUEST_ROOM)
        except ProhibitedPlace as refusal:
            say(f"  a camera in room 412 is refused: {refusal}")
        gate.register_deployment("demo-hotel", _lobby(notice))
        gate.record_assessment(
            "lobby",
            Assessment(
                legality_and_necessity="Consented, specific purpose, desk alternative offered",
                rights_impact="Guests choose; withdrawal deletes their data at once",
                risks="Leak, tampering, loss or misuse of templates",
                safeguards="Sealed templates, per-guest keys, capabilities, audit rows",
                signed_off_by="Data protection officer",
            ),
        )
        gate.activate("lobby")
        say("  lobby check-in deployment registered, assessed and activated")

        astronaut = np.ascontiguousarray(data.astronaut())  # type: ignore[no-untyped-call]
        try:
            gate.enroll("lobby", "guest-astronaut", astronaut, PURPOSE)
        except ConsentRequired as refusal:
            say(f"  enrolment without consent is refused: {refusal}")
        consent = ConsentGrant(
            purposes=(PURPOSE,), notice_version=notice.version, channel="kiosk", face_data=True
        )
        gate.grant_consent("lobby", "guest-astronaut", consent)
        gate.enroll("lobby", "guest-astronaut", astronaut, PURPOSE)
        say("  after separate consent, the astronaut's photograph is enrolled (sealed)")

        faces = synthetic_faces(identities, 0, seed=seed).centres
        start = time.perf_counter()
        others = [f"guest-{i}" for i in range(identities)]
        for name in others:
            gate.ledger.grant(name, "lobby", consent)
        gate.enroll_encodings("lobby", list(zip(others, faces, strict=True)), PURPOSE)
        enrol_s = time.perf_counter() - start
        say(f"  {identities:,} synthetic guests consented and enrolled in {enrol_s:.1f} s")

        copy = io.BytesIO()
        Image.fromarray(astronaut).save(copy, format="JPEG", quality=60)
        start = time.perf_counter()
        found = gate.identify("lobby", copy.getvalue(), PURPOSE)
        identify_ms = (time.perf_counter() - start) * 1e3
        say(
            f"  a recompressed photo is identified among {identities + 1:,} guests as "
            f"{found.subject!r} in {identify_ms:.0f} ms (detection and encoding included)"
        )
        receipt = gate.withdraw("lobby", "guest-astronaut")
        again = gate.identify("lobby", copy.getvalue(), PURPOSE)
        raw = b"".join(p.read_bytes() for p in root.glob("hotel.db*"))
        held = gate.export_subject("guest-astronaut")["templates"]
        say(
            f"  withdrawal: {receipt.templates_removed} template removed, key destroyed: "
            f"{receipt.key_destroyed}; identified afterwards as {again.subject!r}; templates "
            f"left: {len(held)}; database files: {len(raw):,} bytes"
        )
        say(f"  every decision offers: {found.alternatives[0]}")
        gate.close()
    return {
        "gate_identities": identities,
        "gate_enrol_seconds": enrol_s,
        "gate_identified": found.subject,
        "gate_identify_ms": identify_ms,
        "gate_after_withdrawal": again.subject,
    }
