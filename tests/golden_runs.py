"""The golden back-test's runs: a handful of scenarios at a fixed seed and short horizon.

``python tests/golden_runs.py`` rewrites ``tests/golden/*.json``. Do that only in a commit of its
own that says why the numbers changed on purpose; ``tests/test_golden.py`` compares every run
against these files, so moving or tidying code can never change a number unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SEED = 20261201
OVERRIDES = ["simulation.days=260", "simulation.warmup_days=40"]
SCENARIOS = {
    "baseline": "scenarios/baseline.toml",
    "admin_support": "scenarios/levers/admin_support.toml",
    "staffing_cut": "scenarios/levers/staffing_cut_10pct.toml",
    "manager_span_120": "scenarios/teaching/manager_span_120.toml",
    "duty_after_sickness": "scenarios/teaching/duty_after_sickness.toml",
    "service_area": "scenarios/scale/service_area.toml",
    "harm_side_off": "scenarios/baseline.toml",
}
#: Extra settings of a golden scenario, after :data:`OVERRIDES`: the baseline with the harm
#: side's mechanisms (on by default since issue 10) switched off, so that path stays pinned too.
EXTRA_OVERRIDES = {
    "harm_side_off": [
        "front_door.enabled=false",
        "re_referral.enabled=false",
        "exhaustion.enabled=false",
        "worker_changes.enabled=false",
        "manager.mode=off",
    ]
}


def table_hash(table: pd.DataFrame) -> str:
    """SHA-256 of a table's columns and values (floats to 10 significant digits)."""
    digest = hashlib.sha256()
    for name in sorted(table.columns):
        digest.update(name.encode())
        values = table[name].to_numpy()
        if values.dtype.kind == "f":
            text = np.array2string(values, precision=10, threshold=sys.maxsize, floatmode="maxprec")
        else:
            text = ",".join(map(str, values.tolist()))
        digest.update(text.encode())
    return digest.hexdigest()


def golden_figures(name: str) -> dict:
    """Run one golden scenario and reduce it to what the golden file keeps."""
    from sim import load_scenario, run  # the public face, as a user calls it

    overrides = OVERRIDES + EXTRA_OVERRIDES.get(name, [])
    config = load_scenario(ROOT / SCENARIOS[name], overrides)
    result = run(config, SEED)
    return {
        "scenario": SCENARIOS[name],
        "seed": SEED,
        "overrides": overrides,
        "summary": result.summary,
        "daily_sha256": table_hash(result.daily),
        "workers_sha256": table_hash(result.workers),
        "cases_sha256": table_hash(result.cases),
        "worker_days_sha256": table_hash(
            result.worker_days.sort_values(["day", "worker"], ignore_index=True)
        ),
    }


def main() -> None:
    """Regenerate every golden file."""
    GOLDEN.mkdir(exist_ok=True)
    for name in SCENARIOS:
        path = GOLDEN / f"{name}.json"
        path.write_text(json.dumps(golden_figures(name), indent=2, sort_keys=True) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
