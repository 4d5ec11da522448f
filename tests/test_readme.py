"""The README's command line, followed literally by a new user: every line of the ``sh`` blocks
of its section "The command line", in order, in an empty folder holding the inputs it names
(the public-domain photographs), each line's exit code and what it prints checked.

The editor lines run ``$EDITOR``: here a script that does what the README tells the person to
do there (judge each "To confirm:" item and sign the assessment off; later, shorten the check-in
deployment's retention period)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests import faces

README = Path(__file__).resolve().parent.parent / "README.md"


@dataclass(frozen=True)
class Expect:
    """What one line must do: its exit code, and text its stdout (or stderr) holds."""

    code: int = 0
    stdout: str = ""
    stderr: str = ""


# Lines are found by how they start; every entry must match a README line.
EXPECTED = {
    "facegate init": Expect(stdout="created master key"),
    "facegate deployment example >": Expect(),
    "facegate deployment show lobby": Expect(stdout="operating point: 1:1 verification"),
    "facegate enroll lobby --folder arrivals": Expect(stdout="1 person enrolled"),
    "facegate verify lobby guest-17": Expect(stdout="match: 'guest-17'"),
    "facegate verify lobby guest-18": Expect(code=1, stdout="no match"),
    "facegate deployment example --identify": Expect(stderr="FNIR 12.7 %"),
    "facegate deployment add lounge.json": Expect(stdout="within the limit"),
    "facegate activate lounge": Expect(stdout="is live"),
    "facegate identify lounge": Expect(stdout="match: guest-17"),
    "facegate audit verify": Expect(stdout="audit trail intact"),
    '"${EDITOR:-vi}" lobby.json; facegate deployment update': Expect(stdout="a new notice version"),
    "facegate filing status hotel; facegate filing dossier hotel": Expect(
        stdout="0 individuals stored"
    ),
}

EDITOR = textwrap.dedent(
    """\
    import json, sys
    from pathlib import Path

    path = Path(sys.argv[1])
    data = json.loads(path.read_text())
    if path.name.endswith("assessment.json"):
        # The assessor's judgement in place of each of the draft's "To confirm:" sentences.
        data = {k: v.replace("To confirm:", "The DPO judged that") for k, v in data.items()}
        data["signed_off_by"] = "Data protection officer"
    elif path.name == "lobby.json":
        edits = Path(".lobby-edits")
        count = int(edits.read_text()) if edits.exists() else 0
        edits.write_text(str(count + 1))
        if count:  # the second edit: a shorter retention period
            data["notice"]["retention_days"] = 14
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    """
)


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def readme_lines() -> list[str]:
    """The command lines of the ``sh`` blocks in the README's section "The command line"."""
    section = _section("The command line")
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the README's command-line section has no sh block"
    return [
        line
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def provide_inputs(folder: Path) -> None:
    """The hotel's own inputs the README names: one guest's photographs and a capture of
    them, and a folder of arrivals with its consent manifest."""
    astronaut = faces.astronaut()
    copies = faces.transformed(astronaut)
    photos = {
        "front.jpg": astronaut,
        "left.jpg": copies["mirror"],
        "right.jpg": copies["rescale"],
        "new.jpg": copies["brighter"],
        "camera.jpg": copies["crop"],
    }
    for name, pixels in photos.items():
        Image.fromarray(pixels).save(folder / name, quality=92)
    arrivals = folder / "arrivals"
    arrivals.mkdir()
    Image.fromarray(faces.hopper()).save(arrivals / "guest-18.jpg", quality=92)
    (arrivals / "consents.csv").write_text("subject,evidence\nguest-18,form 2025-0117\n")


def _environment(folder: Path) -> dict[str, str]:
    editor = folder / ".editor"
    editor.write_text(f"#!{sys.executable}\n{EDITOR}")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
    env["FACEGATE_STATE_DIR"] = os.environ["FACEGATE_STATE_DIR"]  # the test run's checkpoints
    bin_dir = str(Path(sys.executable).parent)  # where the installed `facegate` command is
    return env | {"EDITOR": str(editor), "HOME": str(folder), "PATH": f"{bin_dir}:{env['PATH']}"}


def test_the_readme_command_line_works_as_written(tmp_path: Path) -> None:
    lines = readme_lines()
    unmatched = [start for start in EXPECTED if not any(x.startswith(start) for x in lines)]
    assert not unmatched, f"README lines this test expects are gone: {unmatched}"
    named = {m for line in lines for m in re.findall(r"[\w./-]+\.jpg", line)}
    provide_inputs(tmp_path)
    assert all((tmp_path / name).exists() for name in named), named
    env, exports = _environment(tmp_path), []
    for line in lines:
        if line.startswith("export "):
            exports.append(line)
            continue
        script = "\n".join([*exports, line])
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=tmp_path,
        )
        expect = next((e for start, e in EXPECTED.items() if line.startswith(start)), Expect())
        what = (line, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
        assert done.returncode == expect.code, what
        assert expect.stdout in done.stdout, what
        assert expect.stderr in done.stderr, what
        assert "Traceback" not in done.stderr, what
    # The service section goes on in the same folder: its block runs as one script (it starts
    # the service in the background and stops it at its end).
    (service,) = re.findall(r"```sh\n(.*?)```", _section("The service"), flags=re.DOTALL)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", "\n".join([*exports, service])],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    what = (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert done.returncode == 0 and '"match":false' in done.stdout, what
    assert (tmp_path / "kiosk-3.token").read_text().startswith("fgd_")
    assert json.loads((tmp_path / "kept.json").read_text())["size"] > 0
    assert (tmp_path / "lobby.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "audit.jsonl").read_text().count("\n") > 20


def test_the_readme_names_the_store_once() -> None:
    """A new user's natural sequence: the store is named once, before ``init``, and no later
    line names another (item: ``init --store hotel.db`` then commands looking elsewhere)."""
    lines = readme_lines()
    assert lines[0].startswith("export FACEGATE_STORE=")
    assert lines[1] == "facegate init" or lines[1].startswith("facegate init ")
    assert not [line for line in lines if "--store" in line]


@pytest.mark.parametrize("store", ["hotel.db", "sub/hotel.db"])
def test_init_with_a_named_store_says_how_later_commands_find_it(
    tmp_path: Path, store: str
) -> None:
    """``init --store`` records nothing: it tells the user to pass --store or export
    FACEGATE_STORE, and a later command without either says where it looked and how to name
    the store (exit 5), never a traceback."""
    (tmp_path / "sub").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_STORE")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "facegate", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )

    made = run("init", "--store", store)
    assert made.returncode == 0 and f"--store {store}" in made.stdout
    assert "export FACEGATE_STORE=" in made.stdout
    lost = run("operator", "add", "hotel", "--name", "H", "--contact", "c@example.com")
    assert lost.returncode == 5 and "FACEGATE_STORE" in lost.stderr
    assert "Traceback" not in lost.stderr
    found = run("--store", store, "operator", "add", "hotel", "--name", "H", "--contact", "c")
    assert found.returncode == 0, found.stderr
