"""A council's worker and team files: columns, reading (CSV or XLSX) and the checks on them.

The files are what a council already has: the DfE children's social work workforce return and
a case-management export, one row per worker and one per team. They describe people, so they
are read with care: identifying columns (names, emails, NI numbers, dates of birth, addresses)
are refused, nothing but aggregates and the pseudonymised ids ever leaves this module's callers,
and reading is bounded (regular files only, a size and a row limit) as the scenario loader's is.

Rows are checked with pydantic, the schema library the scenarios already use, rather than
pandera: a row is a record with per-field types, bounds and choices, which is what pydantic
models say, and its errors name the field, which becomes the ``FILE:ROW:COLUMN`` of the line a
user reads. Every problem in both files is listed before the command stops with exit status 2.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.scenario.loading import ScenarioError, shown_path

#: A worker file of a large council (a few thousand rows) is well under a megabyte; this is
#: far beyond any real one and keeps a mistaken path from filling memory.
MAX_DATA_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 200

ROLES = ("social_worker", "senior", "manager", "swa", "admin")
#: Roles that hold cases and are counted as social workers (the DfE case-holder definition).
CASE_HOLDING_ROLES = ("social_worker", "senior")
CONTRACTS = ("permanent", "agency")
SERVICES = ("children", "adults")
HISTORY_MONTHS = 12
HISTORY_COLUMNS = tuple(f"cases_m{m:02d}" for m in range(1, HISTORY_MONTHS + 1))

#: Words that mark a column holding someone's identity; such a column is refused.
IDENTIFYING_WORDS = (
    "name",
    "surname",
    "forename",
    "email",
    "e_mail",
    "ni_number",
    "ni_no",
    "nino",
    "national_insurance",
    "birth",
    "dob",
    "address",
    "postcode",
    "post_code",
    "phone",
    "mobile",
)
PSEUDONYMISE = (
    "identifying column refused: pseudonymise the file first (give each worker a worker_id "
    "that is not their name, payroll or NI number, and drop names, emails, NI numbers, dates "
    "of birth and addresses)"
)


class DataError(ScenarioError):
    """The council's files have problems: one ``FILE:ROW:COLUMN: problem (got X)`` line each."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Count = Annotated[int, Field(ge=0, le=100_000)]
Cases = Annotated[int, Field(ge=0, le=500)]


class WorkerRow(_Row):
    """One worker, in post now or left in the last 12 months (then ``leave_date`` is given)."""

    worker_id: Annotated[str, Field(min_length=1, max_length=60)]
    team: Annotated[str, Field(min_length=1, max_length=80)]
    role: Literal[ROLES]
    fte: Annotated[float, Field(gt=0.0, le=1.0)]
    contract: Literal[CONTRACTS]
    start_date: date
    years_qualified: Annotated[float, Field(ge=0.0, le=50.0)] | None = None
    cases_held: Cases | None = None
    weighted_cases: Annotated[float, Field(ge=0.0, le=1000.0)] | None = None
    sickness_days_12m: Annotated[float, Field(ge=0.0, le=260.0)] = 0.0
    supervision_sessions_12m: Annotated[int, Field(ge=0, le=260)] | None = None
    leave_date: date | None = None
    leave_reason: Annotated[str, Field(max_length=80)] | None = None
    history: tuple[Cases | None, ...] = ()

    @property
    def is_social_worker(self) -> bool:
        """Holds cases and counts in the caseload-per-FTE denominator."""
        return self.role in CASE_HOLDING_ROLES

    @property
    def in_post(self) -> bool:
        """Still in post on the census date (has not left)."""
        return self.leave_date is None


class TeamRow(_Row):
    """One team: its establishment, vacancies and demand over the last 12 months."""

    team: Annotated[str, Field(min_length=1, max_length=80)]
    service: Literal[SERVICES]
    establishment_fte: Annotated[float, Field(gt=0.0, le=500.0)]
    vacancies_fte: Annotated[float, Field(ge=0.0, le=500.0)]
    referrals_12m: Count
    re_referrals_12m: Count | None = None
    visits_overdue: Count | None = None
    caseload_benchmark: Annotated[float, Field(gt=0.0, le=100.0)] | None = None


