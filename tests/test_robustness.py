"""``caseload robustness``: sign counts, the parameter sets, the pairing, the command and its doc.

The sign-count tests build effect tables whose counts are known by hand. The command runs end to
end on a tiny configuration (two parameter sets, two replications, 120 days), resumes from a
journal an interrupted run left, and the slow test reruns the command ``docs/robustness.md``
names and holds its generated part to what the command writes.
"""

from __future__ import annotations

import json
import math
import re
import shlex

import numpy as np
import pandas as pd
import pytest

from sim.experiments import robustness as rb
from sim.scenario.catalogue import repo_root
from sim.scenario.loading import ScenarioError
from tests.conftest import caseload

NAN = math.nan
WARMUP = "simulation.warmup_days=40"
TINY = ("--sets", "2", "--reps", "2", "--days", "120", "--set", WARMUP)


# --- sign counts on hand-built effects ----------------------------------------------------------


def _effects(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    """(comparison, outcome, diff_mean, ci_low, ci_high) rows as ``effects_table`` writes them."""
    frame = pd.DataFrame(rows, columns=["comparison", "outcome", "diff_mean", "lo", "hi"])
    return frame.rename(columns={"lo": "diff_ci95_low", "hi": "diff_ci95_high"})


def test_sign_counts_count_each_sign_and_the_sure_ones():
    effects = _effects(
        [
            ("cut", "serious_incidents", 2.0, 0.5, 3.5),  # higher, sure
            ("cut", "serious_incidents", 1.0, -1.0, 3.0),  # higher, not sure
            ("cut", "serious_incidents", -3.0, -5.0, -1.0),  # lower, sure
            ("cut", "serious_incidents", 0.0, NAN, NAN),  # unchanged
            ("cut", "serious_incidents", NAN, NAN, NAN),  # undefined: not counted
            ("cap", "staff_cost_total", -1.0, -2.0, 0.0),  # lower; touches 0: not sure
        ]
    )
    signs = rb.sign_counts(effects)
    assert list(signs["comparison"]) == ["cut", "cap"]  # first-seen order kept
    cut = signs.iloc[0]
    assert (cut["sets"], cut["higher"], cut["lower"], cut["unchanged"]) == (4, 2, 1, 1)
    assert (cut["higher_sure"], cut["lower_sure"]) == (1, 1)
    assert (cut["effect_min"], cut["effect_max"]) == (-3.0, 2.0)
    assert cut["effect_median"] == 0.5 and cut["effect_mean"] == 0.0
    cap = signs.iloc[1]
    assert (cap["sets"], cap["lower"], cap["lower_sure"], cap["higher"]) == (1, 1, 0, 0)


def test_sign_counts_of_an_outcome_undefined_everywhere_are_empty():
    signs = rb.sign_counts(_effects([("cut", "leavers", NAN, NAN, NAN)] * 3))
    row = signs.iloc[0]
    assert row["sets"] == 0 and row["higher"] == row["lower"] == 0
    assert math.isnan(row["effect_median"])
    assert rb.sign_sentence(row) == "undefined in every parameter set"


@pytest.mark.parametrize(
    ("counts", "better", "expected"),
    [
        (
            (16, 14, 2, 0, 9, 0, 1.0),
            "lower",
            "higher (worse) in 14 of 16 parameter sets (9 sure), lower in 2 (0 sure)",
        ),
        ((16, 3, 13, 0, 0, 5, -1.0), "lower", "lower (better) in 13 of 16 parameter sets (5 sure), "
         "higher in 3 (0 sure)"),
        ((4, 2, 2, 0, 0, 0, -0.5), "neither", "lower in 2 of 4 parameter sets (0 sure), higher "
         "in 2 (0 sure)"),  # a tie: the mean's sign first
        ((4, 0, 0, 4, 0, 0, 0.0), "lower", "unchanged in all 4 parameter sets"),
        ((5, 4, 0, 1, 4, 0, 1.0), "higher", "higher (better) in 4 of 5 parameter sets (4 sure), "
         "unchanged in 1"),
    ],
)  # fmt: skip
def test_sign_sentence(counts, better, expected):
    keys = ("sets", "higher", "lower", "unchanged", "higher_sure", "lower_sure", "effect_mean")
    assert rb.sign_sentence(dict(zip(keys, counts, strict=True)), better) == expected


# --- the parameter sets and the pairing ---------------------------------------------------------


def test_parameter_sets_are_a_latin_hypercube_over_the_registered_ranges():
    parameters = rb.uncertain_parameters()
    assert {p.key for p in parameters} >= {
        "demand.referrals_per_day",
        "wellbeing.burnout_threshold",
        "risk.incident_overdue_log_ratio",
        "risk.unmonitored_drift_per_day",
    }
    n = 8
    sets = rb.parameter_sets(parameters, n, seed=3)
    assert list(sets.columns) == [p.key for p in parameters] and len(sets) == n
    for p in parameters:
        low, high = p.range
        strata = np.floor((sets[p.key].to_numpy() - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n)), f"{p.key}: not one point per stratum"
    pd.testing.assert_frame_equal(sets, rb.parameter_sets(parameters, n, seed=3))
    assert not sets.equals(rb.parameter_sets(parameters, n, seed=4))


def test_each_lever_is_paired_with_the_scenario_it_extends():
    pairs = {p.lever.stem: p.base.stem for p in rb.headline_pairings()}
    assert pairs == {
        "staffing_cut_10pct": "service_area",
        "caseload_cap": "baseline",
        "admin_support": "baseline",
    }


def test_a_lever_that_extends_nothing_has_no_base(tmp_path):
    lever = tmp_path / "lever.toml"
    lever.write_text('name = "alone"\n')
    with pytest.raises(ScenarioError, match="must extend its base scenario"):
        rb.paired_base(lever)


def test_every_set_gives_both_scenarios_of_a_pair_the_same_values_and_seeds():
    plan = rb.plan_robustness(
        rb.headline_pairings()[:2],
        3,
        replications=2,
        days=120,
        settings=["simulation.warmup_days=40"],
    )
    assert len(plan.configs) == 2 * 3 * 2
    key = "risk.incident_overdue_log_ratio"
    for pairing in range(2):
        for set_ in range(3):
            base = plan.configs[plan.point(pairing, set_, 0)]
            lever = plan.configs[plan.point(pairing, set_, 1)]
            assert base.risk.incident_overdue_log_ratio == lever.risk.incident_overdue_log_ratio
            assert base.risk.incident_overdue_log_ratio == plan.sets.loc[set_, key]
            assert base.simulation.seed == lever.simulation.seed == plan.master_seed
    assert plan.configs[plan.point(0, 0, 0)].team.n_teams == 5  # the cut's own base
    assert plan.configs[plan.point(1, 0, 0)].team.n_teams == 1
    assert plan.distinct_runs() == len(plan.specs())  # no base shared between these two


def test_an_uncertain_parameter_set_on_the_command_line_is_held_not_sampled():
    pairs = rb.headline_pairings()[1:2]
    held = "wellbeing.burnout_threshold"
    plan = rb.plan_robustness(pairs, 2, replications=2, days=120, settings=[WARMUP, f"{held}=0.6"])
    assert held not in plan.sets.columns and held not in [p.key for p in plan.parameters]
    assert len(plan.parameters) == len(rb.uncertain_parameters()) - 1
    assert {c.wellbeing.burnout_threshold for c in plan.configs} == {0.6}


# --- the generated part of the doc --------------------------------------------------------------


def test_replace_generated_keeps_the_hand_written_text():
    block = f"{rb.GENERATED_START}\nnew\n{rb.GENERATED_END}\n"
    doc = f"# Title\n\nintro\n\n{rb.GENERATED_START}\nold\n{rb.GENERATED_END}\n\n## Reading\n"
    assert rb.replace_generated(doc, block) == f"# Title\n\nintro\n\n{block}\n## Reading\n"
    assert rb.replace_generated("", block) == block
    assert rb.replace_generated("# Title\n", block) == f"# Title\n\n{block}"


# --- the command --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """``caseload robustness`` at two sets × two replications × 120 days, run once."""
    out = tmp_path_factory.mktemp("robustness") / "out"
    return caseload("robustness", *TINY, "--workers", "1", "--out", str(out)), out


def test_command_end_to_end_writes_its_files(tiny_run):
    done, out = tiny_run
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        "effects.parquet",
        "signs.parquet",
        "parameter_sets.parquet",
        "runs.parquet",
        "robustness.md",
    }
    assert (manifest["parameter_sets"], manifest["replications"]) == (2, 2)
    assert manifest["runs"] == 20  # 3 pairs × 2 sets × 2 sides × 2 reps, the shared base once
    effects = pd.read_parquet(out / "effects.parquet")
    assert len(effects) == 3 * 2 * len(rb.OUTCOMES)
    signs = pd.read_parquet(out / "signs.parquet")
    assert len(signs) == 3 * len(rb.OUTCOMES)
    assert (signs["higher"] + signs["lower"] + signs["unchanged"] == signs["sets"]).all()
    admin_cost = signs[
        (signs["comparison"] == "admin_support vs baseline")
        & (signs["outcome"] == "staff_cost_total")
    ].iloc[0]
    assert admin_cost["higher"] == 2  # an administrator is paid in every parameter set
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 3 * 2 * 2 * 2 and {"burnout_prevalence", "vacancy_rate"} <= set(runs)
    cap = runs[runs["comparison"] == "caseload_cap vs baseline"]
    admin = runs[runs["comparison"] == "admin_support vs baseline"]
    base_cols = ["set", "replication", "serious_incidents", "burnt_out_workers"]
    pd.testing.assert_frame_equal(  # the shared base is the same runs in both comparisons
        cap[cap["side"] == "base"][base_cols].reset_index(drop=True),
        admin[admin["side"] == "base"][base_cols].reset_index(drop=True),
    )
    text = (out / "robustness.md").read_text()
    assert text.startswith(rb.GENERATED_START) and text.rstrip().endswith(rb.GENERATED_END)
    assert "caseload robustness --sets 2 --reps 2 --seed 20261125 --days 120" in text
    assert "2 replications of each scenario" in text
    assert not (out / ".robustness-journal.jsonl").exists()
    assert "Sign of each paired effect" in done.stdout


