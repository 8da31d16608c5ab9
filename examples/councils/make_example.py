"""Build the synthetic council ``northmoor`` by simulating known teams and exporting their state.

Each of the twelve teams is a one-team scenario with known referrals a day (and the baseline's
leaving, recruitment and sickness rates); it is simulated for two working years and the second
year is exported in the health check's input format, as a council's workforce return and case
management system would give it: who is in post on the census date with the cases they hold,
who left in the year, sickness days, a monthly history of cases held, the team's referrals,
vacancies and overdue visits. ``known.json`` keeps the values used, so a test can check that the
health check recovers them. Family Support West is given far more referrals than its posts can
hold, so that it comes out over the benchmark.

Run from the repository root: ``.venv/bin/python examples/councils/make_example.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import date, timedelta
from pathlib import Path

from sim.engine.run import run
from sim.experiments.validation import social_workers_only
from sim.healthcheck.data import HISTORY_COLUMNS
from sim.healthcheck.fit import SERVICE_MIX, mean_open_days
from sim.scenario.schema import (
    WORKING_DAYS_PER_YEAR,
    Demand,
    Scenario,
    Simulation,
    Support,
    Team,
)

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 9, 30)
DAYS = 2 * WORKING_DAYS_PER_YEAR
SEED = 20261201

#: name, service, posts, target cases per FTE in post, admin FTE, SWA FTE, own benchmark
TEAMS = (
    ("Front Door", "children", 8, 14.0, 1.0, 0.0, None),
    ("Assessment North", "children", 7, 15.0, 0.0, 0.0, None),
    ("Assessment South", "children", 7, 16.0, 0.5, 0.0, None),
    ("Family Support East", "children", 6, 15.0, 0.0, 1.0, None),
    ("Family Support West", "children", 6, 25.0, 0.0, 0.0, None),
    ("Child Protection", "children", 6, 14.0, 0.5, 0.0, 16.0),
    ("Children in Care", "children", 7, 15.0, 0.0, 1.0, None),
    ("Hospital Discharge", "adults", 6, 17.0, 1.0, 0.0, 20.0),
    ("Adults Review North", "adults", 6, 16.0, 0.0, 1.0, None),
    ("Adults Review South", "adults", 5, 15.0, 0.0, 0.0, None),
    ("Learning Disability", "adults", 5, 14.0, 0.5, 0.0, None),
    ("Mental Health", "adults", 5, 15.0, 0.0, 0.0, None),
)

#: The baseline's share of posts filled on day 0 times its mean FTE, to turn a target caseload
#: per FTE in post into referrals a day.
FTE_PER_POST = 0.83 * 0.96


def model_date(day: int) -> date:
    """The calendar date of a model day; the last day of the run is the census date."""
    return AS_OF - timedelta(days=round((DAYS - 1 - day) * 365 / WORKING_DAYS_PER_YEAR))


def scenario(index: int) -> Scenario:
    """Team ``index`` as a one-team scenario with its known demand."""
    name, service, posts, per_fte, admin, swa, _ = TEAMS[index]
    mix = SERVICE_MIX[service]
    referrals = per_fte * posts * FTE_PER_POST / mean_open_days(mix)
    return Scenario(
        name=f"northmoor-{name.lower().replace(' ', '-')}",
        simulation=Simulation(
            days=DAYS, warmup_days=WORKING_DAYS_PER_YEAR, initial_cases_per_fte=per_fte
        ),
        team=Team(social_worker_posts=posts),
        demand=Demand(referrals_per_day=round(referrals, 4), mix=mix),
        support=Support(admin_staff=admin, swa_staff=swa),
    )


def export(out: Path) -> None:
    """Simulate every team and write ``workers.csv``, ``teams.csv`` and ``known.json``."""
    worker_rows, team_rows, known = [], [], {"as_of": AS_OF.isoformat(), "teams": {}}
    year_start = DAYS - WORKING_DAYS_PER_YEAR
    month_ends = [year_start + round((m + 1) * WORKING_DAYS_PER_YEAR / 12) - 1 for m in range(12)]
    serial = 0
    for index, (name, service, posts, _, admin, swa, benchmark) in enumerate(TEAMS):
        config = scenario(index)
        result = run(config, SEED + index, index)
        # A council's workforce return lists its social workers: the team manager's row (in the
        # worker tables since the manager under load is on by default) is not one of them.
        result.workers = social_workers_only(result.workers)
        days = social_workers_only(result.worker_days)
        last_year = days[days["day"] >= year_start]
        sick = last_year[last_year["status"] == "sick"].groupby("worker").size()
        for _, w in result.workers.iterrows():
            left = int(w["day_left"])
            if 0 <= left < year_start or int(w["day_started"]) >= DAYS:
                continue  # left before the year the files describe
            serial += 1
            history = days[days["worker"] == w["worker"]].set_index("day")["caseload"]
            in_post = left < 0
            years = (
                float(w["experience_years_at_start"])
                + ((min(left, DAYS) if left >= 0 else DAYS) - max(int(w["day_started"]), 0))
                / WORKING_DAYS_PER_YEAR
            )
            row = {
                "worker_id": f"NM{serial:04d}",
                "team": name,
                "role": "social_worker" if years < 8 else "senior",
                "fte": float(w["fte"]),
                "contract": "agency" if bool(w["is_agency"]) else "permanent",
                "start_date": model_date(max(int(w["day_started"]), -3000)).isoformat(),
                "years_qualified": round(years, 1),
                "cases_held": int(w["caseload_end"]) if in_post else "",
                "weighted_cases": (
                    round(
                        float(
                            days[(days["worker"] == w["worker"]) & (days["day"] == DAYS - 1)][
                                "weighted_caseload"
                            ].sum()
                        ),
                        1,
                    )
                    if in_post
                    else ""
                ),
                "sickness_days_12m": int(sick.get(w["worker"], 0)),
                "supervision_sessions_12m": "",
                "leave_date": "" if in_post else model_date(left).isoformat(),
                "leave_reason": "" if in_post else _reason(w),
            }
            for column, day in zip(HISTORY_COLUMNS, month_ends, strict=True):
                row[column] = int(history[day]) if day in history.index else ""
            worker_rows.append(row)
        for role, fte in (("manager", 1.0), ("admin", admin), ("swa", swa)):
            if fte:
                serial += 1
                worker_rows.append(
                    {
                        "worker_id": f"NM{serial:04d}",
                        "team": name,
                        "role": role,
                        "fte": fte,
                        "contract": "permanent",
                        "start_date": model_date(-400 - 37 * index).isoformat(),
                        "sickness_days_12m": 0,
                    }
                )
        daily = result.daily.set_index("day")
        vacant = posts - sum(
            1
            for _, w in result.workers.iterrows()
            if int(w["day_left"]) < 0 and not bool(w["is_agency"])
        )
        team_rows.append(
            {
                "team": name,
                "service": service,
                "establishment_fte": posts,
                "vacancies_fte": vacant,
                "referrals_12m": int(daily.loc[year_start:, "referrals"].sum()),
                "visits_overdue": int(daily.loc[DAYS - 1, "overdue_visits"]),
                "caseload_benchmark": benchmark if benchmark is not None else "",
            }
        )
        known["teams"][name] = {
            "referrals_per_day": config.demand.referrals_per_day,
            "service": service,
            "seed": SEED + index,
        }
    known["leave_rate_per_year"] = Scenario().staffing.leave_rate_per_year
    known["recruitment_mean_days"] = Scenario().staffing.recruitment.mean_days
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "workers.csv", worker_rows)
    _write_csv(out / "teams.csv", team_rows)
    (out / "known.json").write_text(json.dumps(known, indent=2) + "\n")


def _reason(worker) -> str:
    reason = str(worker["left_reason"])
    return {"left": "resignation", "agency cover ended": "end of assignment"}.get(reason, reason)


def _write_csv(path: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "northmoor")
    export(parser.parse_args().out)
