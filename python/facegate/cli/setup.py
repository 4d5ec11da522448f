"""Subcommands that set a store up: init, operator, deployment, assessment, activate, notice."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

from facegate.accuracy import MAX_PHOTOS
from facegate.cli import examples
from facegate.cli.context import (
    STORE_ENV,
    key_path,
    open_gate,
    out_options,
    store_path,
    write_out,
)
from facegate.cli.output import Output, plain
from facegate.compliance.filing import FilingEvent
from facegate.compliance.policy import Deployment
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
from facegate.store.postgres import holds_store

__all__ = ["register"]


def _expected_point(deployment: Deployment) -> str:
    """How 1:N would run at the size the deployment expects, and whether activation's honest
    limits (R5) let it; empty for 1:1."""
    if not deployment.identifies:
        return ""
    size = max(deployment.expected_enrollments, 1)
    point = deployment.operating_point(size)
    verdict = (
        "within"
        if point.false_non_match <= deployment.max_fnir
        else "BEYOND (activation will be refused: expect fewer people, enroll more "
        "photographs each, or use 1:1 verification)"
    )
    return (
        f"at its expected {size:,} people it runs at: {point.describe()}; "
        f"{verdict} the limit of missing {deployment.max_fnir:.0%} of them (max_fnir)"
    )


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
    if isinstance(store, Path) and store.exists():
        raise DuplicateId(f"{store} already exists; facegate init never overwrites a store")
    if isinstance(store, str) and holds_store(store):
        raise DuplicateId(f"{store} already holds a store; facegate init never overwrites one")
    for path in [key] if isinstance(store, str) else [store, key]:
        if not path.parent.is_dir():
            raise InvalidArgument(f"the folder {path.parent} does not exist (create it first)")
    if key.exists():
        master = MasterKey.from_file(key)
        made = False
    else:
        master, made = MasterKey.generate(key), True
    FaceGate.open(store, master).close()
    lines = [
        f"created store {store}",
        f"created master key {key} (mode 0600, id {master.id}); keep it out of backups of the store"
        if made
        else f"using the existing master key {key} (id {master.id})",
    ]
    if args.store and str(args.store) != os.environ.get(STORE_ENV):
        named = store if isinstance(store, str) else store.resolve()
        # Nothing records the choice: say how the next commands will find this store.
        lines.append(
            f"later commands find it only when told: pass --store {store} to each, or run "
            f"`export {STORE_ENV}={named}` once in this shell"
        )
    out.result(
        {"store": str(store), "key": str(key), "key_created": made, "key_id": master.id},
        "\n".join(lines),
    )
    return 0


def operator_add(args: argparse.Namespace, out: Output) -> int:
    gate = open_gate(args)
    gate.register_operator(args.id, name=args.name, contact=args.contact)
    out.result({"operator": args.id}, f"operator {args.id!r} registered")
    return 0


def _filing_line(event: FilingEvent) -> str:
    deadline = f"{event.deadline}{' (provisional)' if event.provisional else ''}"
    return f"  filing ({event.kind}): {event.detail or 'recorded'}; file it by {deadline} (R28)"


def deployment_add(args: argparse.Namespace, out: Output) -> int:
    definition = _read_json(args.file)
    gate = open_gate(args)
    # The gate builds the definition, so that a refusal (R23, R3...) is audited (R20).
    event = gate.register_deployment(args.operator, definition)
    deployment = gate.deployment(str(definition["name"]))
    expected = _expected_point(deployment)
    lines = [
        f"deployment {deployment.name!r} registered (notice {deployment.notice.version[:12]}); "
        "record an impact assessment and activate it before use"
    ]
    if expected:
        lines.append(f"  1:N {expected}")
    if event is not None:
        lines.append(_filing_line(event))
    out.result(
        {
            "deployment": deployment.name,
            "notice_version": deployment.notice.version,
            "active": False,
            "mode": deployment.mode,
            "expected_operating_point": plain(
                deployment.operating_point(max(deployment.expected_enrollments, 1))
            )
            if deployment.identifies
            else None,
            "filing_event": event,
        },
        "\n".join(lines),
    )
    return 0


def deployment_update(args: argparse.Namespace, out: Output) -> int:
    """Replaces a deployment's declarations with those of a definition file (R7, R26, R28)."""
    definition = _read_json(args.file)
    gate = open_gate(args)
    update = gate.update_deployment(definition)
    name = definition.get("name")
    lines = [
        f"deployment {name!r}: "
        + (f"changed {', '.join(update.changed)}" if update.changed else "nothing changed")
    ]
    if update.new_notice:
        lines.append(
            "  a new notice version: people must consent again before they are matched (R7); "
            "show them the new notice (`facegate notice`)"
        )
    if update.reassess:
        lines.append("  taken off line: record a new impact assessment and activate it again (R26)")
    elif update.changed:
        lines.append("  no new assessment needed; it stays as it was (live or not)")
    if update.filing_event is not None:
        lines.append(_filing_line(update.filing_event))
    deployment = gate.deployment(str(name))
    expected = _expected_point(deployment)
    if expected:
        lines.append(f"  1:N {expected}")
    out.result(update, "\n".join(lines))
    return 0


