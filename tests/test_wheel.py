"""facegate as a user of the package gets it: the wheel built with maturin, installed alone into
a fresh virtual environment (its declared dependencies from the package registry, nothing of
the development environment), and its command line run there.

What the installed package runs must come with its dependencies, or name the extra that
brings them: the demo's one real face is scikit-image's astronaut photograph, so the wheel
alone must say ``pip install 'facegate[demo]'``, and with that extra the demo must run.
Slow (a build and two installs): marked so, and run once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(
    command: list[str], cwd: Path, timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env
    )


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, (done.args, done.stdout[-3000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built in the dev profile (the test checks what it holds and needs, not
    how fast it runs) into a folder of its own."""
    out = tmp_path_factory.mktemp("wheels")
    maturin = Path(sys.executable).parent / "maturin"
    _ok(_run([str(maturin), "build", "--quiet", "--out", str(out)], ROOT, timeout=1800))
    (built,) = out.glob("facegate-*.whl")
    return built


def test_the_installed_wheel_runs_the_demo_or_names_its_extra(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "fresh"
    _ok(_run([sys.executable, "-m", "venv", str(venv)], tmp_path))
    python, facegate = venv / "bin" / "python", venv / "bin" / "facegate"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _ok(_run([*pip, str(wheel)], tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")} | {
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"
    }

    # The wheel alone: the library and its commands work, scikit-image is not there.
    assert _run([str(python), "-c", "import skimage"], tmp_path, env=env).returncode != 0
    _ok(_run([str(facegate), "--version"], tmp_path, env=env))
    _ok(_run([str(facegate), "--store", "s.db", "init"], tmp_path, env=env))
    small = ["demo", "--size", "2000", "--queries", "20", "--guests", "50"]
    alone = _run([str(facegate), *small], tmp_path, env=env)
    assert alone.returncode == 5, (alone.stdout[-2000:], alone.stderr[-2000:])
    assert "pip install 'facegate[demo]'" in alone.stderr
    assert "Traceback" not in alone.stderr and "ModuleNotFoundError" not in alone.stderr

    # With the extra the error names, the whole demo runs.
    _ok(_run([*pip, f"{wheel}[demo]"], tmp_path))
    done = _ok(_run([str(facegate), *small], tmp_path, env=env))
    assert "identified among 30 members as 'guest-astronaut'" in done.stdout
    assert "filing monitor: 51 individuals stored" in done.stdout
