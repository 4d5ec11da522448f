"""The command line driven as a user would, in a subprocess: a store's whole life cycle with
the public-domain photographs, exit codes, JSON output and errors on stderr."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from PIL import Image

from facegate.compliance.dossier import FilingDossier
from facegate.demo.hotel import DOCUMENTS
from tests import faces

PURPOSE = ("--purpose", "hotel_check_in")


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

    def signed(self, deployment: str) -> None:
        """Records an assessment of ``deployment``: the draft, each "To confirm:" judged."""
        draft = json.loads(self("assess", deployment, "--draft").stdout)
        judged = {k: v.replace("To confirm:", "The DPO judged that") for k, v in draft.items()}
        (self.folder / f"{deployment}-a.json").write_text(
            json.dumps(judged | {"signed_off_by": "DPO"})
        )
        self("assessment", "record", deployment, f"{deployment}-a.json")

    def live(self, definition: dict[str, object] | None = None) -> dict[str, object]:
        """A store with operator "hotel" and the example's 1:1 deployment "lobby", live."""
        self("init")
        self("operator", "add", "hotel", "--name", "Example Hotel", "--contact", "dpo@example.com")
        definition = definition or json.loads(self("deployment", "example").stdout)
        (self.folder / "lobby.json").write_text(json.dumps(definition))
        self("deployment", "add", "lobby.json", "--operator", "hotel")
        self.signed(str(definition["name"]))
        self("activate", str(definition["name"]))
        return definition


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
    definition |= {
        "mode": "identify",
        "identification_justification": "returning guests",
        "expected_enrollments": 10,
    }
    (tmp_path / "lobby.json").write_text(json.dumps(definition))
    cli("deployment", "add", "lobby.json", "--operator", "hotel")
    assert "[R26]" in cli("activate", "lobby", code=3).stderr

    draft = cli.json("assess", "lobby", "--draft")
    assert isinstance(draft, dict) and draft["legality_and_necessity"]
    (tmp_path / "assessment.json").write_text(json.dumps(draft | {"signed_off_by": "DPO"}))
    assert "[R26]" in cli("assessment", "record", "lobby", "assessment.json", code=3).stderr
    cli.signed("lobby")
    cli("activate", "lobby")
    shown = cli.json("deployment", "show", "lobby")
    assert shown["active"] is True and shown["templates"] == 0  # type: ignore[index]
    point = shown["operating_point"]  # type: ignore[index]
    assert point["identify"] is True and point["threshold"] < 0.6
    assert "operating point: 1:N with" in cli("deployment", "show", "lobby").stdout

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
    # The Chinese notice prints the deployment's Chinese text, never its English (R6).
    chinese = definition["notice"]["translations"][0]
    assert "人脸识别" in notice and chinese["processor_name"] in notice
    assert definition["notice"]["processor_name"] not in notice
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
    cli.live()
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        f"subject,image,evidence\nastronaut,{photos['astronaut']},form-1\n"
        f"hopper,{photos['hopper']},form-2\n"
    )
    bulk = ("enroll", "lobby", "--manifest", str(manifest), *PURPOSE)
    # No consent recorded for them, and the evidence column alone records none.
    assert "channel" in cli(*bulk, code=2).stderr
    done = cli.json(*bulk, "--channel", "paper form", "--face-data")
    assert done == {"enrolled": ["astronaut", "hopper"], "photos": 2, "consents_recorded": 2}
    copy = str(photos["astronaut-copy"])
    cli("verify", "lobby", "astronaut", copy, *PURPOSE)

    manifest.write_text(f"subject,image\nthird,{tmp_path / 'missing.png'}\n")
    failed = cli(*bulk, "--channel", "kiosk", "--face-data", code=2)
    assert "third" in failed.stderr and "nobody was enrolled" in failed.stderr


def _folder(tmp_path: Path, photos: dict[str, Path], manifest: str) -> Path:
    """arrivals/: the astronaut as two photographs in a subfolder, Hopper as one file."""
    folder = tmp_path / "arrivals"
    (folder / "astronaut").mkdir(parents=True, exist_ok=True)
    shutil.copy(photos["astronaut"], folder / "astronaut" / "front.png")
    shutil.copy(photos["astronaut-copy"], folder / "astronaut" / "desk.png")
    shutil.copy(photos["hopper"], folder / "hopper.png")
    (folder / "notes.txt").write_text("not a photograph: not read")
    (folder / "consents.csv").write_text(manifest)
    return folder


