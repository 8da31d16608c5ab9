"""The command line: exit statuses, one-line errors without tracebacks, and number formatting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from sim.cli.main import COMMANDS, build_parser, main
from sim.cli.run import default_out_dir, summary_table
from sim.engine.metrics import METRIC_KEYS, METRICS
from sim.outputs.formatting import format_value
from sim.runs.replications import summarise
from sim.scenario.catalogue import default_scenario, repo_root
from sim.scenario.loading import load_scenario

GOOD = "tests/data/good.toml"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.734, "share", "73.4%"),
        (-0.00001, "share", "0.0%"),
        (0.152, "per year", "15.2%"),
        (1234567.4, "GBP", "£1,234,567"),
        (-5.0, "GBP", "-£5"),
        (12345.6, "case-days", "12,346"),
        (42.25, "hours", "42.2"),
        (3.14159, "cases/FTE", "3.14"),
        (float("nan"), "cases", "n/a"),
        (None, "cases", "n/a"),
    ],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_interval_ends_use_the_decimals_of_the_mean():
    assert format_value(103.93, "cases", like=93.5) == "103.9"


def test_summary_table_groups_every_metric(make_results):
    summary = summarise(make_results(3))
    console = Console(width=120, record=True)
    console.print(summary_table(summary, 3))
    text = console.export_text()
    for title in ("Demand", "Risk to service users", "Workload", "Workforce", "Cost"):
        assert title in text
    for metric in METRICS:  # every measure by its full human label, never cut short
        assert metric.label in text
    assert "…" not in text


def test_default_scenario_is_found_from_the_package():
    assert (repo_root() / "pyproject.toml").is_file()
    assert default_scenario() == repo_root() / "scenarios" / "baseline.toml"


def test_default_out_dir_is_a_safe_name():
    config = load_scenario(repo_root() / GOOD, ["name=Cuts / 2027: worst case"])
    assert default_out_dir(config) == Path("results") / "Cuts-2027-worst-case"


def test_command_registry_has_run_and_validate():
    assert {command.name for command in COMMANDS} >= {"run", "validate"}


def test_registry_help_is_each_commands_own():
    """The line ``caseload --help`` shows (the registry's) is what each command's parser says."""
    parser = build_parser()  # every command's module loaded
    (subparsers,) = (a for a in parser._actions if a.dest == "command")
    shown = {action.dest: action.help for action in subparsers._choices_actions}
    assert shown == {command.name: command.help for command in COMMANDS}


#: What the quick commands must not load: plotting, optimisation, sensitivity analysis, data
#: frames, Parquet and Dask (together about 3 s of CPU before the lazy command registry).
HEAVY = ("matplotlib", "scipy.optimize", "SALib", "pandas", "pyarrow", "dask", "distributed")


def _imports_of(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``python -X importtime -m sim.cli.main ARGS``; the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim.cli.main", *args],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return done, names


def _heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


#: What must answer without the heavy libraries: the top-level help and version, ``validate``,
#: and every registered command's ``--help`` (a command added to ``COMMANDS`` is covered too).
QUICK = [
    ["--help"],
    ["--version"],
    ["validate", "scenarios/baseline.toml"],
    *([command.name, "--help"] for command in COMMANDS),
]


@pytest.mark.parametrize("args", QUICK, ids=" ".join)
def test_quick_commands_do_not_load_heavy_libraries(args):
    done, names = _imports_of(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sim.cli.main" in names or "sim.cli.support" in names  # importtime did report
    assert not _heavy(names), f"caseload {' '.join(args)} loaded {_heavy(names)}"


def test_the_import_check_sees_heavy_libraries(tmp_path):
    """The check above can fail: a short real ``caseload run`` loads pandas and pyarrow."""
    done, names = _imports_of(
        *("run", "--days", "5", "--set", "simulation.warmup_days=0", "--reps", "1"),
        *("--workers", "1", "--quiet", "--no-pdf", "--out", str(tmp_path / "out")),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "summary.json").is_file()
    assert {"pandas", "pyarrow"} <= set(_heavy(names))


def test_python_dash_m_sim_shows_help(run_caseload):
    done = run_caseload("--help")
    assert done.returncode == 0
    assert "run" in done.stdout and "validate" in done.stdout


@pytest.mark.parametrize(
    "args", [["frobnicate"], ["run", "--reps", "many"], ["run", "--workers", "0"], []]
)
def test_bad_usage_exits_2(run_caseload, args):
    done = run_caseload(*args)
    assert done.returncode == 2
    assert "usage: caseload" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["tests/data/unknown_key.toml"],
            "tests/data/unknown_key.toml: demand.referals_per_day: unknown key "
            "(did you mean 'referrals_per_day'?)",
        ),
        (
            [GOOD, "--days", "10"],
            "--days: simulation: warmup_days must be shorter than days "
            "(got days=10, warmup_days=20)",
        ),
        (
            [GOOD, "--reps", "0"],
            "--reps: simulation.replications: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            [GOOD, "--set", "allocation.cap_kind=cont"],
            "--set: allocation.cap_kind: Input should be 'none', 'count' or 'weighted' "
            "(got 'cont')",
        ),
    ],
)
def test_run_scenario_errors_exit_2_one_line(run_caseload, tmp_path, args, line):
    done = run_caseload("run", *args, "--out", str(tmp_path / "out"))
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")
    assert not (tmp_path / "out").exists()


def test_unwritable_output_exits_1_before_running(run_caseload, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = run_caseload("run", GOOD, "--out", str(blocker / "out"))
    assert done.returncode == 1
    assert done.stderr.startswith(f"caseload: error: cannot write to output directory {blocker}")
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


@pytest.mark.slow
def test_unreachable_scheduler_exits_1(run_caseload, tmp_path):
    done = run_caseload("run", GOOD, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path))
    assert done.returncode == 1
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("caseload:")]
    assert error_lines[0].startswith(
        "caseload: error: cannot reach Dask scheduler at tcp://127.0.0.1:9"
    )
    assert "Traceback" not in done.stderr
    assert os.listdir(tmp_path) == []


def test_interrupt_exits_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(repo_root())
    monkeypatch.setattr("sim.runs.replications.run_replications", interrupted)
    status = main(["run", GOOD, "--quiet", "--out", str(tmp_path / "out")])
    assert status == 130
    assert "interrupted" in capsys.readouterr().err
    assert os.listdir(tmp_path / "out") == []


def test_validate_prints_ok_and_digest(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(repo_root())
    assert main(["validate", GOOD]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "OK: tests/data/good.toml (scenario 'good')"
    assert out[1].split(",")[0].strip() == "teams: 2"


@pytest.mark.slow
def test_quiet_run_prints_no_progress(run_caseload, tmp_path):
    done = run_caseload(
        "run", GOOD, "--reps", "1", "--days", "40", "--quiet", "--out", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["replications"] == 1
    assert all(summary[k]["n"] <= 1 for k in METRIC_KEYS)


@pytest.mark.slow
def test_a_lone_long_run_reports_its_days_passing(run_caseload, tmp_path):
    done = run_caseload("run", GOOD, "--reps", "1", "--days", "60", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:9] == [f"replication 1/1: {p}0% of its days" for p in range(1, 10)]
    assert lines[-1] == "replication 1/1 done"


def test_events_after_the_last_day_are_warned_about_not_refused(run_caseload):
    done = run_caseload(
        "validate",
        "scenarios/levers/staffing_cut_10pct.toml",
        "--set",
        "simulation.days=200",
        "--set",
        "simulation.warmup_days=0",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "warning: staffing.cuts[0].day: day 260 is not within the run (days 0-199); "
        "it never happens"
    ]
    plain = run_caseload("validate", "scenarios/levers/staffing_cut_10pct.toml")
    assert plain.returncode == 0 and plain.stderr == ""


def test_a_server_that_is_not_a_dask_scheduler_exits_1_without_traceback(run_caseload, tmp_path):
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(30)

    def answer_like_a_web_server() -> None:
        for _ in range(5):  # a bounded number of connections, then stop
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" * 64)

    thread = threading.Thread(target=answer_like_a_web_server, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        done = run_caseload(
            "run", GOOD, "--scheduler", address, "--out", str(tmp_path), timeout=120
        )
    finally:
        server.close()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"caseload: error: cannot reach Dask scheduler at {address}")


SHORT = ["--reps", "1", "--days", "40", "--set", "simulation.warmup_days=10", "--workers", "1"]


@pytest.mark.parametrize(
    "command",
    [
        ["run", GOOD, *SHORT],
        ["compare", GOOD, GOOD, *SHORT],
        ["sweep", "experiments/cap_x_admin.toml", "--reps", "1"],
        ["calibrate", GOOD, "--params", "demand.referrals_per_day", *SHORT[2:]],
    ],
)
@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_out_is_refused_before_anything_runs(
    tmp_path, monkeypatch, capsys, command, empty
):
    monkeypatch.chdir(repo_root())
    before = sorted(os.listdir(repo_root()))
    assert main([*command, "--out", empty]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("--out: an empty folder name would write into the current")
    assert f"(got {empty!r})" in captured.err
    assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err
    assert sorted(os.listdir(repo_root())) == before


def _lock_holder(out: Path, pid: int, timeout: float = 120) -> str:
    """Wait until the command ``pid`` holds ``out``'s lock; return what it wrote there."""
    lock = out / ".caseload.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().startswith(f"{pid} "):
            return lock.read_text()
        time.sleep(0.05)
    raise AssertionError(f"the first command did not lock {out} within {timeout} s")


@pytest.mark.slow
def test_a_second_command_into_a_folder_in_use_refuses_or_waits(run_caseload, tmp_path):
    import select
    import shutil
    import signal
    import subprocess
    import sys

    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    out = tmp_path / "shared"
    long_run = [script, "run", GOOD, "--reps", "200", "--workers", "1", "--quiet"]
    first = subprocess.Popen(
        [*long_run, "--out", str(out)],
        cwd=repo_root(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _lock_holder(out, first.pid).startswith(f"{first.pid} caseload run {GOOD}")
        started = time.monotonic()
        done = run_caseload(
            "sweep", "experiments/cap_x_admin.toml", "--reps", "1", "--out", str(out)
        )
        assert time.monotonic() - started < 60, "the second command did not refuse at once"
        assert done.returncode == 1
        assert done.stderr == (
            f"caseload: error: output directory {out} is in use by another caseload command "
            f"(pid {first.pid}: caseload run {GOOD} --reps 200 --workers 1 --quiet --out {out}); "
            "wait for it to finish, give another --out, or add --wait to start when it is done\n"
        )
        assert not (out / "runs.parquet").exists()

        waiting = subprocess.Popen(
            [script, "run", GOOD, *SHORT, "--quiet", "--wait", "--out", str(out)],
            cwd=repo_root(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([waiting.stderr], [], [], 120)
        assert ready, "--wait said nothing within 120 s"
        said = waiting.stderr.readline()
        assert said.startswith(f"caseload: waiting for the command using {out} (pid {first.pid}")
        assert waiting.poll() is None, "--wait did not wait for the folder"
        first.send_signal(signal.SIGKILL)  # a killed holder leaves the folder unlocked
        first.wait(timeout=30)
        stdout, stderr = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, stderr
        assert "Outputs written" in stdout
        assert (out / "summary.json").is_file()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
