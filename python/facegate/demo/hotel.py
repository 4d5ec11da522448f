"""The consent gate's whole story at a hotel, on an embedded SQLite store in a temporary folder.

A story a hotel could follow: a guest-room camera is refused; check-in verifies each guest 1:1
against their booking (the least intrusive mode, R3); 1:N identification of every guest is
refused at activation, with its figures (R5); 1:N runs only where it is honest, at the door of
a small loyalty lounge, at the operating point it states; and the filing monitor counts the
guests to 100,000 (R27). It uses the public-domain astronaut photograph that scikit-image
ships (NASA) for one guest, and synthetic encodings for everyone else: enrollment refused
without consent and done with it, verification and identification of a transformed
photograph, withdrawal proven by scanning the database files, the audit trail verified and a
tampered copy caught, the notices, the assessments and the filing status.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from facegate.accuracy import MAX_PHOTOS
from facegate.compliance.consent import ConsentGrant
from facegate.compliance.policy import Deployment, Location
from facegate.compliance.registry import TO_CONFIRM, Assessment
from facegate.demo import attacker, deployments
from facegate.demo.deployments import CHECK_IN, LOUNGE, LOUNGE_MEMBERS
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import (
    ConsentRequired,
    MissingExtra,
    OperatingPointRefused,
    ProhibitedPlace,
)
from facegate.faces import FaceDetector
from facegate.faces.detect import Face
from facegate.gate import FaceGate, Verification
from facegate.keys import MasterKey
from facegate.reports import prefill_assessment, render_assessment, render_notice

__all__ = [
    "DOCUMENTS",
    "LOUNGE_MEMBERS",
    "PHOTOGRAPH_EXTRA",
    "require_photograph",
    "run_gate_demo",
]

PHOTOGRAPH_EXTRA = "demo"
"""The extra that brings the demo's photograph (``pip install 'facegate[demo]'``)."""

ASSESSOR = "Data protection officer"

_KINDS = ("notice-zh-large.txt", "notice-en.txt", "assessment.md")
DOCUMENTS = tuple(f"{name}-{kind}" for name in ("lobby", "lounge") for kind in _KINDS)
"""The documents :func:`run_gate_demo` returns, by file name."""
T = TypeVar("T")


def require_photograph() -> None:
    """Fails early, naming what to install, where the astronaut photograph's package is
    missing (the demo needs one real face; the library itself does not)."""
    try:
        import skimage.data  # noqa: F401
    except ModuleNotFoundError as missing:
        raise MissingExtra(
            "the demo's guest is the public-domain astronaut photograph that scikit-image "
            f"ships, and scikit-image is not installed: pip install 'facegate[{PHOTOGRAPH_EXTRA}]'"
        ) from missing


def _astronaut() -> npt.NDArray[np.uint8]:
    require_photograph()
    from skimage import data

    return np.ascontiguousarray(data.astronaut())  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class _Capture:
    """A synthetic guest's capture: an encoding standing in for a photograph."""

    encoding: npt.NDArray[np.float32]


class _Camera:
    """The demo's face pipeline: real photographs through dlib, synthetic captures as they
    are (so synthetic members can enroll with several photographs, as real ones would)."""

    __slots__ = ("_detector",)

    def __init__(self) -> None:
        self._detector = FaceDetector()

    def encode(self, image: Any) -> npt.NDArray[np.float32]:
        if isinstance(image, _Capture):
            return image.encoding
        return self._detector.encode(image)

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        return self._detector.encode_all(image)


