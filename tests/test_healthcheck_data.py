"""The health check's input files: every problem one FILE:ROW:COLUMN line, names refused."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from sim.healthcheck.data import (
    HISTORY_COLUMNS,
    TEAM_COLUMNS,
    WORKER_COLUMNS,
    DataError,
    find_files,
    read_council,
)

AS_OF = date(2026, 9, 30)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "healthcheck.md"

TEAMS = """team,service,establishment_fte,vacancies_fte,referrals_12m,visits_overdue
North,children,3,1,120,2
East,adults,2,0,30,
"""
HEADER = "worker_id,team,role,fte,contract,start_date,years_qualified,cases_held,leave_date"
GOOD = [
    "W1,North,social_worker,1,permanent,2020-01-06,4,17,",
    "W2,North,senior,0.8,permanent,2014-05-01,12,11,",
    "W3,North,manager,1,permanent,2018-01-01,15,,",
    "W4,East,social_worker,1,agency,2026-03-02,6,19,",
    "W5,North,social_worker,1,permanent,2022-01-10,2,,2026-02-27",
]


def council(tmp_path: Path, rows: list[str], header: str = HEADER, teams: str = TEAMS):
    (tmp_path / "workers.csv").write_text("\n".join([header, *rows]) + "\n")
    (tmp_path / "teams.csv").write_text(teams)
    return read_council(tmp_path / "workers.csv", tmp_path / "teams.csv", AS_OF)


def problems(tmp_path: Path, rows: list[str], **kwargs) -> list[str]:
    with pytest.raises(DataError) as caught:
        council(tmp_path, rows, **kwargs)
    return caught.value.problems


def test_a_good_council_reads_with_its_leavers(tmp_path):
    data = council(tmp_path, GOOD)
    assert [w.worker_id for w in data.team_workers("North")] == ["W1", "W2", "W3"]
    assert [w.worker_id for w in data.team_workers("North", in_post=False)] == ["W5"]
    assert {t.team: t.service for t in data.teams} == {"North": "children", "East": "adults"}


def test_each_problem_is_one_line_naming_file_row_and_column(tmp_path):
    rows = [
        GOOD[0],
        "W2,North,senior,0,permanent,2014-05-01,12,11,",  # FTE 0
        "W3,North,social_worker,3,permanent,2018-01-01,15,4,",  # FTE 3
        "W4,North,social_worker,1,permanent,2026-02-30,6,19,",  # bad date
        "W1,North,social_worker,1,permanent,2020-01-06,4,17,",  # duplicate id
        "W6,South,social_worker,1,permanent,2020-01-06,4,17,",  # team not in the team file
    ]
    found = problems(tmp_path, rows)
    workers = str(tmp_path / "workers.csv")
    assert found == [
        f"{workers}:3:fte: must be more than 0 (got '0')",
        f"{workers}:4:fte: must be at most 1 (got '3')",
        f"{workers}:5:start_date: not a date; write it as YYYY-MM-DD (got '2026-02-30')",
        f"{workers}:6:worker_id: duplicate id (got 'W1', first on row 2)",
        f"{workers}:7:team: team not in the team file (got 'South')",
    ]


def test_a_missing_column_is_named_with_what_it_holds(tmp_path):
    header = HEADER.replace(",fte", "")
    rows = [re.sub(r",1,permanent", ",permanent", GOOD[0])]
    (line,) = problems(tmp_path, rows, header=header)
    assert line.startswith(f"{tmp_path / 'workers.csv'}:1:fte: required column missing (FTE")


@pytest.mark.parametrize(
    "column",
    [
        "Surname",
        "First Name",
        "email_address",
        "NI number",
        "DOB",
        "date_of_birth",
        "Home address",
        "name",
    ],
)
def test_an_identifying_column_is_refused_with_a_word_about_pseudonymising(tmp_path, column):
    rows = [row + ",x" for row in GOOD]
    (line,) = problems(tmp_path, rows, header=f"{HEADER},{column}")
    assert line.startswith(f"{tmp_path / 'workers.csv'}:1:")
    assert "identifying column refused: pseudonymise" in line


def test_problems_of_both_files_are_listed_together(tmp_path):
    teams = TEAMS.replace("East,adults,2,0", "East,adults,2,5")
    found = problems(tmp_path, [GOOD[0].replace(",17,", ",,")], teams=teams)
    assert found == [
        f"{tmp_path / 'teams.csv'}:3:vacancies_fte: more vacancies than establishment_fte 2 "
        "(got 5)",
        f"{tmp_path / 'workers.csv'}:2:cases_held: required for social workers (got blank)",
    ]


def test_dates_outside_the_year_and_leaving_before_starting(tmp_path):
    rows = [
        GOOD[0].replace("2020-01-06", "2026-10-01"),
        GOOD[4].replace("2026-02-27", "2025-01-31"),
        GOOD[4].replace("W5", "W6").replace("2026-02-27", "2021-01-01"),
    ]
    found = problems(tmp_path, rows)
    assert [line.split(":", 2)[2] for line in found] == [
        "start_date: after the census date 2026-09-30 (got 2026-10-01)",
        "leave_date: not in the 12 months to the census date 2026-09-30 (got 2025-01-31)",
        "leave_date: before start_date 2022-01-10 (got 2021-01-01)",
        "leave_date: not in the 12 months to the census date 2026-09-30 (got 2021-01-01)",
    ]


def test_xlsx_reads_as_csv_does(tmp_path):
    from openpyxl import Workbook

    council(tmp_path, GOOD)
    csv_data = read_council(tmp_path / "workers.csv", tmp_path / "teams.csv", AS_OF)
    for stem in ("workers", "teams"):
        book = Workbook()
        sheet = book.active
        for line in (tmp_path / f"{stem}.csv").read_text().splitlines():
            cells = [
                (float(c) if re.fullmatch(r"[\d.]+", c) else (c or None)) for c in line.split(",")
            ]
            sheet.append(cells)
        book.save(tmp_path / f"{stem}.xlsx")
        (tmp_path / f"{stem}.csv").unlink()
    workers, teams = find_files(tmp_path)
    assert workers.suffix == ".xlsx"
    xlsx_data = read_council(workers, teams, AS_OF)
    assert xlsx_data.workers == csv_data.workers
    assert xlsx_data.teams == csv_data.teams


def test_monthly_history_is_read_and_checked(tmp_path):
    header = HEADER + "," + ",".join(HISTORY_COLUMNS)
    months = ",".join(["16"] * 11 + ["x"])
    rows = [GOOD[0] + "," + ",".join(["16"] * 12), GOOD[1] + "," + months]
    (line,) = problems(tmp_path, rows, header=header)
    assert line == f"{tmp_path / 'workers.csv'}:3:cases_m12: not a whole number (got 'x')"


def test_a_fifo_is_refused_without_blocking(tmp_path):
    council(tmp_path, GOOD)
    (tmp_path / "workers.csv").unlink()
    os.mkfifo(tmp_path / "workers.csv")
    with pytest.raises(DataError) as caught:
        read_council(tmp_path / "workers.csv", tmp_path / "teams.csv", AS_OF)
    assert "not a regular file" in caught.value.problems[0]


def test_a_folder_without_the_files_says_which_is_missing(tmp_path):
    (tmp_path / "teams.csv").write_text(TEAMS)
    with pytest.raises(DataError) as caught:
        find_files(tmp_path)
    assert caught.value.problems == [f"{tmp_path}: no workers.csv or workers.xlsx in the folder"]


def test_the_docs_list_every_column():
    text = DOCS.read_text()
    for column in (*WORKER_COLUMNS, *TEAM_COLUMNS):
        if column.name not in HISTORY_COLUMNS:
            assert f"| `{column.name}` |" in text, column.name


def test_numeric_ids_read_as_text_and_blank_padding_columns_are_ignored(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([*HEADER.split(","), None])  # a spreadsheet's padding column
    sheet.append([1001, "North", "social_worker", 1, "permanent", "2020-01-06", 4, 17, None])
    book.save(tmp_path / "workers.xlsx")
    (tmp_path / "teams.csv").write_text(TEAMS)
    data = read_council(tmp_path / "workers.xlsx", tmp_path / "teams.csv", AS_OF)
    assert [w.worker_id for w in data.workers] == ["1001"]


def test_a_value_under_a_blank_header_is_refused(tmp_path):
    rows = [GOOD[0] + ",", GOOD[1] + ",oops"]
    (line,) = problems(tmp_path, rows, header=HEADER + ",")
    assert line == (
        f"{tmp_path / 'workers.csv'}:3:column 10: a value under a blank header; name the column "
        "or clear it (got 'oops')"
    )
