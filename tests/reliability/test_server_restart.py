"""The PostgreSQL server restarted under load: calls in flight fail with a typed error (never
an untyped one, never half applied), the worker carries on once the server is back, nothing
acknowledged is lost and the audit trail verifies.

Needs the test server's data directory (``FACEGATE_TEST_PG_DIR``, which the test command
sets) to restart it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.reliability.common import ROOT, acknowledged, new_store, whole, worker

pytestmark = pytest.mark.skipif(
    not os.environ.get("FACEGATE_TEST_PG_DIR"), reason="no restartable PostgreSQL test server"
)


def test_a_restarted_server_loses_nothing_acknowledged(tmp_path: Path) -> None:
    from tests.conftest import postgres_database

    location = postgres_database()
    url = next(location)
    try:
        store, key = new_store(tmp_path, url)
        os.environ["FACEGATE_WORKER_TOLERANT"] = "1"
        try:
            process = worker(store, key, "r", 2, 0)
        finally:
            del os.environ["FACEGATE_WORKER_TOLERANT"]
        time.sleep(2.0)
        subprocess.run([ROOT / "scripts" / "postgres", "restart"], check=True, timeout=120)
        time.sleep(3.0)
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
        assert "error" not in out and "Traceback" not in err, (out[-1500:], err[-1500:])
        acks = acknowledged(out)
        lines = out.splitlines()
        after = [line for line in lines if line.startswith("fail")]
        assert all("StoreUnavailable" in line for line in after), after[:5]
        # It carried on after the restart: acknowledgements follow the last failure.
        last_failure = max(
            (i for i, line in enumerate(lines) if line.startswith("fail")), default=0
        )
        assert any(line.startswith("ack") for line in lines[last_failure:]), lines[-5:]
        print(f"\nserver restarted under load: {len(after)} calls refused, {len(lines)} lines")
        state = whole(store, key)
        # Every acknowledged enrollment is there unless its own withdrawal was acknowledged
        # or was in flight at one of the failures or the kill, in either thread (it may have
        # committed): each thread's last subject.
        last_of = {line.split()[-1].rsplit("-", 1)[0]: line.split()[-1] for line in lines}
        in_flight = {line.split()[-1] for line in after} | set(last_of.values())
        held = state["held"]
        assert isinstance(held, set)
        missing = set(acks["enroll"]) - set(acks.get("withdraw", [])) - in_flight - held
        assert not missing, sorted(missing)[:5]
        assert not set(acks.get("withdraw", [])) & held
        assert state["integrity"] == "ok" and state["audit_ok"] is True
    finally:
        location.close()
