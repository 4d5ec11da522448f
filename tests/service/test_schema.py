"""schemathesis against the OpenAPI document the service serves: generated requests (valid and
not) to every operation find no server error and no answer that breaks the document (run once,
on SQLite: the API layer is the same on both stores)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.service.site import make_site

EXAMPLES = os.environ.get("FACEGATE_SCHEMA_EXAMPLES", "25")


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema(
    tmp_path: Path,
) -> None:
    site = make_site(tmp_path, tmp_path / "hotel.db").start(1, "--rate", "1000")
    try:
        for device in ("admin", "kiosk"):
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "run",
                    f"{site.url}/openapi.json",
                    "--checks",
                    "not_a_server_error,response_schema_conformance,"
                    "content_type_conformance,status_code_conformance",
                    "--max-examples",
                    EXAMPLES,
                    "--generation-deterministic",
                    "--header",
                    f"Authorization: Bearer {site.tokens[device]}",
                    "--request-timeout",
                    "60",
                    "--no-color",
                ],
                capture_output=True,
                text=True,
                timeout=900,
                cwd=tmp_path,  # its cache stays with the test
            )
            assert run.returncode == 0, (device, run.stdout[-6000:], run.stderr[-2000:])
    finally:
        assert site.stop() == 0
    assert "Traceback" not in (site.log.read_text() if site.log else "")
