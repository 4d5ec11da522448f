"""The command line driven as a user would, in a subprocess: a store's whole life cycle with
the public-domain photographs, exit codes, JSON output and errors on stderr."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from PIL import Image

from facegate.compliance.dossier import FilingDossier
from tests import faces


class Cli:
    """``facegate`` with a store and key in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {**os.environ, "FACEGATE_STORE": str(folder / "hotel.db")}
        self.env.pop("FACEGATE_MASTER_KEY", None)

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "facegate", *args],
            capture_output=True,
            text=True,
            timeout=600,
            env=self.env,
            cwd=self.folder,
        )
        assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        return done

    def json(self, *args: str, code: int = 0) -> object:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    paths = {
        "astronaut": faces.astronaut(),
        "astronaut-copy": faces.transformed(faces.astronaut())["jpeg"],
        "hopper": faces.hopper(),
    }
    for name, pixels in paths.items():
        Image.fromarray(pixels).save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in paths}


def test_a_store_s_whole_life_cycle(tmp_path: Path, photos: dict[str, Path]) -> None:
    cli = Cli(tmp_path)
    init = cli.json("init")
    assert init["key_created"] and (tmp_path / "hotel.key").stat().st_mode & 0o077 == 0  # type: ignore[index]
    cli("init", code=5)  # never overwrites a store
    cli("operator", "add", "hotel", "--name", "Example Hotel", "--contact", "dpo@example.com")

    definition = json.loads(cli("deployment", "example").stdout)
    room = definition | {"name": "room-412", "location": "hotel_guest_room"}
    (tmp_path / "room.json").write_text(json.dumps(room))
    refused = cli("deployment", "add", "room.json", "--operator", "hotel", code=3)
    assert "[R23]" in refused.stderr and refused.stdout == ""
    definition |= {"mode": "identify", "identification_justification": "returning guests"}
    (tmp_path / "lobby.json").write_text(json.dumps(definition))
    cli("deployment", "add", "lobby.json", "--operator", "hotel")
    assert "[R26]" in cli("activate", "lobby", code=3).stderr

    draft = cli.json("assess", "lobby", "--draft")
    assert isinstance(draft, dict) and draft["legality_and_necessity"]
    (tmp_path / "assessment.json").write_text(json.dumps(draft | {"signed_off_by": "DPO"}))
    cli("assessment", "record", "lobby", "assessment.json")
    cli("activate", "lobby")
    shown = cli.json("deployment", "show", "lobby")
    assert shown["active"] is True and shown["templates"] == 0  # type: ignore[index]
    point = shown["operating_point"]  # type: ignore[index]
    assert point["identify"] is True and point["gallery_size"] == 1 and point["threshold"] < 0.6
    assert "operating point: 1:N with 1 enrolled" in cli("deployment", "show", "lobby").stdout

    astronaut = str(photos["astronaut"])
    enroll = ("enroll", "lobby", "astronaut", astronaut, "--purpose", "hotel_check_in")
    assert "[R8]" in cli(*enroll, code=3).stderr
    grant = ("consent", "grant", "lobby", "astronaut", "--purpose", "hotel_check_in")
    assert "[R8]" in cli(*grant, "--channel", "kiosk", code=3).stderr  # not a separate consent
    cli(*grant, "--channel", "kiosk", "--face-data")
    cli(*enroll)
    twice = (str(photos["astronaut"]),) * 2
    added = cli.json("enroll", "lobby", "astronaut", *twice, "--add", *enroll[-2:])
    assert added == {"enrolled": ["astronaut"], "photos": 2, "added": True}
    assert cli.json("deployment", "show", "lobby")["templates"] == 1  # type: ignore[index]

    copy, other = str(photos["astronaut-copy"]), str(photos["hopper"])
    found = cli.json("identify", "lobby", copy, "--purpose", "hotel_check_in")
    assert found["match"] is True and found["subject"] == "astronaut"  # type: ignore[index]
    cli("identify", "lobby", other, "--purpose", "hotel_check_in", code=1)
    verify = ("verify", "lobby", "astronaut")
    assert cli(*verify, copy, "--purpose", "hotel_check_in").stdout.startswith("match")
    cli(*verify, other, "--purpose", "hotel_check_in", code=1)
    assert "[R2]" in cli(*verify, copy, "--purpose", "payment", code=3).stderr
    cli("decline", "lobby", definition["notice"]["alternatives"][0]["description"])

    notice = cli("notice", "lobby", "--language", "zh", "--large-print").stdout
    assert "人脸识别" in notice and "Example Hotel" in notice
    signage = cli("notice", "lobby", "--language", "en", "--signage").stdout
    assert "Facial recognition in use" in signage
    cli("assess", "lobby", "--format", "html", "--out", "assessment.html")
    assert (tmp_path / "assessment.html").read_text().startswith("<!DOCTYPE html>")
    status = cli.json("filing", "status", "hotel")
    assert status["individuals"] == 1 and status["state"] == "below"  # type: ignore[index]
    assert "hotel" in cli("filing", "dossier", "hotel").stdout
    dossier = json.loads(cli("filing", "dossier", "hotel", "--format", "json").stdout)
    assert set(dossier) == {field.name for field in fields(FilingDossier)}
    assert dossier["operator"] == {
        "id": "hotel",
        "name": "Example Hotel",
        "contact": "dpo@example.com",
    }
    (method,) = dossier["purposes_and_methods"]
    assert (method["deployment"], method["mode"], method["active"]) == ("lobby", "identify", True)
    assert dossier["stored_count_and_security"]["individuals"] == 1
    assert dossier["stored_count_and_security"]["templates"] == 1
    (rules,) = dossier["processing_rules"]
    assert rules["deployment"] == "lobby" and rules["threshold"] < 0.6
    (on_file,) = dossier["assessments"]
    assert on_file["assessment"]["signed_off_by"] == "DPO" and on_file["covers_current_notice"]
    assert dossier["filing"]["individuals"] == 1 and dossier["filing"]["state"] == "below"

    cli("audit", "checkpoint", "--out", "checkpoint.json")
    assert cli.json("audit", "verify", "--checkpoint", "checkpoint.json")["ok"] is True  # type: ignore[index]
    lines = cli("audit", "export").stdout.splitlines()
    assert len(lines) > 15 and "astronaut" not in "".join(lines)

    receipt = cli.json("consent", "withdraw", "lobby", "astronaut")
    assert receipt["key_destroyed"] is True  # type: ignore[index]
    cli("identify", "lobby", copy, "--purpose", "hotel_check_in", code=1)
    held = cli.json("export-subject", "astronaut")
    assert held["templates"] == [] and held["data_key_held"] is False  # type: ignore[index]
    cli("erase", "astronaut")
    assert cli.json("purge")["purged"] == 0  # type: ignore[index]

    with sqlite3.connect(tmp_path / "hotel.db") as db:
        db.execute("DROP TRIGGER audit_append_only")
        db.execute("UPDATE audit SET outcome = outcome || 'x' WHERE seq = 9")
    broken = cli("audit", "verify", code=4)
    assert "entry 9" in broken.stdout
    assert "audit_chain" in cli("incidents").stdout


