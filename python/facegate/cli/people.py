"""Subcommands about people: consent, enrollment, verification, identification, erasure."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from facegate.cli.context import open_gate
from facegate.cli.output import EXIT, Output
from facegate.compliance.consent import ConsentGrant, Guardian
from facegate.errors import FacegateError, InvalidArgument
from facegate.faces import encode_many
from facegate.gate import Decision

__all__ = ["register"]


def _consent(args: argparse.Namespace, notice_version: str, **row: str) -> ConsentGrant:
    guardian = Guardian(args.guardian, args.relationship or "") if args.guardian else None
    return ConsentGrant(
        purposes=tuple(args.purpose),
        notice_version=args.notice_version or notice_version,
        channel=row.get("channel") or args.channel,
        face_data=args.face_data,
        written=bool(args.evidence or row.get("evidence")),
        evidence_ref=row.get("evidence") or args.evidence,
        guardian=guardian,
        transfer=args.transfer,
        expires_at=datetime.fromisoformat(args.expires) if args.expires else None,
    )


def consent_grant(args: argparse.Namespace, out: Output) -> int:
    gate = open_gate(args)
    version = gate.deployment(args.deployment).notice.version
    birth = date.fromisoformat(args.birth_date) if args.birth_date else None
    gate.grant_consent(args.deployment, args.subject, _consent(args, version), birth_date=birth)
    out.result(
        {"subject": args.subject, "deployment": args.deployment, "granted": True},
        f"consent of {args.subject!r} recorded for {args.deployment!r} "
        f"({', '.join(args.purpose)}; notice {version[:12]})",
    )
    return 0


def consent_withdraw(args: argparse.Namespace, out: Output) -> int:
    receipt = open_gate(args).withdraw(args.deployment, args.subject)
    out.result(
        receipt,
        f"consent of {args.subject!r} withdrawn; {receipt.templates_removed} template(s) "
        f"destroyed; data key destroyed: {receipt.key_destroyed}",
    )
    return 0


def _manifest(path: Path) -> list[dict[str, str]]:
    """Rows of a consent manifest: ``subject,image`` and optionally ``channel,evidence``, one
    row per person, each recording that person's separate consent (R30)."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except OSError as exc:
        raise InvalidArgument(f"cannot read manifest {path}: {exc.strerror}") from exc
    if not rows or not {"subject", "image"} <= set(rows[0]):
        raise InvalidArgument(f"{path}: a manifest needs a header with subject and image columns")
    return rows


def enroll(args: argparse.Namespace, out: Output) -> int:
    gate = open_gate(args)
    purpose = args.purpose[0]
    if args.manifest is None:
        if not (args.subject and args.image):
            raise InvalidArgument("give SUBJECT and IMAGE..., or --manifest FILE")
        photos = list(args.image)
        if args.add:
            gate.add_photos(args.deployment, args.subject, photos, purpose)
        else:
            gate.enroll(args.deployment, args.subject, photos, purpose)
        verb = "added to" if args.add else "enrolled in"
        out.result(
            {"enrolled": [args.subject], "photos": len(photos), "added": bool(args.add)},
            f"{args.subject!r} {verb} {args.deployment} ({len(photos)} photograph"
            f"{'s' if len(photos) > 1 else ''})",
        )
        return 0
    rows = _manifest(args.manifest)
    images = [args.manifest.parent / row["image"] for row in rows]
    encodings = encode_many(images, progress=not args.json)
    failed = [
        (row["subject"], result)
        for row, result in zip(rows, encodings, strict=True)
        if isinstance(result, FacegateError)
    ]
    if failed:
        for subject, error in failed:
            print(f"facegate: {subject}: {error}", file=sys.stderr)
        raise InvalidArgument(
            f"{len(failed)} of {len(rows)} images failed; bulk enrollment is all or nothing "
            "(R30), so nobody was enrolled"
        )
    if args.channel:  # the manifest records each person's consent: grant them first
        version = gate.deployment(args.deployment).notice.version
        grants = [(row["subject"], _consent(args, version, **row)) for row in rows]
        gate.grant_consents(args.deployment, grants)
    people = [(row["subject"], e) for row, e in zip(rows, encodings, strict=True)]
    gate.enroll_encodings(args.deployment, people, purpose)
    out.result(
        {"enrolled": [row["subject"] for row in rows]},
        f"{len(rows)} people enrolled in {args.deployment} in one transaction",
    )
    return 0


def _matched(decision: Decision, out: Output, text: str) -> int:
    out.result(decision, text)
    return EXIT["ok"] if decision.match else EXIT["no_match"]


def verify(args: argparse.Namespace, out: Output) -> int:
    decision = open_gate(args).verify(args.deployment, args.subject, args.image, args.purpose[0])
    word = "match" if decision.match else "no match"
    return _matched(decision, out, f"{word}: {args.subject!r} ({args.deployment})")


