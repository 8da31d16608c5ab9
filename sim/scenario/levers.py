"""The one declaration of what a planner can change (levers) and what is uncertain.

EMA Workbench's XLRM vocabulary: X, uncertainties (demand, leaving, sickness: the world the team
works in), L, levers (caps, staffing, support, policies: what management controls), R, the model
(``sim.engine``), and M, the outcome measures (declared once, with unit and direction, in
``sim/engine/metrics.py``). Each registered :class:`Parameter` names its scenario key, a human
label, its unit, its role, the range a planner would use and the engine phase that reads it;
everything the schema already says (kind, bounds, allowed choices, baseline default) is read from
the pydantic fields of ``sim/scenario/schema.py``, never restated. The meaning shown beside a
control comes from the field's description or, failing that, from the parameter reference
(``sim/scenario/parameter_docs.py``, which also writes the table of ``docs/model.md``).

Three consumers read :data:`REGISTRY`: the dashboard's controls (``sim.dashboard.view_model``),
the factors of an experiment file, which may name a registered key and take its range
(``sim.experiments.experiment``), and the documented search ranges of ``caseload calibrate``
(``sim.experiments.calibrate``). Adding a parameter to all three is adding one entry here.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.parameter_docs import PARAMS, UNITS
from sim.scenario.schema import Scenario

Role = Literal["lever", "uncertainty"]
Kind = Literal["choice", "bool", "int", "float"]

#: Where a setting is read: the model build, a daily phase (``sim/engine/phases/<name>.py``) or
#: the day's tally (staff cost), in the order a run meets them.
PHASES: tuple[str, ...] = (
    "build",
    "arrivals",
    "risk",
    "allocation",
    "supervision",
    "work",
    "wellbeing",
    "staffing",
    "tally",
)


def phase_module(phase: str) -> str:
    """The module of ``sim`` that implements ``phase``, e.g. ``sim/engine/phases/work.py``."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; use one of {PHASES}")
    if phase in ("build", "tally"):
        return f"sim/engine/{phase}.py"
    return f"sim/engine/phases/{phase}.py"


def documented_unit(key: str) -> str:
    """The unit ``docs/model.md`` gives ``key`` (a full-key entry, else its field name's)."""
    return UNITS.get(key, UNITS.get(key.rpartition(".")[2], ""))


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """The base type, its constraint metadata and whether ``None`` is allowed."""
    optional = False
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) != len(get_args(annotation))
        annotation = args[0]
    metadata: list[Any] = []
    while hasattr(annotation, "__metadata__"):
        metadata.extend(annotation.__metadata__)
        annotation = annotation.__origin__
    return annotation, metadata, optional


def field_info(key: str) -> FieldInfo:
    """The schema field at a dotted key such as ``staffing.recruitment.mean_days``.

    Raises:
        KeyError: If a part of the key names no field.
    """
    model: Any = Scenario
    parts = key.split(".")
    for part in parts[:-1]:
        annotation, _, _ = _unwrap(model.model_fields[part].annotation)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            raise KeyError(key)
        model = annotation
    return model.model_fields[parts[-1]]


