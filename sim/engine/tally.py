"""Metrics phase: record the day into preallocated arrays and reduce them to the metric contract.

Daily series cover every simulated day; the summary covers the measured window (after
``simulation.warmup_days``). Counts (referrals, closures, incidents, case-days) are totals over
the measured window; rates are the ratios defined in ``docs/model.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.cases import ALLOCATED, READY, WAITING, CaseBook, record_is_stale, visit_overdue
from sim.engine.manager import is_under_load, review_overdue
from sim.engine.metrics import DAILY_COLUMNS, EXHAUSTION_HIGH_CUTOFF, METRIC_KEYS
from sim.scenario.schema import CASE_TYPES, WORKING_DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.engine.agents import SocialWorker
    from sim.engine.state import World

_ACCUMULATORS = (
    "referrals",
    "re_referrals",
    "closed",
    "wait_days_sum",
    "first_allocations",
    "visits",
    "visits_on_time",
    "visits_skipped",
    "overdue_case_days",
    "open_case_days",
    "stale_case_days",
    "unallocated_case_days",
    "high_risk_unmonitored_case_days",
    "incidents",
    "caseload_per_fte_sum",
    "caseload_days",
    "backlog_sum",
    "backlog_worker_days",
    "overtime_hours",
    "fte_days",
    "hours_worked",
    "working_hours",
    "contact_hours",
    "burnout_days",
    "worker_days",
    "sick_fte_days",
    "permanent_leavers",
    "leavers",
    "permanent_headcount_days",
    "vacant_post_days",
    "active_post_days",
    "agency_fte_days",
    "filled_fte_days",
    "supervision_expected",
    "supervision_on_time",
    "cost",
    "screened_out",
    "screened_out_high_risk",
    "notifications",
    "manager_stress_sum",
    "manager_days",
    "reviews_overdue_case_days",
    "allocated_case_days",
    "stress_sum",
    "exhaustion_high_days",
    "burnout_days_first_year",
    "worker_days_first_year",
    "burnout_days_years_2_3",
    "worker_days_years_2_3",
    "burnout_days_agency",
    "worker_days_agency",
    "looked_after_census",
    "looked_after_2plus_changes",
)


class Tally:
    """Accumulates today's events and the measured-window totals."""

    def __init__(self, model: World) -> None:
        self.days = model.config.simulation.days
        self.warmup_days = model.config.simulation.warmup_days
        self.daily = {name: np.zeros(self.days) for name in DAILY_COLUMNS}
        self.totals = dict.fromkeys(_ACCUMULATORS, 0.0)
        self.leaver_log: list[dict] = []
        #: Referrals screened out on any day, warm-up included (the case book's check).
        self.screened_out_all_days = 0
        self._start_day()

    def _start_day(self) -> None:
        self.referrals_today = 0
        self.re_referrals_today = 0
        self.screened_out_today = 0
        self.screened_out_high_risk_today = 0
        self.notifications_today = 0
        self.incidents_today = 0
        self.closed_today = 0
        self.allocated_today = 0
        self.wait_days_today = 0
        self.visits_today = 0
        self.visits_on_time_today = 0
        self.leavers_today = 0
        self.permanent_leavers_today = 0
        self.supervision_expected_today = 0
        self.supervision_on_time_today = 0

    # Events, reported by the phases as they happen -------------------------------------------
    def record_referrals(self, count: int, re_referrals: int = 0) -> None:
        """``count`` referrals arrived today, ``re_referrals`` of them children referred before."""
        self.referrals_today += count
        self.re_referrals_today += re_referrals

    def record_screened_out(self, count: int, high_risk: int) -> None:
        """``count`` referrals were screened out today, ``high_risk`` of them at high risk."""
        self.screened_out_today += count
        self.screened_out_all_days += count
        self.screened_out_high_risk_today += high_risk

    def record_notifications(self, count: int) -> None:
        """``count`` of today's incidents were notifiable serious incidents."""
        self.notifications_today += count

    def record_incidents(self, count: int) -> None:
        """``count`` serious incidents happened today."""
        self.incidents_today += count

    def record_closures(self, count: int) -> None:
        """``count`` cases closed today."""
        self.closed_today += count

    def record_visits(self, count: int, on_time: int) -> None:
        """``count`` statutory visits were made today, ``on_time`` of them by their due day."""
        self.visits_today += count
        self.visits_on_time_today += on_time

    def record_supervision(self, expected: int, on_time: int) -> None:
        """Supervision sessions fell due (held or missed), ``on_time`` of them held on time."""
        self.supervision_expected_today += expected
        self.supervision_on_time_today += on_time

    def record_first_allocation(self, wait_days: int) -> None:
        """A referral was allocated for the first time after ``wait_days``."""
        self.allocated_today += 1
        self.wait_days_today += wait_days

    def record_leaver(self, worker: SocialWorker, reason: str) -> None:
        """A worker left its post."""
        self.leavers_today += 1
        if not worker.is_agency and reason == "left":
            self.permanent_leavers_today += 1
        self.leaver_log.append({"worker": worker.index, "day": worker.day_left, "reason": reason})

    def record(self, model: World) -> None:
        """Close the day: write its daily row and add it to the totals if past the warm-up."""
        cases, day = model.cases, model.day
        live = cases.live
        status = cases.status[live]
        is_open = (status == ALLOCATED) | (status == READY)
        due = cases.day_visit_due[live]
        overdue = visit_overdue(cases, day, live)
        interval = cases.visit_interval_days[live]
        # Each further full interval without a visit is one more statutory visit missed.
        skipped = overdue & (due < day) & ((day - due) % interval == 0)
        threshold = model.config.work.record_out_of_date_after_days
        stale = record_is_stale(cases, day, threshold, live)
        high_risk = cases.risk_of(live) > model.config.risk.high_risk_threshold
        staff = model.staff
        who = staff.in_post
        fte = staff.fte[who]
        is_agency = staff.is_agency[who]
        fte_in_post = float(fte.sum())
        agency_fte = float(fte[is_agency].sum())
        n_agency = int(is_agency.sum())
        permanent = len(who) - n_agency
        sick = staff.is_sick(who, day)
        burnt = int(staff.is_burnt_out[who].sum())
        backlog = staff.backlog_hours[who]
        overtime_each = staff.overtime_hours[who]
        overtime = float(overtime_each.sum())
        n_open = int(is_open.sum())
        active = model.posts.is_active
        holders = model.posts.holder[active]
        holders = holders[holders >= 0]
        permanent_held = int(np.count_nonzero(~staff.is_agency[holders]))
        vacancies = int(active.sum()) - permanent_held
        caseload_per_fte = n_open / fte_in_post if fte_in_post > 0 else np.nan

        row = self.daily
        row["day"][day] = day
        row["referrals"][day] = self.referrals_today
        row["waiting"][day] = int((status == WAITING).sum())
        row["open"][day] = n_open
        row["ready_to_close"][day] = int((status == READY).sum())
        row["closed_today"][day] = self.closed_today
        row["allocated_today"][day] = self.allocated_today
        row["overdue_visits"][day] = int(overdue.sum())
        row["records_out_of_date"][day] = int(stale.sum())
        row["high_risk_unmonitored"][day] = int((overdue & high_risk).sum())
        row["serious_incidents"][day] = self.incidents_today
        row["workers_in_post"][day] = len(who)
        row["fte_in_post"][day] = fte_in_post
        row["agency_in_post"][day] = n_agency
        row["sick"][day] = int(sick.sum())
        row["burnt_out"][day] = burnt
        row["vacancies"][day] = vacancies
        row["leavers"][day] = self.leavers_today
        row["caseload_per_fte"][day] = caseload_per_fte
        row["backlog_hours_mean"][day] = backlog.mean() if len(backlog) else 0.0
        row["stress_mean"][day] = staff.stress[who].mean() if len(who) else 0.0
        row["overtime_hours"][day] = overtime
        row["hours_worked"][day] = staff.hours_worked[who].sum()
        row["contact_hours"][day] = staff.contact_hours[who].sum()
        row["working_hours"][day] = (staff.paid_hours[who] + overtime_each).sum()
        row["manager_oversight_ratio"][day] = np.mean([m.oversight_ratio for m in model.managers])
        row["audits"][day] = sum(m.audits_today for m in model.managers)

        if day >= self.warmup_days:
            t = self.totals
            t["referrals"] += self.referrals_today
            t["re_referrals"] += self.re_referrals_today
            t["closed"] += self.closed_today
            t["wait_days_sum"] += self.wait_days_today
            t["first_allocations"] += self.allocated_today
            t["visits"] += self.visits_today
            t["visits_on_time"] += self.visits_on_time_today
            t["visits_skipped"] += int(skipped.sum())
            t["overdue_case_days"] += int(overdue.sum())
            t["open_case_days"] += n_open
            t["stale_case_days"] += int(stale.sum())
            t["unallocated_case_days"] += int((status == WAITING).sum())
            t["high_risk_unmonitored_case_days"] += int((overdue & high_risk).sum())
            t["incidents"] += self.incidents_today
            if fte_in_post > 0:
                t["caseload_per_fte_sum"] += caseload_per_fte
                t["caseload_days"] += 1
            t["backlog_sum"] += float(backlog.sum())
            t["backlog_worker_days"] += len(who)
            t["overtime_hours"] += overtime
            t["fte_days"] += fte_in_post
            t["hours_worked"] += row["hours_worked"][day]
            t["working_hours"] += row["working_hours"][day]
            t["contact_hours"] += row["contact_hours"][day]
            t["burnout_days"] += burnt
            t["worker_days"] += len(who)
            t["sick_fte_days"] += float(fte[sick].sum())
            t["permanent_leavers"] += self.permanent_leavers_today
            t["leavers"] += self.leavers_today
            t["permanent_headcount_days"] += permanent
            t["vacant_post_days"] += vacancies
            t["active_post_days"] += int(active.sum())
            t["agency_fte_days"] += agency_fte
            t["filled_fte_days"] += fte_in_post
            t["supervision_expected"] += self.supervision_expected_today
            t["supervision_on_time"] += self.supervision_on_time_today
            t["cost"] += staff_cost_per_day(model, who)
            t["screened_out"] += self.screened_out_today
            t["screened_out_high_risk"] += self.screened_out_high_risk_today
            t["notifications"] += self.notifications_today
            if is_under_load(model):
                allocated = live[status == ALLOCATED]
                # Overdue at the end of the day: due on or before it (as visits are).
                overdue_reviews = review_overdue(model, allocated, day + 1)
                t["reviews_overdue_case_days"] += int(overdue_reviews.sum())
                t["allocated_case_days"] += len(allocated)
                t["manager_stress_sum"] += sum(m.stress for m in model.managers)
                t["manager_days"] += len(model.managers)
            self._record_exhaustion(model, who)
            if (self.days - 1 - day) % WORKING_DAYS_PER_YEAR == 0:
                census, changed = looked_after_stability(model, live)
                t["looked_after_census"] += census
                t["looked_after_2plus_changes"] += changed
        self._start_day()

    def _record_exhaustion(self, model: World, who: np.ndarray) -> None:
        """Add today's exhaustion scores and burnout by years of practice and employment type."""
        t, staff = self.totals, model.staff
        stress = staff.stress[who]
        burnt = staff.is_burnt_out[who]
        t["stress_sum"] += float(stress.sum())
        t["exhaustion_high_days"] += int(np.count_nonzero(stress >= EXHAUSTION_HIGH_CUTOFF))
        experience = staff.experience_days[who] + (model.day - staff.day_hired[who])
        years = experience / WORKING_DAYS_PER_YEAR
        groups = {
            "first_year": years < 1.0,
            "years_2_3": (years >= 1.0) & (years < 3.0),
            "agency": staff.is_agency[who],
        }
        for name, members in groups.items():
            t[f"burnout_days_{name}"] += int(np.count_nonzero(burnt & members))
            t[f"worker_days_{name}"] += int(np.count_nonzero(members))

    def summary(self, model: World) -> dict[str, float]:
        """The metric contract for this replication (measured window only)."""
        t = self.totals
        status = model.cases.status[: model.cases.n]  # every live row (archived ones are closed)
        measured_years = max(1, self.days - self.warmup_days) / WORKING_DAYS_PER_YEAR
        # the same test as the daily overdue count, on the last day
        still_overdue = int(visit_overdue(model.cases, model.day - 1, model.cases.live).sum())
        visits_expected = t["visits"] + t["visits_skipped"] + still_overdue
        mean_headcount = t["permanent_headcount_days"] / max(1, self.days - self.warmup_days)

        def ratio(a: float, b: float) -> float:
            return float(a / b) if b > 0 else float("nan")

        values = {
            "referrals_received": t["referrals"],
            "re_referrals_received": t["re_referrals"],
            "cases_closed": t["closed"],
            "open_cases_end": int(((status == ALLOCATED) | (status == READY)).sum()),
            "waiting_end": int((status == WAITING).sum()),
            "mean_wait_days_to_allocation": ratio(t["wait_days_sum"], t["first_allocations"]),
            "visit_timeliness": ratio(t["visits_on_time"], visits_expected),
            "overdue_visit_case_days": t["overdue_case_days"],
            "records_out_of_date_share": ratio(t["stale_case_days"], t["open_case_days"]),
            "unallocated_case_days": t["unallocated_case_days"],
            "high_risk_unmonitored_case_days": t["high_risk_unmonitored_case_days"],
            "serious_incidents": t["incidents"],
            "caseload_per_fte_mean": ratio(t["caseload_per_fte_sum"], t["caseload_days"]),
            "recording_backlog_hours_mean": ratio(t["backlog_sum"], t["backlog_worker_days"]),
            "unpaid_overtime_hours_per_fte_week": ratio(t["overtime_hours"], t["fte_days"] / 5),
            "direct_contact_share": ratio(t["contact_hours"], t["working_hours"]),
            "burnout_prevalence": ratio(t["burnout_days"], t["worker_days"]),
            "sickness_absence_rate": ratio(t["sick_fte_days"], t["fte_days"]),
            "turnover_rate_annual": ratio(t["permanent_leavers"] / measured_years, mean_headcount),
            "leavers": t["leavers"],
            "vacancy_rate": ratio(t["vacant_post_days"], t["active_post_days"]),
            "agency_share": ratio(t["agency_fte_days"], t["filled_fte_days"]),
            "supervision_on_time_share": ratio(t["supervision_on_time"], t["supervision_expected"]),
            "staff_cost_total": t["cost"],
            "referrals_screened_out": t["screened_out"],
            "screened_out_high_risk": t["screened_out_high_risk"],
            "re_referral_rate_12m": re_referral_rate(model.cases, self.warmup_days),
            # per 1,000 live (open or waiting) case-years, the children-in-need stock's analogue
            "serious_incident_notifications_per_1000_cases_year": ratio(
                1000.0 * t["notifications"] * WORKING_DAYS_PER_YEAR,
                t["open_case_days"] + t["unallocated_case_days"],
            ),
            # the manager under load; NaN with manager.mode = "off" (not modelled)
            "manager_stress_mean": ratio(t["manager_stress_sum"], t["manager_days"]),
            "manager_reviews_overdue_share": ratio(
                t["reviews_overdue_case_days"], t["allocated_case_days"]
            ),
        }
        measured_days = max(1, self.days - self.warmup_days)
        permanent_days = t["worker_days"] - t["worker_days_agency"]
        values |= {
            "burnt_out_workers_mean": t["burnout_days"] / measured_days,
            "exhaustion_mean": ratio(t["stress_sum"], t["worker_days"]),
            "exhaustion_high_share": ratio(t["exhaustion_high_days"], t["worker_days"]),
            "burnout_prevalence_first_year": ratio(
                t["burnout_days_first_year"], t["worker_days_first_year"]
            ),
            "burnout_prevalence_years_2_3": ratio(
                t["burnout_days_years_2_3"], t["worker_days_years_2_3"]
            ),
            "burnout_prevalence_permanent": ratio(
                t["burnout_days"] - t["burnout_days_agency"], permanent_days
            ),
            "burnout_prevalence_agency": ratio(t["burnout_days_agency"], t["worker_days_agency"]),
            "looked_after_2plus_worker_changes_share": ratio(
                t["looked_after_2plus_changes"], t["looked_after_census"]
            ),
        }
        assert set(values) == set(METRIC_KEYS), "tally and metric contract disagree"
        return {k: float(v) for k, v in values.items()}