def identify(args: argparse.Namespace, out: Output) -> int:
    decision = open_gate(args).identify(args.deployment, args.image, args.purpose[0])
    text = f"match: {decision.subject}" if decision.match else "no match"
    if not decision.match and decision.alternatives:
        text += f"\nalternative: {decision.alternatives[0]}"
    return _matched(decision, out, text)


def decline(args: argparse.Namespace, out: Output) -> int:
    decision = open_gate(args).decline(args.deployment, args.alternative, args.subject)
    out.result(decision, f"recorded: the person chose {args.alternative!r}")
    return 0


def erase(args: argparse.Namespace, out: Output) -> int:
    receipt = open_gate(args).erase(args.subject)
    out.result(
        receipt,
        f"{args.subject!r} erased from {len(receipt.deployments)} deployment(s): "
        f"{receipt.templates_removed} template(s), data key destroyed: {receipt.key_destroyed}",
    )
    return 0


def purge(args: argparse.Namespace, out: Output) -> int:
    now = datetime.fromisoformat(args.now) if args.now else None
    removed = open_gate(args).purge_expired(now)
    out.result({"purged": removed}, f"{removed} expired template(s) purged")
    return 0


def export_subject(args: argparse.Namespace, out: Output) -> int:
    held = open_gate(args).export_subject(args.subject)
    lines = [f"{args.subject}: data key held: {held.data_key_held}"]
    lines += [f"  consent {c.kind} {c.deployment} at {c.at}" for c in held.consents]
    lines += [f"  template in {t.deployment} until {t.expires_at}" for t in held.templates]
    out.result(held, "\n".join(lines))
    return 0


def _consent_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", help="how consent was given (kiosk, app, paper form)")
    p.add_argument(
        "--face-data",
        action="store_true",
        help="the person gave a separate consent to face processing (required, R8)",
    )
    p.add_argument("--evidence", help="where the written consent is kept")
    p.add_argument("--notice-version", help="the notice shown (default: the current one)")
    p.add_argument("--guardian", help="the consenting guardian's id (under 14, R9)")
    p.add_argument("--relationship", help="the guardian's relationship to the subject")
    p.add_argument("--transfer", action="store_true", help="also consents to transfer (R16)")
    p.add_argument("--expires", help="when the consent lapses (ISO 8601 with a time zone)")


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands."""
    purpose = argparse.ArgumentParser(add_help=False)
    purpose.add_argument("--purpose", action="append", required=True, help="a declared purpose")

    consent = commands.add_parser("consent", help="grant or withdraw consent")
    acts = consent.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = acts.add_parser("grant", parents=[common, purpose], help="record a consent (R8, R9)")
    p.add_argument("deployment")
    p.add_argument("subject")
    p.add_argument("--birth-date", help="declared birth date, YYYY-MM-DD (R9)")
    _consent_options(p)
    p.set_defaults(run=consent_grant)
    p = acts.add_parser(
        "withdraw", parents=[common], help="withdraw and destroy the face data (R10)"
    )
    p.add_argument("deployment")
    p.add_argument("subject")
    p.set_defaults(run=consent_withdraw)

    p = commands.add_parser(
        "enroll",
        parents=[common, purpose],
        help="enroll one person from one or more photographs, or a folder by manifest",
        description="Several photographs of one person are averaged into one template, which "
        "misses the person less often (docs/ACCURACY.md); --add folds them into the person's "
        "existing template.",
    )
    p.add_argument("deployment")
    p.add_argument("subject", nargs="?")
    p.add_argument("image", nargs="*", type=Path, help="photographs of the person")
    p.add_argument(
        "--add", action="store_true", help="add the photographs to the existing template"
    )
    p.add_argument(
        "--manifest",
        type=Path,
        help="CSV with subject,image[,channel,evidence] (images relative to it); with "
        "--channel and --face-data each row also records that person's consent",
    )
    _consent_options(p)
    p.set_defaults(run=enroll)

    p = commands.add_parser("verify", parents=[common, purpose], help="1:1: is this the person?")
    p.add_argument("deployment")
    p.add_argument("subject")
    p.add_argument("image", type=Path)
    p.set_defaults(run=verify)

    p = commands.add_parser("identify", parents=[common, purpose], help="1:N: who is this?")
    p.add_argument("deployment")
    p.add_argument("image", type=Path)
    p.set_defaults(run=identify)

    p = commands.add_parser(
        "decline", parents=[common], help="record that a person chose the alternative (R11)"
    )
    p.add_argument("deployment")
    p.add_argument("alternative", help="the alternative's description, as declared")
    p.add_argument("--subject", help="who, if known")
    p.set_defaults(run=decline)

    p = commands.add_parser("erase", parents=[common], help="erase a person everywhere (R13)")
    p.add_argument("subject")
    p.set_defaults(run=erase)

    p = commands.add_parser("purge", parents=[common], help="delete expired templates (R14)")
    p.add_argument("--now", help="the time to purge as of (ISO 8601, default now)")
    p.set_defaults(run=purge)

    p = commands.add_parser("export-subject", parents=[common], help="what is held about someone")
    p.add_argument("subject")
    p.set_defaults(run=export_subject)