def deployment_decommission(args: argparse.Namespace, out: Output) -> int:
    event = open_gate(args).decommission(args.name)
    lines = [f"deployment {args.name!r} decommissioned: off line for good, its templates destroyed"]
    if event is not None:
        lines.append(_filing_line(event))
    out.result({"deployment": args.name, "filing_event": event}, "\n".join(lines))
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
    """Prints an example definition on stdout (for ``> lobby.json``); for 1:N, how it would
    run at the size it expects goes to stderr, where a redirection leaves it on the screen."""
    example = examples.definition(args)
    print(json.dumps(example, indent=2, ensure_ascii=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the examples mark an accessible alternative
        expected = _expected_point(deployment_from_dict(example))
    if expected:
        print(f"# {example['name']}: {expected}", file=sys.stderr)
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
    _write(args, text, out)
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
    _write(args, text, out)
    return 0


def _write(args: argparse.Namespace, text: str, out: Output) -> None:
    if args.out is None:
        out.result({"text": text}, text)
        return
    write_out(args, args.out, text + "\n")
    out.result({"written": str(args.out)}, f"written to {args.out}")


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

    deployment = commands.add_parser(
        "deployment",
        help="where and why faces are processed",
        description="A deployment is one use of facial recognition at one place, declared in "
        "a JSON file (`facegate deployment example`). 1:1 verification of a claimed identity "
        'is the default (R3). 1:N identification needs "mode": "identify", an '
        '"identification_justification", and the size it is honest at: '
        '"expected_enrollments" people with "enrollment_photos" photographs each; '
        'activation refuses it where it would miss more than "max_fnir" of them (R5). '
        "`facegate deployment example --identify` shows one, with its operating point.",
    )
    deps = deployment.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = deps.add_parser("add", parents=[common], help="register a deployment from a JSON file")
    p.add_argument("file", type=Path, help="definition (see `facegate deployment example`)")
    p.add_argument("--operator", required=True)
    p.set_defaults(run=deployment_add)
    p = deps.add_parser(
        "update",
        parents=[common],
        help="change a deployment (or its notice) from its edited JSON file",
        description="Replaces the declarations of the deployment the file names. It says what "
        "changed: a new notice version needs new consents (R7), a change the impact "
        "assessment rests on takes the deployment off line until it is assessed and "
        "activated again (R26), a change to filed matters has a filing deadline (R28).",
    )
    p.add_argument("file", type=Path, help="the whole definition, edited")
    p.set_defaults(run=deployment_update)
    p = deps.add_parser("decommission", parents=[common], help="retire a deployment for good (R28)")
    p.add_argument("name")
    p.set_defaults(run=deployment_decommission)
    p = deps.add_parser("show", parents=[common], help="a deployment's declarations and state")
    p.add_argument("name")
    p.set_defaults(run=deployment_show)
    p = deps.add_parser("list", parents=[common], help="every deployment")
    p.set_defaults(run=deployment_list)
    p = deps.add_parser(
        "example",
        parents=[common],
        help="print an example definition (1:1; --identify for 1:N declared honestly)",
        description="Prints a definition to edit: 1:1 verification at check-in by default; "
        "with --identify, 1:N identification for a small group (a loyalty programme's "
        "members) with its justification and expected size, and, on stderr, the operating "
        "point it runs at there and whether activation's honest limits allow it (R5).",
    )
    p.add_argument("--identify", action="store_true", help="a 1:N identification deployment")
    p.add_argument(
        "--expected",
        type=int,
        default=examples.MEMBERS,
        help=f"with --identify: the people it expects to hold (default {examples.MEMBERS})",
    )
    p.add_argument(
        "--photos",
        type=int,
        default=MAX_PHOTOS,
        help=f"with --identify: enrollment photographs per person (default {MAX_PHOTOS})",
    )
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
    out_options(p, "write to this file instead of stdout")
    p.set_defaults(run=assess)

    p = commands.add_parser("activate", parents=[common], help="make an assessed deployment live")
    p.add_argument("deployment")
    p.set_defaults(run=activate)

    p = commands.add_parser("notice", parents=[common], help="the notice or signage text")
    p.add_argument("deployment")
    p.add_argument("--language", choices=("zh", "en"), default="zh")
    p.add_argument("--large-print", action="store_true", help="short lines for print or readers")
    p.add_argument("--signage", action="store_true", help="the short sign, not the full notice")
    out_options(p, "write to this file instead of stdout")
    p.set_defaults(run=notice)
