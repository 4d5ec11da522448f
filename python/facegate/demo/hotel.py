"""The consent gate's whole story, on an embedded SQLite store in a temporary folder.

Uses the public-domain astronaut photograph that scikit-image ships (NASA) and synthetic
encodings for everyone else: a refused guest-room camera, a lobby deployment assessed and
activated, enrollment refused without consent and done with it, identification of a transformed
photograph among the guests, withdrawal proven by scanning the database files, the audit trail
verified and a tampered copy caught, the notice, the assessment and the filing status.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from facegate.accuracy import operating_point
from facegate.compliance.consent import ConsentGrant
from facegate.compliance.policy import Alternative, Deployment, Location, Mode, Notice
from facegate.compliance.registry import Assessment
from facegate.demo import attacker
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import ConsentRequired, OperatingPointRefused, ProhibitedPlace
from facegate.gate import FaceGate, Verification
from facegate.keys import MasterKey
from facegate.reports import prefill_assessment, render_assessment, render_notice

__all__ = ["run_gate_demo"]

PURPOSE = "hotel_check_in"
T = TypeVar("T")


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


def _lobby(
    notice: Notice, location: Location = Location.HOTEL_LOBBY, guests: int = 0
) -> Deployment:
    return Deployment(
        name="lobby" if location is Location.HOTEL_LOBBY else "room-412",
        location=location,
        purposes=(PURPOSE,),
        necessity="Returning guests are recognised to issue room keys without queueing",
        notice=notice,
        mode=Mode.IDENTIFY,
        identification_justification="Returning-guest recognition requested by guests",
        expected_enrollments=guests,
    )


def _go_live(gate: FaceGate, lobby: Deployment, say: Callable[[str], None]) -> Deployment:
    """Activation, refused by the honest limits at this size; the hotel then weighs the misses
    (a guest who is not recognised checks in at the desk) and states a higher limit."""
    try:
        gate.activate("lobby")
        return lobby
    except OperatingPointRefused as refusal:
        say(f"  1:N activation is refused: {refusal}")
    verify = operating_point(identify=False, target=lobby.target_fmr)
    say(f"  (the recommended 1:1 check against the booking would run at: {verify.describe()})")
    # The misses stated in the refusal are accepted as they are: no limit is made up here.
    weighed = replace(lobby, max_fnir=1.0)
    gate.update_deployment(weighed)
    gate.activate("lobby")
    say(
        "  the hotel weighs it (an unrecognised guest checks in at the desk as before), accepts "
        "the misses (max_fnir 1.0) and activates 1:N"
    )
    return weighed


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and the seconds it took."""
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _transformed_photo(astronaut: np.ndarray) -> bytes:
    """The photograph as a guest's new capture: cropped, darker, JPEG at quality 60."""
    from PIL import Image, ImageEnhance

    image = Image.fromarray(astronaut[20:492, 10:480])
    image = ImageEnhance.Brightness(image).enhance(0.8)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=60)
    return out.getvalue()


