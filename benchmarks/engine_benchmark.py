"""Engine speed benchmark: CPU seconds against the Engine v2 targets, for one or more code trees.

Run ``.venv/bin/python benchmarks/engine_benchmark.py [--tree NAME=PATH ...]``. Each measurement
runs in a fresh child process with ``PYTHONPATH`` set to the tree, so two trees (the code before a
change and after it) are timed side by side, on the same machine, in one run; peak memory is the
child's own. Times are CPU seconds (``time.process_time``), medians over ``--repeats``. Measured:

- the authority (``scenarios/scale/authority.toml``), ``--years`` simulated years, one replication
  (build, every day and the output tables, as ``sim.engine.run.run`` does);
- per-day cost of its last simulated year over its first (flat cost: no growth with closed cases),
  from that run and again *interleaved*: a fresh model and one advanced to the last year step
  alternate 10-day chunks in one process, so a change in the machine's load during the run
  (other jobs on a shared machine) weighs on both years alike;
- England (``scenarios/scale/england.toml``): build, then ``--england-days`` days (a whole year
  by default; fewer are extrapolated to one), and peak resident memory (``resource.getrusage``);
- the ratio of the authority's day-stepping time to a bare Mesa model with as many agents (the
  mean number of live agents over the run) calling ``agents.shuffle_do("step")`` on an empty step
  for the same number of days, timed right after each authority run (the median of the paired
  ratios).

Trees take turns within each repeat, so a shared machine's changing load weighs on all alike.

Not a test: the targets live here, so the test suite never depends on how busy the machine is.
Only public engine entry points that every tree has are used (``CaseloadModel``, ``run.collect``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUTHORITY = "scenarios/scale/authority.toml"
ENGLAND = "scenarios/scale/england.toml"
DAYS_PER_YEAR = 260

#: (figure, target, comparison) printed as PASS or FAIL.
TARGETS = (
    ("authority_cpu_seconds", 10.0, "<="),
    ("year_last_over_first", 1.1, "<="),
    ("year_last_over_first_interleaved", 1.1, "<="),
    ("england_year_cpu_seconds", 180.0, "<="),
    ("england_peak_mb", 1024.0, "<="),
    ("ratio_to_bare_mesa", 2.0, "<="),
)


# Child side: one measurement in this process -------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_authority(years: int, seed: int) -> dict:
    """One authority replication of ``years`` years, every day timed on its own."""
    from sim.engine.model import CaseloadModel
    from sim.engine.run import collect
    from sim.scenario.loading import load_scenario

    days = years * DAYS_PER_YEAR
    overrides = [f"simulation.days={days}", "simulation.warmup_days=0"]
    config = load_scenario(ROOT / AUTHORITY, overrides)
    start = time.process_time()
    model = CaseloadModel(config, seed)
    built = time.process_time()
    day_seconds, agents = [], []
    for _ in range(days):
        before = time.process_time()
        model.step()
        day_seconds.append(time.process_time() - before)
        agents.append(len(model.agents))
    stepped = time.process_time()
    collect(model)
    end = time.process_time()
    return {
        "cpu_seconds": end - start,
        "build_seconds": built - start,
        "step_seconds": stepped - built,
        "collect_seconds": end - stepped,
        "first_year_ms_per_day": 1000 * sum(day_seconds[:DAYS_PER_YEAR]) / DAYS_PER_YEAR,
        "last_year_ms_per_day": 1000 * sum(day_seconds[-DAYS_PER_YEAR:]) / DAYS_PER_YEAR,
        "mean_agents": sum(agents) / len(agents),
        "days": days,
        "open_end": int(model.tally.daily["open"][days - 1]),
        "peak_mb": _peak_mb(),
    }


def measure_growth(years: int, seed: int, chunk: int = 10) -> dict:
    """Per-day cost of the last year over the first, the two years stepped in alternation."""
    from sim.engine.model import CaseloadModel
    from sim.scenario.loading import load_scenario

    days = years * DAYS_PER_YEAR
    overrides = [f"simulation.days={days}", "simulation.warmup_days=0"]
    config = load_scenario(ROOT / AUTHORITY, overrides)
    first, last = CaseloadModel(config, seed), CaseloadModel(config, seed)
    last.run(days - DAYS_PER_YEAR)
    first_seconds = last_seconds = 0.0
    for _ in range(DAYS_PER_YEAR // chunk):
        before = time.process_time()
        first.run(chunk)
        middle = time.process_time()
        last.run(chunk)
        first_seconds += middle - before
        last_seconds += time.process_time() - middle
    return {"last_over_first": last_seconds / first_seconds}


def measure_england(days: int, seed: int) -> dict:
    """England's build and ``days`` days (the cost of a year extrapolated from them)."""
    from sim.engine.model import CaseloadModel
    from sim.scenario.loading import load_scenario

    config = load_scenario(ROOT / ENGLAND, [f"simulation.days={days}", "simulation.warmup_days=0"])
    start = time.process_time()
    model = CaseloadModel(config, seed)
    built = time.process_time()
    model.run(days)
    stepped = time.process_time()
    per_day = (stepped - built) / days
    return {
        "build_seconds": built - start,
        "seconds_per_day": per_day,
        "year_cpu_seconds": built - start + per_day * DAYS_PER_YEAR,
        "peak_mb": _peak_mb(),
    }