@dataclass(frozen=True)
class Column:
    """One column of an input file: whether it is required, its unit and what it holds."""

    name: str
    required: bool
    unit: str
    meaning: str


WORKER_COLUMNS: tuple[Column, ...] = (
    Column("worker_id", True, "text", "pseudonymised id, unique in the file (not a name)"),
    Column("team", True, "text", "the team, as named in the team file"),
    Column("role", True, "one of " + ", ".join(ROLES), "post held"),
    Column("fte", True, "FTE, more than 0 and at most 1", "contracted hours / full-time hours"),
    Column("contract", True, "permanent or agency", "employment basis"),
    Column("start_date", True, "date YYYY-MM-DD", "started in this council (agency: assignment)"),
    Column(
        "years_qualified", False, "years", "years since qualifying; required for social workers"
    ),
    Column(
        "cases_held", False, "cases", "cases held on the census date; required for social workers"
    ),
    Column("weighted_cases", False, "weighted cases", "the case-management system's weighted load"),
    Column("sickness_days_12m", False, "working days", "days off sick in the last 12 months"),
    Column("supervision_sessions_12m", False, "sessions", "supervision sessions held in 12 months"),
    Column("leave_date", False, "date YYYY-MM-DD", "for leavers in the last 12 months"),
    Column("leave_reason", False, "text", "why the leaver left (resignation, retirement, ...)"),
    *(
        Column(c, False, "cases", f"cases held at the end of month {i} (12 = the census month)")
        for i, c in enumerate(HISTORY_COLUMNS, 1)
    ),
)

TEAM_COLUMNS: tuple[Column, ...] = (
    Column("team", True, "text", "team name, unique in the file"),
    Column("service", True, "children or adults", "which service the team belongs to"),
    Column("establishment_fte", True, "FTE", "funded social-worker posts (seniors included)"),
    Column("vacancies_fte", True, "FTE", "posts with no permanent holder (agency-covered count)"),
    Column("referrals_12m", True, "referrals", "referrals received in the last 12 months"),
    Column("re_referrals_12m", False, "referrals", "of which re-referrals within 12 months"),
    Column("visits_overdue", False, "visits", "statutory visits overdue on the census date"),
    Column("caseload_benchmark", False, "cases per FTE", "the team's own safe-caseload benchmark"),
)


@dataclass(frozen=True)
class CouncilData:
    """A council's checked files: its workers, its teams and the census date."""

    workers: tuple[WorkerRow, ...]
    teams: tuple[TeamRow, ...]
    as_of: date
    worker_file: str
    team_file: str

    def team_workers(self, team: str, *, in_post: bool = True) -> list[WorkerRow]:
        """The team's workers (in post now, or left in the year when ``in_post`` is False)."""
        return [w for w in self.workers if w.team == team and w.in_post == in_post]

    @property
    def has_history(self) -> bool:
        """Whether the worker file gives a monthly history of cases held."""
        return any(any(v is not None for v in w.history) for w in self.workers)


