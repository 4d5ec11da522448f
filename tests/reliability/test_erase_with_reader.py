"""R13 with a reader in another process: erasure returns at once, its receipt says whether the
files are clean yet, and they are cleaned as soon as the reader moves on, not when it exits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from facegate import FaceGate, MasterKey
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, FakeEncoder, open_gate

PURPOSE = "hotel_check_in"

READER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
db.execute("SELECT COUNT(*) FROM templates").fetchone()  # a read snapshot, held
print("holding", flush=True)
sys.stdin.readline()
db.execute("COMMIT")  # the reader moves on, and stays connected
print("released", flush=True)
sys.stdin.readline()
"""


def files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_r13_erasure_does_not_wait_for_a_reader_and_finishes_when_it_moves_on(
    tmp_path: Path,
) -> None:
    path, master = tmp_path / "s.db", MasterKey.generate()
    gate = open_gate(path, master)
    marker = "person-with-a-long-findable-id"
    gate.grant_consent("lobby", marker, CONSENT)
    gate.enroll("lobby", marker, face(marker), PURPOSE)
    gate.close()
    gate = FaceGate.open(path, master, encoder=FakeEncoder())
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "holding"
        start = time.monotonic()
        receipt = gate.erase(marker)
        took = time.monotonic() - start
        assert took < 5, f"erase waited {took:.1f} s for the reader"  # not the 30 s busy timeout
        assert receipt.key_destroyed and receipt.templates_removed == 1
        assert receipt.files_clean is False  # and the receipt says so
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "released"
        deadline = time.monotonic() + 10
        while marker.encode() in files(path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.encode() not in files(path), "the files were not cleaned"
        assert reader.poll() is None  # the reader is still running: nobody had to exit
    finally:
        reader.communicate(timeout=10)  # closes its pipes, lets it finish
        gate.close()


def test_r13_without_a_reader_the_receipt_says_the_files_are_clean(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    gate = open_gate(path, MasterKey.generate())
    gate.grant_consent("lobby", "someone-findable", CONSENT)
    gate.enroll("lobby", "someone-findable", face("x"), PURPOSE)
    receipt = gate.erase("someone-findable")
    assert receipt.files_clean
    assert b"someone-findable" not in files(path)
