"""Each social worker's state at the end of every day, kept as numpy columns.

This replaces Mesa's ``DataCollector`` for the worker-day table: the collector calls one Python
reporter per value per agent per day (16 values x every worker) and keeps a tuple per agent,
which cost about a fifth of a step. Here each day's block is a slice of the staff table's columns
for the workers in post (:class:`~sim.engine.staff.Staff`), and the blocks are joined once when
the table is built. Mesa 3.5's ``DataRecorder`` (``mesa.experimental.data_collection``) was
considered: it is experimental (its API may change without warning), is driven by the model's
``time`` observable rather than our day counter, and still reads agent attributes one agent at
a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.engine.manager import MANAGER_WORKER_BASE
from sim.engine.staff import STATUS_NAMES, Staff

if TYPE_CHECKING:
    from sim.engine.agents import Manager
    from sim.scenario.schema import Scenario

#: Columns read straight from the staff table (``worker`` is the row), with their dtype.
_ATTRIBUTES: dict[str, type] = {
    "team": np.int64,
    "fte": np.float64,
    "is_agency": np.bool_,
    "caseload": np.int64,
    "weighted_caseload": np.float64,
    "backlog_hours": np.float64,
    "stress": np.float64,
    "is_burnt_out": np.bool_,
    "hours_available": np.float64,
    "hours_worked": np.float64,
    "overtime_hours": np.float64,
    "contact_hours": np.float64,
}
#: The table's columns, in order (docs/outputs.md, ``worker_days.parquet``).
COLUMNS: tuple[str, ...] = (
    "day",
    "worker",
    "team",
    "fte",
    "is_agency",
    "status",
    "caseload",
    "weighted_caseload",
    "backlog_hours",
    "stress",
    "is_burnt_out",
    "hours_available",
    "hours_worked",
    "overtime_hours",
    "contact_hours",
    "intention_to_leave",
)
_STATUS_NAMES = np.array(STATUS_NAMES, dtype=object)
_BURNT_OUT, _WORKING = STATUS_NAMES.index("burnt_out"), STATUS_NAMES.index("working")


#: Role of each row when the managers are recorded too (``manager.mode = "under_load"``).
ROLES: tuple[str, ...] = ("social_worker", "manager")


class WorkerDayRecord:
    """Per-day blocks of every in-post worker's state, joined into one table on demand."""

    def __init__(self) -> None:
        self._blocks: list[dict[str, np.ndarray]] = []
        self._has_managers = False

    def record(self, day: int, staff: Staff, who: np.ndarray, intention: np.ndarray) -> None:
        """Keep the state of staff rows ``who`` at the end of ``day`` (``intention``: per year)."""
        block = {"day": np.full(len(who), day, dtype=np.int64), "worker": who.astype(np.int64)}
        for name, dtype in _ATTRIBUTES.items():
            block[name] = getattr(staff, name)[who].astype(dtype)
        block["status"] = staff.status_codes(who, day).astype(np.int8)
        block["intention_to_leave"] = np.asarray(intention, dtype=np.float64)
        self._blocks.append(block)

    def record_managers(self, day: int, managers: Sequence[Manager], config: Scenario) -> None:
        """Keep each team manager's state at the end of ``day`` (the manager under load).

        A manager's row has worker ``MANAGER_WORKER_BASE + team``, no cases, no contact, and
        its own stress, burnout, hours available (after fixed commitments), hours worked and
        unpaid overtime; managers do not leave, so their intention to leave is 0.
        """
        n = len(managers)
        teams = np.array([m.team for m in managers], dtype=np.int64)
        burnt = np.array([m.is_burnt_out for m in managers], dtype=np.bool_)
        block = {
            "day": np.full(n, day, dtype=np.int64),
            "worker": MANAGER_WORKER_BASE + teams,
            "team": teams,
            "fte": np.full(n, config.team.manager_fte, dtype=np.float64),
            "is_agency": np.zeros(n, dtype=np.bool_),
            "status": np.where(burnt, _BURNT_OUT, _WORKING).astype(np.int8),
            "caseload": np.zeros(n, dtype=np.int64),
            "weighted_caseload": np.zeros(n),
            "backlog_hours": np.zeros(n),
            "stress": np.array([m.stress for m in managers], dtype=np.float64),
            "is_burnt_out": burnt,
            "hours_available": np.array([m.hours_available for m in managers], dtype=np.float64),
            "hours_worked": np.array([m.hours_worked for m in managers], dtype=np.float64),
            "overtime_hours": np.array([m.overtime_hours for m in managers], dtype=np.float64),
            "contact_hours": np.zeros(n),
            "intention_to_leave": np.zeros(n),
        }
        self._blocks.append(block)
        self._has_managers = True

    def table(self) -> pd.DataFrame:
        """Every recorded worker-day, sorted by day then worker.

        With managers recorded, a last column ``role`` (``social_worker`` or ``manager``) tells
        them apart.
        """
        if not self._blocks:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
        columns = {
            name: np.concatenate([block[name] for block in self._blocks]) for name in COLUMNS
        }
        columns["status"] = _STATUS_NAMES[columns["status"]]
        if self._has_managers:
            is_manager = columns["worker"] >= MANAGER_WORKER_BASE
            columns["role"] = np.array(ROLES, dtype=object)[is_manager.astype(np.int64)]
        table = pd.DataFrame(columns)
        return table.sort_values(["day", "worker"], ignore_index=True, kind="stable")
