"""The repository's own files, found from this package rather than the working directory.

The CLI runs from anywhere, yet its default scenario, the version recorded in every manifest and
the scenario files a picker offers live in the repository; this module is the one place that
knows how to find them. :func:`scenario_choices` lists the files under ``scenarios/`` with what
a picker shows about each (name, description, teaching notes, size, whether it is small enough
to run live), and :func:`resolve_scenario_path` opens one of them by its relative path while
refusing anything outside that folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
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


#: Environment variable naming another folder for the picker: ``caseload dashboard --scenarios
#: DIR`` sets it for its server, so a folder of built scenarios (a health check's ``scenarios/``)
#: opens in the dashboard. The operator names it on the command line; no page can change it.
SCENARIO_ROOT_ENV = "CASELOAD_SCENARIO_ROOT"


def _picker_root() -> Path:
    given = os.environ.get(SCENARIO_ROOT_ENV, "").strip()
    return Path(given).resolve() if given else repo_root() / "scenarios"


#: The scenario picker reads only files below this folder.
SCENARIO_ROOT = _picker_root()


def _default_scenario_name(root: Path) -> str:
    """``baseline.toml``, or in another folder without one, its first scenario file."""
    if (root / "baseline.toml").is_file() or not root.is_dir():
        return "baseline.toml"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.toml"))
    return files[0] if files else "baseline.toml"


#: The scenario a picker opens with.
DEFAULT_SCENARIO = _default_scenario_name(SCENARIO_ROOT)

#: Largest establishment (social worker posts, all teams) the dashboard runs live. A step of the
#: 300-post local authority takes about 7 ms and its team view is paged by team; England's
#: 33,000 posts take seconds a day to build and step, far too slow for a class to watch.
MAX_LIVE_POSTS = 1000

#: Picker groups in display order: folder under ``scenarios/`` -> heading.
GROUPS: dict[str, str] = {
    "": "Scenarios" if os.environ.get(SCENARIO_ROOT_ENV, "").strip() else "Baseline",
    "teaching": "Teaching scenarios",
    "levers": "Levers",
    "scale": "Larger organisations",
}


# --- scenario picker ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioChoice:
    """One scenario file the picker offers, with what the dashboard shows about it."""

    path: str  # relative to SCENARIO_ROOT, with forward slashes
    name: str
    group: str
    description: str
    teaching_notes: str
    posts: int
    days: int
    available: bool
    reason: str = ""
    teaching_steps: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The picker's text for this scenario."""
        heading = GROUPS.get(self.group, self.group)
        return f"{heading}: {self.name} ({self.path})"


def resolve_scenario_path(relative: str, root: Path = SCENARIO_ROOT) -> Path:
    """The scenario file ``relative`` names, refusing anything outside ``root``.

    Args:
        relative: A path relative to ``root`` such as ``"teaching/manager_span_120.toml"``.
        root: The scenario folder.

    Returns:
        The resolved file path.

    Raises:
        ValueError: If the path is absolute, leaves ``root`` (``..``, a symlink out), is not a
            ``.toml`` file or does not exist.
    """
    text = str(relative).strip()
    if not text.isprintable():  # a NUL byte, a newline
        raise ValueError(f"scenario {relative!r}: not a file name")
    if not text or Path(text).is_absolute() or "\\" in text:
        raise ValueError(f"scenario {relative!r}: give a path relative to {root}")
    base = root.resolve()
    candidate = (base / text).resolve()
    if not candidate.is_relative_to(base):
        raise ValueError(f"scenario {relative!r}: only files under {root} can be opened")
    if candidate.suffix != ".toml" or not candidate.is_file():
        raise ValueError(f"scenario {relative!r}: no such scenario file under {root}")
    return candidate


def scenario_choices(
    root: Path = SCENARIO_ROOT, max_live_posts: int = MAX_LIVE_POSTS
) -> list[ScenarioChoice]:
    """Every scenario file under ``root``, baseline first, then teaching, levers and scale.

    A file that does not load is listed as unavailable with its first problem as the reason, so
    a broken file is visible rather than missing.
    """
    from sim.scenario.loading import ScenarioError, load_scenario  # the schema: not for --version

    base = root.resolve()
    files = sorted(p for p in base.rglob("*.toml") if p.resolve().is_relative_to(base))
    order = list(GROUPS)
    choices = []
    for file in files:
        relative = file.relative_to(base).as_posix()
        group = relative.rpartition("/")[0]
        try:
            config = load_scenario(file, root=root)
        except ScenarioError as exc:
            choices.append(
                ScenarioChoice(relative, file.stem, group, "", "", 0, 0, False, exc.problems[0])
            )
            continue
        posts = config.team.n_teams * config.team.social_worker_posts
        reason = ""
        if posts > max_live_posts:
            reason = (
                f"{posts:,} social worker posts: too large to step live (the dashboard's limit "
                f"is {max_live_posts:,}); run it with `caseload run scenarios/{relative}`"
            )
        choices.append(
            ScenarioChoice(
                path=relative,
                name=config.name,
                group=group,
                description=" ".join(config.description.split()),
                teaching_notes=" ".join(config.teaching_notes.split()),
                teaching_steps=tuple(" ".join(step.split()) for step in config.teaching_steps),
                posts=posts,
                days=config.simulation.days,
                available=not reason,
                reason=reason,
            )
        )
    rank = {g: i for i, g in enumerate(order)}
    return sorted(choices, key=lambda c: (rank.get(c.group, len(order)), c.path))
