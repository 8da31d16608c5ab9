"""The 12-month simulation: built scenarios, the round trip on the example, levers, end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sim.healthcheck.check import run_health_check
from sim.healthcheck.data import find_files, read_council
from sim.healthcheck.forward import (
    build_scenario,
    days_for,
    fit_council,
    levers_for,
    run_specs,
)
from sim.healthcheck.picture import team_picture
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "councils" / "northmoor"
AS_OF = date(2026, 9, 30)
CASELOAD = Path(sys.executable).with_name("caseload")


def example():
    return read_council(*find_files(EXAMPLE), AS_OF)


def small_council(tmp_path: Path) -> Path:
    """Two teams of the example (one of them the over-benchmark one), as their own council."""
    keep = {"Family Support West", "Learning Disability"}
    folder = tmp_path / "council"
    folder.mkdir()
    for stem in ("workers", "teams"):
        frame = pd.read_csv(EXAMPLE / f"{stem}.csv", dtype=str, keep_default_na=False)
        frame[frame["team"].isin(keep)].to_csv(folder / f"{stem}.csv", index=False)
    return folder


def test_the_built_scenario_holds_the_team_as_it_is():
    data = example()
    team = next(t for t in data.teams if t.team == "Front Door")
    config = build_scenario(
        data,
        team,
        referrals_per_day=0.6,
        leave_rate_per_year=0.05,
        recruitment_mean_days=300,
        sickness_scale=1.2,
        months=12,
        reps=3,
        seed=7,
    )
    social = [w for w in data.team_workers("Front Door") if w.is_social_worker]
    named = {w.name: w for w in config.team.workers}
    assert set(named) == {w.worker_id for w in social}
    for w in social:
        assert named[w.worker_id].initial_cases == w.cases_held
        assert named[w.worker_id].fte == w.fte
        assert named[w.worker_id].is_agency == (w.contract == "agency")
    agency = sum(w.contract == "agency" for w in social)
    assert config.team.social_worker_posts == len(social) + round(team.vacancies_fte) - agency
    assert config.simulation.days == days_for(12) == 260
    assert config.staffing.recruitment.mean_days == 300
    assert config.sickness.long_spells_per_year == pytest.approx(0.105 * 1.2)
    assert config.support.admin_staff == 1.0


def test_a_lever_changes_only_what_it_says():
    data = example()
    team = next(t for t in data.teams if t.team == "Family Support West")
    config = build_scenario(
        data,
        team,
        referrals_per_day=0.9,
        leave_rate_per_year=0.05,
        recruitment_mean_days=300,
        sickness_scale=1.0,
        months=12,
        reps=3,
        seed=7,
    )
    levers = {lever.key: lever for lever in levers_for(config, 18.0)}
    post = levers["post"].apply(config)
    assert post.team.social_worker_posts == config.team.social_worker_posts + 1
    assert len(post.team.workers) == len(config.team.workers) + 1
    assert post.demand == config.demand
    cap = levers["cap"].apply(config)
    assert (cap.allocation.cap_kind, cap.allocation.cap_per_fte) == ("count", 18.0)
    costs = [lever.cost_per_year for lever in levers_for(config, 18.0)]
    assert costs == sorted(costs)


@pytest.mark.slow
def test_round_trip_the_fit_recovers_the_values_the_example_was_made_with():
    data = example()
    known = json.loads((EXAMPLE / "known.json").read_text())
    pictures = {t.team: team_picture(data, t) for t in data.teams}
    fit = fit_council(
        data, pictures, months=12, seed=3, runner=lambda specs: run_specs(specs, workers=2)
    )
    reference = load_scenario(ROOT / "scenarios" / "baseline.toml").front_door
    for name, team in fit.teams.items():
        made_with = known["teams"][name]["referrals_per_day"]
        if pictures[name].caseload_per_fte > 2 * reference.reference_caseload_per_fte:
            # The example was made by the model before the front door was on by default (issue
            # 10). At twice the door's reference caseload (Family Support West, 37 per FTE) the
            # door screens out a growing share, so holding the team's caseload takes more fresh
            # referrals than the door-less model that made the data: the fit lies above.
            assert team.referrals_per_day.low > made_with, name
        else:
            assert team.referrals_per_day.contains(made_with), name
    assert fit.leave_rate_per_year.contains(known["leave_rate_per_year"])
    assert fit.recruitment_mean_days.contains(known["recruitment_mean_days"])


@pytest.mark.slow
def test_the_over_benchmark_team_is_red_and_gets_levers(tmp_path):
    data = read_council(*find_files(small_council(tmp_path)), AS_OF)
    check = run_health_check(data, months=6, reps=4, seed=5, workers=1)
    assert check.pictures["Family Support West"].headline == "red"
    assert check.forecast_rating("Family Support West") == "red"
    assert check.forecast_rating("Learning Disability") != "red"
    assert set(check.levers) == {"Family Support West"}
    tried = check.levers["Family Support West"]
    posts = next(r for r in tried if r.lever.key == "two_posts")
    assert posts.effects["caseload_per_fte_mean"]["high"] < 0  # two more posts: fewer cases each
    assert check.recommended("Family Support West") in tried


def test_end_to_end_today_only_through_the_console_script(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [
            str(CASELOAD),
            "healthcheck",
            str(EXAMPLE),
            "--as-of",
            "2026-09-30",
            "--months",
            "0",
            "--no-pdf",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Family Support West: 37.3 cases per FTE against 18 (red)" in done.stdout
    page = (out / "report.html").read_text()
    assert "Three pressure points" in page and "Method and assumptions" in page
    teams = pd.read_parquet(out / "tables" / "today_teams.parquet")
    assert len(teams) == 14  # twelve teams and the two services
    manifest = json.loads((out / "manifest.json").read_text())
    assert "tables/today_ratings.parquet" in manifest["files"]
    workers = pd.read_csv(EXAMPLE / "workers.csv")
    written = " ".join(p.read_text(errors="replace") for p in out.rglob("*.html"))
    assert not any(str(d) in written for d in workers["start_date"])  # no row of the input


def test_end_to_end_bad_files_exit_2_without_a_traceback(tmp_path):
    folder = small_council(tmp_path)
    text = (folder / "workers.csv").read_text().splitlines()
    text[0] += ",surname"
    (folder / "workers.csv").write_text(
        "\n".join(line + ",x" if i else line for i, line in enumerate(text)) + "\n"
    )
    done = subprocess.run(
        [str(CASELOAD), "healthcheck", str(folder), "--as-of", "2026-09-30", "--months", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"{folder / 'workers.csv'}:1:surname: identifying column refused: pseudonymise the file "
        "first (give each worker a worker_id that is not their name, payroll or NI number, and "
        "drop names, emails, NI numbers, dates of birth and addresses) (got header 'surname')"
    )


@pytest.mark.slow
def test_end_to_end_forecast_writes_scenarios_that_caseload_run_opens(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [
            str(CASELOAD),
            "healthcheck",
            str(small_council(tmp_path)),
            "--as-of",
            "2026-09-30",
            "--months",
            "3",
            "--reps",
            "2",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    scenarios = sorted((out / "scenarios").glob("*.toml"))
    assert [p.name for p in scenarios] == ["family-support-west.toml", "learning-disability.toml"]
    config = load_scenario(scenarios[0])
    assert config.simulation.days == days_for(3)
    levers = pd.read_parquet(out / "tables" / "levers.parquet")
    assert set(levers["team"]) == {"Family Support West"}
    assert levers["recommended"].sum() == 1
    if shutil.which("chromium") and (out / "report.pdf").exists():
        from sim.outputs.pdf import wide_elements

        assert wide_elements((out / "report.html").read_text()) == []
        from pypdf import PdfReader

        text = " ".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
        assert "Social work health check: summary" in text
        assert "Family Support West" in text


def test_without_the_shared_printer_the_report_says_so_and_writes_the_html(tmp_path, monkeypatch):
    from sim.healthcheck.report import write_report

    monkeypatch.setitem(sys.modules, "sim.outputs.pdf", None)  # import fails as without it
    check = run_health_check(example(), months=0)
    files, note = write_report(check, tmp_path)
    assert note.startswith("no PDF: this build has no shared PDF printer")
    assert "report.pdf" not in files
    assert note in (tmp_path / "report.html").read_text()


def test_the_pdf_puts_the_summary_on_page_one_then_a_page_per_team(tmp_path):
    pytest.importorskip("sim.outputs.pdf")
    pypdf = pytest.importorskip("pypdf")
    if not shutil.which("chromium"):
        pytest.skip("no chromium to print with")
    from sim.healthcheck.report import write_report

    check = run_health_check(example(), months=0)
    files, note = write_report(check, tmp_path)
    assert note is None
    pages = [page.extract_text() for page in pypdf.PdfReader(files["report.pdf"]).pages]
    assert "Social work health check: summary" in pages[0]
    assert "Three pressure points" in pages[0]
    assert pages[1].startswith("Front Door")
    assert any("Method and assumptions" in page for page in pages[-2:])