def measure_bare_mesa(n_agents: int, days: int, seed: int) -> dict:
    """A bare Mesa model: ``n_agents`` agents with an empty step, shuffled every day."""
    import mesa

    class Idle(mesa.Agent):
        def step(self) -> None:
            pass

    class Bare(mesa.Model):
        def __init__(self) -> None:
            super().__init__(rng=seed)
            Idle.create_agents(self, n_agents)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    model = Bare()
    start = time.process_time()
    for _ in range(days):
        model.step()
    return {"step_seconds": time.process_time() - start, "mesa": mesa.__version__}


def child(task: str, args: list[str]) -> None:
    """Run one measurement and print its figures as JSON (plus which ``sim`` it imported)."""
    numbers = [int(a) for a in args]
    if task == "authority":
        figures = measure_authority(*numbers)
    elif task == "england":
        figures = measure_england(*numbers)
    elif task == "growth":
        figures = measure_growth(*numbers)
    else:
        figures = measure_bare_mesa(*numbers)
    if task != "bare":
        import sim

        figures["sim"] = str(Path(sim.__file__).resolve().parents[1])
    print(json.dumps(figures))


# Parent side: child processes per tree, medians, the table ----------------------------------
def spawn(python: str, tree: Path, task: str, *numbers: int) -> dict:
    """Run one measurement in a child process importing ``sim`` from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [python, str(Path(__file__).resolve()), "--child", task, *map(str, numbers)]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{tree}: {task} failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if task != "bare" and Path(figures["sim"]) != tree.resolve():
        sys.exit(f"{tree}: imported sim from {figures['sim']} instead")
    return figures


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def bench_trees(python: str, trees: dict[str, Path], args: argparse.Namespace) -> dict:
    """Every figure of every tree (medians over repeats), the trees taking turns in each repeat.

    Taking turns, rather than timing one tree after the other, spreads a change in the load of a
    shared machine over every tree alike; each authority run is followed at once by its bare
    Mesa model, and the ratio is the median of those back-to-back pairs.
    """
    runs = {name: {"authority": [], "bare": [], "growth": []} for name in trees}
    for _ in range(args.repeats):
        for name, tree in trees.items():
            authority = spawn(python, tree, "authority", args.years, 1000)
            runs[name]["authority"].append(authority)
            n_agents = round(authority["mean_agents"])
            bare = spawn(python, tree, "bare", n_agents, authority["days"], 1000)
            runs[name]["bare"].append(bare)
        for name, tree in trees.items():
            runs[name]["growth"].append(spawn(python, tree, "growth", args.years, 1000))
    results = {}
    for name, tree in trees.items():
        authority, bare, growth = (runs[name][k] for k in ("authority", "bare", "growth"))
        figures = {
            "authority_cpu_seconds": median(authority, "cpu_seconds"),
            "authority_build_seconds": median(authority, "build_seconds"),
            "authority_collect_seconds": median(authority, "collect_seconds"),
            "first_year_ms_per_day": median(authority, "first_year_ms_per_day"),
            "last_year_ms_per_day": median(authority, "last_year_ms_per_day"),
            "year_last_over_first": statistics.median(
                a["last_year_ms_per_day"] / a["first_year_ms_per_day"] for a in authority
            ),
            "year_last_over_first_interleaved": median(growth, "last_over_first"),
            "authority_peak_mb": median(authority, "peak_mb"),
            "mean_agents": round(median(authority, "mean_agents")),
            "bare_mesa_seconds": median(bare, "step_seconds"),
            "ratio_to_bare_mesa": statistics.median(
                a["step_seconds"] / b["step_seconds"] for a, b in zip(authority, bare, strict=True)
            ),
            "open_end": authority[0]["open_end"],
        }
        if args.england_days:
            england = spawn(python, tree, "england", args.england_days, 1)
            figures |= {
                "england_build_seconds": england["build_seconds"],
                "england_ms_per_day": 1000 * england["seconds_per_day"],
                "england_year_cpu_seconds": england["year_cpu_seconds"],
                "england_peak_mb": england["peak_mb"],
            }
        results[name] = figures
    return results


ROWS = (
    ("authority_cpu_seconds", "authority {years} y, CPU s", "{:.2f}"),
    ("authority_build_seconds", "  of which build, s", "{:.2f}"),
    ("authority_collect_seconds", "  of which output tables, s", "{:.2f}"),
    ("first_year_ms_per_day", "  ms per day, year 1", "{:.2f}"),
    ("last_year_ms_per_day", "  ms per day, year {years}", "{:.2f}"),
    ("year_last_over_first", "  year {years} / year 1", "{:.3f}"),
    ("year_last_over_first_interleaved", "  year {years} / year 1, interleaved", "{:.3f}"),
    ("authority_peak_mb", "  peak memory, MB", "{:.0f}"),
    ("mean_agents", "  mean live Mesa agents", "{:.0f}"),
    ("bare_mesa_seconds", "bare Mesa, same agents and days, s", "{:.2f}"),
    ("ratio_to_bare_mesa", "ratio of stepping to bare Mesa", "{:.2f}"),
    ("england_build_seconds", "England build, CPU s", "{:.1f}"),
    ("england_ms_per_day", "England ms per day", "{:.0f}"),
    ("england_year_cpu_seconds", "England 1 y incl. build, s", "{:.0f}"),
    ("england_peak_mb", "England peak memory, MB", "{:.0f}"),
)


def verdict(value: float, target: float, comparison: str) -> str:
    ok = value <= target if comparison == "<=" else value >= target
    return "PASS" if ok else "FAIL"


def main() -> None:
    """Time every tree and print one table, each figure against its target."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a code tree to time (repeatable; default: this one)",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for every tree")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--england-days",
        type=int,
        default=DAYS_PER_YEAR,
        help="days of England to run (default a whole year; fewer are extrapolated to a year, "
        "but a short run holds fewer cases, so its memory says little); 0 skips England",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree) or {"this": str(ROOT)}
    results = bench_trees(args.python, {name: Path(path) for name, path in trees.items()}, args)
    targets = {key: (target, comparison) for key, target, comparison in TARGETS}
    print(
        f"Engine benchmark: CPU seconds, median of {args.repeats}; "
        + (
            f"England {args.england_days} days extrapolated to {DAYS_PER_YEAR}"
            if args.england_days < DAYS_PER_YEAR
            else f"England {args.england_days} days measured"
        )
    )
    print(f"{'':40s}" + "".join(f"{name:>16s}" for name in results) + "   target")
    for key, label, fmt in ROWS:
        if not all(key in figures for figures in results.values()):
            continue
        cells = ""
        for figures in results.values():
            cell = fmt.format(figures[key])
            if key in targets:
                cell += " " + verdict(figures[key], *targets[key])
            cells += f"{cell:>16s}"
        goal = f"   {targets[key][1]} {targets[key][0]:g}" if key in targets else ""
        print(f"{label.format(years=args.years):40s}{cells}{goal}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
