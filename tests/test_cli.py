"""The command line driven as a user would, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facegate", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_reports_what_it_did_as_json() -> None:
    done = run("demo", "--size", "20000", "--queries", "200", "--guests", "500", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["identities"] == 20000 and report["queries"] == 200
    assert report["gate_identified"] == "guest-astronaut"
    assert report["gate_after_withdrawal"] is None
    assert report["int8_agreement"] >= 0.99
    assert report["identified"] >= 0.9 and report["verified"] == 1.0
    assert report["exact_single_ms"] > 0 and report["int8_single_ms"] > 0


def test_demo_narrates_in_prose_by_default() -> None:
    done = run("demo", "--size", "5000", "--queries", "50", "--guests", "200")
    assert done.returncode == 0, done.stderr
    assert "5,000 synthetic identities" in done.stdout
    assert "int8 scan + exact re-rank" in done.stdout
    assert "[R23]" in done.stdout and "[R8]" in done.stdout
    assert "identified afterwards as None" in done.stdout


def test_bad_values_exit_1_with_message_on_stderr() -> None:
    done = run("demo", "--size", "0")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "facegate: error: --size, --queries and --guests must be at least 1" in done.stderr


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("facegate ")