def format_value(value: Any) -> str:
    """A setting's value as people read it: ``on``/``off``, ``18``, ``0.57``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Parameter:
    """One registered lever or uncertain parameter.

    Args:
        key: The dotted scenario key (as for ``--set``).
        label: What people call it, as controls and tables show it.
        unit: Its unit, as ``docs/model.md`` gives it (a test keeps the two the same).
        role: ``lever`` (management controls it) or ``uncertainty`` (the world decides).
        phase: Where the engine reads it: one of :data:`PHASES`.
        low: Bottom of the range a planner would sweep or a calibration search (numbers only).
        high: Top of that range; the dashboard's slider runs from the schema's lower bound to it.
        step: The dashboard slider's step (default: 1 for whole numbers, else 0.05).
        slider_max: The dashboard slider's top where a class needs more than the planner's range
            (a demand surge well beyond what calibration searches).
        on_dashboard: Whether the dashboard offers it as a control.
        moves: The outcomes (calibration targets) it mainly moves.
        note: What to add to the schema's meaning when showing it.
        plain: What it means in a lecturer's words, with its unit, for the dashboard's help
            (symbols and equations stay in ``docs/model.md``); the schema's meaning if empty.
    """

    key: str
    label: str
    unit: str
    role: Role
    phase: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    slider_max: float | None = None
    on_dashboard: bool = False
    moves: str = ""
    note: str = ""
    plain: str = ""

    @property
    def path(self) -> str:
        """The dotted scenario key (the dashboard's name for it)."""
        return self.key

    @property
    def field(self) -> FieldInfo:
        """The pydantic field behind this parameter."""
        return field_info(self.key)

    @property
    def kind(self) -> Kind:
        """Which control draws it: a choice list, a checkbox, or an int or float slider."""
        base, _, _ = _unwrap(self.field.annotation)
        if get_origin(base) is Literal:
            return "choice"
        if base is bool:
            return "bool"
        if base is int:
            return "int"
        if base is float:
            return "float"
        raise TypeError(f"parameter {self.key}: unsupported schema type {base!r}")

    @property
    def choices(self) -> tuple[Any, ...]:
        """Allowed values of a choice (from its ``Literal``), or ``(False, True)`` for a bool."""
        if self.kind == "bool":
            return (False, True)
        base, _, _ = _unwrap(self.field.annotation)
        return get_args(base) if self.kind == "choice" else ()

    @property
    def bounds(self) -> tuple[float | None, float | None, bool, bool]:
        """(lower, upper, lower_exclusive, upper_exclusive) from the schema's constraints."""
        _, metadata, _ = _unwrap(self.field.annotation)
        metadata = [*metadata, *self.field.metadata]
        low = high = None
        low_open = high_open = False
        for item in metadata:
            if isinstance(item, annotated_types.Ge):
                low = item.ge
            elif isinstance(item, annotated_types.Gt):
                low, low_open = item.gt, True
            elif isinstance(item, annotated_types.Le):
                high = item.le
            elif isinstance(item, annotated_types.Lt):
                high, high_open = item.lt, True
        return low, high, low_open, high_open

    @property
    def default(self) -> Any:
        """The baseline value: the key's value in a default :class:`Scenario`.

        Read from a whole scenario rather than the field, because a nested field's own default
        (a ``Duration``'s 30-day mean) is not the baseline's (recruitment's 460 days).
        """
        return self.value_in(_baseline())

    @property
    def range(self) -> tuple[float, float] | None:
        """(low, high) a planner would use, or None for a choice or an on/off setting."""
        if self.low is None or self.high is None:
            return None
        return self.low, self.high

    @property
    def slider_range(self) -> tuple[float, float, float]:
        """(min, max, step) for a slider: the schema's lower bound up to the planner's top."""
        low, high, low_open, _ = self.bounds
        step = self.step if self.step is not None else (1 if self.kind == "int" else 0.05)
        low = 0.0 if low is None else low
        if low_open:
            low = low + step
        top = self.slider_max if self.slider_max is not None else self.high
        if top is None:
            top = high
        if top is None:
            raise TypeError(f"parameter {self.key}: no upper bound for its slider")
        if high is not None:
            top = min(top, high)
        if self.kind == "int":
            return int(low), int(top), int(step)
        return float(low), float(top), float(step)

    @property
    def meaning(self) -> str:
        """What the parameter means: the field's description, else the parameter reference's."""
        if self.field.description:
            return self.field.description
        return PARAMS.get(self.key, ("", ""))[0]

    @property
    def help(self) -> str:
        """Tooltip text: what it means in plain words, allowed values and the baseline default."""
        if self.kind == "choice":
            allowed = "one of " + ", ".join(map(str, self.choices))
        elif self.kind == "bool":
            allowed = "on or off"
        else:
            low, high, low_open, high_open = self.bounds
            below = "to below" if high_open else "to"
            allowed = f"{'above' if low_open else 'from'} {low:g} {below} {high:g}"
        if self.plain:
            meaning = self.plain
        else:
            unit = f" Unit: {self.unit}." if self.unit not in ("", "choice", "bool") else ""
            meaning = f"{self.meaning}{unit}"
        note = f" {self.note}" if self.note else ""
        return (
            f"{meaning}{note} Allowed: {allowed}. "
            f"Baseline: {format_value(self.default)}. Scenario key: {self.key}."
        ).strip()

    def value_in(self, config: Scenario) -> Any:
        """This parameter's value in ``config``."""
        node: Any = config
        for part in self.key.split("."):
            node = getattr(node, part)
        return node

    def setting(self, value: Any) -> str:
        """The ``--set`` override text for ``value`` (TOML syntax)."""
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif self.kind == "float":
            text = repr(float(value))
        else:
            text = str(int(value))
        return f"{self.key}={text}"


@cache
def _baseline() -> Scenario:
    return Scenario()


_RETENTION_PAY_NOTE = (
    "On its own it only adds to the staff cost shown in Today; what it buys is the next lever, "
    "the leaving rate with retention pay (1 = no effect on leaving)."
)
_RETENTION_RATIO_NOTE = (
    "Below 1, permanent staff leave less often (0.8: a fifth fewer leavers); set retention pay "
    "for what that costs."
)

#: Every registered lever and uncertain parameter. The dashboard shows those ``on_dashboard``
#: in this order; the calibrated uncertainties' ranges are calibration's documented search
#: ranges (``docs/calibration.md``), the harm side's assumed ones span none to twice the assumed
#: value, the levers' what the scenarios under ``scenarios/levers`` and the experiment files vary.
#: ``caseload robustness`` samples every uncertainty's range.
REGISTRY: tuple[Parameter, ...] = (
    # --- levers: what management controls --------------------------------------------------
    Parameter(
        "allocation.cap_kind", "Caseload cap", "choice", "lever", "allocation",
        on_dashboard=True,
        plain="Whether the manager stops giving a worker new cases at a limit: none (no limit), "
        "count (a number of cases per full-time worker) or weighted (cases weighted by how "
        "much work each type takes, so child protection cases count for more).",
    ),
    Parameter(
        "allocation.cap_per_fte", "Cap: cases per full-time worker", "cases (or weight)/FTE",
        "lever", "allocation", low=10.0, high=40.0, step=0.5, on_dashboard=True,
        plain="The most cases (or weighted cases) one full-time worker is given; a part-time "
        "worker's limit is in proportion, a newly qualified worker's is 80% of it.",
    ),
    Parameter(
        "allocation.at_cap", "When everyone is at the cap", "choice", "lever", "allocation",
        on_dashboard=True,
        plain="What happens to a new referral when every worker is at the cap: wait "
        "(it waits unallocated, the risk moves to the waiting list) or breach (it is given "
        "to the least loaded worker anyway).",
    ),
    Parameter(
        "allocation.order", "Order waiting referrals are taken in", "choice", "lever",
        "allocation", moves="longest wait, high-risk unmonitored days",
        plain="Which waiting referral the manager allocates first: risk_first (highest "
        "observed risk first), first_come (oldest first) or risk_with_ageing (risk first, "
        "with priority growing the longer a referral waits).",
    ),
    Parameter(
        "allocation.ageing_weight_per_day", "Priority gained per day of waiting",
        "observed risk/working day", "lever", "allocation", low=0.0, high=0.01, step=0.001,
        moves="longest wait (with order risk_with_ageing)",
        plain="With risk_with_ageing, how much a waiting referral's priority grows each "
        "working day, in units of observed risk (0.003: 100 days of waiting count as much "
        "as 0.3 of risk).",
    ),
    Parameter(
        "team.social_worker_posts", "Social worker posts per team", "posts/team", "lever",
        "build", low=2, high=20, on_dashboard=True,
        plain="How many social worker posts each team has (filled, vacant or covered by "
        "agency staff), in posts.",
    ),
    Parameter(
        "demand.referrals_per_day", "New referrals a working day, per team",
        "referrals/team/day", "uncertainty", "arrivals", low=0.30, high=0.60, step=0.01,
        slider_max=3.0, on_dashboard=True, moves="caseload, overtime, burnout",
        plain="How many new cases arrive at each team on an average working day "
        "(0.44 is about 115 children a year; re-referrals of the same children come on top).",
    ),
    Parameter(
        "support.admin_staff", "Admin support (full-time staff per team)", "FTE/team", "lever",
        "build", low=0.0, high=5.0, step=0.5, on_dashboard=True,
        plain="Administrators who take part of the recording and paperwork off social "
        "workers, in full-time staff per team (0.5 is one half-time post).",
    ),
    Parameter(
        "support.swa_staff", "Social work assistants (full-time staff per team)", "FTE/team",
        "lever", "build", low=0.0, high=5.0, step=0.5, on_dashboard=True,
        plain="Unqualified assistants who do some visits and tasks on low-risk cases, in "
        "full-time staff per team.",
    ),
    Parameter(
        "work.recording_efficiency", "Recording time (× normal)", "factor", "lever", "work",
        low=0.5, high=3.0, step=0.05, on_dashboard=True,
        plain="How long writing up takes compared with a normal recording system: 1 is "
        "normal, 1.4 means 40% slower (a clumsy case system), 0.8 a fifth faster.",
    ),
    Parameter(
        "supervision.enabled", "Regular supervision", "bool", "lever", "supervision",
        on_dashboard=True,
        plain="Whether the manager holds regular one-to-one supervision with each worker, "
        "which relieves stress and catches cases going wrong.",
    ),
    Parameter(
        "manager.mode", "The manager under load", "choice", "lever", "supervision",
        moves="overdue visits, high-risk unmonitored days, manager stress",
        plain="How the team manager is modelled: off (it only holds supervision and audits in "
        "the hours oversight leaves) or under_load (it also has stress of its own and must "
        "review every case regularly; an overloaded manager's missed reviews leave visit "
        "timescales unset and risk unassessed).",
    ),
    Parameter(
        "sickness.return_policy", "Return to work after long sickness", "choice", "lever",
        "work", on_dashboard=True,
        plain="How a worker back from long-term sickness is treated: normal (straight back "
        "to a full load), phased (a lighter load for the first weeks) or duty_every_day "
        "(put on the duty rota every day, as in a real hearing).",
    ),
    Parameter(
        "staffing.agency_backfill", "Agency cover for vacant posts", "bool", "lever",
        "staffing", on_dashboard=True,
        plain="Whether a vacant post is covered by an agency social worker after a delay "
        "(at a higher cost), or left empty until someone is recruited.",
    ),
    Parameter(
        "costs.retention_pay_per_worker_year", "Retention payment (£ per worker a year)",
        "GBP/FTE-year", "lever", "tally", low=0.0, high=10_000.0, step=250.0,
        on_dashboard=True, note=_RETENTION_PAY_NOTE,
        plain="A yearly payment to each permanent social worker for staying, in pounds per "
        "full-time worker a year.",
    ),
    Parameter(
        "staffing.retention_pay_leave_ratio", "Leaving rate with retention pay (× normal)",
        "hazard ratio", "lever", "staffing", low=0.5, high=1.0, step=0.05, on_dashboard=True,
        note=_RETENTION_RATIO_NOTE,
        plain="How often permanent staff leave compared with no retention payment: 1 is no "
        "change, 0.8 a fifth fewer leavers.",
    ),
    # --- uncertainties: calibrated, with the ranges the calibration searches -----------------
    Parameter(
        "staffing.leave_rate_per_year", "Leave rate per year (staffing)", "per year",
        "uncertainty", "staffing", low=0.02, high=0.15, moves="turnover, vacancies",
    ),
    Parameter(
        "staffing.recruitment.mean_days", "Mean recruitment delay (staffing)", "working days",
        "uncertainty", "staffing", low=200.0, high=800.0, moves="vacancies, agency share",
    ),
    Parameter(
        "sickness.long_spells_per_year", "Long spells per year (sickness)", "spells/worker-year",
        "uncertainty", "wellbeing", low=0.03, high=0.25, moves="sickness absence",
    ),
    Parameter(
        "sickness.short_spells_per_year", "Short spells per year (sickness)",
        "spells/worker-year", "uncertainty", "wellbeing", low=0.3, high=2.0,
        moves="sickness absence",
    ),
    Parameter(
        "staffing.agency_cover_probability", "Agency cover probability (staffing)",
        "probability", "uncertainty", "staffing", low=0.7, high=1.0, moves="agency share",
    ),
    Parameter(
        "staffing.agency_leave_rate_per_year", "Agency leave rate per year (staffing)",
        "per year", "uncertainty", "staffing", low=0.1, high=1.0, moves="agency share",
    ),
    Parameter(
        "work.direct_share_of_casework", "Direct share of casework (work)", "share",
        "uncertainty", "work", low=0.1, high=0.35, moves="direct contact share",
    ),
    Parameter(
        "wellbeing.burnout_threshold", "Burnout threshold (wellbeing)", "stress (0-1)",
        "uncertainty", "wellbeing", low=0.4, high=0.7, moves="burnout prevalence",
    ),
    Parameter(
        "work.recording_hours_per_visit", "Recording hours per visit (work)",
        "hours/visit at weight 1", "uncertainty", "work", low=1.0, high=2.0,
        moves="unpaid overtime, burnout prevalence",
    ),
    Parameter(
        "wellbeing.overload_gain_per_day", "Overload stress gain per day (wellbeing)", "per day",
        "uncertainty", "wellbeing", low=0.02, high=0.06, moves="burnout prevalence",
    ),
    # --- uncertainties: the harm side's assumptions (docs/model.md, "Risk"), from none to
    # twice the assumed value (the risk gradient from half to one and a half times it) -----------
    Parameter(
        "risk.unmonitored_drift_per_day", "Risk drift while a visit is overdue (risk)",
        "logit/day", "uncertainty", "risk", low=0.0, high=0.02,
        moves="high-risk unmonitored days, serious incidents",
    ),
    Parameter(
        "risk.incident_risk_log_ratio", "Incident hazard per unit of risk (risk)",
        "log-hazard per unit risk", "uncertainty", "risk", low=2.0, high=6.0,
        moves="serious incidents",
    ),
    Parameter(
        "risk.incident_overdue_log_ratio", "Incident hazard per visit interval overdue (risk)",
        "log-hazard per interval", "uncertainty", "risk", low=0.0, high=1.4,
        moves="serious incidents",
    ),
    Parameter(
        "risk.incident_record_log_ratio", "Incident hazard while the record is stale (risk)",
        "log-hazard", "uncertainty", "risk", low=0.0, high=0.6, moves="serious incidents",
    ),
)  # fmt: skip

REGISTRY_BY_KEY: dict[str, Parameter] = {p.key: p for p in REGISTRY}

#: The levers (L) and the uncertainties (X), each in registry order.
LEVERS: tuple[Parameter, ...] = tuple(p for p in REGISTRY if p.role == "lever")
UNCERTAINTIES: tuple[Parameter, ...] = tuple(p for p in REGISTRY if p.role == "uncertainty")


def registered(key: str) -> Parameter | None:
    """The registered parameter of a scenario key (spaces ignored), or None."""
    return REGISTRY_BY_KEY.get(key.replace(" ", ""))


#: Labels of settings that are not registered levers but that scenarios commonly change; any
#: other key is labelled from its own words (``costs.agency_premium`` → "Agency premium
#: (costs)").
SETTING_LABELS: dict[str, str] = {
    "team.n_teams": "Teams",
    "team.workers": "Named social workers",
    "staffing.cuts": "Posts cut",
    "staffing.vacancy_freeze_start_day": "Vacancy freeze from (working day)",
    "staffing.vacancy_freeze_end_day": "Vacancy freeze until (working day)",
    "demand.shocks": "Demand surges",
    "simulation.days": "Working days simulated",
    "simulation.warmup_days": "Warm-up working days",
    "simulation.replications": "Replications",
    "simulation.seed": "Master seed",
}


def setting_label(key: str) -> str:
    """What people call a scenario setting: the registry's label, else one made from its key."""
    key = key.replace(" ", "")
    if (parameter := registered(key)) is not None:
        return parameter.label
    if key in SETTING_LABELS:
        return SETTING_LABELS[key]
    section, _, name = key.rpartition(".")
    words = name.replace("_", " ").strip()
    words = words[:1].upper() + words[1:]
    where = section.split(".")[0] if section else ""
    return f"{words} ({where})" if where else words


def setting_unit(key: str) -> str:
    """A setting's unit: the registry's, else the parameter reference's (``docs/model.md``)."""
    if (parameter := registered(key)) is not None:
        return "" if parameter.unit in ("choice", "bool") else parameter.unit
    unit = documented_unit(key)
    return "" if unit in ("choice", "bool", "list", "-", "") else unit


def describe_setting(key: str, value: Any) -> str:
    """A setting's value in words: lists of cuts or surges as sentences, never a Python repr."""
    if value is None:
        return "not set"
    if isinstance(value, list):
        if not value:
            return "none"
        return "; ".join(_describe_item(key, item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {format_value(v)}" for k, v in value.items())
    return format_value(value)


def _describe_item(key: str, item: Any) -> str:
    if not isinstance(item, dict):
        return format_value(item)
    if key.endswith("cuts"):
        size = (
            f"{item['share']:.0%} of posts"
            if item.get("share") is not None
            else f"{item.get('posts')} post(s)"
        )
        return f"{size} cut on working day {item.get('day')} (vacant posts first)"
    if key.endswith("shocks"):
        return (
            f"referrals ×{format_value(item.get('multiplier'))} from working day "
            f"{item.get('start_day')} to {item.get('end_day')}"
        )
    shown = [f"{k.replace('_', ' ')} {format_value(v)}" for k, v in item.items() if v is not None]
    return ", ".join(shown)
