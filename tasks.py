#!/usr/bin/env python3
"""Set up Caseload on a fresh machine and run it: ``python3 tasks.py run`` or ``... test``.

Only a ``python3`` is assumed. Mesa 3.5 needs Python 3.12 or newer, so this script finds one
(on PATH, from pyenv, or named by ``CASELOAD_PYTHON``), creates ``.venv`` with it, installs the
project and its test tools when ``pyproject.toml`` has changed, then runs the command. Standard
library only, so it runs under whichever ``python3`` the machine has.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MIN_VERSION = (3, 12)
STAMP = VENV / ".caseload-installed"
#: The browser the dashboard tests drive (Debian's package; Playwright cannot download one here).
CHROMIUM = Path("/usr/bin/chromium")


def python_version(executable: str) -> tuple[int, int] | None:
    """The (major, minor) version of an interpreter, or None if it does not run."""
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find_python() -> str:
    """A Python >= 3.12: $CASELOAD_PYTHON, this interpreter, PATH, then pyenv's versions."""
    candidates = [os.environ.get("CASELOAD_PYTHON", ""), sys.executable]
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in range(20, 11, -1)]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found = glob.glob(f"{pyenv_root}/versions/3.*/bin/python3")
    found += glob.glob("/usr/local/bin/python3.*") + glob.glob("/opt/*/bin/python3.*")
    candidates += sorted(found, reverse=True)
    for candidate in candidates:
        if candidate and not candidate.endswith("-config"):
            version = python_version(candidate)
            if version is not None and version >= MIN_VERSION:
                return candidate
    sys.exit(
        "tasks.py: Caseload needs Python 3.12 or newer (Mesa 3.5 requires it) and none was "
        "found on PATH or under pyenv. Install one, or set CASELOAD_PYTHON=/path/to/python3.12."
    )


def venv_python() -> Path:
    """The virtual environment's interpreter."""
    return VENV / "bin" / "python"


def ensure_environment() -> None:
    """Create .venv and install the project (with test tools) unless already current."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    existing = python_version(str(venv_python())) if venv_python().exists() else None
    if existing is None or existing < MIN_VERSION:
        if VENV.exists():
            shutil.rmtree(VENV)
        python = find_python()
        print(f"tasks.py: creating .venv with {python}", flush=True)
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("tasks.py: installing Caseload and its dependencies into .venv", flush=True)
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """Install Debian's chromium (PDF briefs, browser tests) when it is missing.

    Needs root and apt-get. Otherwise say so: the browser tests then skip with the reason, or
    fail when ``CI=true``.
    """
    if CHROMIUM.exists():
        return
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print(
            f"tasks.py: {CHROMIUM} not found and cannot be installed here (needs root and "
            "apt-get): the dashboard's browser tests will not run. Install chromium and retry.",
            flush=True,
        )
        return
    print("tasks.py: installing chromium (apt-get) for the dashboard's browser tests", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = (
        [apt, "update", "-qq"],
        [apt, "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    )
    for step in steps:
        if subprocess.call(step, env=env, stdout=subprocess.DEVNULL) != 0:
            print(f"tasks.py: '{' '.join(step)}' failed; browser tests cannot run", flush=True)
            return


def have_pdf_browser() -> bool:
    """Whether ``caseload`` finds a Chromium to print PDFs with, looking as it looks."""
    probe = "from sim.outputs.pdf import find_chromium; find_chromium()"
    found = subprocess.call([str(venv_python()), "-c", probe], cwd=ROOT, stderr=subprocess.DEVNULL)
    return found == 0


def ensure_dashboard_assets() -> None:
    """Cache Solara's front-end files so the dashboard loads without its CDN."""
    subprocess.call([str(venv_python()), "-m", "sim.dashboard.assets"], cwd=ROOT)


def main(argv: list[str]) -> int:
    """Dispatch ``run`` (the baseline, or any caseload arguments) or ``test``."""
    if not argv or argv[0] not in {"run", "test", "setup"}:
        print(__doc__)
        print("usage: python3 tasks.py {setup|run [caseload run args]|test [pytest args]}")
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    bin_dir = VENV / "bin"
    ensure_chromium()  # prints briefs and reports to PDF, and runs the browser tests
    if command == "setup":
        ensure_dashboard_assets()
        return 0
    if command == "run":
        if "--no-pdf" not in rest and not have_pdf_browser():
            print(
                "tasks.py: no Chromium to print brief.pdf with: running with --no-pdf "
                "(brief.html and report.html are still written)",
                flush=True,
            )
            rest = [*rest, "--no-pdf"]
        return subprocess.call([str(bin_dir / "caseload"), "run", *rest], cwd=ROOT)
    ensure_dashboard_assets()
    lint = subprocess.call([str(bin_dir / "ruff"), "check", "."], cwd=ROOT)
    tests = subprocess.call([str(bin_dir / "pytest"), *rest], cwd=ROOT)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
