"""Where the repository's own files are, found from this package rather than the working directory.

The CLI runs from anywhere, yet its default scenario and the version recorded in every manifest
live in the repository; this module is the one place that knows how to find them.
"""

from __future__ import annotations

import os
import tomllib
from importlib import metadata
from pathlib import Path


def repo_root() -> Path:
    """The directory holding ``pyproject.toml``: the parent of the ``sim`` package."""
    return Path(__file__).resolve().parents[2]


def default_scenario() -> Path:
    """The packaged baseline scenario, ``scenarios/baseline.toml`` under the repository root."""
    return repo_root() / "scenarios" / "baseline.toml"


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def caseload_version() -> str:
    """The installed package version, or the one in ``pyproject.toml`` when run from a checkout."""
    try:
        return metadata.version("caseload")
    except metadata.PackageNotFoundError:
        pass
    try:
        with (repo_root() / "pyproject.toml").open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
