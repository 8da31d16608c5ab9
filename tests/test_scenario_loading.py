"""Scenario files: inheritance, overrides, round trip, and one clear line per mistake."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.loading import (
    MAX_EXTENDS,
    MAX_FILE_BYTES,
    MAX_NESTING,
    ScenarioError,
    load_scenario,
    scenario_to_toml,
    with_overrides,
)
from sim.scenario.schema import Scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"

DATA = Path("tests/data")  # tests run from the repository root (pytest's rootdir)


@pytest.fixture(autouse=True)
def _from_repo_root(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)


def problems(path, overrides=()):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return caught.value.problems


# --- good files -----------------------------------------------------------------------------


def test_good_file_sets_values_and_keeps_defaults():
    s = load_scenario(DATA / "good.toml")
    assert s.name == "good"
    assert (s.simulation.days, s.simulation.warmup_days, s.simulation.seed) == (60, 20, 12345)
    assert (s.team.n_teams, s.team.social_worker_posts) == (2, 7)
    assert s.demand.referrals_per_day == 1.1
    assert s.case_types["child_protection"].visit_interval_days == 12
    # one field of one case type changed, the rest of that case type keeps its default
    assert s.case_types["child_protection"].complexity_weight == 1.5
    assert s.staffing.cuts[0].posts == 1
    assert s.work == Scenario().work


def test_extends_chain_child_wins_and_parents_fill_in():
    s = load_scenario(DATA / "nested" / "grandchild.toml")
    assert s.name == "grandchild"
    assert s.demand.referrals_per_day == 1.3  # grandchild
    assert s.team.social_worker_posts == 9  # child
    assert s.allocation.cap_kind == "count"  # child
    assert s.simulation.days == 60  # good
    assert s.case_types["child_protection"].visit_interval_days == 12  # good


def test_deep_merge_keeps_sibling_keys_of_a_table():
    s = load_scenario(DATA / "child.toml")
    assert s.team.social_worker_posts == 9  # child's [team]
    assert s.team.n_teams == 2  # parent's [team], not reset by the child's table


@pytest.mark.parametrize(
    ("setting", "read", "expected"),
    [
        ("team.social_worker_posts=5", lambda s: s.team.social_worker_posts, 5),
        ("allocation.cap_kind=count", lambda s: s.allocation.cap_kind, "count"),
        ('allocation.cap_kind="weighted"', lambda s: s.allocation.cap_kind, "weighted"),
        ("demand.referrals_per_day=0.25", lambda s: s.demand.referrals_per_day, 0.25),
        ("risk.enabled=false", lambda s: s.risk.enabled, False),
        ("name=two words", lambda s: s.name, "two words"),
        (
            "case_types.child_protection.visit_interval_days=15",
            lambda s: s.case_types["child_protection"].visit_interval_days,
            15,
        ),
        (
            "demand.mix={assessment = 0.5, child_in_need = 0.5}",
            lambda s: s.demand.mix,
            {"assessment": 0.5, "child_in_need": 0.5},
        ),
    ],
)
def test_set_overrides_after_merging(setting, read, expected):
    assert read(load_scenario(DATA / "child.toml", [setting])) == expected


def test_later_set_wins():
    s = load_scenario(DATA / "good.toml", ["team.n_teams=3", "team.n_teams=4"])
    assert s.team.n_teams == 4


def test_an_integer_is_a_valid_float():
    assert (
        load_scenario(DATA / "good.toml", ["demand.referrals_per_day=2"]).demand.referrals_per_day
        == 2.0
    )


def test_table_rule_blames_the_flag_that_broke_it_not_the_last_one():
    s = load_scenario(DATA / "good.toml")
    with pytest.raises(ScenarioError) as caught:
        with_overrides(s, days=10, replications=3, seed=5)
    assert caught.value.problems == [
        "--days: simulation: warmup_days must be shorter than days (got days=10, warmup_days=20)"
    ]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(DATA / "good.toml", ["simulation.days=10", "simulation.seed=4"])
    assert caught.value.problems[0].startswith("--set: simulation: warmup_days")


def test_with_overrides_changes_simulation_and_revalidates():
    s = with_overrides(load_scenario(DATA / "good.toml"), days=80, replications=2, seed=7)
    assert (s.simulation.days, s.simulation.replications, s.simulation.seed) == (80, 2, 7)
    with pytest.raises(ScenarioError) as caught:
        with_overrides(s, days=10)
    assert caught.value.problems == [
        "--days: simulation: warmup_days must be shorter than days (got days=10, warmup_days=20)"
    ]


@pytest.mark.parametrize("name", ["good.toml", "child.toml", "nested/grandchild.toml"])
def test_round_trip(tmp_path, name):
    s = load_scenario(DATA / name)
    (tmp_path / "resolved.toml").write_text(scenario_to_toml(s))
    assert load_scenario(tmp_path / "resolved.toml") == s


def test_round_trip_of_named_workers_and_freeze(tmp_path):
    s = load_scenario(
        DATA / "good.toml",
        [
            'team.workers=[{name = "Sam", fte = 0.6, initial_stress = 0.4}]',
            "staffing.vacancy_freeze_start_day=10",
            "staffing.vacancy_freeze_end_day=40",
        ],
    )
    (tmp_path / "r.toml").write_text(scenario_to_toml(s))
    assert load_scenario(tmp_path / "r.toml") == s


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(min_value=0.0, max_value=1e3, allow_nan=False),
    posts=st.integers(min_value=0, max_value=200),
    share=st.floats(min_value=0.0, max_value=1.0),
)
def test_round_trip_any_values(tmp_path_factory, rate, posts, share):
    s = Scenario.model_validate(
        {
            "demand": {"referrals_per_day": rate},
            "team": {"social_worker_posts": posts, "part_time_share": share},
        }
    )
    path = tmp_path_factory.mktemp("rt") / "s.toml"
    path.write_text(scenario_to_toml(s))
    assert load_scenario(path) == s


# --- one line per problem ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "bad_syntax.toml",
            "tests/data/bad_syntax.toml: line 4, column 23: invalid TOML: Invalid value",
        ),
        (
            "unknown_key.toml",
            "tests/data/unknown_key.toml: demand.referals_per_day: unknown key "
            "(did you mean 'referrals_per_day'?)",
        ),
        (
            "negative_rate.toml",
            "tests/data/negative_rate.toml: demand.referrals_per_day: "
            "Input should be greater than or equal to 0 (got -0.5)",
        ),
        (
            "wrong_type.toml",
            "tests/data/wrong_type.toml: team.social_worker_posts: Input should be a valid "
            "integer (got 'eight')",
        ),
        (
            "missing_extends.toml",
            "tests/data/missing_extends.toml: extends: file not found: "
            "tests/data/no_such_parent.toml",
        ),
        (
            "circular_a.toml",
            "tests/data/circular_b.toml: extends: circular extends: tests/data/circular_a.toml"
            " -> tests/data/circular_b.toml -> tests/data/circular_a.toml",
        ),
        (
            "inherits_negative.toml",  # the error is reported in the file that wrote the value
            "tests/data/negative_rate.toml: demand.referrals_per_day: "
            "Input should be greater than or equal to 0 (got -0.5)",
        ),
        (
            "unknown_case_type.toml",
            "tests/data/unknown_case_type.toml: case_types.child_protectoin: unknown case type "
            "(did you mean 'child_protection'?)",
        ),
        ("no_such_file.toml", "tests/data/no_such_file.toml: file not found"),
    ],
)
def test_each_error_is_one_line_naming_file_and_key(name, line):
    assert problems(f"tests/data/{name}") == [line]


def test_spec_example_negative_posts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    Path("scenarios/bad.toml").write_text("[team]\nsocial_worker_posts = -3\n")
    assert problems("scenarios/bad.toml") == [
        "scenarios/bad.toml: team.social_worker_posts: "
        "Input should be greater than or equal to 0 (got -3)"
    ]


def test_all_problems_reported_together(tmp_path):
    path = tmp_path / "many.toml"
    path.write_text("[team]\nsocial_worker_posts = -1\nn_teamz = 2\n[work]\nduty_hours = 1\n")
    lines = problems(path)
    assert len(lines) == 3
    assert f"{path}: team.n_teamz: unknown key (did you mean 'n_teams'?)" in lines
    assert f"{path}: work.duty_hours: unknown key (did you mean 'duty_hours_per_week'?)" in lines


def test_unknown_top_level_key_and_nested_section(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('extend = "x.toml"\n[staffing.recruitment]\nmean_dayz = 3\n')
    assert sorted(problems(path)) == [
        f"{path}: extend: unknown key (did you mean 'extends'?)",
        f"{path}: staffing.recruitment.mean_dayz: unknown key (did you mean 'mean_days'?)",
    ]


def test_list_items_are_indexed(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[team.workers]]\nname = "Sam"\n[[team.workers]]\nname = ""\n')
    assert problems(path) == [
        f"{path}: team.workers[1].name: String should have at least 1 character (got '')"
    ]


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        (
            "team.social_worker_posts=-3",
            "--set: team.social_worker_posts: Input should be greater than or equal to 0 (got -3)",
        ),
        (
            "team.social_worker_postz=3",
            "--set: team.social_worker_postz: unknown key (did you mean 'social_worker_posts'?)",
        ),
        (
            "team.social_worker_posts",
            "--set: expected dotted.key=value (got 'team.social_worker_posts')",
        ),
        ("team..posts=3", "--set: team..posts: empty key or key segment (got 'team..posts=3')"),
        ("name.first=3", "--set: name.first: name is a value, not a table (got 'good')"),
        (
            "allocation.cap_kind=cont",
            "--set: allocation.cap_kind: Input should be 'none', 'count' or 'weighted' "
            "(got 'cont')",
        ),
        (
            "simulation.days=10",
            "--set: simulation: warmup_days must be shorter than days "
            "(got days=10, warmup_days=20)",
        ),
        # Strict types: text, booleans and whole floats are not silently converted.
        (
            'team.social_worker_posts="8"',
            "--set: team.social_worker_posts: Input should be a valid integer (got '8')",
        ),
        (
            "team.social_worker_posts=8.0",
            "--set: team.social_worker_posts: Input should be a valid integer (got 8.0)",
        ),
        (
            "team.social_worker_posts=true",
            "--set: team.social_worker_posts: Input should be a valid integer (got true)",
        ),
        ("risk.enabled=1", "--set: risk.enabled: Input should be a valid boolean (got 1)"),
        (
            'demand.referrals_per_day="0.5"',
            "--set: demand.referrals_per_day: Input should be a valid number (got '0.5')",
        ),
        # Finite and plausible: infinities, NaN and typos of a billion are errors.
        (
            "demand.referrals_per_day=inf",
            "--set: demand.referrals_per_day: Input should be a finite number (got inf)",
        ),
        (
            "work.travel_hours_per_visit=nan",
            "--set: work.travel_hours_per_visit: Input should be a finite number (got nan)",
        ),
        (
            "demand.referrals_per_day=1e9",
            "--set: demand.referrals_per_day: Input should be less than or equal to 1000 "
            "(got 1000000000.0)",
        ),
        (
            "costs.manager_per_year=1e12",
            "--set: costs.manager_per_year: Input should be less than or equal to 100000000 "
            "(got 1000000000000.0)",
        ),
        (
            'team.workers=[{name = "Sam"}, {name = "Sam "}]',
            "--set: team: named workers must have different names (got ['Sam'] twice)",
        ),
        (
            "team.workers[0].fte=0.5",
            "--set: team.workers[0].fte: team.workers is not a list (it is not set)",
        ),
        ("team.n_teams[0].x=1", "--set: team.n_teams[0].x: team.n_teams is not a list (got 2)"),
        (
            "team[x].y=1",
            "--set: team[x].y: expected dotted.key or list.key[N].field (got 'team[x].y=1')",
        ),
    ],
)
def test_set_errors_name_set(setting, line):
    assert problems(DATA / "good.toml", [setting]) == [line]


def test_extends_must_be_a_string(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("extends = 3\n")
    assert problems(path) == [f"{path}: extends: must be a file path string (got 3)"]


# --- the command line -------------------------------------------------------------------------


def test_validate_ok(run_caseload):
    done = run_caseload("validate", "tests/data/nested/grandchild.toml")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "OK: tests/data/nested/grandchild.toml (scenario 'grandchild')"
    assert "teams: 2" in lines[1] and "posts per team: 9" in lines[1] and "days: 60" in lines[1]


def test_validate_with_set(run_caseload):
    done = run_caseload("validate", "tests/data/good.toml", "--set", "team.n_teams=4")
    assert done.returncode == 0, done.stderr
    assert "teams: 4" in done.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["tests/data/unknown_key.toml"],
            "tests/data/unknown_key.toml: demand.referals_per_day: unknown key "
            "(did you mean 'referrals_per_day'?)",
        ),
        (
            ["tests/data/bad_syntax.toml"],
            "tests/data/bad_syntax.toml: line 4, column 23: invalid TOML: Invalid value",
        ),
        (["tests/data/nope.toml"], "tests/data/nope.toml: file not found"),
        (
            ["tests/data/circular_a.toml"],
            "tests/data/circular_b.toml: extends: circular extends: tests/data/circular_a.toml"
            " -> tests/data/circular_b.toml -> tests/data/circular_a.toml",
        ),
        (
            ["tests/data/good.toml", "--set", "team.social_worker_posts=-3"],
            "--set: team.social_worker_posts: Input should be greater than or equal to 0 (got -3)",
        ),
        (
            ["tests/data/good.toml", "--set", "oops"],
            "--set: expected dotted.key=value (got 'oops')",
        ),
    ],
)
def test_validate_errors_exit_2_one_line_no_traceback(run_caseload, args, line):
    done = run_caseload("validate", *args)
    assert done.returncode == 2
    assert done.stderr == line + "\n"
    assert done.stdout == ""


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(Path(__file__).resolve().parent.parent).as_posix()
        for p in (Path(__file__).resolve().parent.parent / "scenarios").rglob("*.toml")
    ),
)
def test_every_shipped_scenario_loads_and_round_trips(tmp_path, path):
    s = load_scenario(path)
    (tmp_path / "resolved.toml").write_text(scenario_to_toml(s))
    assert load_scenario(tmp_path / "resolved.toml") == s


def test_child_mix_and_next_type_replace_the_parents_whole(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text(
        'name = "p"\n[demand]\nmix = {assessment = 1.0}\n'
        "[case_types.assessment]\nnext_type = {child_in_need = 0.5}\n"
    )
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "parent.toml"\nname = "c"\n[demand]\nmix = {child_in_need = 1.0}\n'
        "[case_types.assessment]\nnext_type = {looked_after = 0.2}\n"
    )
    scenario = load_scenario(child)
    assert scenario.demand.mix == {"child_in_need": 1.0}
    assert scenario.case_types["assessment"].next_type == {"looked_after": 0.2}


def test_flags_and_settings_are_judged_together():
    # warm-up 100 is longer than the file's 60 days but shorter than --days 200.
    s = load_scenario(DATA / "good.toml", ["simulation.warmup_days=100"], days=200, seed=3)
    assert (s.simulation.days, s.simulation.warmup_days, s.simulation.seed) == (200, 100, 3)


def test_rule_over_a_table_value_blames_the_file_that_wrote_the_table(tmp_path):
    (tmp_path / "parent.toml").write_text(
        "[case_types.child_protection]\nnext_type = {looked_after = 0.6, child_in_need = 0.6}\n"
        "[demand]\nmix = {assessment = 0.5}\n"
    )
    (tmp_path / "child.toml").write_text(
        'extends = "parent.toml"\n[case_types.child_protection]\nvisit_interval_days = 12\n'
        "[demand]\nreferrals_per_day = 0.7\n"
    )
    found = problems(tmp_path / "child.toml")
    assert len(found) == 2
    assert all(line.startswith(f"{tmp_path / 'parent.toml'}: ") for line in found), found


def test_malformed_settings_and_schema_problems_are_reported_together():
    assert problems(DATA / "good.toml", ["foo", "team.nope=1", "demand.referrals_per_day=-1"]) == [
        "--set: expected dotted.key=value (got 'foo')",
        "--set: team.nope: unknown key",
        "--set: demand.referrals_per_day: Input should be greater than or equal to 0 (got -1)",
    ]


CUT = Path("scenarios") / "levers" / "staffing_cut_10pct.toml"


def test_set_reaches_a_field_of_a_list_item():
    config = load_scenario(CUT, ["staffing.cuts[0].share=0.25", "staffing.cuts[0].day=300"])
    assert (config.staffing.cuts[0].share, config.staffing.cuts[0].day) == (0.25, 300)


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        (
            "staffing.cuts[1].share=0.2",
            "--set: staffing.cuts[1].share: staffing.cuts has 1 item(s), no [1]",
        ),
        (
            "staffing.cuts[0]=1",
            "--set: staffing.cuts[0]: give a field of the list item, not the item",
        ),
        (
            "staffing.cuts[0].share=2",
            "--set: staffing.cuts[0].share: Input should be less than or equal to 1 (got 2)",
        ),
    ],
)
def test_set_on_list_items_reports_mistakes(setting, line):
    assert problems(CUT, [setting]) == [line]


# --- hostile files: bounded reading, one line naming the file and key ---------------------------


def _extends(tmp_path, target: str) -> Path:
    path = tmp_path / "child.toml"
    path.write_text(f"extends = {target!r}\n".replace("'", '"'))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: os.mkfifo(d / "fifo") or "fifo", "not a regular file (a named pipe)"),
        (lambda d: "/dev/zero", "not a regular file (a character device)"),
        (lambda d: (d / "dir").mkdir() or "dir", "not a regular file (a directory)"),
        (
            lambda d: (d / "a").symlink_to(d / "b") or (d / "b").symlink_to(d / "a") or "a",
            "too many levels of symbolic links (a symlink loop?)",
        ),
        (
            lambda d: (d / "plain").write_text("x") and "plain/parent.toml",
            "a part of the path is a file, not a folder",
        ),
        (lambda d: "n" * 300 + ".toml", "file name too long"),
    ],
    ids=["fifo", "dev-zero", "directory", "symlink-loop", "through-a-file", "long-name"],
)
def test_extends_to_anything_but_a_regular_file_is_one_line_naming_the_key(tmp_path, make, reason):
    target = make(tmp_path)
    child = _extends(tmp_path, target)
    (line,) = problems(child)
    assert line.startswith(f"{child}: extends: {reason}: ")
    assert len(line) < 400  # a long name is cut short


def test_the_scenario_itself_may_be_a_fifo_and_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")
    assert problems(tmp_path / "fifo.toml") == [
        f"{tmp_path / 'fifo.toml'}: not a regular file (a named pipe)"
    ]


def test_a_nul_byte_in_extends_is_named_escaped(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text('extends = "a\\u0000b.toml"\n')
    assert problems(child) == [
        f"{child}: extends: the path contains a NUL byte: {tmp_path}/a\\x00b.toml"
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: file larger than the {MAX_FILE_BYTES:,}-byte limit")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a = " + "[" * 1000 + "]" * 1000, "line 1"),
        ("a = " + "{b = " * 1000 + "1" + "}" * 1000, "line 1"),
        (
            "x = 1\n" + ".".join(["a"] * 1000) + " = 1",
            "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a...",
        ),
        ("[" + ".".join(["t"] * 30) + "]\nv = 1", "t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t..."),
    ],
    ids=["arrays", "inline-tables", "dotted-key", "table-header"],
)
def test_nesting_beyond_the_limit_is_one_line_not_a_recursion_error(tmp_path, text, where):
    path = tmp_path / "deep.toml"
    path.write_text(text + "\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: {where}: nested more than {MAX_NESTING} levels deep")


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting(tmp_path):
    path = tmp_path / "brackets.toml"
    deep = "[" * 50
    path.write_text(f'description = "{deep}"\nteaching_notes = """\n{deep}\n"""\n# {deep}\n')
    assert load_scenario(path).description == deep


def test_an_extends_chain_longer_than_the_limit_is_one_line(tmp_path):
    for i in range(1000):
        text = f'extends = "c{i + 1}.toml"\n' if i < 999 else 'name = "root"\n'
        (tmp_path / f"c{i}.toml").write_text(text)
    (line,) = problems(tmp_path / "c0.toml")
    assert line.startswith(f"{tmp_path / f'c{MAX_EXTENDS - 1}.toml'}: extends: a chain of more")
    assert f"more than {MAX_EXTENDS} files" in line


def test_a_chain_at_the_limit_loads(tmp_path):
    for i in range(MAX_EXTENDS):
        text = f'extends = "c{i + 1}.toml"\n' if i < MAX_EXTENDS - 1 else 'name = "root"\n'
        (tmp_path / f"c{i}.toml").write_text(text)
    assert load_scenario(tmp_path / "c0.toml").name == "root"


def test_a_byte_order_mark_is_accepted_and_utf16_is_named(tmp_path):
    (tmp_path / "bom.toml").write_bytes(b'\xef\xbb\xbfname = "bom"\n')
    assert load_scenario(tmp_path / "bom.toml").name == "bom"
    (tmp_path / "u16.toml").write_bytes('name = "x"\n'.encode("utf-16"))
    assert problems(tmp_path / "u16.toml") == [
        f"{tmp_path / 'u16.toml'}: UTF-16 text; save the file as UTF-8"
    ]


def test_an_integer_too_long_to_convert_is_one_line_without_programmer_advice(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("[team]\nsocial_worker_posts = " + "9" * 5000 + "\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: invalid TOML: Exceeds the limit")
    assert "sys." not in line


def test_a_set_value_nested_too_deep_is_a_set_line():
    assert problems(DATA / "good.toml", ["demand.mix=" + "[" * 100 + "]" * 100]) == [
        f"--set: demand.mix: nested more than {MAX_NESTING} levels deep (caseload's limit, "
        "counting tables, arrays and the parts of dotted keys)"
    ]


def test_root_confines_the_file_and_its_extends_chain(tmp_path):
    inside = tmp_path / "scenarios"
    inside.mkdir()
    (tmp_path / "outside.toml").write_text('name = "outside"\n')
    child = inside / "child.toml"
    child.write_text('extends = "../outside.toml"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child, root=inside)
    assert caught.value.problems == [
        f"{child}: extends: only files under {inside} can be opened here "
        f"(got {tmp_path / 'outside.toml'})"
    ]
    assert load_scenario(child).name == "outside"  # the command line may extend anything


def test_validation_time_is_linear_in_unknown_keys(tmp_path):
    def seconds(n: int) -> float:
        path = tmp_path / f"unknown{n}.toml"
        path.write_text("".join(f"k{i} = 1\n" for i in range(n)))
        start = time.perf_counter()
        assert len(problems(path)) == n
        return time.perf_counter() - start

    seconds(500)  # warm up
    small, large = seconds(1000), seconds(8000)
    assert large < 8 * small * 2.5  # quadratic growth would be 64 times


# --- a value a flag replaces must still be valid in the file -------------------------------------


def test_a_malformed_days_in_the_file_is_an_error_even_when_a_flag_replaces_it(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[simulation]\ndays = "ten"\nreplications = 0\n')
    plain = problems(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, days=300, replications=2)
    assert [line.partition(";")[0] for line in caught.value.problems] == plain
    assert caught.value.problems[0].endswith(
        "; --days replaces it here, but the value must be valid in the file too"
    )
    assert [p.partition(";")[0] for p in problems(path, ["simulation.days=300"])][:1] == plain[:1]


def test_a_flag_may_still_change_a_valid_value_across_a_rule(tmp_path):
    path = tmp_path / "short.toml"
    path.write_text("[simulation]\ndays = 100\nwarmup_days = 50\n")
    assert (
        load_scenario(path, days=40, overrides=["simulation.warmup_days=10"]).simulation.days == 40
    )


def test_a_key_with_a_newline_stays_on_one_line(tmp_path):
    path = tmp_path / "newline.toml"
    path.write_text('[demand]\n"a\\nb" = 1\n')
    assert problems(path) == [f"{path}: demand.a\\nb: unknown key"]
    (line,) = problems(DATA / "good.toml", ["0\n0=1"])
    assert "\n" not in line and line.startswith("--set: 0\\n0: ")


def test_a_partial_table_amends_a_nested_default(tmp_path):
    """Writing one field of a nested default keeps the default's other settings.

    The recruitment delay is exponential with mean 460 days; setting only its mean must not
    turn it into a fresh lognormal duration (median 20 days) that keeps nothing but the mean.
    """
    config = load_scenario(BASELINE, ["staffing.recruitment.mean_days=400"])
    assert config.staffing.recruitment.kind == "exponential"
    assert config.staffing.recruitment.mean_days == 400.0
    path = tmp_path / "partial.toml"
    path.write_text(
        'extends = "' + str(BASELINE.resolve()) + '"\n[sickness.long_spell]\nmedian_days = 25\n'
    )
    spell = load_scenario(path).sickness.long_spell
    assert (spell.kind, spell.median_days, spell.min_days, spell.max_days) == (
        "lognormal",
        25.0,
        20.0,
        260.0,
    )
    # A table that names its kind still takes the rest from the default it amends.
    gamma = load_scenario(BASELINE, ['staffing.recruitment={kind = "gamma", mean_days = 300}'])
    assert (gamma.staffing.recruitment.kind, gamma.staffing.recruitment.mean_days) == ("gamma", 300)
