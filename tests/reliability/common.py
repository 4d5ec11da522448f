"""Shared by the reliability tests: a store on disk with its key file, and the checks that a
store is whole after whatever happened to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from facegate.gate import FaceGate
from facegate.keys import MasterKey
from tests import peek
from tests.requirements.gate import FakeEncoder, open_gate

ROOT = Path(__file__).resolve().parents[2]


def new_store(folder: Path, location: Path | str | None = None) -> tuple[Path | str, Path]:
    """A store (at ``location``, else a file in ``folder``) with an active identification
    deployment, and its key file."""
    key = folder / "master.key"
    store = folder / "s.db" if location is None else location
    # Crashes and races, not accuracy, are tested here: the lobby accepts every miss, so the
    # honest limits never stop the workers' enrollments.
    open_gate(store, MasterKey.generate(key), max_fnir=1.0).close()
    return store, key


OPENED = "opened"
"""What a worker prints once it has opened the store, before its first operation."""


def opened(process: subprocess.Popen[str]) -> str:
    """Waits until ``process`` says it opened the store (a kill meant to land mid-operation
    comes after it, however slowly a loaded machine starts a process); returns what it
    printed up to then."""
    assert process.stdout is not None
    head = []
    while line := process.stdout.readline():
        head.append(line)
        if line.strip() == OPENED:
            break
    return "".join(head)


def worker(
    store: Path | str, key: Path, name: str, threads: int, rounds: int
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.reliability.worker"]
    return subprocess.Popen(
        [*command, str(store), str(key), name, str(threads), str(rounds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def acknowledged(output: str) -> dict[str, list[str]]:
    """Subjects per acknowledged action."""
    acks: dict[str, list[str]] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ack":
            acks.setdefault(parts[1], []).append(parts[2])
    return acks


def whole(store_path: Path | str, key: Path) -> dict[str, object]:
    """Every invariant of a store after a crash or a race, as counts (0 is good for problems)."""
    # The gate opens first: its read-write connection recovers a WAL left by a killed process,
    # which the read-only connections of ``peek`` could not.
    gate = FaceGate.open(store_path, MasterKey.from_file(key), encoder=FakeEncoder())
    try:
        verified = gate.verify_audit()
        integrity = peek.integrity(store_path)
        orphans = peek.count(
            store_path,
            "SELECT COUNT(*) FROM templates t LEFT JOIN data_keys k USING (subject_id) "
            "WHERE k.subject_id IS NULL",
        )
        # A template whose subject's latest consent event is not a grant: half a withdrawal.
        unconsented = peek.count(
            store_path,
            "SELECT COUNT(*) FROM templates t WHERE (SELECT kind FROM consent_events e "
            "WHERE e.subject_id = t.subject_id AND e.deployment_id = t.deployment_id "
            "ORDER BY seq DESC LIMIT 1) IS DISTINCT FROM 'granted'",
        )
        keys_without_templates = peek.count(
            store_path,
            "SELECT COUNT(*) FROM data_keys k WHERE NOT EXISTS "
            "(SELECT 1 FROM templates t WHERE t.subject_id = k.subject_id)",
        )
        held = {str(r[0]) for r in peek.rows(store_path, "SELECT subject_id FROM templates")}
        # Not calls by anyone: the gate's own entries (the operating point restated as the
        # gallery's size crosses a power of ten), and the audit verifications of this function
        # (each audited after the trail it verified, so only earlier ones are counted).
        own = peek.count(
            store_path,
            "SELECT COUNT(*) FROM audit WHERE seq <= ? "
            "AND action IN ('operating_point', 'verify_audit')",
            (verified.entries,),
        )
    finally:
        gate.close()
    return {
        "integrity": integrity,
        "templates_without_key": orphans,
        "templates_without_consent": unconsented,
        "keys_without_templates": keys_without_templates,
        "audit_ok": verified.ok,
        "audit_entries": verified.entries,
        "calls_audited": verified.entries - own,
        "held": held,
    }
