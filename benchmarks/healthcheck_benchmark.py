"""Speed benchmark: the health check of the 12-team example council, 20 runs per team.

Run with ``.venv/bin/python benchmarks/healthcheck_benchmark.py [--reps 20] [--workers 2]``.
Target: under 2 minutes on 2 cores (an idle machine; the load average is printed beside the
time, since a shared machine's other work slows it, and so is the CPU time of this process and
its Dask workers: divided by the workers it estimates the time on an idle machine). Times each
stage: the fitting pilot, the forecast, the lever search, and writing the report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from sim.healthcheck.check import run_health_check
from sim.healthcheck.data import find_files, read_council
from sim.healthcheck.report import write_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "councils" / "northmoor"
TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    stages: dict[str, float] = {}
    first: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        first.setdefault(stage, time.perf_counter())
        if done == total:
            stages[stage] = time.perf_counter() - first[stage]

    data = read_council(*find_files(EXAMPLE), date(2026, 9, 30))
    check = run_health_check(
        data, months=args.months, reps=args.reps, workers=args.workers, progress=progress
    )
    simulated = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        write_report(check, out, pdf=False)
    end = time.perf_counter()
    tried = sum(len(results) for results in check.levers.values())
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in used)  # the Dask workers are joined children
    result = {
        "teams": len(data.teams),
        "reps": args.reps,
        "workers": args.workers,
        "runs": 4 * len(data.teams) + args.reps * len(data.teams) + min(args.reps, 10) * tried,
        "stage_seconds": {k: round(v, 1) for k, v in stages.items()},
        "report_seconds": round(end - simulated, 1),
        "total_seconds": round(end - start, 1),
        "target_seconds": TARGET_SECONDS,
        "met": end - start < TARGET_SECONDS,
        "cpu_seconds": round(cpu, 1),
        "idle_estimate_seconds": round(cpu / args.workers, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
