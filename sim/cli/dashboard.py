"""``caseload dashboard``: start the Solara dashboard (``dashboards/app.py``) and print its URL.

The server runs as a child process (``python -m solara run ...``) in a session of its own;
Ctrl-C or SIGTERM (``kill``, a service manager, a CI job's timeout) stops its whole process group
and the command exits cleanly. ``--scenario`` preselects a file under ``scenarios/`` and is
checked before the server starts, so a typo is reported at once rather than in the browser.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from sim.scenario.catalogue import repo_root

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

#: Environment variable the app reads for the scenario to open with.
SCENARIO_ENV = "CASELOAD_DASHBOARD_SCENARIO"

#: Solara's setting for how long a session's kernel (its models, charts and widgets) outlives
#: its closed browser tab. Solara's default is 24 hours, so a class opening and closing tabs
#: kept every session; 45 s still survives a page reload or a brief network drop. Set the
#: variable yourself to choose another (e.g. ``10m``).
CULL_TIMEOUT_ENV = "SOLARA_KERNEL_CULL_TIMEOUT"
CULL_TIMEOUT = "45s"


def app_path() -> Path:
    """The dashboard app, ``dashboards/app.py`` in the repository."""
    return repo_root() / "dashboards" / "app.py"


def server_command(host: str, port: int, production: bool = True) -> list[str]:
    """The command line that serves the dashboard on ``host:port``."""
    command = [sys.executable, "-m", "solara", "run", str(app_path())]
    command += ["--host", host, "--port", str(port), "--no-open"]
    if production:
        command.append("--production")
    return command


def add_dashboard(subparsers: Any) -> None:
    """Register ``caseload dashboard`` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "dashboard",
        help="start the live dashboard in the browser (Solara)",
        description="Serve the Caseload dashboard: a team view, live risk and workforce charts, "
        "lever controls, a scenario picker, compare mode and teaching scenarios. Open the "
        "printed URL in a browser; Ctrl-C stops the server.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 lets a class connect)",
    )
    parser.add_argument(
        "--port", type=_port, default=8765, metavar="PORT", help="port (default 8765)"
    )
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        help="scenario to open with, relative to scenarios/ "
        "(e.g. teaching/manager_span_120.toml; default baseline.toml)",
    )
    parser.add_argument(
        "--scenarios",
        metavar="DIR",
        help="offer the scenario files of this folder instead of scenarios/ (for example a "
        "health check's OUT/scenarios); --scenario is then relative to it",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="development mode: reload the page when the code changes",
    )
    parser.set_defaults(handler=run_dashboard)


def run_dashboard(args: argparse.Namespace) -> int:
    """Check the options, start the server, wait for Ctrl-C; return the exit status."""
    from sim.dashboard.view_model import resolve_scenario_path, scenario_choices
    from sim.scenario.catalogue import SCENARIO_ROOT, SCENARIO_ROOT_ENV

    env = dict(os.environ)
    env.setdefault(CULL_TIMEOUT_ENV, CULL_TIMEOUT)
    root, folder = SCENARIO_ROOT, getattr(args, "scenarios", None)
    if folder is not None:
        root = Path(folder).expanduser().resolve()
        if not root.is_dir():
            print(f"caseload: error: --scenarios {folder}: not a folder", file=sys.stderr)
            return EXIT_USAGE
        if not any(root.rglob("*.toml")):
            print(
                f"caseload: error: --scenarios {folder}: holds no scenario (.toml) files",
                file=sys.stderr,
            )
            return EXIT_USAGE
        env[SCENARIO_ROOT_ENV] = str(root)
    if args.scenario:
        scenario = args.scenario.strip()
        if folder is None:
            scenario = scenario.removeprefix("scenarios/")
        try:
            resolve_scenario_path(scenario, root)
        except ValueError as exc:
            print(f"caseload: error: --scenario: {exc}", file=sys.stderr)
            return EXIT_USAGE
        choice = next((c for c in scenario_choices(root) if c.path == scenario), None)
        if choice is not None and not choice.available:
            print(f"caseload: error: --scenario {scenario}: {choice.reason}", file=sys.stderr)
            return EXIT_USAGE
        env[SCENARIO_ENV] = scenario
    if not app_path().is_file():
        print(f"caseload: error: dashboard app not found at {app_path()}", file=sys.stderr)
        return EXIT_ERROR
    from sim.dashboard.assets import ensure_assets

    left = ensure_assets()
    if left:
        print(
            f"warning: could not cache {', '.join(left)} (npm missing or failing): the page "
            "loads them from Solara's CDN and stays blank where that is unreachable",
            file=sys.stderr,
        )
    problem = _port_problem(args.host, args.port)
    if problem:
        print(f"caseload: error: cannot listen on {args.host}:{args.port}: {problem}",
              file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Caseload dashboard: http://{shown_host}:{args.port}/  (Ctrl-C to stop)", flush=True)
    # The server has its own session (so a terminal's Ctrl-C reaches it only through us, once);
    # SIGTERM to this command must therefore stop it too, as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server = None
    try:
        server = subprocess.Popen(
            server_command(args.host, args.port, production=not args.dev),
            cwd=repo_root(),
            env=env,
            start_new_session=True,
        )
        return server.wait()
    except KeyboardInterrupt:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the stop
        if server is not None:
            _stop(server)
        print("caseload: dashboard stopped", file=sys.stderr)
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM handler: stop as on Ctrl-C."""
    raise KeyboardInterrupt


def _stop(server: subprocess.Popen) -> None:
    """Stop the server's process group: SIGINT, then SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _port_problem(host: str, port: int) -> str:
    """Why ``host:port`` cannot be listened on, or ``""`` if it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number (got {text!r})") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535 (got {value})")
    return value
