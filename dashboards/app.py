"""Caseload dashboard: watch and steer a social work team, live, in the browser.

Start it with ``caseload dashboard`` (or ``solara run dashboards/app.py`` from the repository
root). The page frame is Solara's (app bar and sidebar); the run controls (Reset, Play/Pause,
Step, days per Step, play interval) are this module's, so that every value they receive is
checked on the server (``sim/dashboard/view_model.py``) like the levers' (Mesa's SolaraViz
controls hand a crafted slider value straight to the model). The model is
:class:`~sim.dashboard.view_model.DashboardModel`, a Mesa model; this module adds the scenario
picker, the lever controls generated from the scenario schema, compare mode, the team view and
the charts. See ``docs/dashboard.md``.

Every piece of state belongs to one browser session: the settings and the model live in Solara
reactive variables created inside :func:`Page`, so two people (or two tabs) never share a run.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import ipyvuetify
import numpy as np
import solara
import traitlets
from solara.alias import rv

from sim.dashboard.assets import ECHARTS_LIBRARY
from sim.dashboard.band import BAND_RUNS, ReplicationBand
from sim.dashboard.charts import RUN_COLOURS, line_chart
from sim.dashboard.classroom import CLASSROOM, Broadcast, find_class
from sim.dashboard.loops import loop_chart
from sim.dashboard.view_model import (
    DAYS_PER_TICK,
    DEFAULT_SCENARIO,
    LEVERS,
    LEVERS_BY_PATH,
    PLAY_INTERVAL_MS,
    RISK_SERIES,
    WORKFORCE_SERIES,
    DashboardModel,
    DashboardSettings,
    Lever,
    LeverChange,
    NotApplied,
    RunView,
    apply_widget_value,
    build_configs,
    checked_bool,
    checked_incident,
    days_per_tick,
    format_value,
    not_in_use,
    panel_request,
    parse_seed,
    pick_choice,
    play_interval_ms,
    readable_problem,
    resolve_scenario_path,
    restarts_run,
    scenario_choices,
    team_index,
    today_figures,
)
from sim.scenario.loading import ScenarioError

#: Environment variable ``caseload dashboard --scenario`` sets to preselect a scenario.
SCENARIO_ENV = "CASELOAD_DASHBOARD_SCENARIO"

#: What a control's handler asks for: new settings, or a function building them from the value
#: a widget reported (which raises :class:`NotApplied` for a value no widget would send).
Rebuild = Callable[[DashboardSettings | Callable[[], DashboardSettings]], bool]

_log = logging.getLogger("caseload.dashboard")

STATUS_STYLE = {
    "working": ("#2e7d32", "working"),
    "agency": ("#0277bd", "agency"),
    "burnt_out": ("#c62828", "burnt out"),
    "sick": ("#6a1b9a", "off sick"),
    "returning": ("#ef6c00", "returning from sickness"),
    "left": ("#5d4037", "left"),
    "vacant": ("#757575", "vacant"),
    "cut": ("#9e9e9e", "post cut"),
}

CSS = """
/* A projector layout: two columns (controls, then the run) from 900 px wide, one below that;
   the controls column stays on screen (sticky, its own scroll) while the run scrolls. Every
   box may shrink (min-width: 0) and long words wrap, so nothing is wider than its box. */
.cl-page { display: grid; grid-template-columns: 330px minmax(0, 1fr); gap: 16px;
           align-items: start; }
.cl-side { position: sticky; top: 0; max-height: calc(100vh - 24px); overflow-y: auto;
           overflow-x: hidden; display: flex; flex-direction: column; gap: 12px;
           padding-bottom: 12px; }
.cl-side > * { flex-shrink: 0; }
.cl-main { min-width: 0; display: flex; flex-direction: column; gap: 12px; }
@media (max-width: 899px) {
  .cl-page { grid-template-columns: minmax(0, 1fr); }
  .cl-side { position: static; max-height: none; }
}
.cl-title { font-size: 22px; font-weight: 500; margin: 0; }
.cl-row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.cl-row > .cl-today { flex: 1 1 340px; min-width: 0; max-width: 100%; }
.cl-row > .cl-chart-panels { flex: 3 1 520px; min-width: 0; display: flex;
                             flex-direction: column; gap: 12px; }
/* two team views side by side where both fit whole, else one above the other */
.cl-teams { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 640px), 1fr));
            gap: 12px; }
