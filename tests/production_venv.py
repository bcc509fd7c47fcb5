"""A virtual environment made from requirements.txt alone, as the Dockerfile installs it.

The test environment (requirements-dev.txt) brings packages the product may use without
declaring them, as pytest brought `packaging` for kombu's Redis transport (issue 25); this one
has nothing else. Built once per content of requirements.txt and Python version under
var/install-test/ with pip's own cache, reused by later runs, and built again when
requirements.txt changes; a lock keeps two test runs in one checkout from building it at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
HOME = ROOT / "var" / "install-test"
BUILD_TIMEOUT_SECONDS = 900


def digest() -> str:
    """What the environment is made from: requirements.txt and the interpreter's version."""
    content = REQUIREMENTS.read_bytes() + sys.version.encode()
    return hashlib.sha256(content).hexdigest()[:16]


def pip_environment() -> dict[str, str]:
    """This process's environment (pip's own settings among it) without the test's Python."""
    leaks = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE")
    return {k: v for k, v in os.environ.items() if k not in leaks}


def process_environment() -> dict[str, str]:
    """What a production process inherits besides its settings: nothing from the tests.

    The test process carries variables other tests set (the browser tests' Django async
    switch made `check --deploy` fail): the product gets the locale and home directory only.
    """
    keep = ("HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    return {k: os.environ[k] for k in keep if k in os.environ}


def production_venv() -> Path:
    """The environment's directory, built first if requirements.txt changed since the last."""
    HOME.mkdir(parents=True, exist_ok=True)
    venv = HOME / digest()
    with (HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            _build(venv)
            (venv / ".complete").write_text(REQUIREMENTS.read_text())
        for other in HOME.iterdir():  # environments of earlier requirements
            if other.is_dir() and other != venv:
                shutil.rmtree(other, ignore_errors=True)
    return venv


def _build(venv: Path) -> None:
    # The base interpreter, not this one: a venv made from inside a venv still starts from the
    # base, but say so rather than rely on it.
    python = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [python, "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "--requirement",
            str(REQUIREMENTS),
        ],
    ]
    for command in steps:
        done = subprocess.run(
            command,
            env=pip_environment(),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(
                f"{' '.join(command[:4])}… failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