def test_r30_folder_enrollment_names_everyone_in_its_consent_manifest(
    tmp_path: Path, photos: dict[str, Path]
) -> None:
    """The folder mode the help promises: photographs named by subject, a consent manifest
    naming each person once; anyone unnamed, unknown columns, or a minor without a guardian
    fail the whole enrollment."""
    cli = Cli(tmp_path)
    cli.live()
    bulk = ("enroll", "lobby", "--folder", "arrivals", *PURPOSE, "--channel", "paper form")
    consent = (*bulk, "--face-data")
    _folder(tmp_path, photos, "subject,evidence\nastronaut,form-1\n")
    assert "'hopper'" in cli(*consent, code=2).stderr  # a photograph of someone unnamed
    _folder(tmp_path, photos, "subject,birthdate\nastronaut,2001-01-01\nhopper,1906-12-09\n")
    assert "unknown column(s) birthdate" in cli(*consent, code=2).stderr
    child = "subject,evidence,birth_date\nastronaut,form-1,2020-05-01\nhopper,form-2,1906-12-09\n"
    _folder(tmp_path, photos, child)
    assert "[R9]" in cli(*consent, code=3).stderr
    assert "[R8]" in cli(*bulk, code=3).stderr  # not a separate consent to face data
    assert cli.json("deployment", "show", "lobby")["templates"] == 0  # type: ignore[index]

    guarded = (
        "subject,evidence,birth_date,guardian,relationship\n"
        "astronaut,form-1,2020-05-01,parent-1,mother\nhopper,form-2,1906-12-09,,\n"
    )
    _folder(tmp_path, photos, guarded)
    done = cli.json(*consent)
    assert done == {"enrolled": ["astronaut", "hopper"], "photos": 3, "consents_recorded": 2}
    cli("verify", "lobby", "hopper", str(photos["hopper"]), *PURPOSE)
    with sqlite3.connect(tmp_path / "hotel.db") as db:  # read only: two photographs averaged
        ((photos_kept,),) = db.execute("SELECT MAX(photos) FROM templates").fetchall()
    assert photos_kept == 2


def test_enroll_refuses_consent_flags_it_would_not_record(
    tmp_path: Path, photos: dict[str, Path]
) -> None:
    cli = Cli(tmp_path)
    cli.live()
    one = ("enroll", "lobby", "astronaut", str(photos["astronaut"]), *PURPOSE)
    refused = cli(*one, "--channel", "kiosk", "--face-data", code=2)
    assert "facegate consent grant lobby astronaut" in refused.stderr
    assert "[R8]" in cli(*one, code=3).stderr  # and nothing was recorded by the flags