def find_files(folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The worker and team files in ``folder``: ``workers.csv`` or ``.xlsx``, ``teams.*``.

    Raises:
        DataError: If the folder or either file is missing, or both forms of one are there.
    """
    base = Path(folder)
    if not base.is_dir():
        raise DataError([f"{shown_path(base)}: not a folder holding workers.csv and teams.csv"])
    found, problems = [], []
    for stem in ("workers", "teams"):
        present = [
            base / f"{stem}.{ext}" for ext in ("csv", "xlsx") if (base / f"{stem}.{ext}").exists()
        ]
        if not present:
            problems.append(f"{shown_path(base)}: no {stem}.csv or {stem}.xlsx in the folder")
        elif len(present) > 1:
            problems.append(
                f"{shown_path(base)}: both {stem}.csv and {stem}.xlsx; keep one (got both)"
            )
        else:
            found.append(present[0])
    if problems:
        raise DataError(problems)
    return found[0], found[1]


def read_council(
    worker_file: str | os.PathLike[str], team_file: str | os.PathLike[str], as_of: date
) -> CouncilData:
    """Read and check both files; every problem in either is reported together.

    Raises:
        DataError: One line per problem.
    """
    team_problems: list[str] = []
    worker_problems: list[str] = []
    teams = _read_rows(team_file, TEAM_COLUMNS, TeamRow, team_problems)
    workers = _read_rows(worker_file, WORKER_COLUMNS, WorkerRow, worker_problems)
    team_problems += _team_problems(team_file, teams)
    team_names = {str(row.raw["team"]) for row in teams if row.raw.get("team") is not None}
    worker_problems += _worker_problems(worker_file, workers, team_names, as_of)
    problems = _by_row(team_problems) + _by_row(worker_problems)
    if problems:
        raise DataError(problems)
    return CouncilData(
        tuple(row.record for row in workers),
        tuple(row.record for row in teams),
        as_of,
        shown_path(worker_file),
        shown_path(team_file),
    )


# --- reading ------------------------------------------------------------------------------------


def read_table(path: str | os.PathLike[str]) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """A CSV or XLSX file's header and its non-blank rows, each with its row number (header 1).

    Raises:
        DataError: If the file cannot be read, is not a regular file, or is too large.
    """
    shown = shown_path(path)
    data = _read_bounded(path, shown)
    if str(path).lower().endswith(".xlsx"):
        rows = _xlsx_rows(data, shown)
    else:
        rows = _csv_rows(data, shown)
    header_row = next(rows, None)
    if header_row is None:
        raise DataError([f"{shown}:1: the file is empty (got no header row)"])
    header = [_normal(str(v)) if v is not None else "" for v in header_row[1]]
    if len(header) > MAX_COLUMNS:
        raise DataError([f"{shown}:1: more than {MAX_COLUMNS} columns (got {len(header)})"])
    body = []
    for number, values in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(body) >= MAX_ROWS:
            raise DataError([f"{shown}:{number}: more than {MAX_ROWS:,} rows (got more)"])
        body.append((number, list(values)))
    return header, body


def _read_bounded(path: str | os.PathLike[str], shown: str) -> bytes:
    """A regular file's bytes, at most :data:`MAX_DATA_BYTES`, opened without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DataError([f"{shown}: cannot read file ({reason})"]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(
                [f"{shown}: not a regular file (got file mode {stat.filemode(info.st_mode)})"]
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_DATA_BYTES + 1)
    except OSError as exc:
        raise DataError([f"{shown}: cannot read file ({exc.strerror or exc})"]) from None
    finally:
        os.close(fd)
    if len(data) > MAX_DATA_BYTES:
        raise DataError(
            [f"{shown}: larger than the {MAX_DATA_BYTES:,}-byte limit (got {len(data):,}+ bytes)"]
        )
    return data


