"""What a council's figures are compared with: the caseload benchmark and the DfE figures.

There is no national caseload cap in England (the 2009 Social Work Task Force rejected one and
asked employers to set local benchmarks, LGA Standard 3), so the council's own benchmark comes
first: a team's ``caseload_benchmark``, else ``--benchmark``, else :data:`DEFAULT_BENCHMARK`.
The workforce figures are the latest national ones, with the few regional ones the project's
sources give, each dated and with its source; a region without a figure falls back to England.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Cases per FTE. The nearest sourced figure to a "safe" number: a council panel's note that "the
#: national average number of cases seen to be manageable and safe ... was 16/18" (Central
#: Bedfordshire, about 2018), whose upper end is also Western Australia's exceptional maximum
#: (cap 15, at most 18, industrial order). The DfE national average was 15.2 in 2025.
DEFAULT_BENCHMARK = 18.0
DEFAULT_BENCHMARK_SOURCE = (
    "default 18 cases per FTE: the upper end of 'the national average number of cases seen to "
    "be manageable and safe ... 16/18' (Central Bedfordshire council panel note, about 2018, "
    "https://centralbeds.moderngov.co.uk/mgAi.aspx?ID=44032), also Western Australia's "
    "exceptional maximum of 18 (https://manuals.communities.wa.gov.au/CPM/SitePages/"
    "Procedure.aspx?ProcedureId=251); there is no national cap in England"
)

MEASURES = ("caseload", "vacancy_rate", "agency_rate", "turnover_rate", "sickness_rate")
MEASURE_LABELS = {
    "caseload": "average caseload per FTE",
    "vacancy_rate": "vacancy rate",
    "agency_rate": "agency rate",
    "turnover_rate": "turnover rate",
    "sickness_rate": "sickness absence rate",
}

_DFE_2025 = (
    "DfE, Children's social work workforce, reporting year 2025 (30 September 2025), "
    "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/"
    "6d765688-fb18-4f13-8e8e-be816bc63b17"
)
_SFC_2023 = (
    "Skills for Care via Community Care, 16 February 2024 (councils' adult social workers, "
    "September 2023), https://www.communitycare.co.uk/2024/02/16/"
    "adult-social-worker-numbers-hit-record-high-on-back-of-funding-rise/"
)
_NHSD_2020 = (
    "NHS Digital, council adult social care staff 2020: mean 10.7 sick days (10.7 / 255 "
    "working days = 4.2%, derived), https://healthcareandprotection.com/33645-2"
)
_LONDON_2019 = (
    "DfE 2019 via Community Care, 2 March 2020, https://www.communitycare.co.uk/2020/03/02/"
    "average-social-work-caseloads-range-from-12-to-33-between-councils-according-to-"
    "official-figures/"
)


@dataclass(frozen=True)
class Figure:
    """One published figure: what, for which service and area, as of when, and from where."""

    measure: str
    service: str
    area: str
    year: int
    value: float
    source: str


#: The shipped table (checked against ``shared/facts.md`` sections 1 and 2).
FIGURES: tuple[Figure, ...] = (
    Figure("caseload", "children", "England", 2025, 15.2, _DFE_2025),
    Figure("vacancy_rate", "children", "England", 2025, 0.142, _DFE_2025),
    Figure("agency_rate", "children", "England", 2025, 0.130, _DFE_2025),
    Figure("turnover_rate", "children", "England", 2025, 0.118, _DFE_2025),
    Figure("sickness_rate", "children", "England", 2025, 0.035, _DFE_2025),
    Figure("caseload", "children", "North East", 2025, 16.5, _DFE_2025),
    Figure("sickness_rate", "children", "North East", 2025, 0.039, _DFE_2025),
    Figure("caseload", "children", "London", 2019, 15.2, _LONDON_2019),
    Figure("vacancy_rate", "adults", "England", 2023, 0.105, _SFC_2023),
    Figure("agency_rate", "adults", "England", 2023, 0.12, _SFC_2023),
    Figure("turnover_rate", "adults", "England", 2023, 0.145, _SFC_2023),
    Figure("sickness_rate", "adults", "England", 2020, 0.042, _NHSD_2020),
)

REGIONS = tuple(sorted({f.area for f in FIGURES} - {"England"}))


def comparator(measure: str, service: str, region: str | None = None) -> Figure | None:
    """The figure to compare with: the region's if the table has it, else England's."""
    for area in ([region] if region else []) + ["England"]:
        found = [f for f in FIGURES if (f.measure, f.service, f.area) == (measure, service, area)]
        if found:
            return max(found, key=lambda f: f.year)
    return None
