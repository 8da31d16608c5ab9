"""Speed benchmark: seconds per simulated year for the baseline team and a 300-worker authority.

Run with ``.venv/bin/python benchmarks/benchmark.py [--years N] [--repeats R] [--england-days D]``.
``--england-days`` also times D days of the England scale test (33,000 posts, ~470,000 cases) and
extrapolates to a year. Not a test: speed targets live here, so the test suite never depends on
how busy the machine is.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from sim.engine.run import run
from sim.scenario.loading import load_scenario
from sim.scenario.schema import WORKING_DAYS_PER_YEAR

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "baseline team (6 posts)": ROOT / "scenarios" / "baseline.toml",
    "authority (30 teams, 300 posts)": ROOT / "scenarios" / "scale" / "authority.toml",
}
ENGLAND = ROOT / "scenarios" / "scale" / "england.toml"


def time_scenario(path: Path, years: int, repeats: int) -> dict:
    """Best-of-``repeats`` wall time for one replication of ``years`` simulated years."""
    days = years * WORKING_DAYS_PER_YEAR
    config = load_scenario(path, [f"simulation.days={days}", "simulation.warmup_days=0"])
    timings = []
    for repeat in range(repeats):
        start = time.perf_counter()
        result = run(config, seed=1000 + repeat)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    return {
        "seconds_per_year": best / years,
        "seconds_total_best": best,
        "workers_in_post_end": int(result.daily["workers_in_post"].iloc[-1]),
        "open_cases_end": int(result.daily["open"].iloc[-1]),
        "referrals": int(result.daily["referrals"].sum()),
    }


def time_england(days: int) -> dict:
    """Build time and seconds per simulated year (extrapolated from ``days``) at England scale."""
    from sim.engine.model import CaseloadModel

    config = load_scenario(ENGLAND, [f"simulation.days={days + 1}", "simulation.warmup_days=0"])
    start = time.perf_counter()
    model = CaseloadModel(config, seed=1)
    built = time.perf_counter()
    model.run(days)
    stepped = time.perf_counter()
    return {
        "build_seconds": built - start,
        "seconds_per_year": (stepped - built) / days * WORKING_DAYS_PER_YEAR,
        "workers_in_post_end": len(model.workers_in_post()),
        "open_cases_end": int(model.tally.daily["open"][days - 1]),
    }


def main() -> None:
    """Time each benchmark case and print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--england-days", type=int, default=0, help="also time England scale")
    args = parser.parse_args()
    results = {name: time_scenario(path, args.years, args.repeats) for name, path in CASES.items()}
    if args.england_days:
        results["England (3,300 teams, 33,000 posts)"] = time_england(args.england_days)
    print(
        f"Caseload benchmark ({platform.python_version()}, {platform.machine()}), "
        f"{args.years} simulated years, best of {args.repeats}"
    )
    for name, figures in results.items():
        print(
            f"  {name:34s} {figures['seconds_per_year']:8.3f} s per simulated year "
            f"({figures['workers_in_post_end']} workers, {figures['open_cases_end']} open cases)"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
