"""Subcommands about people: consent, enrollment, verification, identification, erasure."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from facegate.cli import bulk
from facegate.cli.context import open_gate
from facegate.cli.output import EXIT, Output
from facegate.compliance.consent import ConsentGrant, Guardian
from facegate.errors import InvalidArgument
from facegate.gate import Decision

__all__ = ["register"]


_CONSENT_FLAGS = (
    ("channel", "--channel"),
    ("face_data", "--face-data"),
    ("evidence", "--evidence"),
    ("notice_version", "--notice-version"),
    ("guardian", "--guardian"),
    ("relationship", "--relationship"),
    ("transfer", "--transfer"),
    ("expires", "--expires"),
)
_ONE_PERSON_FLAGS = ("guardian", "relationship")


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return [flag for name, flag in _CONSENT_FLAGS if name in names and getattr(args, name)]


def consent_grant(args: argparse.Namespace, out: Output) -> int:
    gate = open_gate(args)
    version = gate.deployment(args.deployment).notice.version
    guardian = Guardian(args.guardian, args.relationship or "") if args.guardian else None
    if args.relationship and not args.guardian:
        raise InvalidArgument("--relationship describes a guardian: give --guardian too")
    consent = ConsentGrant(
        purposes=tuple(args.purpose),
        notice_version=args.notice_version or version,
        channel=args.channel,
        face_data=args.face_data,
        written=bool(args.evidence),
        evidence_ref=args.evidence,
        guardian=guardian,
        transfer=args.transfer,
        expires_at=bulk.moment(args.expires, "--expires") if args.expires else None,
        birth_date=bulk.parse_date(args.birth_date, "--birth-date") if args.birth_date else None,
    )
    gate.grant_consent(args.deployment, args.subject, consent)
    out.result(
        {"subject": args.subject, "deployment": args.deployment, "granted": True},
        f"consent of {args.subject!r} recorded for {args.deployment!r} "
        f"({', '.join(args.purpose)}; notice {consent.notice_version[:12]})",
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


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _one_purpose(args: argparse.Namespace) -> str:
    if len(args.purpose) != 1:
        raise InvalidArgument(
            f"{args.command} serves one purpose per call; give --purpose once, not "
            f"{len(args.purpose)} times"
        )
    return str(args.purpose[0])


def _enroll_one(args: argparse.Namespace, out: Output) -> int:
    flags = _given(args, tuple(name for name, _ in _CONSENT_FLAGS))
    if flags:
        # A consent is its own act (R8): recorded by `consent grant`, or per person by a
        # manifest; silently dropping these flags would let a user believe it was recorded.
        raise InvalidArgument(
            f"{', '.join(flags)} describe a consent, which `enroll SUBJECT IMAGE...` does not "
            f"record: run `facegate consent grant {args.deployment} {args.subject} ...` first, "
            "or enroll with --folder or --manifest, whose rows record each person's consent"
        )
    if not (args.subject and args.image):
        raise InvalidArgument("give SUBJECT and IMAGE..., or --folder DIR, or --manifest FILE")
    purpose = _one_purpose(args)
    gate = open_gate(args)
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


def enroll(args: argparse.Namespace, out: Output) -> int:
    if args.folder is None and args.manifest is None:
        return _enroll_one(args, out)
    if args.subject or args.image:
        raise InvalidArgument(
            "--folder and --manifest name everyone enrolled: give no SUBJECT or IMAGE with them"
        )
    if args.add:
        raise InvalidArgument("--add folds photographs into one person's template: not in bulk")
    per_person = _given(args, _ONE_PERSON_FLAGS)
    if per_person:
        raise InvalidArgument(
            f"{', '.join(per_person)} concern one person: in bulk, give each person's in the "
            "manifest's guardian and relationship columns"
        )
    _one_purpose(args)
    people = (
        bulk.from_folder(args.folder, args.manifest)
        if args.folder is not None
        else bulk.from_manifest(args.manifest)
    )
    gate = open_gate(args, encoder=bulk.PrecomputedEncoder())
    done = bulk.enroll(args, gate, people)
    consents = done["consents_recorded"]
    count = len(people)
    out.result(
        done,
        f"{count} {'person' if count == 1 else 'people'} enrolled in {args.deployment} in one "
        f"transaction ({_many(done['photos'], 'photograph')}"
        + (f"; {_many(consents, 'consent')} recorded from the manifest" if consents else "")
        + ")",
    )
    return 0


def _matched(decision: Decision, out: Output, text: str) -> int:
    out.result(decision, text)
    return EXIT["ok"] if decision.match else EXIT["no_match"]


def verify(args: argparse.Namespace, out: Output) -> int:
    purpose = _one_purpose(args)
    decision = open_gate(args).verify(args.deployment, args.subject, args.image, purpose)
    word = "match" if decision.match else "no match"
    return _matched(decision, out, f"{word}: {args.subject!r} ({args.deployment})")


def identify(args: argparse.Namespace, out: Output) -> int:
    purpose = _one_purpose(args)
    decision = open_gate(args).identify(args.deployment, args.image, purpose)
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
    now = bulk.moment(args.now, "--now") if args.now else None
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


def _consent_options(p: argparse.ArgumentParser, *, channel_required: bool = False) -> None:
    p.add_argument(
        "--channel",
        required=channel_required,
        help="how consent was given (kiosk, app, paper form)",
    )
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
    _consent_options(p, channel_required=True)
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
        help="enroll one person from photographs, or everyone in a folder or a manifest",
        description="One person: SUBJECT and one or more photographs, averaged into one "
        "template, which misses the person less often (docs/ACCURACY.md); --add folds them "
        "into the person's existing template. Their consent is recorded first, with "
        "`facegate consent grant`. In bulk (R30: everyone named, all or nobody): --folder DIR "
        f"holds a photograph per person named by their id (guest-18.jpg), or a subfolder of "
        f"several (guest-18/), and the consent manifest DIR/{bulk.FOLDER_MANIFEST}; --manifest "
        "FILE alone is a CSV with a subject and an image column (images relative to it). "
        "Manifest rows may record each person's consent: columns "
        f"{', '.join(bulk.CONSENT_COLUMNS)} (a channel from the row or --channel, and "
        "--face-data for the separate consent to face processing, R8; a birth_date under 14 "
        "needs guardian and relationship, R9).",
    )
    p.add_argument("deployment")
    p.add_argument("subject", nargs="?")
    p.add_argument("image", nargs="*", type=Path, help="photographs of the person")
    p.add_argument(
        "--add", action="store_true", help="add the photographs to the existing template"
    )
    p.add_argument(
        "--folder",
        type=Path,
        help=f"a folder of photographs named by subject, with its {bulk.FOLDER_MANIFEST}",
    )
    p.add_argument(
        "--manifest",
        type=Path,
        help="a CSV manifest: subject,image[,consent columns]; with --folder, the consent "
        f"manifest to use instead of DIR/{bulk.FOLDER_MANIFEST}",
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
