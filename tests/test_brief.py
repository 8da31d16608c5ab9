"""The one-page brief of ``run``, ``compare`` and ``sweep``, built from real (short) runs.

Each brief is read back from its PDF with pypdf, as a reader would get it: page one holds the
brief and nothing else, the full report follows, every table fits A4's width (measured in the
browser that printed it), and measures and settings are named in words, not code names.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from sim.engine.metrics import METRIC_KEYS
from sim.outputs import pdf
from sim.scenario.levers import setting_label
from tests.conftest import REPO_ROOT, caseload

pypdf = pytest.importorskip("pypdf")

SERVICE_AREA = "scenarios/scale/service_area.toml"
CUT = "scenarios/levers/staffing_cut_10pct.toml"


@pytest.fixture(scope="module")
def chromium():
    try:
        return pdf.find_chromium()
    except pdf.PdfError as exc:
        pytest.skip(str(exc))


def pages(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def assert_printable(out: Path, report_title: str) -> list[str]:
    """The brief is page one, the report starts on page two, and nothing is wider than A4."""
    text = pages(out / "brief.pdf")
    assert len(text) >= 2
    assert text[0].startswith("Brief: ")
    assert text[1].startswith(report_title)  # the brief fitted on one page
    for name in ("brief.html", "report.html"):
        assert pdf.wide_elements((out / name).read_text(encoding="utf-8")) == [], name
    brief = text[0]
    for key in METRIC_KEYS:  # human labels, not code names
        assert key not in brief, key
    assert "{'" not in brief and "None" not in brief  # no Python reprs of settings
    return text


@pytest.fixture(scope="module")
def cut_comparison(chromium, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief-compare")
    done = caseload(
        "compare", SERVICE_AREA, CUT, "--reps", "3", "--days", "300",
        "--set", "simulation.warmup_days=250", "--quiet", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_a_cut_comparison_brief_says_what_changes_in_plain_words(cut_comparison):
    text = assert_printable(cut_comparison, "Caseload comparison: staffing_cut_10pct")
    brief = text[0]
    assert "What happens to children and families" in brief
    assert "10% of posts cut on working day 260" in brief  # the setting, in words
    assert re.search(r"Overdue statutory visits: [+-]?[\d,.]+ case-days \(95% interval", brief)
    assert re.search(r"(up|down) in \d of 3 paired runs", brief)
    assert "Social workers burnt out on an average day" in brief  # the headcount
    assert " a year" in brief and "Staff cost £" in brief
    # the caveats the tool detects: vacant posts cut first, and few replications
    assert "vacant ones first" in brief and "Only 3 replications" in brief
    assert "caseload compare scenarios/scale/service_area.toml" in brief  # how to reproduce


def test_a_cuts_lower_vacancy_rate_is_not_called_better(cut_comparison):
    html = (cut_comparison / "report.html").read_text(encoding="utf-8")
    row = html.split("Posts without a permanent holder (%)")[1].split("</tr>")[0]
    assert 'class="caveat"' in row and 'class="better"' not in row


def test_a_run_brief_gives_medians_spreads_and_costs_a_year(chromium, tmp_path):
    done = caseload(
        "run", "--reps", "3", "--days", "80", "--set", "simulation.warmup_days=20",
        "--workers", "1", "--quiet", "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    brief = assert_printable(tmp_path, "Caseload run: baseline")[0]
    assert "median" in brief and "10–90% of runs" in brief
    assert re.search(r"Staff cost £[\d,]+ a year", brief)
    assert "Posts vacant on an average day" in brief


def test_a_sweep_brief_names_settings_and_prints_every_column(chromium, tmp_path):
    experiment = tmp_path / "experiment.toml"
    experiment.write_text(
        textwrap.dedent(
            f"""\
            name = "small"
            scenario = "{(REPO_ROOT / "scenarios" / "baseline.toml").as_posix()}"
            replications = 2
            days = 60
            set = ["simulation.warmup_days = 20"]
            outcomes = ["overdue_visit_case_days", "unallocated_case_days",
                        "mean_wait_days_to_allocation", "burnout_prevalence",
                        "recording_backlog_hours_mean", "leavers", "staff_cost_total"]
            [design]
            method = "grid"
            [[factors]]
            key = "allocation.cap_per_fte"
            name = "cap_per_fte"
            values = [12.0, 22.0]
            [[factors]]
            key = "support.admin_staff"
            name = "admin_staff_per_team"
            values = [0.0, 1.0]
            """
        )
    )
    done = caseload("sweep", str(experiment), "--quiet", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    brief = assert_printable(tmp_path / "out", "Caseload sweep: small")[0]
    cap, admin = setting_label("allocation.cap_per_fte"), setting_label("support.admin_staff")
    assert cap in brief and admin in brief  # the registry's labels, not the factor names
    assert "Only 2 replications" in brief
    # the trade-off of cost against harm, in words and as a figure
    assert "Cost against overdue statutory visits:" in brief and "not beaten on both" in brief
    assert (tmp_path / "out" / "plots" / "tradeoff-overdue_visit_case_days.png").is_file()
    # the console keeps full names: nothing cut short with an ellipsis
    assert "…" not in done.stdout
    assert cap.split()[0] in done.stdout and "Social workers burnt out" in done.stdout


def test_without_a_browser_the_run_stops_at_once_with_one_line(tmp_path):
    import os

    env_browser = tmp_path / "no-browser"
    done = _caseload_with_env(
        {"CASELOAD_CHROMIUM": str(env_browser)},
        "run", "--reps", "1", "--days", "30", "--set", "simulation.warmup_days=10",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0] and "--no-pdf" in lines[0]
    assert not (tmp_path / "out" / "summary.json").exists()
    assert os.environ.get("CASELOAD_CHROMIUM") != str(env_browser)


def test_no_pdf_writes_the_html_brief_only(tmp_path):
    done = _caseload_with_env(
        {"CASELOAD_CHROMIUM": str(tmp_path / "no-browser")},
        "run", "--reps", "1", "--days", "30", "--set", "simulation.warmup_days=10",
        "--no-pdf", "--workers", "1", "--quiet", "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "brief.html").is_file() and not (tmp_path / "brief.pdf").exists()
    assert "Only 1 replication:" in (tmp_path / "brief.html").read_text(encoding="utf-8")
    assert "(brief.html and report.html to send on)" in done.stdout.replace("\n", "")


def _caseload_with_env(env: dict[str, str], *args: str):
    import os
    import shutil
    import subprocess
    import sys

    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    return subprocess.run(
        [script, *args],
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "120", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
