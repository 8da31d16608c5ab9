"""Speed benchmark: ``caseload review`` of a scenario against ``caseload run`` of it.

Run with ``.venv/bin/python benchmarks/review_benchmark.py [--scenario scenarios/baseline.toml]
[--reps 20] [--workers 2] [--repeats 3]``. Target: the review (each replication run twice, matched
and attributed, outputs written) costs at most 2.2 times the plain run (its four tables, summary,
report and plots written, ``--no-pdf``), in CPU seconds of the command and its Dask workers and in
wall-clock seconds, medians over ``--repeats`` alternating pairs. Both are the installed console
script, as a user runs them, into fresh folders (no resume). The load average is printed beside the
times: a shared machine's other work slows both commands, the ratio less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.2


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the command and everything it started) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.toml")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    script = shutil.which("caseload", path=str(Path(sys.executable).parent))
    if script is None:
        raise SystemExit("the caseload console script is not installed beside this Python")
    common = ["--reps", str(args.reps), "--workers", str(args.workers), "--quiet"]
    times: dict[str, list[tuple[float, float]]] = {"run": [], "review": []}
    loads = []
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            for command in ("run", "review"):
                out = Path(scratch) / f"{command}-{repeat}"
                words = [script, command, args.scenario, *common, "--out", str(out)]
                if command == "run":  # no PDF brief: the review prints none either
                    words.append("--no-pdf")
                times[command].append(timed(words))
                loads.append(os.getloadavg()[0])

    def median(command: str, which: int) -> float:
        return statistics.median(t[which] for t in times[command])

    wall_ratio = median("review", 0) / median("run", 0)
    cpu_ratio = median("review", 1) / median("run", 1)
    result = {
        "scenario": args.scenario,
        "reps": args.reps,
        "workers": args.workers,
        "repeats": args.repeats,
        "run_wall_seconds": round(median("run", 0), 1),
        "review_wall_seconds": round(median("review", 0), 1),
        "wall_ratio": round(wall_ratio, 2),
        "run_cpu_seconds": round(median("run", 1), 1),
        "review_cpu_seconds": round(median("review", 1), 1),
        "cpu_ratio": round(cpu_ratio, 2),
        "target_ratio": TARGET_RATIO,
        "met": max(wall_ratio, cpu_ratio) <= TARGET_RATIO,
        "load_average_1min": [round(x, 2) for x in loads],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