def test_errors_name_what_is_missing(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert "facegate init" in cli("deployment", "list", code=5).stderr
    cli("init")
    (tmp_path / "hotel.key").unlink()
    assert "no master key" in cli("deployment", "list", code=5).stderr


def test_demo_tells_the_story_as_json(tmp_path: Path) -> None:
    """1:1 at check-in, 1:N for every guest refused, 1:N at the lounge where it is honest."""
    done = Cli(tmp_path).json(
        "demo", "--size", "20000", "--queries", "200", "--guests", "2000", "--out", "docs"
    )
    assert isinstance(done, dict)
    assert done["identities"] == 20000 and done["int8_agreement"] >= 0.99
    assert done["gate_checkin_verified"] is True and done["gate_checkin_other_booking"] is False
    assert done["gate_everyone_refused"] == "R5" and done["gate_everyone_fnir"] > 0.5
    assert done["gate_lounge_members"] == 30 and done["gate_lounge_fnir"] < 0.25
    assert done["gate_identified"] == "guest-astronaut"
    assert done["gate_after_withdrawal"] is None and done["gate_template_bytes_left"] == 0
    assert done["gate_audit_ok"] is True and done["gate_tamper_caught_at"] == 1000
    assert done["gate_filing_individuals"] == 2001 and done["gate_filing_state"] == "below"
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(DOCUMENTS)
    assert (tmp_path / "docs" / "lounge-assessment.md").read_text().count("##") >= 4
    assert "人脸识别" in (tmp_path / "docs" / "lobby-notice-zh-large.txt").read_text()
    again = Cli(tmp_path)("demo", "--size", "10", "--guests", "1", "--out", "docs", code=2)
    assert "already holds" in again.stderr  # before the demo runs, not after


def test_demo_narrates_in_prose_by_default(tmp_path: Path) -> None:
    # 2,000 guests: with the second-best test 1:N of a few hundred would be honest.
    done = Cli(tmp_path)("demo", "--size", "5000", "--queries", "50", "--guests", "2000")
    assert "5,000 synthetic identities" in done.stdout
    assert "[R23]" in done.stdout and "[R8]" in done.stdout
    assert "1:N recognition of every guest is refused at activation: [R5]" in done.stdout
    assert "checked against the astronaut's booking: match" in done.stdout
    assert "against guest-0's booking: no match" in done.stdout
    assert "identified among 30 members as 'guest-astronaut'" in done.stdout
    assert "identified at the door afterwards as None" in done.stdout
    assert "audit trail intact" in done.stdout and "BROKEN at entry 1000" in done.stdout
    assert "filing monitor: 2,001 individuals stored" in done.stdout


def test_demo_without_its_photograph_names_the_extra(tmp_path: Path) -> None:
    """Installed without scikit-image, the demo says what to install (exit 5), no
    traceback."""
    code = (
        "import sys; sys.modules['skimage'] = None\n"
        "from facegate.cli import main\n"
        "sys.exit(main(['demo', '--size', '10', '--guests', '1']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 5 and "pip install 'facegate[demo]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli(code=2)
    cli("frobnicate", code=2)
    assert "must be at least 1" in cli("demo", "--size", "0", code=2).stderr
    assert cli("--version").stdout.startswith("facegate ")


def test_every_error_is_a_message_and_its_exit_code(tmp_path: Path) -> None:
    """No traceback and no exit 1 (reserved for "no match") for a bad command line: a consent
    without --channel, dates that are not dates, several purposes for one decision."""
    cli = Cli(tmp_path)
    cli.live()
    grant = ("consent", "grant", "lobby", "guest-17", *PURPOSE)
    for bad in (
        (*grant, "--face-data"),  # no channel
        (*grant, "--channel", "kiosk", "--face-data", "--birth-date", "31/05/2012"),
        (*grant, "--channel", "kiosk", "--face-data", "--expires", "2030-01-01"),  # no zone
        ("purge", "--now", "yesterday"),
        ("verify", "lobby", "guest-17", "x.jpg", *PURPOSE, "--purpose", "payment"),
    ):
        done = cli(*bad, code=2)
        assert done.stderr.startswith("facegate: error: ") and "Traceback" not in done.stderr
    assert "--channel" in cli(*grant, "--face-data", code=2).stderr
    missing = cli("verify", "lobby", "guest-17", "missing.jpg", *PURPOSE, code=3)
    assert "Traceback" not in missing.stderr  # no consent: refused before the image is read


def test_json_refusals_print_an_error_object(tmp_path: Path) -> None:
    """--json before or after the subcommand; a refusal prints a JSON error object on stdout
    (rule id and the exit code's meaning), the message on stderr."""
    cli = Cli(tmp_path)
    cli.live()
    verify = ("verify", "lobby", "guest-17", "camera.jpg", *PURPOSE)
    after = cli(*verify, "--json", code=3)
    before = cli("--json", *verify, code=3)
    for done in (after, before):
        error = json.loads(done.stdout)["error"]
        assert error["rule"] == "R8" and error["exit_code"] == 3
        assert error["meaning"] == "refused by a rule" and error["type"] == "ConsentRequired"
        assert "[R8]" in done.stderr
    usage = json.loads(cli("--json", "verify", "lobby", code=2).stdout)["error"]
    assert usage["type"] == "UsageError" and usage["meaning"] == "bad usage or input"
    unknown = json.loads(cli("--json", "deployment", "show", "spa", code=5).stdout)["error"]
    assert unknown["rule"] is None and unknown["type"] == "UnknownId"
    listed = cli("deployment", "list", "--json").stdout
    assert listed == cli("--json", "deployment", "list").stdout
    assert json.loads(listed)[0]["deployment"] == "lobby"


def test_filing_dossier_with_json_prints_json(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.live()
    dossier = cli.json("filing", "dossier", "hotel")
    assert isinstance(dossier, dict) and set(dossier) == {f.name for f in fields(FilingDossier)}
    markdown = cli.json("filing", "dossier", "hotel", "--format", "markdown")
    assert markdown["text"].startswith("# Filing dossier")  # type: ignore[index]
    assert cli("filing", "dossier", "hotel").stdout.startswith("# Filing dossier")


def test_out_never_overwrites_and_never_the_store_or_key(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.live()
    key_bytes = (tmp_path / "hotel.key").read_bytes()
    for kept in ("hotel.key", "hotel.db", "hotel.db-wal", str(tmp_path / "hotel.key")):
        done = cli("notice", "lobby", "--out", kept, "--force", code=2)
        assert "never writes over them" in done.stderr
    (tmp_path / "link.txt").symlink_to(tmp_path / "hotel.key")
    cli("audit", "checkpoint", "--out", "link.txt", "--force", code=2)
    assert (tmp_path / "hotel.key").read_bytes() == key_bytes

    (tmp_path / "notice.txt").write_text("mine")
    assert "--force" in cli("notice", "lobby", "--out", "notice.txt", code=2).stderr
    assert (tmp_path / "notice.txt").read_text() == "mine"
    cli("notice", "lobby", "--out", "notice.txt", "--force")
    assert "人脸识别" in (tmp_path / "notice.txt").read_text()
    for out in (("audit", "export"), ("filing", "dossier", "hotel"), ("assess", "lobby")):
        done = cli(*out, "--out", "nowhere/file.txt", code=2)
        assert "does not exist" in done.stderr and "Traceback" not in done.stderr
        assert "already exists" in cli(*out, "--out", "notice.txt", code=2).stderr
    demo = cli("demo", "--size", "10", "--guests", "1", "--out", "nowhere/docs", code=2)
    assert "does not exist" in demo.stderr


def test_r03_r05_deployment_example_declares_1_to_n_honestly(tmp_path: Path) -> None:
    """The example for 1:N has a justification, an expected size and photographs per person,
    and shows its operating point there; one expecting too many says activation will refuse."""
    cli = Cli(tmp_path)
    example = cli("deployment", "example", "--identify")
    definition = json.loads(example.stdout)
    assert definition["mode"] == "identify" and definition["identification_justification"]
    assert definition["expected_enrollments"] == 100 and definition["enrollment_photos"] == 3
    assert "1:N with 100 enrolled" in example.stderr and "FNIR 12.7 %" in example.stderr
    assert "within the limit" in example.stderr
    crowd = cli("deployment", "example", "--identify", "--expected", "100000").stderr
    assert "BEYOND" in crowd and "activation will be refused" in crowd
    assert "--identify" in cli("deployment", "example", "--help").stdout
    assert "expected_enrollments" in cli("deployment", "--help").stdout

    cli.live(definition)
    assert cli.json("deployment", "show", "lounge")["active"] is True  # type: ignore[index]


def test_r26_deployment_update_says_what_must_follow(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    definition = cli.live()
    contact = definition | {"notice": {**definition["notice"], "processor_contact": "dpo@x.cn"}}  # type: ignore[dict-item]
    (tmp_path / "lobby.json").write_text(json.dumps(contact))
    same = cli.json("deployment", "update", "lobby.json")
    assert same["changed"] == ["notice.processor_contact"]  # type: ignore[index]
    assert same["new_notice"] is False and same["reassess"] is False  # type: ignore[index]
    assert cli.json("deployment", "show", "lobby")["active"] is True  # type: ignore[index]

    shorter = contact | {"notice": {**contact["notice"], "retention_days": 7}}  # type: ignore[dict-item]
    (tmp_path / "lobby.json").write_text(json.dumps(shorter))
    told = cli("deployment", "update", "lobby.json").stdout
    assert "changed notice.retention_days" in told and "new notice version" in told
    assert "taken off line" in told
    assert cli.json("deployment", "show", "lobby")["active"] is False  # type: ignore[index]
    room = shorter | {"location": "hotel_guest_room"}
    (tmp_path / "lobby.json").write_text(json.dumps(room))
    assert "[R23]" in cli("deployment", "update", "lobby.json", code=3).stderr
    audited = [json.loads(line) for line in cli("audit", "export").stdout.splitlines()]
    assert any(e["rule"] == "R23" for e in audited)  # the refusal is in the trail (R20)