.cl-teams > * { min-width: 0; }
.cl-table { border-collapse: collapse; width: 100%; font-size: 15px; overflow-wrap: break-word; }
.cl-table th, .cl-table td { padding: 4px 5px; border-bottom: 1px solid #ddd; text-align: left; }
.cl-table th { background: #f3f5f8; font-weight: 600; overflow-wrap: normal; }
.cl-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cl-badge { color: white; border-radius: 10px; padding: 1px 8px; font-size: 13px;
            display: inline-block; }
.cl-bar { background: #eee; width: 60px; height: 12px; display: inline-block;
          vertical-align: middle; position: relative; }
.cl-bar span { display: block; height: 12px; }
.cl-bar i { position: absolute; top: -2px; height: 16px; border-left: 2px dashed #333; }
.manager-table { margin-bottom: 8px; }
.manager-table th { width: 150px; }
.cl-kpi td.num { font-size: 17px; font-weight: 600; }
.cl-watch { font-size: 16px; line-height: 1.45; }
.cl-watch ol { margin: 4px 0 0 24px; }
.cl-code { font-size: 28px; letter-spacing: 3px; font-family: monospace; }
.cl-share, .cl-following { font-size: 15px; line-height: 1.5; margin-bottom: 8px; }
.cl-restarts { font-size: 13px; color: #555; margin: -6px 0 8px 4px; }
.cl-change { color: #6a1b9a; font-weight: 600; }
.cl-unused { font-size: 13px; color: #8a4b00; margin: -6px 0 8px 4px; }
.cl-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr));
             gap: 12px; }
.cl-chart, .cl-loops { width: 100%; min-width: 0; }
.cl-loop-grid { display: grid; gap: 12px;
                grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); }
.cl-loop-key, .cl-band-note { font-size: 15px; margin: 0 0 4px 0; }
.v-card, .v-card-text, .v-card-title { min-width: 0; overflow-wrap: break-word; }
.v-card-title { white-space: normal; }
/* long lever names and scenario labels wrap instead of running under the control */
.cl-side .v-label { white-space: normal; overflow-wrap: break-word; }
/* a slider's label above its track (Vuetify puts it beside, in a grid, and does not wrap) */
.cl-side .v-slider.v-input--horizontal {
  grid-template-areas: "prepend prepend prepend" "control control append" "a messages b";
  grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) max-content; }
.cl-side .v-slider .v-input__prepend { margin-inline-end: 0; margin-bottom: 0; min-width: 0; }
.cl-lever { padding: 0 16px 0 4px; }  /* room for a slider's thumb at either end */
.cl-side .v-select .v-select__selection-text { white-space: normal; overflow: visible; }
.cl-incidents { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 0 0; }
.cl-incidents-note { font-size: 15px; margin: 8px 0 0 0; }
.cl-panel-frame { width: 100%; height: 72vh; border: 1px solid #ddd; background: white; }
.cl-legend { font-size: 16px; display: flex; flex-wrap: wrap; gap: 4px 20px; margin-bottom: 4px; }
.cl-legend i { display: inline-block; width: 28px; border-top: 4px solid; vertical-align: middle;
               margin-right: 6px; }
"""


def initial_scenario() -> tuple[str, str]:
    """The scenario to open with (from ``caseload dashboard --scenario``) and any problem."""
    wanted = os.environ.get(SCENARIO_ENV, "").strip()
    if not wanted:
        return DEFAULT_SCENARIO, ""
    try:
        resolve_scenario_path(wanted)
    except ValueError as exc:
        return DEFAULT_SCENARIO, f"{exc}; opened {DEFAULT_SCENARIO} instead"
    choice = next((c for c in scenario_choices() if c.path == wanted), None)
    if choice is not None and not choice.available:
        return DEFAULT_SCENARIO, f"{wanted}: {choice.reason}; opened {DEFAULT_SCENARIO} instead"
    return wanted, ""


# --- sidebar: scenario, seed, levers, compare ---------------------------------------------------


_WIDGETS = {"select": rv.Select, "checkbox": rv.Checkbox, "slider": rv.Slider}


@solara.component
def Guarded(kind: str, value: Any, on_raw: Callable[[Any], bool], **props: Any) -> Any:
    """A select, checkbox or slider that hands ``on_raw`` the value exactly as received.

    Solara's sliders call ``int()``/``float()`` on it first, so a crafted ``null`` or ``"abc"``
    would raise inside Solara before any check of ours. When ``on_raw`` refuses the value
    (returns False) the widget is set back to ``value``, the value in use.
    """
    widget = solara.use_ref(None)
    restoring = solara.use_ref(False)

    def handle(raw: Any) -> None:
        if restoring.current:  # the observer sees our own write-back: not a user's change
            return
        if on_raw(raw) is False and widget.current is not None:
            restoring.current = True
            try:
                widget.current.v_model = value
            finally:
                restoring.current = False

    if kind == "slider":
        props = {"thumb_label": True, "density": "default", "hide_details": True, **props}
    element = _WIDGETS[kind](v_model=value, on_v_model=handle, **props)

    def capture() -> None:
        widget.current = solara.get_widget(element)

    solara.use_effect(capture)
    return element


@solara.component
def SeedBox(seed: int | str, on_raw: Callable[[Any], bool], label: str = "Random seed") -> Any:
    """The seed box: its text goes to ``on_raw`` on Enter or on leaving the box.

    When ``on_raw`` refuses it (returns False) the box shows the seed in use again.
    """
    handler = solara.use_ref(on_raw)
    handler.current = on_raw
    in_use = solara.use_ref(str(seed))
    in_use.current = str(seed)
    element = rv.TextField(v_model=str(seed), label=label)

    def listen() -> Callable[[], None]:
        widget = solara.get_widget(element)

        def changed(source: Any, event: str, data: Any) -> None:
            if handler.current(source.v_model) is False:
                source.v_model = in_use.current

        for name in ("focusout", "keyup.enter"):
            widget.on_event(name, changed)

        def stop() -> None:
            for name in ("focusout", "keyup.enter"):
                widget.on_event(name, changed, remove=True)

        return stop

    solara.use_effect(listen, [])
    return element


@solara.component
def LeverControl(
    lever: Lever, value: Any, on_value: Any, key_prefix: str = "", unused: str = ""
) -> None:
    """One control drawn from the lever's schema field: select, checkbox or slider.

    ``on_value`` receives the widget's value unchecked; it must pass it through
    :func:`~sim.dashboard.view_model.apply_widget_value`. A lever that has no effect in the
    current run (``unused``: why) is drawn disabled, with the reason below it.
    """
    disabled = bool(unused)
    label = lever.label if lever.kind in ("choice", "bool") else f"{lever.label}: {value:g}"
    with solara.Tooltip(lever.help), solara.Div(classes=["cl-lever"]):
        if lever.kind == "choice":
            Guarded("select", str(value), on_value, label=label, disabled=disabled,
                    items=[str(c) for c in lever.choices])  # fmt: skip
        elif lever.kind == "bool":
            Guarded("checkbox", bool(value), on_value, label=label, disabled=disabled)
        else:
            low, high, step = lever.slider_range
            high = max(high, value)  # a scenario may set more than the slider's usual range
            Guarded("slider", value, on_value, label=label, min=low, max=high, step=step,
                    disabled=disabled)  # fmt: skip
        if unused:
            solara.HTML(unsafe_innerHTML=f'<div class="cl-unused">{html.escape(unused)}</div>')


@solara.component
def ScenarioCard(model: DashboardModel, rebuild: Rebuild) -> None:
    """The scenario picker (files under ``scenarios/`` only) and the random seed."""
    choices = solara.use_memo(scenario_choices, [])
    available = [c for c in choices if c.available]
    by_label = {c.label: c for c in available}
    current = next((c.label for c in available if c.path == model.settings.scenario), None)

    def pick(raw: Any) -> bool:
        def settings() -> DashboardSettings:
            choice = pick_choice(raw, by_label, "Scenario file")
            return DashboardSettings(scenario=choice.path, seed=model.settings.seed)

        return rebuild(settings)

    def set_seed(raw: Any) -> bool:
        def settings() -> DashboardSettings:
            return dataclasses.replace(model.settings, seed=parse_seed(raw))

        return rebuild(settings)

    with solara.Card("Scenario"):
        Guarded("select", current, pick, label="Scenario file", items=list(by_label))
        SeedBox(model.seed, set_seed)
        solara.Text(
            "Same seed, same referrals, sickness and leaving: change a lever and the rest of "
            "the story stays the same. Play, Step and Reset are in Controls below.",
            style={"font-size": "13px", "color": "#555"},
        )


@solara.component
def NotOfferedCard() -> None:
    """Scenario files the picker leaves out, and why (too large to run live, or broken)."""
    choices = solara.use_memo(scenario_choices, [])
    left_out = [c for c in choices if not c.available]
    if not left_out:
        return
    with solara.Card("Not offered"):
        for choice in left_out:
            solara.Text(
                f"{choice.path} — {choice.reason}",
                style={"font-size": "13px", "color": "#8a4b00"},
            )


@solara.component
def LeversCard(model: DashboardModel, rebuild: Rebuild, settings: DashboardSettings) -> None:
    """A control for each lever, showing the value in use.

    During a run a change applies from the next day (a marker on every chart); before the
    first day, and for a lever the build reads (:func:`restarts_run`), it restarts the run.
    ``settings`` is the model's: the model object stays the same through a mid-run change.
    """
    base = solara.use_memo(
        lambda: build_configs(dataclasses.replace(model.settings, levers=(), compare_lever=None))[
            0
        ],
        [model.settings.scenario, model.settings.seed],
    )
    changed = dict(settings.levers)
    since = model.changed_since()
    with solara.Card("Levers"):
        solara.Text(
            "Hover for what each lever means. During a run a change applies from the next day "
            "and is marked on every chart; levers marked ⟲ change the team itself and restart "
            "the run from day 0 with the same seed.",
            style={"font-size": "13px", "color": "#555"},
        )
        for lever in LEVERS:

            def on_value(raw: Any, lever: Lever = lever) -> bool:
                return rebuild(
                    lambda: model.settings.with_lever(
                        lever.path, apply_widget_value(lever.path, raw)
                    )
                )

            LeverControl(
                lever,
                lever.value_in(model.config),
                on_value,
                unused=not_in_use(lever, model.config),
            )
            if restarts_run(lever):
                solara.HTML(
                    unsafe_innerHTML=(
                        '<div class="cl-restarts">⟲ restarts the run: the teams are built '
                        "with it</div>"
                    )
                )
            if lever.path in changed or lever.path in since:
                when = f" on day {since[lever.path]}" if lever.path in since else ""
                solara.Text(
                    f"changed{when} (scenario: {format_value(lever.value_in(base))})",
                    style={"font-size": "12px", "color": "#d84315", "margin-top": "-8px"},
                )
        if changed:
            solara.Button(
                "Back to the scenario's values",
                on_click=lambda: rebuild(dataclasses.replace(model.settings, levers=())),
                outlined=True,
            )


@solara.component
def CompareCard(model: DashboardModel, rebuild: Rebuild) -> None:
    """Compare mode: a twin run, same seed, with one lever changed."""
    settings = model.settings
    labels = {lever.label: lever for lever in LEVERS}

    def enable(raw: Any) -> bool:
        def chosen() -> DashboardSettings:
            if not checked_bool(raw, "Compare"):
                return dataclasses.replace(settings, compare_lever=None, compare_value=None)
            lever = LEVERS_BY_PATH["allocation.cap_kind"]
            return _compare_on(settings, lever, lever.value_in(model.config))

        return rebuild(chosen)

    def choose(raw: Any) -> bool:
        def chosen() -> DashboardSettings:
            lever = pick_choice(raw, labels, "Lever to change")
            return _compare_on(settings, lever, lever.value_in(model.config))

        return rebuild(chosen)

    with solara.Card("Compare"):
        Guarded(
            "checkbox",
            settings.compare_lever is not None,
            enable,
            label="Compare: same seed, one lever changed",
        )
        if settings.compare_lever is None:
            return
        lever = LEVERS_BY_PATH[settings.compare_lever]
        Guarded("select", lever.label, choose, label="Lever to change", items=list(labels))

        def set_value(raw: Any) -> bool:
            return rebuild(
                lambda: dataclasses.replace(
                    settings, compare_value=apply_widget_value(lever.path, raw)
                )
            )

        twin = model.runs[1].model.config
        LeverControl(lever, lever.value_in(twin), set_value, unused=not_in_use(lever, twin))
        if lever.value_in(model.runs[0].model.config) == lever.value_in(model.runs[1].model.config):
            solara.Warning("Both runs have the same value: they are identical until you change it.")


def _typed(lever: Lever, value: Any) -> Any:
    """A value computed here (not received) as the lever's schema type."""
    if lever.kind == "int":
        return round(value)
    if lever.kind == "float":
        return float(value)
    return value


def _compare_on(settings: DashboardSettings, lever: Lever, current: Any) -> DashboardSettings:
    """Compare mode on ``lever``, starting from a value that differs from ``current``."""
    if lever.kind == "choice":
        value = next(c for c in lever.choices if c != current)
    elif lever.kind == "bool":
        value = not current
    else:
        _low, high, step = lever.slider_range
        value = current + step if current + step <= high else current - step
        value = _typed(lever, round(value, 6))
    return dataclasses.replace(settings, compare_lever=lever.path, compare_value=value)


# --- main area ----------------------------------------------------------------------------------


def manager_html(run: RunView, team: int) -> str:
    """The manager's row of a team view: span of oversight against the optimum, supervision."""
    row = run.manager_row(team)
    over = row.ratio > 1
    span = (
        f'<b style="color:{"#c62828" if over else "#2e7d32"}">{row.span_per_fte:.0f} cases</b> '
        f"per manager FTE against an optimum of {row.optimum} ({row.ratio:.2f}×)"
    )
    if row.supervision_enabled:
        supervision = (
            f"{row.overdue} worker{'s' if row.overdue != 1 else ''} overdue · "
            f"{row.sessions_missed} sessions missed so far · "
            f"{row.hours_for_supervision:.1f} h for supervision today"
        )
    else:
        supervision = "no regular supervision (the lever is off)"
    cells = [("Span of oversight", span), ("Supervision", supervision)]
    if row.stress is not None:  # the manager's own stress, once the model has it
        cells.append(("Stress", f"{row.stress:.2f}"))
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in cells)
    return (
        f'<table class="cl-table manager-table" data-team="{team + 1}" '
        f'data-span="{row.ratio:.4f}" data-overdue="{row.overdue}" '
        f'data-missed="{row.sessions_missed}"><tr><th colspan="2">Manager'
        f"</th></tr>{body}</table>"
    )


def team_table_html(run: RunView, team: int | None, burnout_threshold: float) -> str:
    """The team view as an HTML table: the manager's row, then one row per post."""
    rows = []
    for row in run.team_rows(team):
        colour, text = STATUS_STYLE.get(row.status, ("#455a64", row.status))
        badge = f'<span class="cl-badge" style="background:{colour}">{html.escape(text)}</span>'
        if not row.holds_cases:
            cells = [""] * 6
        else:
            stress_colour = "#c62828" if row.stress >= burnout_threshold else "#f9a825"
            if row.stress < 0.5 * burnout_threshold:
                stress_colour = "#66bb6a"
            bar = (
                f'<span class="cl-bar" title="stress {row.stress:.2f}">'
                f'<span style="width:{min(row.stress, 1.0) * 100:.0f}%;'
                f'background:{stress_colour}"></span>'
                f'<i style="left:{burnout_threshold * 100:.0f}%"></i></span> {row.stress:.2f}'
            )
            cells = [
                f"{row.fte:g}",
                str(row.caseload),
                str(row.overdue_visits),
                str(row.records_out_of_date),
                f"{row.backlog_hours:.1f}",
                bar,
            ]
        numbers = "".join(f'<td class="num">{cell}</td>' for cell in cells[:5])
        rows.append(
            f'<tr data-post="{row.post + 1}" data-status="{row.status}">'
            f"<td>{row.post + 1}</td><td>{html.escape(row.name)}</td><td>{badge}</td>"
            f'{numbers}<td class="stress">{cells[5]}</td>'
            f"<td>{html.escape(row.note)}</td></tr>"
        )
    header = (
        "<tr><th>Post</th><th>Worker</th><th>Status</th><th>FTE</th><th>Cases</th>"
        '<th title="Her cases with a statutory visit overdue">Visits overdue</th>'
        '<th title="Her cases whose record is out of date">Records out of date</th>'
        "<th>Backlog (h)</th><th>Stress (dashes: burnout threshold)</th><th>Notes</th></tr>"
    )
    manager = manager_html(run, team) if team is not None else ""
    return f'{manager}<table class="cl-table team-table">{header}{"".join(rows)}</table>'


def figures_table_html(runs: list[RunView]) -> str:
    """Today's figures for each run: the chart series' latest values, supervision and cost."""
    head = "".join(
        f'<th style="color:{RUN_COLOURS[i]}">{html.escape(r.label)}</th>'
        for i, r in enumerate(runs)
    )
    when = "Start (day 0)" if runs[0].day == 0 else f"End of day {runs[0].day}"
    rows = []
    for group, figures in today_figures(runs):
        rows.append(f'<tr><th colspan="{len(runs) + 1}">{group}</th></tr>')
        for title, values in figures:
            cells = "".join(f'<td class="num">{html.escape(v)}</td>' for v in values)
            rows.append(f"<tr><td>{html.escape(title)}</td>{cells}</tr>")
    return (
        f'<table class="cl-table cl-kpi figures-table"><tr><th>{when}</th>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


class ChartWidget(ipyvuetify.VuetifyTemplate):
    """An ECharts chart drawn in the browser from an option (``chart.vue``).

    The option travels as JSON text: Solara's renderer walks nested props looking for
    elements, and a dict with a thousand points in it cost more than drawing the whole page.
    """

    template_file = (__file__, "chart.vue")
    option = traitlets.Unicode("{}").tag(sync=True)
    day = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(240).tag(sync=True)
    css_class = traitlets.Unicode("cl-chart").tag(sync=True)
    library = traitlets.Unicode(ECHARTS_LIBRARY).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    #: Set by the browser when a marker with a key is clicked: JSON ``{"key": ..., "at": ms}``.
    clicked = traitlets.Unicode("").tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        return None if solara.settings.assets.proxy else solara.settings.assets.cdn


def chart_options(
    runs: list[RunView],
    series: tuple[tuple[str, str, bool], ...],
    days: int,
    warmup: int,
    changes: list[tuple[int, str]] = (),
    band: ReplicationBand | None = None,
) -> list[dict[str, Any]]:
    """One ECharts option per series, every run as its own line, lever changes marked.

    With ``band``, each run's line has the range of the band's other seeds shaded behind it.
    """
    day = runs[0].day
    return [
        line_chart(
            title,
            [(run.label, run.series(column, cumulative)) for run in runs],
            day=day,
            days=days,
            warmup=warmup,
            changes=changes,
            bands=[band.range_of(i, column, cumulative) for i in range(len(runs))]
            if band is not None
            else (),
            markers=[incident_markers(run, i) for i, run in enumerate(runs)]
            if column == INCIDENTS
            else (),
        )
        for column, title, cumulative in series
    ]


#: The chart whose line the incident markers sit on (a running total of serious incidents).
INCIDENTS = "serious_incidents"


def incident_markers(run: RunView, index: int = 0) -> list[tuple[float, float, str, list[int]]]:
    """A marker per serious incident of ``run``: (chart day, running total then, "child N", key).

    The chart draws the model's day ``d`` at ``d + 1`` (the day line's "Day N" counts days
    simulated). The key, ``[run index, d, child]``, is what a click on the marker reports.
    """
    total = run.series(INCIDENTS, cumulative=True)
    return [
        (
            day + 1,
            float(total[day]),
            f"Day {day + 1}: serious incident, child {child} (click: panel view)",
            [index, day, child],
        )
        for day, child in run.incidents
        if day < len(total)
    ]


def legend_html(runs: list[RunView]) -> str:
    """One legend for every chart of a panel (compare mode): a coloured line per run."""
    items = "".join(
        f'<span><i style="border-color:{RUN_COLOURS[i]}"></i>{html.escape(run.label)}</span>'
        for i, run in enumerate(runs)
    )
    return f'<div class="cl-legend">{items}</div>'


#: The DfE national average caseload, about 16 cases per FTE (15.2-16.6 in 2020-2025; the
#: source of ``simulation.initial_cases_per_fte`` in docs/model.md): the benchmark line on the
#: caseload chart when there is no cap.
DFE_CASES_PER_FTE = 16.0


def team_chart_options(
    runs: list[RunView], model: DashboardModel, band: ReplicationBand | None = None
) -> list[dict[str, Any]]:
    """The team's charts, one line per run: what the model's main loops run through.

    Stress (mean, with the 10-90% spread shaded), open cases per FTE against the cap (or the
    DfE average without one) and supervision on time over the last 13 weeks.
    """
    config = model.config
    common = {
        "day": model.day,
        "days": model.days,
        "warmup": config.simulation.warmup_days,
        "changes": model.change_markers(),
    }
    threshold = config.wellbeing.burnout_threshold
    stress = [np.array(run.stress).reshape(-1, 3) for run in runs]
    if config.allocation.cap_kind == "none":
        reference = (DFE_CASES_PER_FTE, f"DfE average {DFE_CASES_PER_FTE:g}")
    else:
        cap = config.allocation.cap_per_fte
        reference = (cap, f"cap {cap:g}" + (" (weighted)" if config.allocation.cap_kind ==
                                            "weighted" else ""))  # fmt: skip
    return [
        line_chart(
            "Team stress: mean, 10–90% spread",
            [(run.label, s[:, 0]) for run, s in zip(runs, stress, strict=True)],
            bands=[(s[:, 1], s[:, 2]) for s in stress],
            y_max=1.0,
            reference=(threshold, f"burnout {threshold:g}"),
            **common,
        ),
        line_chart(
            "Open cases per FTE",
            [(run.label, np.array(run.cases_per_fte)) for run in runs],
            bands=[band.range_of_cases_per_fte(i) for i in range(len(runs))]
            if band is not None
            else (),
            reference=reference,
            **common,
        ),
        line_chart(
            "Supervision on time (last 13 weeks)",
            [(run.label, run.supervision_share_by_day()) for run in runs],
            percent=True,
            **common,
        ),
    ]


@solara.component
def ChartGrid(
    options: tuple[str, ...],
    day: int,
    legend: str = "",
    on_marker: Callable[[str], None] | None = None,
) -> None:
    """Charts side by side, as many to a row as fit (at least 320 px each); options as JSON.

    ``on_marker`` gets what the browser reports when a marker with a key is clicked (unchecked
    text: the receiver checks it).
    """
    if legend:
        solara.HTML(unsafe_innerHTML=legend)
    with solara.Div(classes=["cl-charts"]):
        for option in options:
            if on_marker is None:
                ChartWidget.element(option=option, day=day)
            else:
                ChartWidget.element(option=option, day=day, on_clicked=on_marker)


def _json(options: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(json.dumps(option, separators=(",", ":")) for option in options)


@dataclasses.dataclass(frozen=True)
class TeamPanel:
    """A run's team view as drawn for followers: the table of every team, its leavers."""

    label: str
    colour: str
    tables: tuple[str, ...]
    leavers: str


@dataclasses.dataclass(frozen=True)
class PageView:
    """What the main area shows, as text and chart options.

    Drawn by the session itself and published to the class view's followers, who never see
    the model.
    """

    day: int
    name: str
    description: str
    notes: str
    steps: tuple[str, ...]
    status: str
    figures: str
    legend: str
    band_note: str
    risk: tuple[str, ...]
    workforce: tuple[str, ...]
    team: tuple[str, ...]
    loops: tuple[str, ...]
    teams: tuple[TeamPanel, ...] = ()
    #: What a follower's fork replays: (day 0's settings, the lever changes, the day).
    fork: tuple[DashboardSettings, tuple[LeverChange, ...], int] | None = None


def leavers_html(run: RunView) -> str:
    """The latest leavers and why, under a team view ("" if none yet)."""
    leavers = run.recent_leavers()
    if not leavers:
        return ""
    text = "; ".join(f"{html.escape(n)} ({reason}, day {d})" for n, d, reason in leavers)
    return f'<p class="recent-leavers"><b>Recent leavers:</b> {text}</p>'


def page_view(model: DashboardModel, band_on: bool, for_class: bool = False) -> PageView:
    """The main area of ``model``'s page; ``for_class`` adds every team's table and the fork."""
    config = model.config
    warmup = config.simulation.warmup_days
    runs = model.runs
    changes = model.change_markers()
    band = model.band if band_on else None
    band_note = ""
    if band is not None:
        band_note = (
            f'<p class="cl-band-note">Shaded: the lowest to the highest of {BAND_RUNS} runs with '
            f"other seeds, same levers (to day {band.done}): inside it is luck, outside it the "
            "lever.</p>"
        )
    choice = model.choice
    teams: tuple[TeamPanel, ...] = ()
    fork = None
    if for_class:
        threshold = config.wellbeing.burnout_threshold
        teams = tuple(
            TeamPanel(
                run.label,
                RUN_COLOURS[i],
                tuple(team_table_html(run, t, threshold) for t in range(config.team.n_teams)),
                leavers_html(run),
            )
            for i, run in enumerate(runs)
        )
        fork = (model.start_settings, tuple(model.changes), model.day)
    loops = [
        loop_chart(
            "Feedback loops" if len(runs) == 1 else f"Feedback loops — {run.label}",
            run.loop_series(),
        )
        for run in runs
    ]
    return PageView(
        day=model.day,
        name=config.name,
        description=config.description,
        notes=choice.teaching_notes if choice is not None else "",
        steps=tuple(choice.teaching_steps) if choice is not None else (),
        status=status_html(model),
        figures=figures_table_html(runs),
        legend=legend_html(runs) if len(runs) > 1 else "",
        band_note=band_note,
        risk=_json(chart_options(runs, RISK_SERIES, model.days, warmup, changes, band)),
        workforce=_json(chart_options(runs, WORKFORCE_SERIES, model.days, warmup, changes, band)),
        team=_json(team_chart_options(runs, model, band)),
        loops=_json(loops),
        teams=teams,
        fork=fork,
    )


@solara.component
def LoopDiagrams(options: tuple[str, ...], day: int) -> None:
    """The feedback-loop diagram of each run (``sim/dashboard/loops.py``), with its key."""
    solara.HTML(
        unsafe_innerHTML=(
            '<p class="cl-loop-key">Over the last week: a <b style="color:#c62828">thick red'
            "</b> arrow is a loop driving the team the harmful way (both ends moving as the "
            'arrow says), <b style="color:#2e7d32">green</b> one unwinding, grey dashed quiet; '
            "+ more brings more, − more brings less.</p>"
        )
    )
    with solara.Div(classes=["cl-loop-grid"]):
        for option in options:
            ChartWidget.element(option=option, day=day, height=430, css_class="cl-loops")


def TeamHeading(label: str, colour: str, teams: int) -> int:
    """The team view's heading and, with several teams, its chooser; returns the team shown.

    Called from inside a component (it uses that component's state), so the live and the
    followed team views choose a team the same way: checked on the server, a refused value
    shown and the choice left as it was.
    """
    chosen, set_team = solara.use_state(0)
    refused, set_refused = solara.use_state("")
    team = min(max(chosen, 0), teams - 1)  # the scenario may have changed to fewer teams

    def pick_team(raw: Any) -> bool:
        try:
            set_team(team_index(raw, teams))
        except NotApplied as exc:
            set_refused(str(exc))
            return False
        set_refused("")
        return True

    solara.HTML(
        tag="h3",
        unsafe_innerHTML=f"Team view — <span style='color:{colour}'>{html.escape(label)}</span>",
    )
    if teams > 1:
        Guarded("slider", team + 1, pick_team, label=f"Team (of {teams})", min=1, max=teams)
        if refused:
            solara.Warning(refused)
    return team


@solara.component
def TeamView(run: RunView, colour: str, burnout_threshold: float, tick: int) -> None:
    """A run's team view, with a team chooser when the organisation has several teams.

    ``tick`` counts the session's Steps and play ticks: Solara redraws a child component only
    when its arguments change, and ``run`` is the same object after a step.
    """
    team = TeamHeading(run.label, colour, run.model.config.team.n_teams)
    solara.HTML(unsafe_innerHTML=team_table_html(run, team, burnout_threshold))
    leavers = leavers_html(run)
    if leavers:
        solara.HTML(unsafe_innerHTML=leavers)


@solara.component
def FollowedTeamView(panel: TeamPanel) -> None:
    """A team view as published to the class: a team chooser of the follower's own."""
    team = TeamHeading(panel.label, panel.colour, len(panel.tables))
    solara.HTML(unsafe_innerHTML=panel.tables[team])
    if panel.leavers:
        solara.HTML(unsafe_innerHTML=panel.leavers)


@solara.component
def ScenarioHeader(name: str, description: str, notes: str, steps: tuple[str, ...]) -> None:
    """The scenario's name, description, "What to watch" and guided steps: drawn once each."""
    solara.HTML(tag="h2", unsafe_innerHTML=html.escape(name), classes=["cl-title"])
    if description:
        solara.HTML(tag="p", unsafe_innerHTML=html.escape(" ".join(description.split())))
    if notes:
        with solara.Info(icon=True):
            solara.HTML(
                unsafe_innerHTML=(
                    '<div class="cl-watch teaching-notes"><b>What to watch.</b> '
                    f"{html.escape(notes)}</div>"
                )
            )
    if steps:
        items = "".join(f"<li>{html.escape(step)}</li>" for step in steps)
        solara.HTML(
            unsafe_innerHTML=(
                '<div class="cl-watch teaching-steps"><b>Try this, step by step:</b>'
                f"<ol>{items}</ol></div>"
            )
        )


def status_html(model: DashboardModel) -> str:
    """The day line: day of the run, warm-up, seed and the levers changed as ``--set`` lines."""
    day, warmup = model.day, model.config.simulation.warmup_days
    status = f"Day {day} of {model.days}"
    if day < warmup:
        status += f" — warm-up until day {warmup} (grey on the charts): the model settling"
    if not model.running:
        status += " — run complete (Reset to start again)"
    overrides = html.escape(", ".join(model.start_settings.lever_overrides()) or "none")
    text = (
        f'<p class="cl-status"><b>{html.escape(status)}</b> · seed {model.seed} · '
        f"levers changed: <code>{overrides}</code>"
    )
    for change in model.changes:
        text += (
            f' · <span class="cl-change">from day {change.day}: {html.escape(change.label)}</span>'
        )
    return text + "</p>"


@solara.component
def MainView(
    model: DashboardModel, problem: str, tick: solara.Reactive[int], band_on: bool = True
) -> None:
    """Everything right of the controls; re-drawn after every Step or play tick (``tick``).

    Only this and the controls read ``tick``, so a tick does not redraw the levers; the parts
    that do not change with the day (the scenario header) are components of their own, which
    Solara skips when their arguments are unchanged.
    """
    tick_value = tick.value
    config = model.config
    if problem:
        solara.Error(problem)
    view = page_view(model, band_on)
    MainPanels(view, model)
    with solara.Div(classes=["cl-teams"]):
        for i, run in enumerate(model.runs):
            with solara.Card():
                TeamView(run, RUN_COLOURS[i], config.wellbeing.burnout_threshold, tick_value)


@solara.component
def MainPanels(view: PageView, model: DashboardModel | None = None) -> None:
    """The header, "Today", the charts and the loop diagrams of a :class:`PageView`.

    With the session's own ``model`` (not a class view's follower), the risk panel lists the
    run's serious incidents, each opening its panel view.
    """
    with solara.Card():
        ScenarioHeader(view.name, view.description, view.notes, view.steps)
        solara.HTML(unsafe_innerHTML=view.status)
    day = view.day
    with solara.Div(classes=["cl-row"]):
        with solara.Card("Today", classes=["cl-today"]):
            solara.HTML(unsafe_innerHTML=view.figures)
        with solara.Div(classes=["cl-chart-panels"]):
            with solara.Card("Risk to children and families"):
                if model is None:
                    ChartGrid(view.risk, day, view.legend + view.band_note)
                else:  # a new run starts with no panel open
                    RiskCharts(view, model).key(f"risk-{id(model)}")
            with solara.Card("Workforce"):
                ChartGrid(view.workforce, day, view.legend + view.band_note)
            with solara.Card("The team: stress, caseload, supervision"):
                ChartGrid(view.team, day, view.legend)
            with solara.Card("What is driving the team now: the feedback loops"):
                LoopDiagrams(view.loops, day)


#: How many of the latest incidents the list under the risk charts offers.
INCIDENTS_LISTED = 8


@solara.component
def RiskCharts(view: PageView, model: DashboardModel) -> None:
    """The risk charts of the session's own run, and its serious incidents' panel views.

    Each incident is a triangle on the incidents chart and a button in the list under the
    charts (the latest :data:`INCIDENTS_LISTED`, reachable by keyboard and screen reader).
    Clicking either opens the incident's panel view (``sim/experiments/panel.py``) in a dialog:
    the run replayed from its seed with the session's lever changes, the same child under safe
    staffing beside it (``caseload review``'s safe configuration, from the same day 0), a
    self-contained page shown in an ``iframe`` (``srcdoc``) and offered for download. A click
    on a triangle is what the browser reports, so it is checked: it opens a panel only for an
    incident of this run.
    """
    day = view.day
    shown = solara.use_reactive(None)  # (title, page, file name) of the open panel
    failed = solara.use_reactive("")
    pending = solara.use_reactive(None)  # the PanelRequest being built
    asked = solara.use_reactive(0)  # counts the buttons pressed: each starts a build

    def build() -> None:
        request = pending.peek()
        if request is None:
            return
        try:
            page = request.html()  # the replays, in this thread: the run is not held
        except Exception as exc:  # a replay that fails must not end the session
            _log.exception("dashboard: the panel view could not be built")
            failed.set(f"The panel view could not be built ({type(exc).__name__}: {exc})")
            pending.set(None)
            return
        label = f"Child {request.child}, serious incident on Day {request.day + 1}"
        if model.compare:
            label += f" ({request.label})"
        failed.set("")
        shown.set((label, page, f"panel-child{request.child}-day{request.day}.html"))
        pending.set(None)

    solara.lab.use_task(build, dependencies=[asked.value], prefer_threaded=True)

    def open_panel(run: int, when: int, child: int) -> None:
        with model.lock:  # the lever changes so far, read while nothing steps
            request = panel_request(model, run, when, child)
        pending.set(request)
        asked.set(asked.peek() + 1)

    def marker_clicked(raw: Any) -> None:
        try:
            run, when, child = checked_incident(raw, model)
        except NotApplied as exc:
            failed.set(str(exc))
            return
        open_panel(run, when, child)

    ChartGrid(view.risk, day, view.legend + view.band_note, on_marker=marker_clicked)
    found = [
        (day_, index, child)
        for index, run in enumerate(model.runs)
        for day_, child in run.incidents
    ]
    found.sort(key=lambda item: (-item[0], item[1]))
    if not found:
        solara.HTML(
            tag="p",
            unsafe_innerHTML="No serious incident yet. Each one is listed here (▲ on the chart) "
            "and opens its panel view: the 60 working days before it, for the child, its "
            "worker and its manager, beside the same child under safe staffing.",
            classes=["cl-incidents-note"],
        )
        return
    solara.HTML(
        tag="p",
        unsafe_innerHTML=f"<b>Serious incidents</b> ({len(found)}; the latest "
        f"{min(len(found), INCIDENTS_LISTED)}): open one's panel view, the 60 working days "
        "before it beside the same child under safe staffing.",
        classes=["cl-incidents-note"],
    )

    with solara.Div(classes=["cl-incidents"]):
        for when, run, child in found[:INCIDENTS_LISTED]:
            text = f"▲ Day {when + 1}: child {child}"
            if model.compare:
                text += f" ({'AB'[run]})"
            solara.Button(
                text,
                on_click=lambda run=run, when=when, child=child: open_panel(run, when, child),
                outlined=True,
                color="#b00020",
                classes=["cl-incident"],
            )
    if pending.value is not None:
        solara.HTML(
            tag="p",
            unsafe_innerHTML=f"Building the panel view of child {pending.value.child}: replaying "
            f"the run to Day {pending.value.day + 1}, and again under safe staffing…",
            classes=["cl-incidents-note", "cl-panel-pending"],
        )
    if failed.value:
        solara.Error(failed.value)
    if shown.value is not None:
        label, page, filename = shown.value
        with (
            rv.Dialog(
                v_model=True,
                on_v_model=lambda open_: None if open_ else shown.set(None),
                max_width=1100,
                scrollable=True,
            ),
            solara.Card(label, classes=["cl-panel-card"]),
        ):
            solara.HTML(
                tag="iframe",
                attributes={"srcdoc": page, "title": f"Panel view: {label}"},
                classes=["cl-panel-frame"],
            )
            with solara.Row():
                solara.FileDownload(
                    page, filename=filename, label="Download the page (HTML)",
                    mime_type="text/html",
                )  # fmt: skip
                solara.Button("Close", on_click=lambda: shown.set(None), color="primary")


@solara.component
def ControlsCard(
    model: DashboardModel,
    playing: solara.Reactive[bool],
    tick: solara.Reactive[int],
    reset: Callable[[], None],
    say: Callable[[str], None],
    band_on: solara.Reactive[bool],
) -> None:
    """Reset, Play/Pause, Step, days per Step and the play interval, checked on the server.

    Play runs in a thread of this session (Solara's threaded task): each tick simulates the
    chosen number of days, then bumps ``tick`` so the page is drawn, then waits for the rest of
    the play interval. Pause is read before every simulated day, so the run stops within the
    tick under way. A lock keeps a Step and a play tick from stepping the model at once. A
    slider value no slider would send is refused through ``say`` ("Not applied: ...").
    """
    days = solara.use_reactive(DAYS_PER_TICK[3])
    interval = solara.use_reactive(PLAY_INTERVAL_MS[3])
    tick.get()  # drawn again after each tick: Play and Step are disabled at the run's end

    def advance(count: int, while_playing: bool) -> None:
        with model.lock:
            for _ in range(count):
                if not model.running or (while_playing and not playing.peek()):
                    break
                model.step()
        model.last_tick = time.monotonic()
        tick.set(tick.peek() + 1)

    def play() -> None:
        while playing.peek() and model.running:
            started = time.monotonic()
            advance(days.peek(), while_playing=True)
            rest = interval.peek() / 1000 - (time.monotonic() - started)
            if rest > 0:
                time.sleep(rest)
        if not model.running:
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, id(model)], prefer_threaded=True)

    def follow_with_band() -> None:
        # The replication band, a few days at a time behind the live run. It keeps out of the
        # way of the page: paused, it waits until nothing was stepped for BAND_QUIET_S, and
        # then draws the page once it has caught up; playing, it takes at most about a third
        # of the time (each chunk is followed by a rest twice as long) and the next play tick
        # draws it.
        band = model.band
        while band_on.peek() and not band.stopped:
            is_playing = playing.peek()
            if not is_playing and time.monotonic() - model.last_tick < BAND_QUIET_S:
                time.sleep(0.05)
                continue
            band.follow(model.day)
            started = time.monotonic()
            if band.catch_up(1 if is_playing else 5):
                time.sleep(2 * (time.monotonic() - started) if is_playing else 0.002)
                quiet = time.monotonic() - model.last_tick >= BAND_QUIET_S
                if not band.behind and not playing.peek() and quiet:
                    tick.set(tick.peek() + 1)
            else:
                time.sleep(0.1)

    solara.lab.use_task(
        follow_with_band, dependencies=[id(model), band_on.value], prefer_threaded=True
    )

    def checked(parse: Callable[[Any], int], target: solara.Reactive[int]) -> Callable:
        def on_raw(raw: Any) -> bool:
            try:
                target.set(parse(raw))
            except NotApplied as exc:
                say(str(exc))
                return False
            say("")
            return True

        return on_raw

    def do_step() -> None:
        if not playing.peek():
            advance(days.peek(), while_playing=False)

    with solara.Card("Controls"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=reset)
            solara.Button(
                "❚❚ Pause" if playing.value else "▶ Play",
                color="primary",
                on_click=lambda: playing.set(not playing.peek()),
                disabled=not model.running,
            )
            solara.Button(
                "Step",
                color="primary",
                on_click=do_step,
                disabled=playing.value or not model.running,
            )
        name, low, high, _ = DAYS_PER_TICK
        Guarded("slider", days.value, checked(days_per_tick, days),
                label=f"{name}: {days.value}", min=low, max=high, step=1)  # fmt: skip
        name, low, high, _ = PLAY_INTERVAL_MS
        Guarded("slider", interval.value, checked(play_interval_ms, interval),
                label=f"{name}: {interval.value}", min=low, max=high, step=10)  # fmt: skip

        def set_band(raw: Any) -> bool:
            try:
                band_on.set(checked_bool(raw, "Band"))
            except NotApplied as exc:
                say(str(exc))
                return False
            say("")
            return True

        Guarded("checkbox", band_on.value, set_band,
                label=f"Band: {BAND_RUNS} runs with other seeds (luck)")  # fmt: skip


#: Seconds without a Step before the band computes and draws (paused): a class pressing Step
#: sees the new day first, the band a moment later.
BAND_QUIET_S = 0.5

#: A follower's page is drawn again at most this often (seconds): 30 followers drawing every
#: play tick would take the server's time from the lecturer's run.
FOLLOW_INTERVAL_S = 0.5


@solara.component
def Page() -> None:
    """The dashboard page: a run of this session's own, or a class view followed read-only.

    ``?class=CODE`` in the address (or a code typed under "Follow a class") follows the
    lecturer's run published under that code; "Fork" turns it into a run of this session's own.
    """
    router = solara.use_router()
    first_follow, first_problem = solara.use_memo(lambda: _follow_from(router.search), [])
    follow = solara.use_reactive(first_follow)
    forked = solara.use_reactive(None)
    said = solara.use_reactive(first_problem)

    def start_following(broadcast: Broadcast) -> None:
        said.set("")
        follow.set(broadcast)

    def fork(model: DashboardModel) -> None:
        forked.set(model)  # first, so the page never draws a fresh run in between
        follow.set(None)

    def leave() -> None:
        follow.set(None)
        forked.set(None)

    solara.Title("Caseload — social work team dashboard")
    solara.Style(CSS)
    if follow.value is not None:
        FollowPage(follow.value, fork, leave).key(f"follow-{follow.value.code}")
    else:
        RunPage(forked.value, start_following, said.value).key(f"run-{id(forked.value)}")


def _follow_from(search: str | None) -> tuple[Broadcast | None, str]:
    """The broadcast ``?class=CODE`` asks for, or a sentence why not."""
    codes = urllib.parse.parse_qs(search or "").get("class")
    if not codes:
        return None, ""
    try:
        return find_class(codes[0]), ""
    except NotApplied as exc:
        return None, str(exc)


@solara.component
def FollowPage(
    broadcast: Broadcast,
    fork: Callable[[DashboardModel], None],
    leave: Callable[[], None],
) -> None:
    """The lecturer's run, read-only: the published page, redrawn as it changes.

    Nothing here reaches the lecturer's model: the page is drawn from the published
    :class:`PageView` (text and chart options), and the only controls are the follower's own
    (team chooser, fork, leave). A thread of this session waits for each new version.
    """
    view = solara.use_reactive(broadcast.snapshot)
    ended = solara.use_reactive(broadcast.closed)
    problem = solara.use_reactive("")
    stop = solara.use_ref(False)

    def listen() -> None:
        seen = -1
        while not stop.current:
            started = time.monotonic()
            version, snapshot = broadcast.wait(seen, 1.0)
            if broadcast.closed:
                ended.set(True)
                return
            if version != seen and snapshot is not None:
                seen = version
                view.set(snapshot)
                rest = FOLLOW_INTERVAL_S - (time.monotonic() - started)
                if rest > 0:
                    time.sleep(rest)

    solara.lab.use_task(listen, dependencies=[broadcast.code], prefer_threaded=True)

    def joined() -> Callable[[], None]:
        broadcast.join()

        def left() -> None:
            stop.current = True
            broadcast.leave()

        return left

    solara.use_effect(joined, [])

    def do_fork() -> None:
        snapshot = view.peek()
        if snapshot is None or snapshot.fork is None:
            return
        start, changes, day = snapshot.fork
        try:
            model = DashboardModel.replay(start, changes, day)
        except Exception as exc:  # a fork that cannot be built must not end the session
            _log.exception("dashboard: fork failed")
            problem.set(f"Could not fork the run ({type(exc).__name__})")
            return
        fork(model)

    snapshot = view.value
    with solara.Div(classes=["cl-page"]):
        with solara.Div(classes=["cl-side"]), solara.Card("Class view"):
            solara.HTML(
                unsafe_innerHTML=(
                    f'<div class="cl-following">Following class <b class="cl-code">'
                    f"{html.escape(broadcast.code)}</b>: the lecturer's run, read-only. "
                    "It updates as the lecturer steps, plays and changes levers.</div>"
                )
            )
            if ended.value:
                solara.Warning("The lecturer has stopped sharing: this is the last page.")
            solara.Button(
                "Fork into my session",
                color="primary",
                on_click=do_fork,
                disabled=snapshot is None,
            )
            solara.Text(
                "A copy of the run as it is now (same seed, same levers, same day), in "
                "your session only; the lecturer's run is not changed.",
                style={"font-size": "13px", "color": "#555"},
            )
            solara.Button("Leave the class", on_click=leave, outlined=True)
            if problem.value:
                solara.Error(problem.value)
        with solara.Div(classes=["cl-main"]):
            if snapshot is None:
                solara.Info("Waiting for the lecturer's page ...")
                return
            MainPanels(snapshot)
            with solara.Div(classes=["cl-teams"]):
                for panel in snapshot.teams:
                    with solara.Card():
                        FollowedTeamView(panel)


@solara.component
def ClassCard(
    sharing: solara.Reactive[Broadcast | None],
    publish: Callable[[], None],
    follow: Callable[[Broadcast], None],
) -> None:
    """Share this run with a class (a code), or follow another's run by its code."""
    broadcast = sharing.value
    refused = solara.use_reactive("")

    def share() -> None:
        opened = CLASSROOM.open()
        sharing.set(opened)
        publish()

    def stop() -> None:
        if sharing.peek() is not None:
            CLASSROOM.close(sharing.peek())
        sharing.set(None)

    def follow_code(raw: Any) -> bool:
        try:
            found = find_class(raw)
        except NotApplied as exc:
            refused.set(str(exc))
            return False
        refused.set("")
        follow(found)
        return True

    with solara.Card("Class view"):
        if broadcast is None:
            solara.Button("Share this run with the class", color="primary", on_click=share)
            solara.Text(
                "Students follow it read-only from their own browsers, by a short code.",
                style={"font-size": "13px", "color": "#555"},
            )
            SeedBox("", follow_code, label="Follow a class: its code")
        else:
            solara.HTML(
                unsafe_innerHTML=(
                    f'<div class="cl-share">Class code <b class="cl-code">'
                    f"{html.escape(broadcast.code)}</b><br>Students open this page's address "
                    f"with <code>?class={html.escape(broadcast.code)}</code> at the end, or type "
                    'the code under "Follow a class".</div>'
                )
            )
            solara.Button("Stop sharing", on_click=stop, outlined=True)
        if refused.value:
            solara.Warning(refused.value)


@solara.component
def ClassPublisher(
    publish: Callable[[], None],
    tick: solara.Reactive[int],
    model: DashboardModel,
    settings: DashboardSettings,
    band_on: bool,
) -> None:
    """Publishes the page to the class after each Step, play tick, lever change and new run.

    A component of its own (drawing nothing) so that only it, not the whole page, is drawn
    again on every tick.
    """
    solara.use_effect(publish, [tick.value, model, settings, band_on])


@solara.component
def RunPage(
    forked: DashboardModel | None, follow: Callable[[Broadcast], None], said: str = ""
) -> None:
    """A run of this session's own: controls, levers and views (``forked``: start from it)."""
    start, start_problem = solara.use_memo(initial_scenario, [])
    first = solara.use_memo(
        lambda: forked if forked is not None else DashboardModel(DashboardSettings(start)), []
    )
    settings = solara.use_reactive(first.settings)
    model = solara.use_reactive(first)
    problem = solara.use_reactive(said or start_problem)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    band_on = solara.use_reactive(True)
    sharing = solara.use_reactive(None)

    def refuse(message: str) -> bool:
        problem.set(message)
        return False

    def rebuild(new: DashboardSettings | Callable[[], DashboardSettings]) -> bool:
        """Build the model for ``new`` settings; on a problem keep the current run and say why."""
        try:
            wanted = new() if callable(new) else new
            if wanted == settings.value:
                return True
            if model.peek().change_levers(wanted):  # applies from the next day, marked
                problem.set("")
                settings.set(wanted)
                tick.set(tick.peek() + 1)
                return True
            built = DashboardModel(wanted)
        except NotApplied as exc:
            return refuse(str(exc))
        except ScenarioError as exc:
            return refuse("Not applied: " + "; ".join(map(readable_problem, exc.problems)))
        except ValueError as exc:
            return refuse(f"Not applied: {readable_problem(str(exc))}")
        except Exception as exc:  # a value no check foresaw must not end the session
            _log.exception("dashboard: settings could not be applied")
            return refuse(f"Not applied: the run could not be built ({type(exc).__name__})")
        problem.set("")
        settings.set(wanted)
        _replace(built)
        return True

    def _replace(built: DashboardModel) -> None:
        playing.set(False)
        model.peek().stop()  # a play tick still under way ends with its model
        model.set(built)

    def reset() -> None:
        _replace(DashboardModel(settings.value))

    def publish() -> None:
        broadcast = sharing.peek()
        if broadcast is None:
            return
        current = model.peek()
        with current.lock:
            broadcast.publish(page_view(current, band_on.peek(), for_class=True))

    def stop_when_closed() -> Callable[[], None]:
        # runs when the session's page is torn down (tab closed, session culled): a playing
        # model's stepping thread only ends once the model stops running, and the class
        # following this run is told it has ended
        def stop() -> None:
            model.peek().stop()
            if sharing.peek() is not None:
                CLASSROOM.close(sharing.peek())

        return stop

    solara.use_effect(stop_when_closed, [])

    with solara.Div(classes=["cl-page"]):
        with solara.Div(classes=["cl-side"]):
            ScenarioCard(model.value, rebuild)
            ControlsCard(model.value, playing, tick, reset, problem.set, band_on)
            LeversCard(model.value, rebuild, settings.value)
            CompareCard(model.value, rebuild)
            ClassCard(sharing, publish, follow)
            ClassPublisher(publish, tick, model.value, settings.value, band_on.value)
            NotOfferedCard()
        with solara.Div(classes=["cl-main"]):
            MainView(model.value, problem.value, tick, band_on.value)
