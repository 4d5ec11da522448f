"""Subcommands for accountability: the audit trail, incidents, filing, renewal."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from facegate.cli.context import open_gate, out_options, write_out
from facegate.cli.output import EXIT, Output, plain
from facegate.errors import InvalidArgument
from facegate.gate import Checkpoint
from facegate.reports import render_dossier

__all__ = ["register"]


def audit_verify(args: argparse.Namespace, out: Output) -> int:
    checkpoint = None
    if args.checkpoint:
        try:
            checkpoint = Checkpoint.from_json(Path(args.checkpoint).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidArgument(f"cannot read {args.checkpoint}: {exc.strerror}") from exc
    result = open_gate(args).verify_audit(checkpoint)
    out.result(result, str(result))
    return EXIT["ok"] if result.ok else EXIT["integrity"]


def audit_export(args: argparse.Namespace, out: Output) -> int:
    """The trail as JSON lines: on stdout (one object per line, whatever ``--json`` says), or
    to ``--out``."""
    gate = open_gate(args)
    if args.out is None:
        gate.export_audit(sys.stdout)
        return 0
    lines = io.StringIO()
    count = gate.export_audit(lines)
    write_out(args, args.out, lines.getvalue())
    out.result({"entries": count, "written": str(args.out)}, f"{count} entries to {args.out}")
    return 0


def audit_checkpoint(args: argparse.Namespace, out: Output) -> int:
    checkpoint = open_gate(args).audit_checkpoint()
    if args.out:
        write_out(args, args.out, checkpoint.to_json() + "\n")
    out.result(
        checkpoint,
        f"checkpoint at {checkpoint.size} entries"
        + (f" written to {args.out}; keep it away from the store" if args.out else "")
        + ("" if args.out else "\n" + checkpoint.to_json()),
    )
    return 0


def incident_list(args: argparse.Namespace, out: Output) -> int:
    found = open_gate(args).incidents()
    text = "\n".join(
        f"#{i.id} {i.detected_at[:19]} {i.kind} {i.deployment or '(store)'}: {i.description}"
        for i in found
    )
    out.result(found, text or "no incidents recorded")
    return 0


def filing_show(args: argparse.Namespace, out: Output) -> int:
    status = open_gate(args).filing_status(args.operator)
    lines = [
        f"{status.operator}: {status.individuals:,} individuals stored "
        f"(filing at {status.threshold:,}, warning at {status.warning_at:,}): {status.state}",
    ]
    if status.deadline is not None:
        lines.append(f"  file by {status.deadline}")
    out.result(status, "\n".join(lines))
    return 0


def filing_write(args: argparse.Namespace, out: Output) -> int:
    """The dossier in Markdown, or as JSON (``--format json``, or ``--json`` without a
    format). With ``--json``, stdout is JSON whatever the format: Markdown comes as
    ``{"text": ...}``."""
    dossier = open_gate(args).filing_dossier(args.operator)
    fmt = args.format or ("json" if args.json else "markdown")
    text = (
        json.dumps(plain(dossier), indent=2, ensure_ascii=False)
        if fmt == "json"
        else render_dossier(dossier)
    )
    if args.out:
        write_out(args, args.out, text + "\n")
        out.result({"written": str(args.out)}, f"filing dossier written to {args.out}")
    elif fmt == "markdown" and args.json:
        out.result({"text": text}, text)
    else:
        print(text)
    return 0


def renew(args: argparse.Namespace, out: Output) -> int:
    count = open_gate(args).renew(args.deployment)
    out.result(
        {"deployment": args.deployment, "renewed": count},
        f"{count} template(s) of {args.deployment!r} renewed under a new rotation (R18)",
    )
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands."""
    audit = commands.add_parser("audit", help="the tamper-evident audit trail")
    acts = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = acts.add_parser("verify", parents=[common], help="verify every entry (exit 4 if broken)")
    p.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint kept apart (`facegate audit checkpoint --out FILE`) to verify against",
    )
    p.set_defaults(run=audit_verify)
    p = acts.add_parser("export", parents=[common], help="entries as JSON lines")
    out_options(p, "write to this file instead of stdout")
    p.set_defaults(run=audit_export)
    p = acts.add_parser(
        "checkpoint",
        parents=[common],
        help="an authenticated head to keep apart",
        description="Prints (or writes to --out) the trail's authenticated size and head. "
        "Keep it away from the store; `facegate audit verify --checkpoint FILE` then also "
        "catches a trail cut short or rolled back to before it.",
    )
    out_options(p, "write to this file")
    p.set_defaults(run=audit_checkpoint)

    p = commands.add_parser("incidents", parents=[common], help="recorded integrity incidents")
    p.set_defaults(run=incident_list)

    filing = commands.add_parser("filing", help="filing with the regulator (R27, R28)")
    acts = filing.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = acts.add_parser("status", parents=[common], help="individuals stored and any deadline")
    p.add_argument("operator")
    p.set_defaults(run=filing_show)
    p = acts.add_parser("dossier", parents=[common], help="the five filing materials")
    p.add_argument("operator")
    p.add_argument(
        "--format",
        choices=("markdown", "json"),
        help="the dossier's format (default Markdown, JSON with --json)",
    )
    out_options(p, "write to this file instead of stdout")
    p.set_defaults(run=filing_write)

    p = commands.add_parser("renew", parents=[common], help="re-key a deployment's templates")
    p.add_argument("deployment")
    p.set_defaults(run=renew)
