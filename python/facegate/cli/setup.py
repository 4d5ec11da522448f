"""Subcommands that set a store up: init, operator, deployment, assessment, activate, notice."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from facegate.cli.context import key_path, open_gate, store_path
from facegate.cli.output import Output
from facegate.compliance.registry import Assessment, deployment_from_dict
from facegate.errors import DuplicateId, InvalidArgument
from facegate.gate import FaceGate
from facegate.keys import MasterKey
from facegate.reports import (
    prefill_assessment,
    render_assessment,
    render_notice,
    render_signage,
)

__all__ = ["register"]

EXAMPLE_DEPLOYMENT: dict[str, Any] = {
    "name": "lobby",
    "location": "hotel_lobby",
    "purposes": ["hotel_check_in"],
    "necessity": "Guests are verified against their registration to issue room keys",
    "mode": "verify",
    "target_fmr": 0.001,
    "notice": {
        "processor_name": "Example Hotel Co., Ltd.",
        "processor_contact": "privacy@example.com",
        "purposes": ["hotel_check_in"],
        "method": "1:1 comparison of a live capture with the guest's registered template",
        "retention_days": 30,
        "impact": "Faster check-in; face data is kept encrypted on site for the stay only",
        "rights_contact": "Front desk, or privacy@example.com",
        "alternatives": [
            {"description": "Check in at the desk with an identity document", "accessible": True}
        ],
    },
}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidArgument(f"{path} must hold a JSON object")
    return data


def init(args: argparse.Namespace, out: Output) -> int:
    store, key = store_path(args), key_path(args)
    if store.exists():
        raise DuplicateId(f"{store} already exists; facegate init never overwrites a store")
    if key.exists():
        master = MasterKey.from_file(key)
        made = False
    else:
        master, made = MasterKey.generate(key), True
    FaceGate.open(store, master).close()
    out.result(
        {"store": str(store), "key": str(key), "key_created": made, "key_id": master.id},
        f"created store {store}\n"
        + (
            f"created master key {key} (mode 0600, id {master.id}); keep it out of backups of "
            "the store"
            if made
            else f"using the existing master key {key} (id {master.id})"
        ),
    )
    return 0


def operator_add(args: argparse.Namespace, out: Output) -> int:
    gate = open_gate(args)
    gate.register_operator(args.id, name=args.name, contact=args.contact)
    out.result({"operator": args.id}, f"operator {args.id!r} registered")
    return 0


def deployment_add(args: argparse.Namespace, out: Output) -> int:
    deployment = deployment_from_dict(_read_json(args.file))
    gate = open_gate(args)
    gate.register_deployment(args.operator, deployment)
    out.result(
        {"deployment": deployment.name, "notice_version": deployment.notice.version, "active": 0},
        f"deployment {deployment.name!r} registered (notice {deployment.notice.version[:12]}); "
        "record an impact assessment and activate it before use",
    )
    return 0


def deployment_show(args: argparse.Namespace, out: Output) -> int:
    status = open_gate(args).deployment_status(args.name)
    deployment, point = status.definition, status.operating_point
    data = asdict(deployment) | {
        "active": status.active,
        "notice_version": deployment.notice.version,
        "templates": status.templates,
        "operating_point": asdict(point),
    }
    lines = [
        f"{deployment.name}: {deployment.location} ({'active' if status.active else 'inactive'})",
        f"  purposes: {', '.join(deployment.purposes)}",
        f"  mode: {deployment.mode}",
        f"  operating point: {point.describe()}",
        f"  notice version: {deployment.notice.version[:12]}; retention "
        f"{deployment.notice.retention_days} days",
        f"  alternatives: {'; '.join(a.description for a in deployment.alternatives) or 'none'}",
        f"  templates stored: {data['templates']:,}",
    ]
    out.result(data, "\n".join(lines))
    return 0


def deployment_list(args: argparse.Namespace, out: Output) -> int:
    statuses = open_gate(args).deployments()
    data = [
        {"deployment": s.definition.name, "operator": s.operator, "active": s.active}
        for s in statuses
    ]
    text = "\n".join(
        f"{d['deployment']}\t{d['operator']}\t{'active' if d['active'] else 'inactive'}"
        for d in data
    )
    out.result(data, text)
    return 0


def deployment_example(args: argparse.Namespace, out: Output) -> int:
    print(json.dumps(EXAMPLE_DEPLOYMENT, indent=2))
    return 0


def assessment_record(args: argparse.Namespace, out: Output) -> int:
    data = _read_json(args.file)
    try:
        assessment = Assessment(**data)
    except TypeError as exc:
        raise InvalidArgument(f"{args.file}: not an assessment ({exc})") from exc
    gate = open_gate(args)
    gate.record_assessment(args.deployment, assessment)
    out.result(
        {"deployment": args.deployment, "signed_off_by": assessment.signed_off_by},
        f"impact assessment for {args.deployment!r} recorded, signed off by "
        f"{assessment.signed_off_by}",
    )
    return 0


def assess(args: argparse.Namespace, out: Output) -> int:
    """Renders the assessment with measured facts; ``--draft`` writes the pre-filled items."""
    gate = open_gate(args)
    deployment = gate.deployment(args.deployment)
    facts = gate.assessment_facts(args.deployment)
    if args.draft:
        draft = prefill_assessment(deployment, facts) | {"signed_off_by": ""}
        text = json.dumps(draft, indent=2, ensure_ascii=False)
        if args.out is None:
            out.result(draft, text)  # the same JSON object either way
            return 0
    else:
        signed = gate.assessment(args.deployment)
        text = render_assessment(deployment, facts, signed, fmt=args.format)
    _write(args.out, text, out)
    return 0


def activate(args: argparse.Namespace, out: Output) -> int:
    gate = open_gate(args)
    gate.activate(args.deployment)
    out.result({"deployment": args.deployment, "active": True}, f"{args.deployment!r} is live")
    return 0


def notice(args: argparse.Namespace, out: Output) -> int:
    deployment = open_gate(args).deployment(args.deployment)
    render = render_signage if args.signage else render_notice
    text = render(deployment, language=args.language, large_print=args.large_print)
    _write(args.out, text, out)
    return 0


def _write(path: Path | None, text: str, out: Output) -> None:
    if path is None:
        out.result({"text": text}, text)
        return
    Path(path).write_text(text + "\n", encoding="utf-8")
    out.result({"written": str(path)}, f"written to {path}")


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands."""
    p = commands.add_parser("init", parents=[common], help="create a store and its master key")
    p.set_defaults(run=init)

    operator = commands.add_parser("operator", help="the personal-information processor")
    ops = operator.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = ops.add_parser("add", parents=[common], help="register an operator")
    p.add_argument("id")
    p.add_argument("--name", required=True)
    p.add_argument("--contact", required=True)
    p.set_defaults(run=operator_add)

    deployment = commands.add_parser("deployment", help="where and why faces are processed")
    deps = deployment.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = deps.add_parser("add", parents=[common], help="register a deployment from a JSON file")
    p.add_argument("file", type=Path, help="definition (see `facegate deployment example`)")
    p.add_argument("--operator", required=True)
    p.set_defaults(run=deployment_add)
    p = deps.add_parser("show", parents=[common], help="a deployment's declarations and state")
    p.add_argument("name")
    p.set_defaults(run=deployment_show)
    p = deps.add_parser("list", parents=[common], help="every deployment")
    p.set_defaults(run=deployment_list)
    p = deps.add_parser("example", parents=[common], help="print an example definition")
    p.set_defaults(run=deployment_example)

    assessment = commands.add_parser("assessment", help="record a signed impact assessment")
    acts = assessment.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = acts.add_parser("record", parents=[common], help="record one from a JSON file")
    p.add_argument("deployment")
    p.add_argument("file", type=Path, help="the four M9 items and signed_off_by (see assess)")
    p.set_defaults(run=assessment_record)

    p = commands.add_parser(
        "assess", parents=[common], help="render the impact assessment with measured facts"
    )
    p.add_argument("deployment")
    p.add_argument("--format", choices=("markdown", "html"), default="markdown")
    p.add_argument("--draft", action="store_true", help="pre-filled items as JSON, to edit")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.set_defaults(run=assess)

    p = commands.add_parser("activate", parents=[common], help="make an assessed deployment live")
    p.add_argument("deployment")
    p.set_defaults(run=activate)

    p = commands.add_parser("notice", parents=[common], help="the notice or signage text")
    p.add_argument("deployment")
    p.add_argument("--language", choices=("zh", "en"), default="zh")
    p.add_argument("--large-print", action="store_true", help="short lines for print or readers")
    p.add_argument("--signage", action="store_true", help="the short sign, not the full notice")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.set_defaults(run=notice)