def test_bulk_enrollment_from_a_consent_manifest(tmp_path: Path, photos: dict[str, Path]) -> None:
    cli = Cli(tmp_path)
    cli("init")
    cli("operator", "add", "hotel", "--name", "Example Hotel", "--contact", "dpo@example.com")
    (tmp_path / "lobby.json").write_text(cli("deployment", "example").stdout)
    cli("deployment", "add", "lobby.json", "--operator", "hotel")
    (tmp_path / "a.json").write_text(cli("assess", "lobby", "--draft").stdout)
    signed = json.loads((tmp_path / "a.json").read_text()) | {"signed_off_by": "DPO"}
    (tmp_path / "a.json").write_text(json.dumps(signed))
    cli("assessment", "record", "lobby", "a.json")
    cli("activate", "lobby")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        f"subject,image,evidence\nastronaut,{photos['astronaut']},form-1\n"
        f"hopper,{photos['hopper']},form-2\n"
    )
    bulk = ("enroll", "lobby", "--manifest", str(manifest), "--purpose", "hotel_check_in")
    cli(*bulk, code=3)  # no consent recorded for them, and the manifest is not a consent
    done = cli.json(*bulk, "--channel", "paper form", "--face-data")
    assert done["enrolled"] == ["astronaut", "hopper"]  # type: ignore[index]
    copy = str(photos["astronaut-copy"])
    cli("verify", "lobby", "astronaut", copy, "--purpose", "hotel_check_in")

    manifest.write_text(f"subject,image\nthird,{tmp_path / 'missing.png'}\n")
    failed = cli(*bulk, "--channel", "kiosk", "--face-data", code=2)
    assert "third" in failed.stderr and "nobody was enrolled" in failed.stderr


def test_errors_name_what_is_missing(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert "facegate init" in cli("deployment", "list", code=5).stderr
    cli("init")
    (tmp_path / "hotel.key").unlink()
    assert "no master key" in cli("deployment", "list", code=5).stderr


def test_demo_tells_the_story_as_json(tmp_path: Path) -> None:
    done = Cli(tmp_path).json(
        "demo", "--size", "20000", "--queries", "200", "--guests", "2000", "--out", "docs"
    )
    assert isinstance(done, dict)
    assert done["identities"] == 20000 and done["int8_agreement"] >= 0.99
    assert done["gate_identified"] == "guest-astronaut"
    assert done["gate_after_withdrawal"] is None and done["gate_template_bytes_left"] == 0
    assert done["gate_audit_ok"] is True and done["gate_tamper_caught_at"] == 1000
    assert (tmp_path / "docs" / "assessment.md").read_text().count("##") >= 4
    assert "人脸识别" in (tmp_path / "docs" / "notice-zh-large.txt").read_text()


def test_demo_narrates_in_prose_by_default(tmp_path: Path) -> None:
    done = Cli(tmp_path)("demo", "--size", "5000", "--queries", "50", "--guests", "300")
    assert "5,000 synthetic identities" in done.stdout
    assert "[R23]" in done.stdout and "[R8]" in done.stdout
    assert "identified afterwards as None" in done.stdout
    assert "audit trail intact" in done.stdout and "BROKEN at entry 150" in done.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli(code=2)
    cli("frobnicate", code=2)
    assert "must be at least 1" in cli("demo", "--size", "0", code=2).stderr
    assert cli("--version").stdout.startswith("facegate ")