#: The Stability Index's window: changes of social worker in the 12 months before the census.
STABILITY_WINDOW_DAYS = WORKING_DAYS_PER_YEAR


def looked_after_stability(model: World, live: np.ndarray) -> tuple[int, int]:
    """The Stability Index census on today: looked-after children, and those with 2+ changes.

    Children in care are the live (waiting, allocated or ready-to-close) rows of type
    ``looked_after``; a change counts when made in the 260 working days up to today,
    whatever the case's type then (the dated case history, ``CaseHistory.changes_between``).
    """
    cases, day = model.cases, model.day
    looked_after = live[cases.type_code[live] == CASE_TYPES.index("looked_after")]
    if len(looked_after) == 0:
        return 0, 0
    changes = model.worker_history.changes_between(
        cases.case_id[looked_after], day - STABILITY_WINDOW_DAYS, day
    )
    return len(looked_after), int(np.count_nonzero(changes >= 2))


#: The DfE's re-referral window: a referral within 12 months (260 working days) of a previous one.
RE_REFERRAL_WINDOW_DAYS = WORKING_DAYS_PER_YEAR


def re_referral_rate(cases: CaseBook, warmup_days: int) -> float:
    """Share of referrals after the warm-up of a child referred in the 260 days before.

    That is the DfE re-referral definition (within 12 months); NaN when none arrived. Day-0
    cases are not referrals in the window, but count as a child's previous referral.
    """
    child, arrived = cases.full("child"), cases.full("day_arrived")
    n = len(child)
    order = np.lexsort((arrived, child))
    child, arrived = child[order], arrived[order]
    same_child = np.zeros(n, dtype=bool)
    same_child[1:] = child[1:] == child[:-1]
    gap = np.full(n, np.iinfo(np.int64).max)
    gap[1:] = arrived[1:].astype(np.int64) - arrived[:-1]
    in_window = arrived >= max(warmup_days, 0)
    counted = int(np.count_nonzero(in_window))
    if counted == 0:
        return float("nan")
    repeat = in_window & same_child & (gap <= RE_REFERRAL_WINDOW_DAYS)
    return float(np.count_nonzero(repeat) / counted)


def staff_cost_per_day(model: World, who: np.ndarray) -> float:
    """Employment cost of one working day: staff rows ``who``, agency premium, managers, support."""
    costs, support, staff = model.config.costs, model.config.support, model.staff
    day_share = 1.0 / WORKING_DAYS_PER_YEAR
    fte = staff.fte[who]
    pay = costs.social_worker_per_year * fte
    pay = np.where(
        staff.is_agency[who],
        pay * (1.0 + costs.agency_premium),
        pay + costs.retention_pay_per_worker_year * fte,
    )
    total = float(pay.sum())
    n_teams = model.config.team.n_teams
    total += n_teams * (
        costs.manager_per_year * model.config.team.manager_fte
        + costs.swa_per_year * support.swa_staff
        + costs.admin_per_year * support.admin_staff
    )
    return total * day_share


def daily_cost(model: World, staff: Sequence[SocialWorker]) -> float:
    """Employment cost of one working day with the social workers ``staff`` in post."""
    return staff_cost_per_day(model, np.array([w.index for w in staff], dtype=np.int64))
