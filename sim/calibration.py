"""Calibration targets: the published figures the baseline must reproduce, with their ranges.

The targets are the calibration table of ``shared/facts.md`` restricted to what the model reports
as a summary metric. ``compare`` checks metric means against them. ``tests/test_calibration.py``
runs the baseline and checks it against this list, and ``docs/calibration.md`` reports the
measured figures against the same ranges; no command reads it yet (a later ``calibrate``
command could).

Where ``shared/facts.md`` gives two plausible ranges for a target, the range here is the one the
check uses and ``docs/calibration.md`` says why (burnout: 40-75%, which contains the 50-60% the
thresholds were tuned to).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A published figure: central value and plausible range for one summary metric."""

    metric: str
    central: float
    low: float
    high: float
    basis: str


TARGETS: tuple[Target, ...] = (
    Target("caseload_per_fte_mean", 16.0, 15.0, 17.0, "DfE workforce census 2020-2025: 15.2-16.6"),
    Target("turnover_rate_annual", 0.14, 0.115, 0.17, "DfE 2020-2025 leavers / in-post FTE"),
    Target("vacancy_rate", 0.17, 0.14, 0.20, "DfE 2020-2025 vacancy rate"),
    Target("agency_share", 0.155, 0.13, 0.18, "DfE 2020-2025 agency share of filled FTE"),
    Target("sickness_absence_rate", 0.033, 0.029, 0.036, "DfE 2020-2025 days lost / FTE days"),
    Target(
        "unpaid_overtime_hours_per_fte_week",
        5.5,
        3.0,
        10.0,
        "DfE longitudinal study +5 to +7 h; Ravalier 2017 10 h",
    ),
    Target(
        "direct_contact_share",
        0.20,
        0.15,
        0.25,
        "Liquid Personnel 2012 15%; CCN/Newton 2022 <20%; BASW 2018 ~24%",
    ),
    # facts.md target 14 gives two ranges: 50-60% "stressed" (DfE longitudinal 51-60%) and 40-75%
    # with high MBI emotional exhaustion (McFadden 2015: 73%, self-selected). The thresholds were
    # tuned to the 55% centre; the check accepts the wider range, which contains the narrower.
    Target(
        "burnout_prevalence",
        0.55,
        0.40,
        0.75,
        "DfE longitudinal 51-60% stressed; McFadden 2015 73% high exhaustion",
    ),
)


@dataclass(frozen=True)
class Check:
    """How one modelled value compares with its target."""

    target: Target
    value: float

    @property
    def within(self) -> bool:
        """Whether the value lies in the target's plausible range."""
        return self.target.low <= self.value <= self.target.high


def compare(means: dict[str, float]) -> list[Check]:
    """Check metric means (e.g. ``{key: mean}`` over replications) against every target."""
    return [Check(target, float(means[target.metric])) for target in TARGETS]
