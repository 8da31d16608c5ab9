"""The health-check report a director can sign off, and the tables of every figure in it.

HTML first (a one-page summary: headline rating by team, the three pressure points, the
recommended actions with their cost; then a page per team; then the method and assumptions),
printed to an A4 PDF through the project's one PDF function (``sim.outputs.pdf``), with every
figure also written as Parquet beside it and each team's built scenario as TOML, so
``caseload run`` and the dashboard open them. All files are written at once, atomically, with a
manifest. Nothing of the input is written except aggregates and the pseudonymised ids (the
scenarios name the workers by them).
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.healthcheck.check import HealthCheck, LeverResult
from sim.healthcheck.fit import team_demand
from sim.healthcheck.forward import FORECAST_METRICS, Outcome, slug
from sim.healthcheck.picture import RULES, TeamPicture, turnover_interval
from sim.healthcheck.standards import FIGURES, MEASURE_LABELS
from sim.outputs.files import write_directory, write_parquet
from sim.scenario.loading import scenario_to_toml

COLOURS = {"red": "#c62828", "amber": "#ef8f00", "green": "#2e7d32", "n/a": "#777"}


# --- the PDF: one switch ------------------------------------------------------------------------


def print_pdf(page: str, path: Path) -> str | None:
    """Print ``page`` to an A4 PDF at ``path`` with the project's PDF function.

    Returns None when printed, else the reason it was not (one line, with the fix), so the
    report is still written as HTML.
    """
    try:
        from sim.outputs.pdf import PdfError, html_to_pdf
    except ImportError:
        return "no PDF: this build has no shared PDF printer (sim.outputs.pdf); the HTML is written"
    try:
        html_to_pdf(page, path)
    except PdfError as exc:
        return f"no PDF: {exc}"
    return None


# --- tables -------------------------------------------------------------------------------------


def tables(check: HealthCheck) -> dict[str, pd.DataFrame]:
    """Every figure of the report as a table."""
    today = pd.DataFrame([_today_row(p) for p in [*check.pictures.values(), *check.services]])
    ratings = pd.DataFrame(
        [
            {
                "team": p.team,
                "measure": r.measure,
                "label": r.label,
                "value": float(r.value),
                "compared_with": r.reference,
                "compared_with_note": r.reference_note,
                "rating": r.rating,
                "rule": RULES["workforce"] if r.measure.endswith("_rate") else RULES[r.measure],
            }
            for p in [*check.pictures.values(), *check.services]
            for r in p.rated
        ]
    )
    found = {"today_teams": today, "today_ratings": ratings}
    if check.months > 0:
        found["fit"] = _fit_table(check)
        found["forecast"] = pd.DataFrame(
            [_forecast_row(name, o, check) for name, o in check.outcomes.items()]
        )
        found["levers"] = pd.DataFrame(
            [
                _lever_row(name, result, check)
                for name, results in check.levers.items()
                for result in results
            ],
            columns=_LEVER_COLUMNS,
        )
    found["comparators"] = pd.DataFrame([f.__dict__ for f in FIGURES])
    return found


def _today_row(p: TeamPicture) -> dict[str, Any]:
    low, high = turnover_interval(p)
    return {
        "team": p.team,
        "service": p.service,
        "headline_rating": p.headline,
        "benchmark_cases_per_fte": p.benchmark,
        "benchmark_source": p.benchmark_source,
        "social_workers": p.social_workers,
        "case_holding_fte": p.case_holding_fte,
        "cases_held": p.cases_held,
        "caseload_per_fte": p.caseload_per_fte,
        "weighted_caseload_per_fte": p.weighted_per_fte,
        "workers_above_benchmark": p.workers_above,
        "worker_days_above_benchmark": p.worker_days_above,
        "worker_days_in_post": p.worker_days_in_post,
        "establishment_fte": p.establishment_fte,
        "vacancies_fte": p.vacancies_fte,
        "agency_fte": p.agency_fte,
        "permanent_leavers_12m": p.permanent_leavers,
        "permanent_years_in_post": p.permanent_years,
        "turnover_rate": p.turnover,
        "turnover_ci95_low": low,
        "turnover_ci95_high": high,
        "sickness_absence_rate": p.absence_rate,
        "supervised_monthly_share": p.supervision_share,
        "visits_overdue": p.visits_overdue,
        "referrals_12m": p.referrals_12m,
    }


def _fit_table(check: HealthCheck) -> pd.DataFrame:
    fit = check.fit
    rows = []
    teams = {t.team: t for t in check.data.teams}
    for name, f in fit.teams.items():
        for parameter, estimate in (
            ("referrals per working day (fitted)", f.referrals_per_day),
            ("referrals per working day (counted)", f.counted),
            (
                "referrals per working day (caseload / mean days open)",
                team_demand(check.data, teams[name]),
            ),
        ):
            rows.append(_estimate_row(name, parameter, estimate))
    for parameter, estimate in (
        ("turnover, permanent leavers a year (observed)", fit.rates.turnover),
        ("base leaving hazard a year (fitted)", fit.leave_rate_per_year),
        ("mean recruitment delay, working days (fitted)", fit.recruitment_mean_days),
    ):
        rows.append(_estimate_row("council", parameter, estimate))
    rows.append(
        {
            "team": "council",
            "parameter": "sickness spell rates x (fitted)",
            "value": fit.sickness_scale,
            "ci95_low": math.nan,
            "ci95_high": math.nan,
            "basis": f"absence {fit.rates.absence_rate:.1%} observed / the baseline's 3.2%",
        }
    )
    return pd.DataFrame(rows)


def _estimate_row(team: str, parameter: str, estimate: Any) -> dict[str, Any]:
    return {
        "team": team,
        "parameter": parameter,
        "value": estimate.value,
        "ci95_low": estimate.low,
        "ci95_high": estimate.high,
        "basis": estimate.basis,
    }


def _forecast_row(name: str, outcome: Outcome, check: HealthCheck) -> dict[str, Any]:
    low, high = outcome.breach_interval()
    months = outcome.months_to_breach[np.isfinite(outcome.months_to_breach)]
    row = {
        "team": name,
        "benchmark_cases_per_fte": check.pictures[name].benchmark,
        "months": check.months,
        "replications": int(outcome.breach.size),
        "breach_chance": outcome.breach_chance,
        "breach_ci95_low": low,
        "breach_ci95_high": high,
        "median_months_to_breach": float(np.median(months)) if months.size else math.nan,
        "mean_months_to_breach": float(np.mean(months)) if months.size else math.nan,
        "above_in_last_month_chance": outcome.end_above_chance,
        "forecast_rating": outcome.rating(),
    }
    for key, values in outcome.metrics.items():
        row.update(_interval_columns(key, values))
    return row


def _interval_columns(key: str, values: np.ndarray) -> dict[str, float]:
    from sim.healthcheck.forward import interval_dict, metric_bounds

    found = interval_dict(values, metric_bounds(key))
    return {key: found["mean"], f"{key}_ci95_low": found["low"], f"{key}_ci95_high": found["high"]}


_LEVER_COLUMNS = [
    "team",
    "lever",
    "description",
    "cost_per_year",
    "breach_chance",
    "breach_ci95_low",
    "breach_ci95_high",
    "above_in_last_month_chance",
    "brings_green",
    "moves_risk_to_waiting",
    "recommended",
    *[
        f"change_{key}{suffix}"
        for key in ["breach", "end_above", *FORECAST_METRICS, "burnt_out_workers"]
        for suffix in ("", "_ci95_low", "_ci95_high")
    ],
]


def _lever_row(name: str, result: LeverResult, check: HealthCheck) -> dict[str, Any]:
    low, high = result.outcome.breach_interval()
    chosen = check.recommended(name)
    row: dict[str, Any] = {
        "team": name,
        "lever": result.lever.key,
        "description": result.lever.label,
        "cost_per_year": result.lever.cost_per_year,
        "breach_chance": result.outcome.breach_chance,
        "breach_ci95_low": low,
        "breach_ci95_high": high,
        "above_in_last_month_chance": result.outcome.end_above_chance,
        "brings_green": result.brings_green,
        "moves_risk_to_waiting": result.moves_risk_to_waiting,
        "recommended": chosen is result,
    }
    for key, effect in result.effects.items():
        row[f"change_{key}"] = effect["mean"]
        row[f"change_{key}_ci95_low"] = effect["low"]
        row[f"change_{key}_ci95_high"] = effect["high"]
    return row


# --- the HTML -----------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111;
       max-width: 186mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 5mm 0 2mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; table-layout: fixed; }
th, td { border-bottom: 1px solid #ccc; padding: 1.2mm 1.5mm; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; font-weight: bold; }
td.num { text-align: right; }
table.levers { font-size: 8.5pt; }
.rag { display: inline-block; min-width: 14mm; padding: 0.4mm 1.5mm; border-radius: 2mm;
       color: white; font-weight: bold; text-align: center; }
.page { break-before: page; }
.note { color: #444; font-size: 9pt; }
ol li, ul li { margin-bottom: 1mm; }
"""