def _csv_rows(data: bytes, shown: str) -> Iterable[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            [f"{shown}: not UTF-8 text; save it as CSV UTF-8 (got a bad byte at {exc.start})"]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for values in reader:
            yield reader.line_num, [v.strip() for v in values]
    except csv.Error as exc:
        raise DataError([f"{shown}:{reader.line_num}: not valid CSV ({exc})"]) from None


def _xlsx_rows(data: bytes, shown: str) -> Iterable[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # only XLSX input needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise DataError([f"{shown}: not a readable XLSX workbook ({type(exc).__name__})"]) from None
    sheet = book.worksheets[0]
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        yield number, [v.strip() if isinstance(v, str) else v for v in values]
    book.close()


def _normal(header: str) -> str:
    """A header as a column key: lower case, runs of other characters as one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


# --- checking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    """A row as read: its number, its record (None when a value is wrong) and its raw values."""

    number: int
    record: Any
    raw: dict[str, Any]


def _read_rows(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    model: type[_Row],
    problems: list[str],
) -> list[_Checked]:
    """The file's rows, each with its number, its record (None if invalid) and raw values."""
    shown = shown_path(path)
    try:
        header, body = read_table(path)
    except DataError as exc:
        problems += exc.problems
        return []
    known = {c.name for c in columns}
    header_problems = []
    for index, name in enumerate(header):
        label = name or f"column {index + 1}"
        if not name:  # a blank header: fine if the column is empty (spreadsheets pad with them)
            filled = next(
                (n for n, row in body if index < len(row) and _cell(row[index]) is not None), None
            )
            if filled is not None:
                header_problems.append(
                    f"{shown}:{filled}:{label}: a value under a blank header; name the column "
                    f"or clear it (got {_show(body_value(body, filled, index))})"
                )
        elif name in known:
            if header.index(name) != index:
                header_problems.append(f"{shown}:1:{label}: column given twice (got it again)")
        elif _is_identifying(name):
            header_problems.append(f"{shown}:1:{label}: {PSEUDONYMISE} (got header {label!r})")
        else:
            header_problems.append(
                f"{shown}:1:{label}: unknown column; the columns are in docs/healthcheck.md "
                f"(got {label!r})"
            )
    for column in columns:
        if column.required and column.name not in header:
            header_problems.append(
                f"{shown}:1:{column.name}: required column missing ({column.unit}) "
                f"(got columns {', '.join(h for h in header if h) or 'none'})"
            )
    if header_problems:
        problems += header_problems
        return []
    rows = []
    for number, values in body:
        record = {
            name: _text(name, _cell(values[i] if i < len(values) else None))
            for i, name in enumerate(header)
            if name
        }
        history = tuple(record.pop(c, None) for c in HISTORY_COLUMNS)
        fields = {k: v for k, v in record.items() if v is not None}
        if model is WorkerRow and any(v is not None for v in history):
            fields["history"] = history
        try:
            rows.append(_Checked(number, model(**fields), fields))
        except ValidationError as exc:
            rows.append(_Checked(number, None, fields))
            for error in exc.errors():
                problems.append(_error_line(shown, number, error, fields))
    return rows


def _cell(value: Any) -> Any:
    """A cell as the schema reads it: blank is missing, a spreadsheet date-time is a date."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: Columns read as text: a spreadsheet may hold an id such as 1001 as a number.
TEXT_COLUMNS = frozenset({"worker_id", "team", "role", "contract", "service", "leave_reason"})


def _text(name: str, value: Any) -> Any:
    """A text column's value as text (``1001``, not ``1001.0``); other columns as they are."""
    if name in TEXT_COLUMNS and value is not None and not isinstance(value, str):
        return str(value)
    return value


def body_value(body: list[tuple[int, list[Any]]], number: int, index: int) -> Any:
    """The value in row ``number``, column ``index`` of a file's body."""
    row = next(values for n, values in body if n == number)
    return row[index] if index < len(row) else None


def _is_identifying(name: str) -> bool:
    """A header naming a person's identity: ``surname``, ``email_address``, ``dob``, ..."""
    parts = name.split("_")
    return any(part.endswith("name") for part in parts) or any(
        (word in name) if "_" in word else (word in parts) for word in IDENTIFYING_WORDS
    )


_MESSAGES = {
    "missing": "required value is blank",
    "float_parsing": "not a number",
    "float_type": "not a number",
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "int_from_float": "not a whole number",
    "date_parsing": "not a date; write it as YYYY-MM-DD",
    "date_from_datetime_parsing": "not a date; write it as YYYY-MM-DD",
    "date_from_datetime_inexact": "not a date; write it as YYYY-MM-DD",
    "date_type": "not a date; write it as YYYY-MM-DD",
    "string_too_long": "too long",
    "finite_number": "not a finite number",
}


def _error_line(shown: str, number: int, error: dict[str, Any], fields: dict[str, Any]) -> str:
    loc = error["loc"]
    column = str(loc[0]) if loc else "(row)"
    got: Any = fields.get(column)
    if column == "history" and len(loc) > 1 and isinstance(loc[1], int):
        column = HISTORY_COLUMNS[loc[1]]
        got = fields["history"][loc[1]]
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        message = _MESSAGES[kind]
    elif kind == "literal_error":
        message = f"must be one of {ctx.get('expected', '')}".replace("'", "")
    elif kind == "greater_than":
        message = f"must be more than {ctx['gt']:g}"
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx['ge']:g}"
    elif kind == "less_than_equal":
        message = f"must be at most {ctx['le']:g}"
    elif kind == "string_too_short":
        message = "required value is blank"
    else:
        message = error["msg"][:1].lower() + error["msg"][1:]
    return f"{shown}:{number}:{column}: {message} (got {_show(got)})"


def _show(value: Any) -> str:
    if value is None:
        return "blank"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _team_problems(path: str | os.PathLike[str], teams: list[_Checked]) -> list[str]:
    shown, seen, problems = shown_path(path), {}, []
    for row in teams:
        name = row.raw.get("team")
        if name is not None and name in seen:
            problems.append(
                f"{shown}:{row.number}:team: team listed twice (got {_show(name)}, "
                f"first on row {seen[name]})"
            )
        seen.setdefault(name, row.number)
        team = row.record
        if team is None:
            continue
        if team.vacancies_fte > team.establishment_fte:
            problems.append(
                f"{shown}:{row.number}:vacancies_fte: more vacancies than establishment_fte "
                f"{team.establishment_fte:g} (got {team.vacancies_fte:g})"
            )
        if team.re_referrals_12m is not None and team.re_referrals_12m > team.referrals_12m:
            problems.append(
                f"{shown}:{row.number}:re_referrals_12m: more than referrals_12m "
                f"{team.referrals_12m} (got {team.re_referrals_12m})"
            )
    return problems


def _worker_problems(
    path: str | os.PathLike[str],
    workers: list[_Checked],
    team_names: set[str],
    as_of: date,
) -> list[str]:
    shown, seen, problems = shown_path(path), {}, []
    window_start = year_before(as_of)
    for row in workers:
        where = f"{shown}:{row.number}"
        worker_id, team = row.raw.get("worker_id"), row.raw.get("team")
        if worker_id is not None and worker_id in seen:
            problems.append(
                f"{where}:worker_id: duplicate id (got {_show(worker_id)}, first on row "
                f"{seen[worker_id]})"
            )
        seen.setdefault(worker_id, row.number)
        if team is not None and team_names and str(team) not in team_names:
            problems.append(f"{where}:team: team not in the team file (got {_show(team)})")
        w = row.record
        if w is None:
            continue
        if w.start_date > as_of:
            problems.append(
                f"{where}:start_date: after the census date {as_of} (got {w.start_date})"
            )
        if w.leave_date is not None:
            if w.leave_date < w.start_date:
                problems.append(
                    f"{where}:leave_date: before start_date {w.start_date} (got {w.leave_date})"
                )
            if w.leave_date > as_of or w.leave_date < window_start:
                problems.append(
                    f"{where}:leave_date: not in the 12 months to the census date {as_of} "
                    f"(got {w.leave_date})"
                )
        if w.is_social_worker and w.in_post:
            for column in ("cases_held", "years_qualified"):
                if getattr(w, column) is None:
                    problems.append(f"{where}:{column}: required for social workers (got blank)")
    return problems


def _by_row(problems: list[str]) -> list[str]:
    """One file's problems in row order (a row's own problems before cross-row ones)."""

    def row(line: str) -> int:
        match = re.match(r"^.*?:(\d+):", line)
        return int(match.group(1)) if match else 0

    return sorted(problems, key=row)


def year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)