def test_command_resumes_from_an_interrupted_runs_journal(tmp_path, tiny_run):
    """Runs an interrupted command journaled are reused, and the outputs are the same."""
    from sim.cli.robustness import JOURNAL
    from sim.runs.batch import Journal, run_batch

    _, fresh = tiny_run
    out = tmp_path / "out"
    plan = rb.plan_robustness(
        rb.headline_pairings(), 2, replications=2, days=120, settings=[WARMUP]
    )
    run_batch(plan.specs()[:3], workers=1, journal=Journal(out / JOURNAL), keep_series=True)
    done = caseload("robustness", *TINY, "--workers", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Resuming: 3 of 24 runs saved by an interrupted robustness." in done.stdout
    assert json.loads((out / "manifest.json").read_text())["runs_reused"] == 3
    for name in ("effects.parquet", "signs.parquet", "runs.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(fresh / name))
    assert (out / "robustness.md").read_text() == (fresh / "robustness.md").read_text()


def test_interrupt_exits_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import sim.runs.batch
    from sim.cli.main import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(repo_root())
    monkeypatch.setattr(sim.runs.batch, "run_batch", interrupted)
    out = tmp_path / "out"
    assert main(["robustness", *TINY, "--quiet", "--out", str(out)]) == 130
    assert "the same command resumes from them" in capsys.readouterr().err
    assert not (out / "robustness.md").exists() and not (out / "manifest.json").exists()


def test_too_few_sets_is_one_line_and_exit_2():
    done = caseload("robustness", "--sets", "1")
    assert done.returncode == 2
    assert "--sets: must be at least 2, so a sign can be counted over sets (got 1)" in done.stderr
    assert "Traceback" not in done.stderr


# --- the docs -----------------------------------------------------------------------------------


def _generated(text: str) -> str:
    start, end = text.index(rb.GENERATED_START), text.index(rb.GENERATED_END)
    return text[start : end + len(rb.GENERATED_END)]


def test_validation_doc_links_the_robustness_doc():
    doc = (repo_root() / "docs" / "validation.md").read_text(encoding="utf-8")
    assert "(robustness.md)" in doc
    assert (repo_root() / "docs" / "robustness.md").is_file()


@pytest.mark.slow
def test_docs_robustness_md_is_what_the_command_writes(run_caseload, tmp_path):
    """Rerun the command the doc names; its generated part must be exactly what it writes."""
    doc = (repo_root() / "docs" / "robustness.md").read_text(encoding="utf-8")
    found = re.search(r"Written by `(caseload robustness[^`]*)`", doc)
    assert found, "docs/robustness.md does not name the command that wrote it"
    words = shlex.split(found.group(1))[2:]
    out = tmp_path / "out"
    done = run_caseload("robustness", *words, "--out", str(out), "--quiet", timeout=3600)
    assert done.returncode == 0, done.stderr
    assert _generated((out / "robustness.md").read_text(encoding="utf-8")) == _generated(doc), (
        f"docs/robustness.md is stale; run `{found.group(1)} --write-docs`"
    )