def run_gate_demo(
    identities: int,
    *,
    seed: int = 0,
    say: Callable[[str], None] = print,
    out: Path | None = None,
) -> dict[str, Any]:
    """Runs the story with ``identities`` synthetic guests; returns its figures. The notice and
    the assessment are written to ``out`` when given."""
    from skimage import data

    report: dict[str, Any] = {"gate_identities": identities}
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
        lobby = _lobby(notice, guests=identities + 1)
        gate.register_deployment("demo-hotel", lobby)
        draft = prefill_assessment(lobby, gate.assessment_facts("lobby"))
        gate.record_assessment(
            "lobby", Assessment(**draft, signed_off_by="Data protection officer")
        )
        say("  lobby check-in deployment registered, assessed (pre-filled, signed)")
        lobby = _go_live(gate, lobby, say)

        astronaut = np.ascontiguousarray(data.astronaut())  # type: ignore[no-untyped-call]
        try:
            gate.enroll("lobby", "guest-astronaut", astronaut, PURPOSE)
        except ConsentRequired as refusal:
            say(f"  enrollment without consent is refused: {refusal}")
        consent = ConsentGrant(
            purposes=(PURPOSE,), notice_version=notice.version, channel="kiosk", face_data=True
        )
        gate.grant_consent("lobby", "guest-astronaut", consent)
        gate.enroll("lobby", "guest-astronaut", astronaut, PURPOSE)
        say("  after separate consent, the astronaut's photograph is enrolled (sealed)")
        sealed = attacker.sealed_template(root / "hotel.db", "guest-astronaut")

        faces = synthetic_faces(identities, 0, seed=seed).centres
        others = [f"guest-{i}" for i in range(identities)]
        _, seconds = _timed(lambda: gate.grant_consents("lobby", [(n, consent) for n in others]))
        say(f"  {identities:,} synthetic guests' consents recorded in {seconds:.1f} s")
        people = list(zip(others, faces, strict=True))
        _, seconds = _timed(lambda: gate.enroll_encodings("lobby", people, PURPOSE))
        say(f"  {identities:,} guests enrolled (sealed, one transaction) in {seconds:.1f} s")
        report["gate_enroll_seconds"] = seconds

        point = gate.operating_point("lobby")
        say(f"  the lobby runs at: {point.describe()}")
        report |= {
            "gate_threshold": point.threshold,
            "gate_fpir": point.false_match,
            "gate_fnir": point.false_non_match,
        }
        photo = _transformed_photo(astronaut)
        found, seconds = _timed(lambda: gate.identify("lobby", photo, PURPOSE))
        say(
            f"  a cropped, darkened, recompressed photo is identified among {identities + 1:,} "
            f"guests as {found.subject!r} in {seconds * 1e3:.0f} ms (detection and encoding "
            "included)"
        )
        report["gate_identified"], report["gate_identify_ms"] = found.subject, seconds * 1e3

        receipt = gate.withdraw("lobby", "guest-astronaut")
        again = gate.identify("lobby", photo, PURPOSE)
        raw = b"".join(p.read_bytes() for p in root.glob("hotel.db*"))
        left = raw.count(sealed[22:80])
        say(
            f"  withdrawal: {receipt.templates_removed} template removed, key destroyed: "
            f"{receipt.key_destroyed}; identified afterwards as {again.subject!r}; bytes of "
            f"the sealed template left in the database files: {left}"
        )
        report["gate_after_withdrawal"], report["gate_template_bytes_left"] = again.subject, left
        say(f"  every decision offers: {found.alternatives[0]}")

        verified, seconds = _timed(gate.verify_audit)
        say(f"  {verified} in {seconds:.1f} s")
        report["gate_audit_ok"], report["gate_audit_entries"] = verified.ok, verified.entries
        caught = _tampered_copy(root, master, entry=identities // 2)
        say(f"  a copy with entry {identities // 2:,} edited in SQLite: {caught}")
        report["gate_tamper_caught_at"] = caught.first_bad

        status = gate.filing_status("demo-hotel")
        say(
            f"  filing: {status.individuals:,} individuals stored, state {status.state}"
            + (f"; file by {status.deadline}" if status.deadline else "")
        )
        report["gate_filing_state"] = str(status.state)
        _write_documents(gate, lobby, out, say)
        gate.close()
    return report


def _tampered_copy(root: Path, master: MasterKey, *, entry: int) -> Verification:
    """Edits one audit entry of a copy of the store, as someone with the file could, and
    verifies the copy with the key."""
    copy = root / "tampered.db"
    for suffix in ("", "-wal", "-shm"):
        if (root / f"hotel.db{suffix}").exists():
            shutil.copy(root / f"hotel.db{suffix}", root / f"tampered.db{suffix}")
    attacker.edit_audit_entry(copy, entry)
    with FaceGate.open(copy, master) as gate:
        return gate.verify_audit()


def _write_documents(
    gate: FaceGate, lobby: Deployment, out: Path | None, say: Callable[[str], None]
) -> None:
    notice = render_notice(lobby, language="zh", large_print=True)
    assessment = render_assessment(lobby, gate.assessment_facts("lobby"), fmt="markdown")
    if out is None:
        first = [line for line in notice.splitlines() if line][:3]
        say(f"  notice (large print, first lines): {' / '.join(first)}")
        say(
            f"  impact assessment: {len(assessment.splitlines())} lines of Markdown with "
            "measured facts (pass --out DIR to keep it)"
        )
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "notice-zh-large.txt").write_text(notice + "\n", encoding="utf-8")
    (out / "notice-en.txt").write_text(render_notice(lobby, language="en") + "\n", "utf-8")
    (out / "assessment.md").write_text(assessment + "\n", encoding="utf-8")
    say(f"  notice (zh large print, en) and impact assessment written to {out}")
