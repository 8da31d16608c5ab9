"""The dashboard's engine side: picker, schema-generated levers, the stepped model, compare mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.dashboard.view_model import (
    LEVERS,
    LEVERS_BY_PATH,
    MAX_LIVE_POSTS,
    RISK_SERIES,
    SCENARIO_ROOT,
    STATE_COLUMNS,
    STATUSES,
    WORKFORCE_SERIES,
    DashboardModel,
    DashboardSettings,
    NotApplied,
    apply_widget_value,
    build_configs,
    checked_bool,
    days_per_tick,
    parse_seed,
    pick_choice,
    play_interval_ms,
    readable_problem,
    resolve_scenario_path,
    scenario_choices,
    team_index,
    today_figures,
)
from sim.scenario.loading import ScenarioError
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


def test_picker_lists_every_scenario_file_and_only_those():
    listed = {c.path for c in scenario_choices()}
    on_disk = {p.relative_to(SCENARIO_ROOT).as_posix() for p in SCENARIO_ROOT.rglob("*.toml")}
    assert listed == on_disk
    assert "baseline.toml" in listed and "teaching/manager_span_120.toml" in listed
    groups = [c.group for c in scenario_choices()]
    assert groups[0] == "" and groups.index("teaching") < groups.index("levers")


def test_england_is_listed_but_not_offered_live():
    england = next(c for c in scenario_choices() if c.path == "scale/england.toml")
    assert not england.available
    assert england.posts > MAX_LIVE_POSTS
    assert "caseload run" in england.reason
    with pytest.raises(ValueError, match="too large"):
        build_configs(DashboardSettings(scenario="scale/england.toml"))


@pytest.mark.parametrize(
    "path", ["../pyproject.toml", "/etc/passwd", "teaching/../../README.md", "", "nope.toml"]
)
def test_picker_refuses_paths_outside_scenarios(path):
    with pytest.raises(ValueError):
        resolve_scenario_path(path)
    with pytest.raises(ValueError):
        DashboardModel(DashboardSettings(scenario=path))


def test_picker_ignores_symlinks_leading_out(tmp_path):
    root = tmp_path / "scenarios"
    root.mkdir()
    (root / "ok.toml").write_text('name = "ok"\n')
    outside = tmp_path / "secret.toml"
    outside.write_text('name = "secret"\n')
    (root / "link.toml").symlink_to(outside)
    assert [c.path for c in scenario_choices(root)] == ["ok.toml"]
    with pytest.raises(ValueError, match="only files under"):
        resolve_scenario_path("link.toml", root)
    assert resolve_scenario_path("ok.toml", root) == (root / "ok.toml").resolve()


def test_a_broken_file_is_listed_as_unavailable_with_its_problem(tmp_path):
    (tmp_path / "bad.toml").write_text("[team]\nsocial_worker_posts = -1\n")
    (choice,) = scenario_choices(tmp_path)
    assert not choice.available and "social_worker_posts" in choice.reason


@pytest.mark.parametrize("choice", [c for c in scenario_choices() if c.available], ids=str)
def test_every_offered_scenario_builds_and_steps(choice):
    model = DashboardModel(DashboardSettings(scenario=choice.path))
    assert model.day == 0 and model.config.name == choice.name
    model.advance(5)
    assert model.day == 5 and model.steps == 5
    run = model.runs[0]
    for column, _, cumulative in (*RISK_SERIES, *WORKFORCE_SERIES):
        assert len(run.series(column, cumulative)) == 5
    rows = run.team_rows()
    assert len(rows) == choice.posts
    assert {r.status for r in rows} <= set(STATUSES)


def test_history_grows_a_day_a_step_and_the_run_stops_at_its_end():
    model = DashboardModel(DashboardSettings(scenario="teaching/duty_after_sickness.toml"))
    lengths = []
    for _ in range(3):
        model.step()
        lengths.append(len(model.runs[0].series("overdue_visits")))
    assert lengths == [1, 2, 3]
    model.advance(400)
    assert model.day == model.days == 260
    assert not model.running
    model.step()  # SolaraViz may call once more: nothing happens
    assert model.day == 260


def test_a_stopped_model_no_longer_steps_so_a_play_loop_ends():
    model = DashboardModel(DashboardSettings(scenario="teaching/duty_after_sickness.toml"))
    model.step()
    model.stop()
    assert not model.running
    model.step()  # the play loop's next step: nothing happens, and the loop sees running False
    model.advance(5)
    assert model.day == 1 and not model.running


def _schema_property(path: str) -> dict:
    """The JSON schema pydantic publishes for a dotted field (an independent reading)."""
    schema = Scenario.model_json_schema()
    section, name = path.split(".")
    ref = schema["properties"][section]["$ref"].rpartition("/")[2]
    return schema["$defs"][ref]["properties"][name]


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.path)
def test_lever_controls_carry_the_schema_default_bounds_and_choices(lever):
    prop = _schema_property(lever.path)
    assert lever.default == prop["default"]
    assert lever.value_in(Scenario()) == prop["default"]
    if lever.kind == "choice":
        assert list(lever.choices) == prop["enum"]
        return
    if lever.kind == "bool":
        assert prop["type"] == "boolean"
        return
    low, high, low_open, high_open = lever.bounds
    assert low == prop.get("minimum", prop.get("exclusiveMinimum"))
    assert low_open == ("exclusiveMinimum" in prop)
    assert high == prop.get("maximum", prop.get("exclusiveMaximum"))
    assert high_open == ("exclusiveMaximum" in prop)
    assert prop["type"] == {"int": "integer", "float": "number"}[lever.kind]
    smin, smax, step = lever.slider_range
    assert low <= smin < smax <= high and step > 0
    assert smin <= lever.default <= smax
    assert lever.meaning, f"{lever.path} has no description"
    assert "Baseline: " in lever.help and lever.path in lever.help


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.path)
def test_each_lever_reaches_the_model(lever):
    default = lever.default
    if lever.kind == "choice":
        value = next(c for c in lever.choices if c != default)
    elif lever.kind == "bool":
        value = not default
    else:
        value = lever.slider_range[1]
    settings = DashboardSettings().with_lever(lever.path, value)
    model = DashboardModel(settings)
    assert lever.value_in(model.config) == value
    assert settings.lever_overrides() == [lever.setting(value)]
    model.advance(2)


def test_a_lever_outside_the_schema_bounds_is_refused():
    with pytest.raises(ScenarioError, match="cap_per_fte"):
        DashboardModel(DashboardSettings().with_lever("allocation.cap_per_fte", 900.0))
    with pytest.raises(ScenarioError, match="not a dashboard lever"):
        DashboardModel(DashboardSettings().with_lever("risk.enabled", False))


def test_levers_replace_and_keep_the_scenario_otherwise():
    settings = DashboardSettings(scenario="levers/caseload_cap.toml")
    settings = settings.with_lever("allocation.cap_per_fte", 12.0)
    settings = settings.with_lever("allocation.cap_per_fte", 14.0)
    config, twin = build_configs(settings)
    assert twin is None
    assert config.allocation.cap_per_fte == 14.0
    assert config.allocation.cap_kind == "count"  # from the scenario file


def _daily(run) -> dict:
    return {k: v[: run.day].copy() for k, v in run.model.tally.daily.items()}


def test_compare_twins_without_a_change_are_identical():
    settings = DashboardSettings(compare_lever="allocation.cap_kind", compare_value="none")
    model = DashboardModel(settings)
    assert model.compare
    model.advance(120)
    a, b = (_daily(r) for r in model.runs)
    for column in a:
        np.testing.assert_array_equal(a[column], b[column], err_msg=column)


def _fresh_referrals(run) -> np.ndarray:
    """Each day's referrals less that day's re-referrals (episode > 0 in the case book)."""
    cases, days = run.model.cases, run.model.day
    arrived = cases.full("day_arrived")[cases.full("episode") > 0]
    return run.series("referrals") - np.bincount(arrived, minlength=days)[:days]


def test_compare_twins_with_a_lever_differ_but_share_their_referrals():
    settings = DashboardSettings(
        scenario="levers/caseload_cap.toml",
        compare_lever="allocation.cap_kind",
        compare_value="none",
    )
    model = DashboardModel(settings)
    model.advance(150)
    capped, uncapped = model.runs
    assert capped.model.config.allocation.cap_kind == "count"
    assert uncapped.model.config.allocation.cap_kind == "none"
    assert "count" in capped.label and "none" in uncapped.label
    # same seed: the same fresh referrals arrive in both runs (common random numbers); the
    # re-referrals follow closures, which the cap changes ...
    np.testing.assert_array_equal(_fresh_referrals(capped), _fresh_referrals(uncapped))
    # ... and the cap leaves cases waiting that the uncapped team takes on
    assert capped.series("waiting").sum() > uncapped.series("waiting").sum() + 100
    assert uncapped.latest("waiting") < capped.latest("waiting")


def test_the_same_settings_give_the_same_run_and_a_new_seed_another():
    first, again = DashboardModel(), DashboardModel()
    other = DashboardModel(DashboardSettings(seed=7))
    for model in (first, again, other):
        model.advance(80)
    np.testing.assert_array_equal(first.runs[0].series("open"), again.runs[0].series("open"))
    assert other.seed == 7
    assert not np.array_equal(first.runs[0].series("open"), other.runs[0].series("open"))


def test_teaching_scenarios_carry_what_to_watch_and_their_named_worker():
    teaching = [c for c in scenario_choices() if c.group == "teaching"]
    assert len(teaching) >= 3
    for choice in teaching:
        assert len(choice.teaching_notes) > 100, choice.path
        model = DashboardModel(DashboardSettings(scenario=choice.path))
        named = [w.name for w in model.config.team.workers]
        shown = [r.name for r in model.runs[0].team_rows()]
        assert set(named) <= set(shown)


def test_the_app_module_imports_and_reads_its_start_scenario(monkeypatch):
    import dashboards.app as app

    monkeypatch.setenv(app.SCENARIO_ENV, "teaching/manager_span_120.toml")
    assert app.initial_scenario() == ("teaching/manager_span_120.toml", "")
    monkeypatch.setenv(app.SCENARIO_ENV, "../pyproject.toml")
    start, problem = app.initial_scenario()
    assert start == "baseline.toml" and "only files under" in problem
    model = DashboardModel()
    model.advance(3)
    table = app.team_table_html(model.runs[0], 0, 0.53)
    posts = table[table.index('<table class="cl-table team-table"') :]
    assert posts.count("<tr") == 1 + model.config.team.social_worker_posts
    assert table.startswith('<table class="cl-table manager-table"')  # the manager above
    options = app.chart_options(model.runs, RISK_SERIES, model.days, 260)
    assert [o["title"]["text"] for o in options] == [title for _, title, _ in RISK_SERIES]
    overdue = options[0]["series"][0]["data"]
    assert [x for x, _ in overdue] == [1, 2, 3]  # a point a day simulated
    assert [y for _, y in overdue] == model.runs[0].series("overdue_visits").tolist()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "../pyproject.toml"], "only files under"),
        (["--scenario", "scale/england.toml"], "too large"),
        (["--port", "0"], "between 1 and 65535"),
        (["--scenarios", "pyproject.toml"], "--scenarios pyproject.toml: not a folder"),
        (["--scenarios", "docs"], "--scenarios docs: holds no scenario (.toml) files"),
        (["--scenarios", "scenarios/teaching", "--scenario", "baseline.toml"], "no such scenario"),
    ],
)
def test_dashboard_command_refuses_bad_options(args, message):
    done = subprocess.run(
        [sys.executable, "-m", "sim", "dashboard", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr


def _cells(table: str, name: str) -> list[str]:
    """The cell texts of ``name``'s row in a team table's HTML."""
    row = next(r for r in table.split("<tr") if f"<td>{name}</td>" in r)
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def test_the_team_table_follows_the_model_day_by_day():
    import dashboards.app as app

    model = DashboardModel(DashboardSettings(scenario="teaching/part_time_worker_20_cases.toml"))
    run = model.runs[0]
    start = _cells(app.team_table_html(run, 0, 0.53), "Part-time worker")
    assert start[4] == "20" and start[7] == "12.0"  # her starting cases and backlog, at day 0
    seen = [start]
    for _ in range(4):
        model.advance(5)
        seen.append(_cells(app.team_table_html(run, 0, 0.53), "Part-time worker"))
    backlogs = [float(cells[7]) for cells in seen]
    assert len(set(backlogs)) == len(backlogs), backlogs  # the backlog moves every few days
    assert len({cells[8] for cells in seen}) > 1  # and so does the stress bar


def test_team_rows_show_agency_and_left():
    from sim.engine.phases.staffing import depart

    model = DashboardModel(DashboardSettings(scenario="teaching/part_time_worker_20_cases.toml"))
    run = model.runs[0]
    model.advance(3)
    rows = run.team_rows()
    agency = [r for r in rows if r.is_agency]
    assert agency and all(r.status == "agency" for r in agency if r.status != "sick")
    leaver = next(r for r in rows if r.status == "working")
    depart(run.model, run.model.workers[run.model.posts.holder[leaver.post]], "left")
    row = next(r for r in run.team_rows() if r.post == leaver.post)
    assert row.status == "left" and row.name == leaver.name and not row.holds_cases
    assert "left day 3" in row.note


def test_per_worker_overdue_visits_add_up_to_at_most_the_team_figure():
    model = DashboardModel(DashboardSettings(scenario="teaching/duty_after_sickness.toml"))
    model.advance(40)
    run = model.runs[0]
    rows = run.team_rows()
    returning = next(r for r in rows if r.name == "Returning worker")
    assert returning.overdue_visits > 0  # on duty every day: her own visits fall overdue
    assert sum(r.overdue_visits for r in rows) <= run.latest("overdue_visits")
    assert sum(r.records_out_of_date for r in rows) <= run.latest("records_out_of_date")


@pytest.mark.parametrize("scenario", ["baseline.toml", "teaching/duty_after_sickness.toml"])
def test_state_figures_agree_with_the_tally_and_the_team_view(scenario):
    model = DashboardModel(DashboardSettings(scenario=scenario))
    run = model.runs[0]
    # day 0: no tally row yet, "Today" reads the state the team view shows
    rows = run.team_rows()
    assert run.latest("vacancies") == sum(1 for r in rows if r.status in ("vacant", "left")) + sum(
        1 for r in rows if r.status == "agency"
    )
    assert run.latest("vacancies") >= 1  # the baseline starts with a vacant post
    for _ in range(6):
        model.advance(7)
        for column in STATE_COLUMNS:
            assert run.state_value(column) == run.series(column)[-1], (column, model.day)


def test_today_shows_supervision_and_staff_cost():
    figures = dict(today_figures(DashboardModel().runs))
    assert figures["Cost"] == [("Staff cost to date", ["£0"])]
    assert ("Supervision sessions on time (last 13 weeks)", ["—"]) in figures["Workforce"]
    span = DashboardModel(DashboardSettings(scenario="teaching/manager_span_120.toml"))
    base = DashboardModel()
    for model in (span, base):
        model.advance(130)
    assert base.runs[0].supervision_on_time_share() > 0.8
    assert span.runs[0].supervision_on_time_share() < 0.3  # what its teaching notes ask to watch
    assert span.runs[0].staff_cost() > base.runs[0].staff_cost() > 0


def test_retention_pay_shows_in_the_staff_cost():
    settings = DashboardSettings(
        compare_lever="costs.retention_pay_per_worker_year", compare_value=5000.0
    )
    model = DashboardModel(settings)
    model.advance(60)
    plain, paid = model.runs
    assert paid.staff_cost() > plain.staff_cost() + 1000
    figures = dict(today_figures(model.runs))
    (cost_row,) = figures["Cost"]
    assert cost_row[1][0] != cost_row[1][1]
    # its effect on leaving is its own lever
    assert "leaving rate with retention pay" in LEVERS[-2].help


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        (
            "--seed: simulation.seed: Input should be greater than or equal to 0 (got -5)",
            "Random seed: must be ≥ 0 (got -5)",
        ),
        (
            "--set: allocation.cap_per_fte: Input should be less than or equal to 500 (got 900.0)",
            "Cap: cases per full-time worker: must be ≤ 500 (got 900.0)",
        ),
        (
            "dashboard: risk.enabled: not a dashboard lever",
            "dashboard: risk.enabled: not a dashboard lever",
        ),
    ],
)
def test_problems_name_the_control_not_the_command_line_flag(problem, shown):
    assert readable_problem(problem) == shown


def test_a_refused_seed_is_explained_without_flags():
    with pytest.raises(ScenarioError) as caught:
        DashboardModel(DashboardSettings(seed=-5))
    assert [readable_problem(p) for p in caught.value.problems] == [
        "Random seed: must be ≥ 0 (got -5)"
    ]


# --- widget values checked on the server: crafted values are refused, never raised ---------------


@pytest.mark.parametrize(
    ("path", "raw", "message"),
    [
        (
            "allocation.cap_per_fte",
            float("inf"),  # what the server's JSON parser makes of 1e400
            "Not applied: Cap: cases per full-time worker: must be a finite number (got inf)",
        ),
        (
            "allocation.cap_per_fte",
            None,
            "Not applied: Cap: cases per full-time worker: must be a number (got null)",
        ),
        (
            "allocation.cap_per_fte",
            "abc",
            "Not applied: Cap: cases per full-time worker: must be a number (got 'abc')",
        ),
        (
            "allocation.cap_per_fte",
            [7],
            "Not applied: Cap: cases per full-time worker: must be a number (got [7])",
        ),
        (
            "allocation.cap_per_fte",
            900.0,
            "Not applied: Cap: cases per full-time worker: must be ≤ 500 (got 900.0)",
        ),
        (
            "team.social_worker_posts",
            6.5,
            "Not applied: Social worker posts per team: must be a whole number (got 6.5)",
        ),
        pytest.param(
            "team.social_worker_posts",
            10**5000,
            "Not applied: Social worker posts per team: must be ≤ 200 (got a number of about "
            "5,000 digits)",
            id="5000-digits",
        ),
        (
            "team.social_worker_posts",
            True,
            "Not applied: Social worker posts per team: must be a number (got true)",
        ),
        (
            "allocation.cap_kind",
            None,
            "Not applied: Caseload cap: must be one of none, count, weighted (got null)",
        ),
        (
            "supervision.enabled",
            "yes",
            "Not applied: Regular supervision: must be on or off (got 'yes')",
        ),
        (
            "../../etc/passwd",
            1,
            "Not applied: Lever: not a dashboard lever (got '../../etc/passwd')",
        ),
    ],
)
def test_a_crafted_lever_value_is_refused_with_a_sentence(path, raw, message):
    with pytest.raises(NotApplied) as caught:
        apply_widget_value(path, raw)
    assert str(caught.value) == message.replace("≤ 200", f"≤ {_posts_max()}")


def _posts_max() -> int:
    return LEVERS_BY_PATH["team.social_worker_posts"].bounds[1]


@pytest.mark.parametrize(
    ("path", "raw", "value"),
    [
        ("allocation.cap_per_fte", 16, 16.0),
        ("allocation.cap_per_fte", 16.5, 16.5),
        ("team.social_worker_posts", 7.0, 7),  # a slider may report a whole number as a float
        ("allocation.cap_kind", "count", "count"),
        ("supervision.enabled", False, False),
    ],
)
def test_a_value_a_widget_can_send_is_applied_as_the_schema_type(path, raw, value):
    applied = apply_widget_value(path, raw)
    assert applied == value and type(applied) is type(value)
    DashboardModel(DashboardSettings().with_lever(path, applied))  # and it builds


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "Not applied: Random seed: must be a whole number such as 42 (got 'abc')"),
        ("1e3", "Not applied: Random seed: must be a whole number such as 42 (got '1e3')"),
        (
            "9" * 5000,
            f"Not applied: Random seed: must be ≤ {2**63 - 1:,} (got a number of 5,000 digits)",
        ),
        ("-5", "Not applied: Random seed: must be ≥ 0 (got -5)"),
        (str(2**63), f"Not applied: Random seed: must be ≤ {2**63 - 1:g} (got {2**63})"),
        ([1], "Not applied: Random seed: must be a number (got [1])"),
    ],
)
def test_a_crafted_seed_is_refused_with_a_sentence(raw, message):
    with pytest.raises(NotApplied) as caught:
        parse_seed(raw)
    assert str(caught.value) == message


def test_a_seed_box_value_is_read_as_a_whole_number():
    assert parse_seed(" 42 ") == 42 and parse_seed("") is None and parse_seed(None) is None


@pytest.mark.parametrize("raw", ["../../../../etc/passwd", None, 5, ["baseline.toml"]])
def test_a_crafted_picker_value_is_not_one_of_the_choices(raw):
    offered = {c.label: c for c in scenario_choices() if c.available}
    with pytest.raises(NotApplied, match=r"^Not applied: Scenario file: not one of the choices"):
        pick_choice(raw, offered, "Scenario file")


def test_switches_and_the_team_slider_refuse_what_they_cannot_send():
    assert checked_bool(True, "Compare") is True
    with pytest.raises(NotApplied, match="Compare: must be on or off"):
        checked_bool(None, "Compare")
    assert team_index(3, 5) == 2 and team_index(3.0, 5) == 2
    for raw in (0, 6, None, "2", float("nan")):
        with pytest.raises(NotApplied, match=r"^Not applied: Team: "):
            team_index(raw, 5)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "must be a number (got null)"),
        (float("inf"), "must be a finite number (got inf)"),
        (-5, "must be ≥ 1 (got -5)"),
        ("abc", "must be a number (got 'abc')"),
        ([7], "must be a number (got [7])"),
        (0, "must be ≥ 1 (got 0)"),
        (2.5, "must be a whole number (got 2.5)"),
        (101, "must be ≤ 100 (got 101)"),
        (True, "must be a number (got true)"),
    ],
)
def test_a_crafted_days_per_step_is_refused_with_a_sentence(raw, message):
    with pytest.raises(NotApplied) as caught:
        days_per_tick(raw)
    assert str(caught.value) == f"Not applied: Days per Step: {message}"


def test_the_run_controls_take_what_their_sliders_send():
    assert days_per_tick(15) == 15 and days_per_tick(3.0) == 3
    assert play_interval_ms(60) == 60
    for raw in (0, -5, 19, 1001, None, "abc", [7], float("nan")):
        with pytest.raises(NotApplied, match=r"^Not applied: Play: a tick every \(ms\): "):
            play_interval_ms(raw)


def test_a_scenario_whose_extends_leaves_the_folder_is_refused(tmp_path, monkeypatch):
    import sim.dashboard.view_model as view_model

    root = tmp_path / "scenarios"
    root.mkdir()
    (tmp_path / "outside.toml").write_text('name = "outside"\n')
    (root / "escape.toml").write_text('extends = "../outside.toml"\n')
    (choice,) = scenario_choices(root)
    assert not choice.available and "only files under" in choice.reason
    monkeypatch.setattr(view_model, "SCENARIO_ROOT", root)
    with pytest.raises(ScenarioError, match="extends: only files under"):
        build_configs(DashboardSettings(scenario="escape.toml"))


@pytest.mark.parametrize("path", ["a\0b.toml", "base\nline.toml"])
def test_the_picker_refuses_a_path_with_control_characters(path):
    with pytest.raises(ValueError, match="not a file name"):
        resolve_scenario_path(path)


@pytest.mark.parametrize(("given", "used"), [(None, "45s"), ("10m", "10m")])
def test_the_dashboard_server_culls_closed_sessions_unless_told_otherwise(monkeypatch, given, used):
    import argparse

    import sim.cli.dashboard as command

    started = {}

    class Server:
        pid = 0

        def __init__(self, argv, **kwargs):
            started.update(kwargs["env"])

        def wait(self):
            return 0

    monkeypatch.setattr(command.subprocess, "Popen", Server)
    monkeypatch.setattr("sim.dashboard.assets.ensure_assets", lambda: [])
    if given is None:
        monkeypatch.delenv(command.CULL_TIMEOUT_ENV, raising=False)
    else:
        monkeypatch.setenv(command.CULL_TIMEOUT_ENV, given)
    args = argparse.Namespace(scenario=None, host="127.0.0.1", port=_free_port(), dev=False)
    assert command.run_dashboard(args) == 0
    assert started[command.CULL_TIMEOUT_ENV] == used


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_lever_speaks_plain_words_with_its_unit():
    for lever in LEVERS:
        assert lever.plain, lever.path
        assert "(" not in lever.label or lever.label.endswith(")"), lever.label
        # no symbols such as "K:" or "R_p" (they stay in docs/model.md)
        assert not re.search(r"\b[A-Za-z]_[a-z]\b|^[A-Z]\w?:", lever.help), lever.help
        assert lever.help.startswith(lever.plain)
    units = {lever.path: lever.label for lever in LEVERS}
    assert "× normal" in units["work.recording_efficiency"]
    assert "40% slower" in LEVERS_BY_PATH["work.recording_efficiency"].help
    assert "per team" in units["support.admin_staff"]


def test_the_cap_controls_are_not_in_use_without_a_cap():
    from sim.dashboard.view_model import not_in_use

    model = DashboardModel()
    assert model.config.allocation.cap_kind == "none"
    reason = not_in_use(LEVERS_BY_PATH["allocation.cap_per_fte"], model.config)
    assert reason == "Not in use: Caseload cap is none (set it to count or weighted to use this)"
    assert not_in_use(LEVERS_BY_PATH["allocation.at_cap"], model.config) == reason
    capped = DashboardModel(DashboardSettings(scenario="levers/caseload_cap.toml"))
    assert not_in_use(LEVERS_BY_PATH["allocation.cap_per_fte"], capped.config) == ""
    assert all(not not_in_use(lever, model.config) for lever in LEVERS[3:])


def test_teaching_scenarios_carry_a_short_guided_sequence():
    teaching = [c for c in scenario_choices() if c.group == "teaching"]
    for choice in teaching:
        assert 3 <= len(choice.teaching_steps) <= 8, choice.path
        assert all(len(step) <= 300 for step in choice.teaching_steps)
    others = [c for c in scenario_choices() if c.group != "teaching" and c.available]
    assert all(not c.teaching_steps for c in others)


def test_the_team_charts_follow_stress_caseload_and_supervision():
    import dashboards.app as app

    model = DashboardModel()
    model.advance(80)
    run = model.runs[0]
    assert len(run.stress) == len(run.cases_per_fte) == 80
    mean, low, high = run.stress[-1]
    staff = run.model.workers_in_post()
    assert mean == pytest.approx(np.mean([w.stress for w in staff]))
    assert 0 <= low <= mean <= high <= 1
    fte = sum(w.fte for w in staff)
    assert run.cases_per_fte[-1] == pytest.approx(sum(w.caseload for w in staff) / fte)
    share = run.supervision_share_by_day()
    assert len(share) == 80 and share[-1] == pytest.approx(run.supervision_on_time_share())
    stress, caseload, supervision = app.team_chart_options(model.runs, model)
    assert caseload["series"][-1]["markLine"]["data"][0]["name"] == "DfE average 16"
    assert [s["name"] for s in stress["series"]][:3] == ["As set", "_low0", "_spread0"]
    assert stress["yAxis"]["max"] == 1.0 and supervision["yAxis"]["max"] == 100
    capped = DashboardModel(DashboardSettings(scenario="levers/caseload_cap.toml"))
    capped.advance(2)
    _, caseload, _ = app.team_chart_options(capped.runs, capped)
    assert caseload["series"][-1]["markLine"]["data"][0]["name"] == "cap 16"


# --- levers changed part-way through a run ---------------------------------------------------


def test_a_lever_changed_during_a_run_applies_from_the_next_day_and_is_marked():
    model = DashboardModel()
    model.advance(5)
    wanted = model.settings.with_lever("allocation.cap_kind", "count")
    assert model.change_levers(wanted)
    assert model.day == 5  # not restarted
    assert model.config.allocation.cap_kind == "count"
    assert model.runs[0].model.config.allocation.cap_kind == "count"
    assert model.change_markers() == [(5, "Caseload cap → count")]
    assert model.start_settings.levers == ()  # the --set line describes day 0
    assert model.changed_since() == {"allocation.cap_kind": 5}
    model.advance(3)
    assert model.day == 8
    # the days before the change are the unchanged run's
    plain = DashboardModel()
    plain.advance(8)
    first = model.runs[0].series("waiting")[:5]
    np.testing.assert_array_equal(first, plain.runs[0].series("waiting")[:5])


def test_a_change_that_cannot_apply_mid_run_asks_for_a_restart():
    model = DashboardModel()
    assert not model.change_levers(model.settings.with_lever("allocation.cap_kind", "count"))
    model.advance(2)  # the build reads posts per team: a restart
    assert not model.change_levers(model.settings.with_lever("team.social_worker_posts", 7))
    assert model.changes == [] and model.day == 2


def test_a_mid_run_value_the_schema_refuses_leaves_the_run_as_it_was():
    model = DashboardModel()
    model.advance(2)
    config = model.config
    with pytest.raises(ScenarioError):
        model.change_levers(model.settings.with_lever("allocation.cap_per_fte", 900.0))
    assert model.config is config and model.changes == []


def test_compare_mode_takes_a_mid_run_change_in_both_runs():
    settings = DashboardSettings(compare_lever="allocation.cap_kind", compare_value="none")
    settings = settings.with_lever("allocation.cap_kind", "count")
    model = DashboardModel(settings)
    model.advance(3)
    assert model.change_levers(model.settings.with_lever("work.recording_efficiency", 1.4))
    assert [run.model.config.work.recording_efficiency for run in model.runs] == [1.4, 1.4]
    assert [run.model.config.allocation.cap_kind for run in model.runs] == ["count", "none"]


# --- the replication band -----------------------------------------------------------------------


def test_the_band_runs_other_seeds_up_to_the_live_day_with_the_same_changes():
    from sim.dashboard.band import BAND_RUNS
    from sim.engine.rng import replication_seeds

    model = DashboardModel()
    model.advance(4)
    band = model.band
    assert band.range_of(0, "waiting")[0].size == 0  # nothing before the first catch-up
    band.follow(model.day)
    while band.catch_up(2):
        pass
    assert band.done == 4 and not band.behind
    assert [run.model.seed for run in band.runs[0]] == replication_seeds(model.seed, BAND_RUNS)
    low, high = band.range_of(0, "leavers", cumulative=True)
    assert len(low) == 4 and (low <= high).all()
    low, high = band.range_of_cases_per_fte(0)
    assert len(high) == 4 and (high > 0).all()
    # the band's light runs give the caseload per FTE the live run's RunView gives
    twin = DashboardModel(DashboardSettings(seed=band.seeds[0]))
    twin.advance(4)
    np.testing.assert_allclose(band.runs[0][0].cases_per_fte, twin.runs[0].cases_per_fte)
    # a lever changed on day 4 changes the band's runs on day 4 too
    assert model.change_levers(model.settings.with_lever("allocation.cap_kind", "count"))
    model.advance(2)
    band.follow(model.day)
    while band.catch_up(5):
        pass
    assert band.done == 6
    assert all(run.model.config.allocation.cap_kind == "count" for run in band.runs[0])
    model.stop()
    assert band.stopped and not band.catch_up()


# --- the class view --------------------------------------------------------------------------


def test_class_codes_are_checked_and_a_broadcast_wakes_its_followers():
    import threading

    from sim.dashboard.classroom import Classroom, find_class, parse_class_code

    assert parse_class_code(" k7qmp ") == "K7QMP"
    for raw in (None, 5, "", "K7QM", "K7QMP9", "K7QM0", "../..", ["K7QMP"]):
        with pytest.raises(NotApplied, match="Class code: 5 letters and digits"):
            parse_class_code(raw)
    classroom = Classroom()
    broadcast = classroom.open()
    assert find_class(broadcast.code.lower(), classroom) is broadcast
    got = []
    waiter = threading.Thread(target=lambda: got.append(broadcast.wait(0, 10.0)))
    waiter.start()
    broadcast.publish("page 1")
    waiter.join(5)
    assert got == [(1, "page 1")]
    assert broadcast.wait(1, 0.01) == (1, "page 1")  # nothing new: times out, same page
    classroom.close(broadcast)
    assert broadcast.closed and len(classroom) == 0
    with pytest.raises(NotApplied, match="no class is sharing"):
        find_class(broadcast.code, classroom)


def test_a_fork_replays_the_run_to_the_same_state():
    model = DashboardModel(DashboardSettings(scenario="teaching/manager_span_120.toml"))
    model.advance(4)
    model.change_levers(model.settings.with_lever("supervision.enabled", False))
    model.advance(3)
    fork = DashboardModel.replay(model.start_settings, tuple(model.changes), model.day)
    assert fork.day == 7 and fork.change_markers() == model.change_markers()
    assert fork.settings == model.settings
    for column in ("waiting", "overdue_visits", "sick", "leavers"):
        np.testing.assert_array_equal(fork.runs[0].series(column), model.runs[0].series(column))
    assert fork.runs[0].stress == model.runs[0].stress


# --- the manager's row ---------------------------------------------------------------------------


def test_the_manager_row_reads_the_models_manager():
    model = DashboardModel(DashboardSettings(scenario="teaching/manager_span_120.toml"))
    run = model.runs[0]
    start = run.manager_row(0)
    assert 100 <= start.open_cases <= 140 and start.optimum == 65  # about 120 against 65
    assert start.stress == run.model.managers[0].stress  # the model's own manager stress
    model.advance(40)
    row = run.manager_row(0)
    manager = run.model.managers[0]
    assert row.ratio == manager.oversight_ratio
    assert row.span_per_fte == pytest.approx(manager.oversight_ratio * 65)
    assert row.sessions_missed == manager.sessions_missed
    assert row.hours_for_supervision == manager.hours_for_supervision
    staff = run.model.staff
    assert row.overdue == int((staff.day_supervision_due[staff.in_post] <= model.day - 1).sum())
    assert row.overdue > 0  # a manager over 120 cases falls behind with supervision
    assert row.stress == manager.stress
    del manager.stress  # a model without manager stress: the row shows none, made up nothing
    assert run.manager_row(0).stress is None
