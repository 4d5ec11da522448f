"""R13 on PostgreSQL: an erased person's data key leaves copies in the server's own files (dead
tuples, the WAL), and none of them can be opened with any key that still exists.

The test scans the data directory of the test server (``FACEGATE_TEST_PG_DIR``, which the test
command sets) as an attacker with a copy of it, the master key and every erasure key file on
the host would."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from facegate import MasterKey
from facegate.errors import IntegrityError
from facegate.gate.opening import checkpoint_folder
from tests import peek
from tests.reliability.worker import face
from tests.requirements.gate import CONSENT, open_gate

DATA = os.environ.get("FACEGATE_TEST_PG_DIR")
PURPOSE = "hotel_check_in"

pytestmark = pytest.mark.skipif(not DATA, reason="no PostgreSQL test server data directory")


def _copies(needle: bytes) -> int:
    """How many times ``needle`` occurs in the files of the server's data directory."""
    assert DATA is not None
    found = 0
    for folder, _, names in os.walk(DATA):
        for name in names:
            try:
                found += Path(folder, name).read_bytes().count(needle)
            except OSError:
                continue
    return found


def _postgres_only(path: Path | str) -> str:
    if not str(path).startswith("postgresql://"):
        pytest.skip("about PostgreSQL's files (SQLite's: test_r10_r13_withdrawal_...)")
    return str(path)


def test_r13_no_copy_of_an_erased_key_in_the_servers_files_opens(
    path: Path, master: MasterKey
) -> None:
    url = _postgres_only(path)
    gate = open_gate(url, master)
    for subject in ("erased", "kept"):
        gate.grant_consent("lobby", subject, CONSENT)
        gate.enroll("lobby", subject, face(subject), PURPOSE)
    (wrapped,) = peek.rows(url, "SELECT wrapped FROM data_keys WHERE subject_id = 'erased'")[0]
    (kept_before,) = peek.rows(url, "SELECT wrapped FROM data_keys WHERE subject_id = 'kept'")[0]
    before = gate.erasure_status()
    receipt = gate.erase("erased")
    assert receipt.key_destroyed and receipt.files_clean
    with psycopg.connect(os.environ["FACEGATE_TEST_POSTGRES"], autocommit=True) as admin:
        admin.execute("CHECKPOINT")  # what the server holds goes to its files
    # Deleting the row did not remove it from the server's files: the copies are there ...
    assert _copies(bytes(wrapped)) >= 1
    assert _copies(bytes(kept_before)) >= 1  # ... as is the other person's key as it was
    # ... and no key that exists opens them: not the master key, not any erasure key file.
    after = gate.erasure_status()
    assert after.epoch == (before.epoch or 0) + 1 and after.wrapped_otherwise == 0
    (store_id,) = peek.rows(url, "SELECT value FROM meta WHERE key = 'store_id'")[0]
    folder = checkpoint_folder(None, str(store_id))
    files = sorted(folder.glob("erasure-*.key"))
    assert [str(f) for f in files] == list(after.key_files) and len(files) == 1
    for key in [master, *(MasterKey.from_file(f) for f in files)]:
        for subject, copy in (("erased", wrapped), ("kept", kept_before)):
            with pytest.raises(IntegrityError):
                key.unwrap(bytes(copy), subject)
    # The person kept is still matched (their key was re-wrapped under the new epoch).
    assert gate.identify("lobby", face("kept"), PURPOSE).subject == "kept"
    assert gate.identify("lobby", face("erased"), PURPOSE).subject is None
    gate.close()
