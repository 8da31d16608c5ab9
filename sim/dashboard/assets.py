"""Solara's front-end files, fetched from the npm registry into Solara's cache before serving.

Solara's page loads its JavaScript and CSS packages from a CDN (cdn.jsdelivr.net) and caches them
under ``<prefix>/share/solara/cdn``. A machine that reaches package registries but not that CDN
(a locked-down council network, this project's CI) would show a blank page, so the dashboard
command and ``tasks.py`` put the same packages, at the versions Solara's own page template names,
into that cache with ``npm pack``. With the files cached Solara never needs the CDN.

Run ``python -m sim.dashboard.assets`` to fetch them by hand.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: Apache ECharts, which draws the dashboard's charts in the browser (``dashboards/chart.vue``
#: loads :data:`ECHARTS_LIBRARY` from Solara's CDN cache); the version Solara's own ECharts
#: widget uses.
ECHARTS = "echarts@5.4.0"
ECHARTS_LIBRARY = f"{ECHARTS}/dist/echarts.min.js"

#: Solara's default Font Awesome, not named in the page template, and ECharts.
EXTRA_PACKAGES = ("font-awesome@4.5.0", ECHARTS)


def cache_dir() -> Path:
    """Where Solara looks for cached CDN files."""
    from solara.server.settings import assets

    return Path(assets.proxy_cache_dir)


def required_packages() -> list[str]:
    """The ``name@version`` packages the installed Solara's page loads from its CDN."""
    import solara

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8") if template.is_file() else ""
    packages = set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@[\d.]+)/", text))
    return sorted(packages | set(EXTRA_PACKAGES))


def missing_packages() -> list[str]:
    """Required packages not yet in Solara's cache."""
    cache = cache_dir()
    return [p for p in required_packages() if not (cache / p / "package.json").exists()]


def ensure_assets(report: bool = True) -> list[str]:
    """Fetch every missing package with ``npm pack`` into the cache; return those still missing.

    Without ``npm`` nothing is fetched (Solara then tries its CDN when the page first loads).
    """
    missing = missing_packages()
    npm = shutil.which("npm")
    if not missing or npm is None:
        return missing
    if report:
        print(f"Fetching the dashboard's front-end files: {', '.join(missing)}", flush=True)
    still = []
    with tempfile.TemporaryDirectory() as work:
        for package in missing:
            done = subprocess.run(
                [npm, "pack", "--silent", package], cwd=work, capture_output=True, text=True
            )
            name = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
            if done.returncode != 0 or not name:
                still.append(package)
                continue
            _unpack(Path(work) / name, cache_dir() / package)
    return still


def _unpack(archive_path: Path, target: Path) -> None:
    """Extract an npm tarball's ``package/`` folder into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as archive:
        for member in archive.getmembers():
            member.name = member.name.partition("/")[2]  # drop npm's "package/"
            if member.name:
                archive.extract(member, target, filter="data")


if __name__ == "__main__":
    left = ensure_assets()
    if left:
        print(f"Could not fetch {', '.join(left)}; Solara will try its CDN.", file=sys.stderr)
    sys.exit(0)
