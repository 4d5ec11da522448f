"""Subcommands about device keys (R19): add one (its token printed once), list them, revoke
one."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any

from facegate.cli import bulk
from facegate.cli.context import open_gate
from facegate.cli.output import Output
from facegate.errors import InvalidArgument
from facegate.gate import Capability, Device

__all__ = ["register"]


def _expiry(args: argparse.Namespace) -> datetime | None:
    """When the key expires: ``--expires YYYY-MM-DD`` (the end of that day, UTC), or ``--days
    N`` from now; None for a key that does not expire."""
    if args.expires is not None and args.days is not None:
        raise InvalidArgument("give --expires or --days, not both")
    if args.expires is not None:
        day = bulk.parse_date(args.expires, "--expires")
        return datetime.combine(day + timedelta(days=1), time(), UTC)
    if args.days is not None:
        if args.days < 1:
            raise InvalidArgument(f"--days is a number of days >= 1, not {args.days}")
        return datetime.now(UTC) + timedelta(days=args.days)
    return None


def _row(device: Device) -> dict[str, Any]:
    return {
        "name": device.name,
        "capabilities": [c.value for c in device.capabilities],
        "deployments": None if device.deployments is None else list(device.deployments),
        "created_at": device.created_at,
        "expires_at": device.expires_at,
        "revoked_at": device.revoked_at,
        "state": device.state,
    }


def _line(device: Device) -> str:
    where = ",".join(device.deployments) if device.deployments is not None else "(every)"
    until = device.expires_at.isoformat(timespec="seconds") if device.expires_at else "never"
    caps = ",".join(c.value for c in device.capabilities)
    return f"{device.name}\t{caps}\t{where}\t{device.state}\texpires {until}"


def device_add(args: argparse.Namespace, out: Output) -> int:
    added = open_gate(args).add_device(
        args.name,
        capabilities=args.capability,
        deployments=args.deployment,
        expires_at=_expiry(args),
    )
    print(
        f"facegate: the token of device {args.name!r} is shown this once: give it to the "
        "device now (facegate keeps only its keyed hash; lost, it is revoked and replaced)",
        file=sys.stderr,
    )
    out.result(_row(added.device) | {"token": added.token}, added.token)
    return 0


def device_list(args: argparse.Namespace, out: Output) -> int:
    found = open_gate(args).devices()
    out.result([_row(d) for d in found], "\n".join(_line(d) for d in found) or "no devices")
    return 0


def device_revoke(args: argparse.Namespace, out: Output) -> int:
    device = open_gate(args).revoke_device(args.name)
    out.result(_row(device), f"device {device.name!r} revoked: its key opens nothing now")
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands."""
    device = commands.add_parser("device", help="device keys for kiosks and doors (R19)")
    acts = device.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = acts.add_parser(
        "add",
        parents=[common],
        help="add a device key; prints its token, once",
        description="Adds a device key bound to capabilities and deployments and prints its "
        "token on stdout, this once: the store keeps only its keyed hash.",
    )
    p.add_argument("name", help="the device's name, which the audit trail carries")
    p.add_argument(
        "--capability",
        action="append",
        required=True,
        choices=[c.value for c in Capability],
        help="what the device may do (repeatable): match, enroll, admin",
    )
    p.add_argument(
        "--deployment",
        action="append",
        help="a deployment the device may use (repeatable; default: every deployment)",
    )
    p.add_argument("--expires", help="the last day the key works, YYYY-MM-DD (UTC)")
    p.add_argument("--days", type=int, help="the key works this many days from now")
    p.set_defaults(run=device_add)
    p = acts.add_parser("list", parents=[common], help="every device key (never a token)")
    p.set_defaults(run=device_list)
    p = acts.add_parser("revoke", parents=[common], help="revoke a device key at once")
    p.add_argument("name")
    p.set_defaults(run=device_revoke)