def render_html(check: HealthCheck, pdf_note: str | None = None) -> str:
    """The whole report as one self-contained HTML page."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Social work health check</title>",
        f"<style>{CSS}</style></head><body>",
        _summary(check, pdf_note),
    ]
    parts += [_team_page(check, name) for name in check.pictures]
    parts.append(_method(check))
    parts.append("</body></html>")
    return "\n".join(parts)


def _e(text: Any) -> str:
    return html.escape(str(text))


def _rag(rating: str) -> str:
    colour = COLOURS.get(rating, "#777")
    return f"<span class='rag' style='background:{colour}'>{_e(rating.upper())}</span>"


def _table(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    css_class: str = "",
) -> str:
    """A table; cells are HTML already escaped by the caller; ``numeric`` columns right-aligned."""
    opening = f"<table class='{css_class}'>" if css_class else "<table>"
    out = [opening, "<thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        cells = [
            f"<td class='num'>{cell}</td>" if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def pct(value: float | None, digits: int = 0) -> str:
    """A share as a percentage, or a dash."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.{digits}f}%"


def num(value: float | None, digits: int = 1) -> str:
    """A number with thousands separators, or a dash."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.{digits}f}"


def money(value: float) -> str:
    """Pounds, whole."""
    return "£0" if value == 0 else f"£{value:,.0f}"


def _interval(mean: float, low: float, high: float, fmt: Any = num) -> str:
    if not math.isfinite(low) or not math.isfinite(high):
        return fmt(mean)
    return f"{fmt(mean)} ({fmt(low)} to {fmt(high)})"


def _summary(check: HealthCheck, pdf_note: str | None) -> str:
    data = check.data
    rows = []
    for name, p in check.pictures.items():
        row = [
            _e(name),
            _e(p.service),
            f"{num(p.caseload_per_fte)} / {num(p.benchmark, 0)}",
            _rag(p.headline),
        ]
        if check.months > 0:
            o = check.outcomes[name]
            row += [pct(o.breach_chance), _rag(o.rating())]
        rows.append(row)
    head = ["Team", "Service", "Cases per FTE / benchmark", "Today"]
    if check.months > 0:
        head += [f"Chance of a breach in {check.months} months", "Next months"]
    parts = [
        "<section>",
        "<h1>Social work health check: summary</h1>",
        f"<p class='note'>From the council's workforce and team files as at {_e(data.as_of)}: "
        f"{len(data.teams)} teams, {sum(p.social_workers for p in check.pictures.values())} "
        "social workers in post. LGA Standards for Employers of Social Workers: Standard 2 "
        "(workforce planning), 3 (safe workloads) and 5 (supervision).</p>",
        "<h2>Rating by team</h2>",
        _table(head, rows, numeric=(2,)),
        "<h2>Three pressure points</h2><ol>",
        *(f"<li>{_e(text)}</li>" for text in pressure_points(check)),
        "</ol>",
    ]
    actions = recommended_actions(check)
    if check.months > 0:
        parts.append("<h2>Recommended actions</h2>")
        if actions:
            parts.append("<ul>" + "".join(f"<li>{_e(a)}</li>" for a in actions) + "</ul>")
            total = sum(r.lever.cost_per_year for r in _recommendations(check))
            parts.append(f"<p>Total cost of these actions: {_e(money(total))} a year.</p>")
        else:
            parts.append("<p>No team is red: no action is needed to bring a team to green.</p>")
    if pdf_note:
        parts.append(f"<p class='note'>{_e(pdf_note)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def pressure_points(check: HealthCheck) -> list[str]:
    """The three largest pressures, each as a plain sentence, worst first."""
    found: list[tuple[float, str]] = []
    for name, p in check.pictures.items():
        ratio = p.caseload_per_fte / p.benchmark if p.benchmark else 0.0
        above = (
            f"; {p.workers_above} of {p.social_workers} social workers hold more"
            if p.workers_above
            else ""
        )
        text = (
            f"{name}: {num(p.caseload_per_fte)} cases per FTE against a benchmark of "
            f"{num(p.benchmark, 0)}{above}"
        )
        if check.months > 0:
            o = check.outcomes[name]
            text += f"; a {pct(o.breach_chance)} chance of breaching it in {check.months} months"
            ratio = max(ratio, 1.0 + o.breach_chance if o.breach_chance >= 0.5 else 0.0)
        found.append((ratio, text + "."))
    for p in check.services:
        for r in p.rated:
            if r.measure.endswith("_rate") and r.reference and r.rating != "green":
                found.append(
                    (
                        r.value / r.reference,
                        f"{p.team}: {r.label} {pct(r.value, 1)} against "
                        f"{pct(r.reference, 1)} ({r.reference_note}).",
                    )
                )
    found.sort(key=lambda item: -item[0])
    return [text for _, text in found[:3]]


def _recommendations(check: HealthCheck) -> list[LeverResult]:
    return [r for name in check.levers if (r := check.recommended(name)) is not None]


def recommended_actions(check: HealthCheck) -> list[str]:
    """For each red team, the recommended lever with its cost and effect, in words."""
    actions = []
    for name in check.levers:
        result = check.recommended(name)
        if result is None:
            continue
        base = check.outcomes[name]
        effect = result.effects["caseload_per_fte_mean"]
        verdict = (
            "brings it to green"
            if result.brings_green
            else "is the most effective lever tried but does not bring it to green"
        )
        actions.append(
            f"{name}: {result.lever.label}, {money(result.lever.cost_per_year)} a year. It "
            f"{verdict}: the chance of a breach goes from {pct(base.breach_chance)} to "
            f"{pct(result.outcome.breach_chance)} and of being over it in the last month from "
            f"{pct(base.end_above_chance)} to {pct(result.outcome.end_above_chance)}; cases per "
            f"FTE change by {_interval(effect['mean'], effect['low'], effect['high'])}."
        )
    return actions


def _team_page(check: HealthCheck, name: str) -> str:
    p = check.pictures[name]
    parts = [
        "<section class='page'>",
        f"<h1>{_e(name)} {_rag(p.headline)}</h1>",
        f"<p class='note'>{_e(p.service.capitalize())}'s services. Benchmark "
        f"{num(p.benchmark, 0)} cases per FTE: {_e(p.benchmark_source)}.</p>",
        "<h2>Today</h2>",
        _table(
            ["Measure", "Value", "Compared with", "Rating"],
            [
                [_e(r.label), _value(r.measure, r.value), _reference(r), _rag(r.rating)]
                for r in p.rated
            ],
            numeric=(1,),
        ),
    ]
    if check.months > 0:
        o = check.outcomes[name]
        low, high = o.breach_interval()
        months = o.months_to_breach[np.isfinite(o.months_to_breach)]
        rows = [
            [
                "chance of breaching the benchmark in some week",
                _e(_interval(o.breach_chance, low, high, pct)),
            ],
            [
                "months until the first breach, in the runs that breach: mean (median)",
                _e(f"{num(float(np.mean(months)))} ({num(float(np.median(months)))})")
                if months.size
                else "no breach",
            ],
            ["chance of being over the benchmark in the last month", _e(pct(o.end_above_chance))],
        ]
        for key, label in {**FORECAST_METRICS, "burnt_out_workers": "workers in burnout"}.items():
            found = _interval_columns(key, o.metrics[key])
            fmt = pct if key in ("burnout_prevalence", "vacancy_rate") else num
            if key.endswith("_case_days"):
                fmt = _whole
            if key == "staff_cost_total":
                fmt = money
            rows.append(
                [
                    _e(label),
                    _e(
                        _interval(
                            found[key], found[f"{key}_ci95_low"], found[f"{key}_ci95_high"], fmt
                        )
                    ),
                ]
            )
        parts += [
            f"<h2>The next {check.months} months {_rag(o.rating())}</h2>",
            f"<p class='note'>{o.breach.size} simulated runs from today's staff and caseloads; "
            "mean with its 95% interval.</p>",
            _table(["Forecast", "Value"], rows, numeric=(1,)),
        ]
        if name in check.levers:
            chosen = check.recommended(name)
            lever_rows = []
            for r in check.levers[name]:
                effect = r.effects["caseload_per_fte_mean"]
                waiting = r.effects["unallocated_case_days"]
                lever_rows.append(
                    [
                        _e(r.lever.label) + (" <b>(recommended)</b>" if r is chosen else ""),
                        _e(money(r.lever.cost_per_year)),
                        _e(pct(r.outcome.breach_chance)) + " " + _rag(r.outcome.rating()),
                        _e(pct(r.outcome.end_above_chance)),
                        _e(_interval(effect["mean"], effect["low"], effect["high"])),
                        _e(_interval(waiting["mean"], waiting["low"], waiting["high"], _whole)),
                    ]
                )
            parts += [
                "<h3>What would bring it to green</h3>",
                _table(
                    [
                        "Action",
                        "Cost a year",
                        "Chance of a breach",
                        "Over it in the last month",
                        "Change in cases per FTE",
                        "Change in case-days waiting",
                    ],
                    lever_rows,
                    numeric=(1, 3, 4, 5),
                    css_class="levers",
                ),
                f"<p class='note'>Each action is simulated in {_lever_runs(check, name)} runs "
                "with the same random draws as the team's own first runs (paired), so the change "
                "is the action's effect. Recommended: the cheapest action that brings the chance "
                "of a breach below 20% without more cases waiting unallocated; if none does, of "
                "those that add no cases waiting, the one with the lowest chance of a breach, "
                "then of being over the benchmark in the last month, then the lowest caseload."
                "</p>",
            ]
    parts.append("</section>")
    return "\n".join(parts)


def _lever_runs(check: HealthCheck, name: str) -> int:
    return int(check.levers[name][0].outcome.breach.size)


def _whole(value: float) -> str:
    return num(value, 0)


def _value(measure: str, value: float) -> str:
    if measure.endswith("_rate") or measure == "supervision":
        return _e(pct(value, 1))
    if measure in ("workers_above", "overdue_visits", "worker_days_above"):
        return _e(num(value, 0))
    return _e(num(value))


def _reference(r: Any) -> str:
    if r.reference is None:
        return _e(r.reference_note)
    shown = pct(r.reference, 1) if r.reference < 1 else num(r.reference, 0)
    return _e(f"{shown} ({r.reference_note})")


def _method(check: HealthCheck) -> str:
    rules = [
        ("Caseload per FTE", RULES["caseload"]),
        ("Social workers above the benchmark", RULES["workers_above"]),
        ("Worker-days above the benchmark", RULES["worker_days_above"]),
        ("Overdue visits", RULES["overdue_visits"]),
        ("Workforce rates", RULES["workforce"]),
        ("Supervision", RULES["supervision"]),
        ("A team's rating today", RULES["headline"]),
        ("The next months", RULES["forecast"]),
    ]
    figures = [
        [
            _e(MEASURE_LABELS[f.measure]),
            _e(f.service),
            _e(f"{f.area} {f.year}"),
            _e(pct(f.value, 1) if f.value < 1 else num(f.value)),
            _e(f.source),
        ]
        for f in FIGURES
    ]
    parts = [
        "<section class='page'>",
        "<h1>Method and assumptions</h1>",
        "<h2>Ratings</h2>",
        _table(["Measure", "Rule"], [[_e(a), _e(b)] for a, b in rules]),
        "<p>Caseload per FTE is the DfE's definition: cases held by social workers and senior "
        "practitioners divided by the FTE of those holding at least one case. Turnover is "
        "permanent social workers leaving in the 12 months per year in post.</p>",
        "<h2>National and regional figures</h2>",
        "<table style='table-layout:auto'><thead><tr><th>Figure</th><th>Service</th>"
        "<th>Where, when</th><th>Value</th><th style='width:45%'>Source</th></tr></thead><tbody>",
        *("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in figures),
        "</tbody></table>",
    ]
    if check.months > 0:
        fit = check.fit
        parts += [
            "<h2>The simulation</h2>",
            "<p>Each team is simulated as it is: its posts, the social workers in post with their "
            "FTE, contract, years qualified and the cases they hold today, its managers, admin "
            "staff and social work assistants, and its vacant posts being recruited to. "
            f"{check.reps} runs per team over {check.months} months, seed {check.seed}. Three "
            "things are fitted by a short simulation from today's state (4 runs per team over 6 "
            "months at the national baseline's rates) and one proportional correction: the "
            "referral rate, so that the model holds today's caseload; the leaving rate, so that "
            "the model's "
            "permanent turnover is the council's; and the time to recruit, so that its vacancy "
            "rate is the council's. Sickness spells are scaled by the council's absence rate over "
            "the national baseline's 3.2%.</p>",
            _table(
                ["Fitted for the council", "Value", "Basis"],
                [
                    [
                        "turnover observed",
                        _e(
                            _interval(
                                fit.rates.turnover.value,
                                fit.rates.turnover.low,
                                fit.rates.turnover.high,
                                lambda v: pct(v, 1),
                            )
                        ),
                        _e(fit.rates.turnover.basis),
                    ],
                    [
                        "leaving rate (model)",
                        _e(
                            _interval(
                                fit.leave_rate_per_year.value,
                                fit.leave_rate_per_year.low,
                                fit.leave_rate_per_year.high,
                                lambda v: num(v, 3),
                            )
                        ),
                        _e(fit.leave_rate_per_year.basis),
                    ],
                    [
                        "mean time to recruit (working days)",
                        _e(
                            _interval(
                                fit.recruitment_mean_days.value,
                                fit.recruitment_mean_days.low,
                                fit.recruitment_mean_days.high,
                                _whole,
                            )
                        ),
                        _e(fit.recruitment_mean_days.basis),
                    ],
                    [
                        "sickness spells",
                        _e(f"x {fit.sickness_scale:.2f}"),
                        _e(
                            f"absence {pct(fit.rates.absence_rate, 1)} in the files, "
                            "3.2% in the national baseline"
                        ),
                    ],
                ],
                numeric=(1,),
            ),
            _table(
                ["Team", "Referrals a day: fitted", "Counted in 12 months"],
                [
                    [
                        _e(name),
                        _e(
                            _interval(
                                f.referrals_per_day.value,
                                f.referrals_per_day.low,
                                f.referrals_per_day.high,
                                lambda v: num(v, 2),
                            )
                        ),
                        _e(num(f.counted.value, 2)),
                    ]
                    for name, f in fit.teams.items()
                ],
                numeric=(1, 2),
            ),
            "<h2>Assumptions</h2><ul>"
            "<li>New children's referrals start as assessments and step up to child in need, "
            "protection or care as the model's national chain does; adults' are review cases. "
            "The files give no case mix.</li>"
            "<li>Today's stress of each worker is not known: every worker starts at the middle "
            "of the model's range.</li>"
            "<li>A breach is a week whose average caseload per FTE in post is above the "
            "benchmark.</li>"
            "<li>Costs are the model's salary-plus-on-cost figures; agency cover includes the "
            "agency premium.</li>"
            "<li>Small teams give few leavers in a year: the turnover and its fitted rates have "
            "wide intervals, shown above.</li></ul>",
        ]
    parts += [
        "<h2>How to reproduce</h2>",
        f"<p><code>caseload healthcheck DATA --as-of {_e(check.data.as_of)} --months "
        f"{check.months} --reps {check.reps} --seed {check.seed}"
        + (f" --region {_e(check.region)}" if check.region else "")
        + "</code>. Each team's built scenario is in <code>scenarios/</code> and runs with "
        "<code>caseload run</code>.</p>",
        "</section>",
    ]
    return "\n".join(parts)


# --- writing ------------------------------------------------------------------------------------


def write_report(
    check: HealthCheck,
    out_dir: str | os.PathLike[str],
    *,
    pdf: bool = True,
    command: Sequence[str] | None = None,
) -> tuple[dict[str, Path], str | None]:
    """Write the report, its tables and the built scenarios; returns the files and a PDF note."""
    found = tables(check)
    note = None
    pdf_bytes = None
    if pdf:
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "report.pdf"
            note = print_pdf(render_html(check), target)
            if note is None:
                pdf_bytes = target.read_bytes()
    page = render_html(check, note)
    writers: dict[str, Any] = {"report.html": _text_writer(page)}
    if pdf_bytes is not None:
        writers["report.pdf"] = lambda path: path.write_bytes(pdf_bytes)
    for name, frame in found.items():
        writers[f"tables/{name}.parquet"] = _frame_writer(frame)
    for name, config in check.configs.items():
        writers[f"scenarios/{slug(name)}.toml"] = _text_writer(scenario_to_toml(config))
    manifest = {
        "kind": "healthcheck",
        "as_of": check.data.as_of.isoformat(),
        "months": check.months,
        "replications": check.reps,
        "seed": check.seed,
        "region": check.region,
        "teams": len(check.data.teams),
    }
    return write_directory(out_dir, writers, manifest, command=command), note


def _text_writer(text: str) -> Any:
    return lambda path: path.write_text(text, encoding="utf-8")


def _frame_writer(frame: pd.DataFrame) -> Any:
    return lambda path: write_parquet(path, frame)