def _set_up(gate: FaceGate, deployment: Deployment) -> None:
    """Registers and assesses ``deployment``: the pre-filled draft, with the assessor's own
    judgement where the draft asks for it (R26)."""
    gate.register_deployment("demo-hotel", deployment)
    draft = prefill_assessment(deployment, gate.assessment_facts(deployment.name))
    judged = {
        item: text.replace(TO_CONFIRM, f"The {ASSESSOR.lower()} judged that")
        for item, text in draft.items()
    }
    gate.record_assessment(deployment.name, Assessment(**judged, signed_off_by=ASSESSOR))


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and the seconds it took."""
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _jpeg(image: Any, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _photographs(astronaut: npt.NDArray[np.uint8]) -> tuple[list[bytes], bytes]:
    """The astronaut's three enrollment photographs (as taken, mirrored, brighter) and a new
    capture: cropped, darker, JPEG at quality 60."""
    from PIL import Image, ImageEnhance

    image = Image.fromarray(astronaut)
    enrolled = [
        _jpeg(image, 90),
        _jpeg(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 90),
        _jpeg(ImageEnhance.Brightness(image).enhance(1.2), 90),
    ]
    capture = ImageEnhance.Brightness(Image.fromarray(astronaut[20:492, 10:480])).enhance(0.8)
    return enrolled, _jpeg(capture, 60)


def _captures(centre: npt.NDArray[np.float32], rng: np.random.Generator) -> list[_Capture]:
    """Three synthetic captures of one synthetic member, about 0.25 from their face."""
    noise = rng.normal(0.0, 0.022, (MAX_PHOTOS, centre.size)).astype(np.float32)
    return [_Capture(centre + row) for row in noise]


def _consent(deployment: Deployment, channel: str) -> ConsentGrant:
    return ConsentGrant(
        purposes=deployment.purposes,
        notice_version=deployment.notice.version,
        channel=channel,
        face_data=True,
    )


class _Story:
    """The demo's state: the gate, the narrator and the figures reported."""

    def __init__(self, gate: FaceGate, root: Path, say: Callable[[str], None]) -> None:
        self.gate, self.root, self.say = gate, root, say
        self.report: dict[str, Any] = {}

    def deployments(self, guests: int) -> tuple[Deployment, Deployment]:
        gate, say = self.gate, self.say
        try:
            deployments.check_in(Location.HOTEL_GUEST_ROOM)
        except ProhibitedPlace as refusal:
            say(f"  a camera in room 412 is refused: {refusal}")
        lobby = deployments.check_in()
        _set_up(gate, lobby)
        gate.activate("lobby")
        say(
            "  check-in at the lobby: 1:1 verification of each guest against their booking "
            "(the least intrusive mode, R3), assessed (pre-filled, judged, signed) and live"
        )
        everyone = deployments.everyone(guests)
        _set_up(gate, everyone)
        point = everyone.operating_point(guests)
        self.report["gate_everyone_fnir"] = point.false_non_match
        try:
            gate.activate(everyone.name)
        except OperatingPointRefused as refusal:
            say(f"  1:N recognition of every guest is refused at activation: {refusal}")
            self.report["gate_everyone_refused"] = refusal.rule
        else:
            # A hotel of fewer than about 1,600 guests gets here: the limits would let it run.
            say(
                f"  with {guests:,} guests, 1:N for every guest would be allowed: "
                f"{point.describe()}"
            )
            self.report["gate_everyone_refused"] = None
        gate.decommission(everyone.name)
        say("  the hotel drops it (decommissioned, R28) and keeps 1:N to a small group")
        lounge = deployments.lounge()
        _set_up(gate, lounge)
        gate.activate("lounge")
        point = lounge.operating_point(LOUNGE_MEMBERS)
        say(
            f"  the loyalty lounge's door: 1:N for its {LOUNGE_MEMBERS} members, who asked "
            f"for it, enrolled with {MAX_PHOTOS} photographs each; it is honest there: "
            f"{point.describe()}; live"
        )
        return lobby, lounge

    def astronaut(self, lobby: Deployment, lounge: Deployment, photos: list[bytes]) -> bytes:
        gate, say = self.gate, self.say
        try:
            gate.enroll("lobby", "guest-astronaut", photos[0], CHECK_IN)
        except ConsentRequired as refusal:
            say(f"  the astronaut's enrollment without consent is refused: {refusal}")
        gate.grant_consent("lobby", "guest-astronaut", _consent(lobby, "kiosk"))
        gate.enroll("lobby", "guest-astronaut", photos[0], CHECK_IN)
        gate.grant_consent("lounge", "guest-astronaut", _consent(lounge, "loyalty app"))
        gate.enroll("lounge", "guest-astronaut", photos, LOUNGE)
        say(
            "  after separate consent at the kiosk, the astronaut's booking photograph is "
            f"enrolled for check-in; as a member, after a separate consent to 1:N, with "
            f"{MAX_PHOTOS} photographs for the lounge (each sealed)"
        )
        return attacker.sealed_template(self.root / "hotel.db", "guest-astronaut", "lounge")

    def guests(self, guests: int, seed: int) -> None:
        gate, say = self.gate, self.say
        lobby, lounge = gate.deployment("lobby"), gate.deployment("lounge")
        faces = synthetic_faces(guests, 0, seed=seed).centres
        names = [f"guest-{i}" for i in range(guests)]
        consent = _consent(lobby, "kiosk")
        _, seconds = _timed(lambda: gate.grant_consents("lobby", [(n, consent) for n in names]))
        say(f"  {guests:,} synthetic guests' consents recorded in {seconds:.1f} s")
        people = list(zip(names, faces, strict=True))
        _, seconds = _timed(lambda: gate.enroll_encodings("lobby", people, CHECK_IN))
        say(
            f"  {guests:,} guests enrolled for check-in (sealed, one transaction) in "
            f"{seconds:.1f} s"
        )
        self.report["gate_enroll_seconds"] = seconds
        members = min(LOUNGE_MEMBERS - 1, guests)
        rng = np.random.default_rng(seed + 1)
        joined = _consent(lounge, "loyalty app")
        gate.grant_consents("lounge", [(n, joined) for n in names[:members]])
        gate.enroll_many(
            "lounge", [(n, _captures(faces[i], rng)) for i, n in enumerate(names[:members])], LOUNGE
        )
        say(f"  {members} of them, loyalty members, enrolled at the lounge the same way")
        self.report["gate_lounge_members"] = members + 1

    def check_in(self, capture: bytes) -> None:
        gate, say = self.gate, self.say
        point = gate.operating_point("lobby")
        say(f"  check-in runs at: {point.describe()}")
        self.report |= {
            "gate_checkin_threshold": point.threshold,
            "gate_checkin_fmr": point.false_match,
            "gate_checkin_fnmr": point.false_non_match,
        }
        own, seconds = _timed(lambda: gate.verify("lobby", "guest-astronaut", capture, CHECK_IN))
        say(
            "  a cropped, darkened, recompressed photo at the desk, checked against the "
            f"astronaut's booking: {'match' if own.match else 'no match'} in "
            f"{seconds * 1e3:.0f} ms (detection and encoding included)"
        )
        other = gate.verify("lobby", "guest-0", capture, CHECK_IN)
        say(f"  the same photo against guest-0's booking: {'match' if other.match else 'no match'}")
        say(f"  every decision offers: {own.alternatives[0]}")
        self.report |= {
            "gate_checkin_verified": own.match,
            "gate_checkin_other_booking": other.match,
            "gate_checkin_ms": seconds * 1e3,
        }

    def lounge(self, capture: bytes, sealed: bytes) -> None:
        gate, say = self.gate, self.say
        point = gate.operating_point("lounge")
        say(f"  the lounge runs at: {point.describe()}")
        self.report |= {
            "gate_lounge_threshold": point.threshold,
            "gate_lounge_ratio": point.ratio,
            "gate_lounge_fpir": point.false_match,
            "gate_lounge_fnir": point.false_non_match,
        }
        found, seconds = _timed(lambda: gate.identify("lounge", capture, LOUNGE))
        members = self.report["gate_lounge_members"]
        say(
            f"  at the lounge door the same photo is identified among {members} members as "
            f"{found.subject!r} in {seconds * 1e3:.0f} ms; a member it misses shows their card"
        )
        self.report["gate_identified"], self.report["gate_identify_ms"] = (
            found.subject,
            seconds * 1e3,
        )
        receipt = gate.withdraw("lounge", "guest-astronaut")
        again = gate.identify("lounge", capture, LOUNGE)
        raw = b"".join(p.read_bytes() for p in self.root.glob("hotel.db*"))
        left = raw.count(sealed[22:80])
        say(
            f"  the astronaut leaves the programme: consent withdrawn, {receipt.templates_removed}"
            f" template destroyed; identified at the door afterwards as {again.subject!r}; bytes "
            f"of that sealed template left in the database files: {left}"
        )
        self.report["gate_after_withdrawal"], self.report["gate_template_bytes_left"] = (
            again.subject,
            left,
        )

    def accountability(self, master: MasterKey, guests: int) -> None:
        gate, say = self.gate, self.say
        verified, seconds = _timed(gate.verify_audit)
        say(f"  {verified} in {seconds:.1f} s")
        self.report["gate_audit_ok"], self.report["gate_audit_entries"] = (
            verified.ok,
            verified.entries,
        )
        entry = max(1, guests // 2)
        caught = _tampered_copy(self.root, master, entry=entry)
        say(f"  a copy with entry {entry:,} edited in SQLite: {caught}")
        self.report["gate_tamper_caught_at"] = caught.first_bad
        status = gate.filing_status("demo-hotel")
        say(
            f"  filing monitor: {status.individuals:,} individuals stored (filing at "
            f"{status.threshold:,}), state {status.state}"
            + (f"; file by {status.deadline}" if status.deadline else "")
        )
        self.report |= {
            "gate_filing_state": str(status.state),
            "gate_filing_individuals": status.individuals,
            "gate_filing_deadline": str(status.deadline) if status.deadline else None,
        }


def run_gate_demo(
    identities: int,
    *,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Runs the story with ``identities`` synthetic guests; returns its figures and its
    documents (file name -> text: each deployment's notice in Chinese, large print, and in
    English, and its impact assessment in Markdown)."""
    astronaut = _astronaut()
    photos, capture = _photographs(astronaut)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        master = MasterKey.generate(root / "master.key")
        gate = FaceGate.open(root / "hotel.db", master, encoder=_Camera())
        say(f"\nconsent gate demo: SQLite store {root / 'hotel.db'} (temporary)")
        gate.register_operator(
            "demo-hotel", name="Demo Hotel", contact="privacy@demo-hotel.example"
        )
        story = _Story(gate, root, say)
        story.report["gate_identities"] = identities
        lobby, lounge = story.deployments(identities + 1)
        sealed = story.astronaut(lobby, lounge, photos)
        story.guests(identities, seed)
        story.check_in(capture)
        story.lounge(capture, sealed)
        story.accountability(master, identities)
        documents = _documents(gate, (lobby, lounge), say)
        gate.close()
    return story.report, documents


def _tampered_copy(root: Path, master: MasterKey, *, entry: int) -> Verification:
    """Edits one audit entry of a copy of the store, as someone with the file could, and
    verifies the copy with the key (the copy keeps its own checkpoints)."""
    copy = root / "tampered.db"
    for suffix in ("", "-wal", "-shm"):
        if (root / f"hotel.db{suffix}").exists():
            shutil.copy(root / f"hotel.db{suffix}", root / f"tampered.db{suffix}")
    attacker.edit_audit_entry(copy, entry)
    with FaceGate.open(copy, master, checkpoints=root / "tampered-checkpoints") as gate:
        return gate.verify_audit()


def _documents(
    gate: FaceGate, deployments: tuple[Deployment, ...], say: Callable[[str], None]
) -> dict[str, str]:
    documents: dict[str, str] = {}
    for deployment in deployments:
        name = deployment.name
        zh, en, assessment = (f"{name}-{kind}" for kind in _KINDS)
        documents[zh] = render_notice(deployment, language="zh", large_print=True)
        documents[en] = render_notice(deployment, language="en")
        documents[assessment] = render_assessment(
            deployment, gate.assessment_facts(name), gate.assessment(name), fmt="markdown"
        )
    notice = documents["lobby-notice-zh-large.txt"]
    first = [line for line in notice.splitlines() if line][:3]
    say(f"  check-in notice (large print, first lines): {' / '.join(first)}")
    lines = len(documents["lobby-assessment.md"].splitlines())
    say(
        f"  notices in Chinese and English and impact assessments of the lobby and the lounge "
        f"(the lobby's: {lines} lines of Markdown with measured facts)"
    )
    return documents
