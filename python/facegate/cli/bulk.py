"""Bulk enrollment from the command line: a consent manifest with a photograph per row
(``--manifest``), or a folder of photographs named by subject with its consent manifest
(``--folder``).

Either way every person is named in a manifest (R30: no untargeted enrollment), every
photograph is encoded first, in parallel, so that every failure is named at once, and then the
gate enrolls everyone in one transaction or nobody. A manifest row may also record the
person's consent (a ``channel``, from the row or ``--channel``, with ``--face-data`` for the
separate consent to face processing, R8), with their declared ``birth_date`` and, under 14,
their ``guardian`` and ``relationship`` (R9).
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.compliance.consent import ConsentGrant, Guardian
from facegate.errors import FacegateError, InvalidArgument
from facegate.faces import FaceDetector, encode_many
from facegate.faces.detect import Face
from facegate.gate import FaceGate

__all__ = [
    "CONSENT_COLUMNS",
    "FOLDER_MANIFEST",
    "IMAGE_SUFFIXES",
    "Person",
    "PrecomputedEncoder",
    "from_folder",
    "from_manifest",
    "moment",
    "parse_date",
]

FOLDER_MANIFEST = "consents.csv"
"""The consent manifest a folder holds unless ``--manifest`` names another."""

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
"""What counts as a photograph in a folder; other files are not read."""

CONSENT_COLUMNS = ("channel", "evidence", "birth_date", "guardian", "relationship", "expires")
"""What a manifest row may say about the person's consent, besides ``subject`` (and, in a
manifest that names the photographs, ``image``)."""


@dataclass(slots=True)
class Person:
    """One person to enroll: their photographs and their manifest row (line ``line``)."""

    subject: str
    line: int
    row: dict[str, str]
    photos: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Encoded:
    """A photograph already encoded (by :func:`encode_many`)."""

    encoding: npt.NDArray[np.float32]


class PrecomputedEncoder:
    """The face pipeline the gate uses for a bulk enrollment: photographs encoded beforehand
    come back as they were encoded; anything else goes to a :class:`FaceDetector`."""

    __slots__ = ("_detector",)

    def __init__(self) -> None:
        self._detector: FaceDetector | None = None

    def _fallback(self) -> FaceDetector:
        if self._detector is None:
            self._detector = FaceDetector()
        return self._detector

    def encode(self, image: Any) -> npt.NDArray[np.float32]:
        if isinstance(image, _Encoded):
            return image.encoding
        return self._fallback().encode(image)

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        return self._fallback().encode_all(image)


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgument(f"{what} is a date, YYYY-MM-DD, not {text!r}") from None


def moment(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidArgument(
            f"{what} is a moment in ISO 8601 with its time zone "
            f"(2026-12-31T18:00:00+08:00), not {text!r}"
        )
    return value


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            rows = list(reader)
            columns = [name.strip() for name in reader.fieldnames or ()]
    except OSError as exc:
        raise InvalidArgument(f"cannot read manifest {path}: {exc.strerror}") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"{path} is not a CSV manifest (UTF-8): {exc}") from exc
    return columns, [
        {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in rows
    ]


def _people(path: Path, *, with_images: bool) -> list[Person]:
    """The manifest's rows, one person each, with its columns checked: a misspelt column
    (``birthdate``) would silently drop what it says, so it is refused."""
    columns, rows = _read_rows(path)
    required = ["subject", "image"] if with_images else ["subject"]
    allowed = {*required, *CONSENT_COLUMNS}
    missing = [name for name in required if name not in columns]
    if missing:
        raise InvalidArgument(
            f"{path}: a manifest needs a header line with the column(s) {', '.join(required)}"
            f" (missing: {', '.join(missing)})"
        )
    unknown = [name for name in columns if name not in allowed]
    if unknown:
        hint = "; a folder's photographs are found by name" if "image" in unknown else ""
        raise InvalidArgument(
            f"{path}: unknown column(s) {', '.join(unknown)}; a manifest has "
            f"{', '.join(sorted(allowed))}{hint}"
        )
    if not rows:
        raise InvalidArgument(f"{path} names nobody: bulk enrollment needs at least one person")
    people: dict[str, Person] = {}
    for line, row in enumerate(rows, start=2):
        subject = row.get("subject", "")
        if not subject:
            raise InvalidArgument(f"{path}, line {line}: no subject")
        if subject in people:
            raise InvalidArgument(
                f"{path}, line {line}: {subject!r} is named again (line {people[subject].line});"
                " one row per person (several photographs of one person: use --folder with a "
                "subfolder for them)"
            )
        people[subject] = Person(subject, line, row)
    return list(people.values())


def from_manifest(path: Path) -> list[Person]:
    """``--manifest FILE``: one row per person with their photograph (``image``, relative to
    the manifest's folder)."""
    people = _people(path, with_images=True)
    for person in people:
        image = person.row["image"]
        if not image:
            raise InvalidArgument(f"{path}, line {person.line}: no image for {person.subject!r}")
        person.photos.append(path.parent / image)
    return people


def _photographs(folder: Path, manifest: Path) -> dict[str, list[Path]]:
    """The photographs in ``folder`` by subject: ``<subject>.jpg`` directly in it, and every
    photograph in a subfolder ``<subject>/`` (several of one person, averaged)."""
    found: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.resolve() == manifest.resolve():
            continue
        if entry.is_dir():
            photos = sorted(
                p for p in entry.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
            )
            found.setdefault(entry.name, []).extend(photos)
        elif entry.suffix.lower() in IMAGE_SUFFIXES:
            found.setdefault(entry.stem, []).append(entry)
    return found


def from_folder(folder: Path, manifest: Path | None) -> list[Person]:
    """``--folder DIR``: photographs named by subject, and the consent manifest (``DIR/
    consents.csv`` unless ``manifest`` names another) naming each person once. A photograph
    of someone the manifest does not name, or a person without a photograph, fails the whole
    enrollment (R30)."""
    if not folder.is_dir():
        raise InvalidArgument(f"--folder {folder}: no such folder")
    manifest = manifest or folder / FOLDER_MANIFEST
    if not manifest.is_file():
        raise InvalidArgument(
            f"{folder} has no consent manifest {manifest.name}: a folder enrollment needs one "
            "naming each person once (a subject column, and channel, evidence, birth_date... "
            "to record their consent), or --manifest FILE (R30)"
        )
    people = _people(manifest, with_images=False)
    photos = _photographs(folder, manifest)
    unnamed = sorted(set(photos) - {p.subject for p in people})
    if unnamed:
        raise InvalidArgument(
            f"{folder} holds photographs of {', '.join(map(repr, unnamed))}, whom {manifest.name}"
            " does not name: everyone enrolled must be named in the consent manifest (R30); "
            "nobody was enrolled"
        )
    for person in people:
        person.photos = photos.get(person.subject, [])
        if not person.photos:
            raise InvalidArgument(
                f"{manifest.name}, line {person.line}: no photograph of {person.subject!r} in "
                f"{folder} (name it {person.subject}.jpg, or put several in {person.subject}/);"
                " nobody was enrolled"
            )
    return people


def records_consent(args: argparse.Namespace, people: list[Person]) -> bool:
    """Whether the manifest records consents: when it gives a channel (a column or
    ``--channel``). Then every row needs one; otherwise consent columns are refused, since
    nothing would record what they say."""
    given = bool(args.channel) or any(p.row.get("channel") for p in people)
    if given:
        lacking = [p for p in people if not (p.row.get("channel") or args.channel)]
        if lacking:
            raise InvalidArgument(
                f"line {lacking[0].line} ({lacking[0].subject!r}) has no channel: when the "
                "manifest records consents, each needs the channel it was given through "
                "(a channel column, or --channel)"
            )
        return True
    said = sorted({k for p in people for k, v in p.row.items() if v and k in CONSENT_COLUMNS})
    if said:
        raise InvalidArgument(
            f"the manifest fills {', '.join(said)}, which describe a consent, but gives no "
            "channel: give --channel (or a channel column) to record the consents, or leave "
            "them out when the consents are recorded already"
        )
    return False


def grant_of(args: argparse.Namespace, person: Person, notice_version: str) -> ConsentGrant:
    """The consent a manifest row records (the options fill what the row leaves out, except
    what only concerns one person: birth date and guardian)."""
    row, where = person.row, f"line {person.line} ({person.subject!r})"
    guardian = None
    if row.get("guardian") or row.get("relationship"):
        guardian = Guardian(row.get("guardian", ""), row.get("relationship", ""))
    evidence = row.get("evidence") or args.evidence
    expires = row.get("expires") or args.expires
    return ConsentGrant(
        purposes=tuple(args.purpose),
        notice_version=args.notice_version or notice_version,
        channel=row.get("channel") or args.channel,
        face_data=args.face_data,
        written=bool(evidence),
        evidence_ref=evidence or None,
        guardian=guardian,
        transfer=args.transfer,
        expires_at=moment(expires, f"{where}: expires") if expires else None,
        birth_date=parse_date(row["birth_date"], f"{where}: birth_date")
        if row.get("birth_date")
        else None,
    )


def encoded(people: list[Person], *, progress: bool) -> dict[str, list[_Encoded]]:
    """Every photograph encoded (in parallel); InvalidArgument naming each failure, after
    printing them, if any photograph fails."""
    paths = [photo for person in people for photo in person.photos]
    results = iter(encode_many(paths, progress=progress))
    done: dict[str, list[_Encoded]] = {}
    failed: list[str] = []
    for person in people:
        for photo in person.photos:
            result = next(results)
            if isinstance(result, FacegateError):
                failed.append(f"{person.subject} ({photo.name}): {result}")
            else:
                done.setdefault(person.subject, []).append(_Encoded(result))
    if failed:
        for line in failed:
            print(f"facegate: {line}", file=sys.stderr)
        raise InvalidArgument(
            f"{len(failed)} of {len(paths)} photographs failed; bulk enrollment is all or "
            "nothing (R30), so nobody was enrolled"
        )
    return done


def enroll(args: argparse.Namespace, gate: FaceGate, people: list[Person]) -> dict[str, Any]:
    """Records the manifest's consents (if it records them) and enrolls everyone, or nobody;
    returns what was done."""
    recording = records_consent(args, people)
    deployment, purpose = args.deployment, args.purpose[0]
    grants = []
    if recording:
        version = gate.deployment(deployment).notice.version
        grants = [(p.subject, grant_of(args, p, version)) for p in people]
    photos = encoded(people, progress=not args.json)
    if grants:
        gate.grant_consents(deployment, grants)
    try:
        gate.enroll_many(deployment, [(p.subject, photos[p.subject]) for p in people], purpose)
    except FacegateError:
        if grants:
            print(
                f"facegate: the {len(grants)} consents of the manifest were recorded; nobody "
                "was enrolled",
                file=sys.stderr,
            )
        raise
    return {
        "enrolled": [p.subject for p in people],
        "photos": sum(len(p.photos) for p in people),
        "consents_recorded": len(grants),
    }
