"""``caseload review``: every serious incident, replayed under safe staffing, and attributed.

Registered in :data:`sim.cli.main.COMMANDS`. The replay, the matching rule and the attribution
are in :mod:`sim.experiments.review` (method and limits: docs/review.md); this module loads the
scenario and the safe configuration, runs the replayed replications (locally in this process,
on an embedded Dask cluster, or on a scheduler; each saved as it finishes, so Ctrl-C and the
same command resume) and writes ``incidents.parquet``, ``attribution.parquet``, ``review.md``,
``safe.toml``, ``scenario.toml`` and ``manifest.json`` into the output folder at once, then the
panel views (:mod:`sim.experiments.panel`) of the events asked for with ``--panel`` and of two
example events into ``panels/``.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.cli.support import (
    EXIT_OK,
    Interrupted,
    ProgressReporter,
    add_execution_options,
    add_output_options,
    add_set_option,
    int_at_least,
    reproducing_options,
)

#: Folder inside the output directory holding replications of an unfinished review.
CHECKPOINT_DIR = ".checkpoints"

#: Folder inside the output directory holding the panel views (``event-<EVENT_ID>.html``).
PANEL_DIR = "panels"

#: The review's classification of an event, in the panel's title.
MATCH_WORDS = {
    "matched": "the review: also under safe staffing",
    "avoided": "the review: avoided under safe staffing",
    "safe_only": "the review: only under safe staffing",
}

#: An event id of ``incidents.parquet``: ``<run>-<replication>-<n>``.
EVENT_ID = re.compile(r"(base|safe)-([0-9]+)-([0-9]+)")


def add_review(subparsers: Any) -> None:
    """Add ``caseload review``."""
    parser = subparsers.add_parser(
        "review",
        help="every serious incident with its context, replayed under safe staffing",
        description="Run a scenario's replications, record every harm event with the state of "
        "its case, worker, manager and team that day, replay each replication under a safe "
        "configuration (same seed, same children; default: the scenario with its establishment "
        "full, caseloads within the benchmark and the manager within the optimum span), class "
        "each event as also happening or avoided under safe staffing, and attribute the share "
        "avoided by the conditions present; write incidents.parquet, attribution.parquet, "
        "review.md, safe.toml, scenario.toml and manifest.json, then into panels/ the panel "
        "view (an HTML timeline of the 60 working days before it, as run and under safe "
        "staffing) of two example events and of each --panel EVENT_ID (docs/review.md).",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    parser.add_argument(
        "--safe",
        metavar="SAFE.toml",
        help="the safe configuration to replay under (default: derived from the scenario and "
        "written to safe.toml); it must share the scenario's children: same run length, seed, "
        "demand, case types, teams and named workers, and no fewer posts",
    )
    parser.add_argument(
        "--reps",
        type=int_at_least(2, "so each share has an interval"),
        metavar="N",
        help="replications (default: simulation.replications)",
    )
    parser.add_argument(
        "--seed", type=int, metavar="S", help="master seed (default: simulation.seed)"
    )
    parser.add_argument(
        "--days", type=int, metavar="D", help="working days to simulate (default: simulation.days)"
    )
    parser.add_argument(
        "--window",
        type=int_at_least(0),
        metavar="W",
        help="working days either side within which a safe-run event of the same child is the "
        "same event (default 20: one month)",
    )
    parser.add_argument(
        "--panel",
        action="append",
        default=[],
        dest="panels",
        metavar="EVENT_ID",
        help="also write panels/event-EVENT_ID.html, the panel view of that event of "
        "incidents.parquet (its 'event' column: base-<replication>-<n> or safe-<replication>-<n>); "
        "repeatable; the saved review in the output folder is used if it is of the same "
        "scenario, safe configuration, seeds and window (not with --no-resume), else the review "
        "is run first",
    )
    add_set_option(parser, "(applied to the scenario and to the safe configuration)")
    add_output_options(parser, "results/review-<scenario name>")
    add_execution_options(parser, "replications")
    parser.set_defaults(handler=_cmd_review)


def _cmd_review(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from sim.cli.run import default_out_dir
    from sim.cli.support import claim_output_dir
    from sim.cli.validate import print_warnings
    from sim.engine.establishment import compatibility_problems
    from sim.engine.rng import replication_seeds
    from sim.experiments.review import (
        DEFAULT_WINDOW_DAYS,
        SIZING_REPS,
        attribution,
        event_table,
        measured_live_cases,
        render_markdown,
        run_figures,
        safe_changes,
        safe_config,
    )
    from sim.experiments.review_store import ReviewStore
    from sim.scenario.loading import ScenarioError, load_scenario

    config = load_scenario(
        args.scenario, args.set, days=args.days, replications=args.reps, seed=args.seed
    )
    _check_event_ids(args.panels, config.simulation.replications)  # before any run
    if args.safe is None:
        if not args.quiet:
            print(
                f"Sizing the safe establishment: {SIZING_REPS} replications of the scenario "
                "measure the cases a team holds",
                file=sys.stderr,
                flush=True,
            )
        live_cases = measured_live_cases(config, config.simulation.seed)
        try:
            safe = safe_config(config, live_cases)
        except ValueError as exc:  # pydantic's ValidationError: e.g. more posts than allowed
            first = str(exc).splitlines()
            raise ScenarioError(
                [f"{args.scenario}: its safe configuration is not valid ({' '.join(first[:3])})"]
            ) from None
        safe_source = "derived from the scenario: safe.toml"
    else:
        safe = load_scenario(
            args.safe, args.set, days=args.days, replications=args.reps, seed=args.seed
        )
        safe_source = f"{Path(args.safe).name}, written to safe.toml"
        problems = compatibility_problems(config, safe)
        if problems:
            raise ScenarioError([f"{args.safe}: {problem}" for problem in problems])
    reps, seed = config.simulation.replications, config.simulation.seed
    window = DEFAULT_WINDOW_DAYS if args.window is None else args.window
    base_dir = default_out_dir(config)
    out = claim_output_dir(args, base_dir.with_name(f"review-{base_dir.name}"))
    seeds = replication_seeds(seed, reps)
    if args.panels and not args.no_resume:
        saved = saved_events(out, config, safe, seeds, window)
        if saved is not None:
            console = Console(width=None if sys.stdout.isatty() else 140)
            console.print(
                f"Using the saved review in {out}/ (same scenario, safe configuration, seeds "
                "and window).",
                highlight=False,
                soft_wrap=True,
            )
            _write_panels(out, console, config, safe, seeds, saved, args.panels)
            return EXIT_OK

    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(
        f"[bold]Reviewing '{escape(config.name)}'[/bold] ({escape(args.scenario)}) against "
        f"'{escape(safe.name)}': {reps} replications × {config.simulation.days} working days, "
        f"each run twice; master seed {seed}",
        highlight=False,
        soft_wrap=True,
    )
    print_warnings(config)
    store = ReviewStore(out / CHECKPOINT_DIR, config, safe, seed)
    if args.no_resume:
        store.clear()
    replays = _replay_all(args, config, safe, seeds, store, console)

    events = event_table(replays, window, config.simulation.warmup_days)
    table = attribution(events, range(reps))
    report = render_markdown(
        scenario=config.name,
        command=canonical_command(args, reps, seed, window),
        safe_source=safe_source,
        changes=safe_changes(config, safe),
        table=table,
        events=events,
        figures=run_figures(replays),
        replications=reps,
        seed=seed,
        window=window,
        warmup_days=config.simulation.warmup_days,
        days=config.simulation.days,
    )
    examples = example_events(events)
    report += panels_markdown(examples, canonical_command(args, reps, seed, window))
    _write(out, config, safe, seeds, window, events, table, report, args.command_line)
    store.clear()
    _print_summary(console, table)
    _remove_old_panels(out)
    _write_panels(out, console, config, safe, seeds, events, [*examples.values(), *args.panels])
    from sim.scenario.catalogue import display_path

    console.print(f"Outputs written to {display_path(out)}/", highlight=False, soft_wrap=True)
    return EXIT_OK


def _replay_all(
    args: argparse.Namespace,
    config: Any,
    safe: Any,
    seeds: list[int],
    store: Any,
    console: Any,
) -> list[Any]:
    """Every replication replayed: saved ones reused, the rest run (serially or on Dask).

    Raises:
        Interrupted: On Ctrl-C; finished replications stay saved for the same command.
    """
    import os

    from sim.experiments.review import replay

    done: dict[int, Any] = {}
    for replication, rep_seed in enumerate(seeds):
        saved = store.load(replication, rep_seed)
        if saved is not None:
            done[replication] = saved
    if done:
        console.print(f"Resuming: {len(done)} replication(s) saved by an interrupted review.")
    todo = [(r, s) for r, s in enumerate(seeds) if r not in done]
    reps = len(seeds)
    with ProgressReporter(args.quiet, reps) as progress:

        def finished(_: object, result: Any) -> None:
            done[result.replication] = result
            store.save(result)
            if progress is not None:
                progress(len(done), reps)

        try:
            n_workers = min(len(todo), args.workers or os.cpu_count() or 1)
            if todo and (args.scheduler is not None or n_workers > 1):
                from sim.runs.cluster import dask_client, run_each

                calls = [(r, (config, safe, s, r)) for r, s in todo]
                with dask_client(n_workers, args.scheduler) as client:
                    run_each(client, replay, calls, finished)
            else:
                for r, s in todo:
                    finished(r, replay(config, safe, s, r))
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted; finished replications are saved and the same command resumes "
                "from them (no output files were changed)"
            ) from None
    return [done[r] for r in range(reps)]


def canonical_command(args: argparse.Namespace, reps: int, seed: int, window: int) -> str:
    """The command that reproduces the report's figures, without where and how it ran."""
    words = ["caseload", "review", args.scenario]
    if args.safe is not None:
        words += ["--safe", args.safe]
    words += ["--reps", str(reps), "--seed", str(seed), "--window", str(window)]
    return shlex.join(words + reproducing_options(args))


def _write(
    out: Path,
    config: Any,
    safe: Any,
    seeds: list[int],
    window: int,
    events: Any,
    table: Any,
    report: str,
    command: list[str],
) -> None:
    from sim.outputs.files import write_directory, write_parquet
    from sim.scenario.loading import scenario_to_toml

    writers = {
        "incidents.parquet": lambda path: write_parquet(path, events),
        "attribution.parquet": lambda path: write_parquet(path, table),
        "review.md": lambda path: path.write_text(report, encoding="utf-8"),
        "safe.toml": lambda path: path.write_text(scenario_to_toml(safe), encoding="utf-8"),
        "scenario.toml": lambda path: path.write_text(scenario_to_toml(config), encoding="utf-8"),
    }
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": config.name,
        "safe": safe.name,
        "master_seed": config.simulation.seed,
        "replications": len(seeds),
        "days": config.simulation.days,
        "window_days": window,
        "seeds": seeds,
    }
    write_directory(out, writers, manifest, command=command)


def _print_summary(console: Any, table: Any) -> None:
    from rich.table import Table

    from sim.experiments.review import SCOPES

    shown = Table(
        title="Share of events avoided under safe staffing [95% interval over replications]",
        title_justify="left",
    )
    shown.add_column("Events")
    shown.add_column("Condition present")
    shown.add_column("n", justify="right")
    shown.add_column("Avoided", justify="right")
    shown.add_column("Share [95% CI]", justify="right")
    for scope in SCOPES:
        for _, row in table[table["scope"] == scope].iterrows():
            if row["events"] == 0 and row["condition"] != "all events":
                continue
            share = row["share_avoided"]
            text = "–" if share != share else f"{share:.0%}"
            if row["ci95_low"] == row["ci95_low"]:
                text += f" [{row['ci95_low']:.0%} – {row['ci95_high']:.0%}]"
            shown.add_row(scope, row["condition"], str(row["events"]), str(row["avoided"]), text)
    console.print(shown)
    for scope in SCOPES:
        row = table[(table["scope"] == scope) & (table["condition"] == "all events")].iloc[0]
        console.print(
            f"{scope}: {row['matched']} also under safe staffing, {row['avoided']} avoided, "
            f"{int(row['safe_only'])} only under safe staffing.",
            highlight=False,
        )


# --- the panel views ---------------------------------------------------------------------------


def _check_event_ids(ids: list[str], reps: int) -> None:
    """Refuse an ``--panel`` id that cannot be an event of this review, before any run.

    Raises:
        ScenarioError: One line naming the id.
    """
    from sim.scenario.loading import ScenarioError

    for event in ids:
        found = EVENT_ID.fullmatch(event)
        if found is None:
            raise ScenarioError(
                [
                    f"--panel {event}: not an event id; give one of incidents.parquet's 'event' "
                    "column: base-<replication>-<n> or safe-<replication>-<n>"
                ]
            )
        if int(found.group(2)) >= reps:
            raise ScenarioError(
                [f"--panel {event}: no replication {found.group(2)} (the review has {reps})"]
            )


def saved_events(out: Path, config: Any, safe: Any, seeds: list[int], window: int) -> Any:
    """``incidents.parquet`` of the review saved in ``out``, if it answers this command; else None.

    It does when the folder's manifest is complete (``incidents.parquet`` as hashed), its
    ``scenario.toml`` and ``safe.toml`` are this scenario and safe configuration, and its seeds
    and matching window are this command's.
    """
    import json

    import pandas as pd

    from sim.outputs.files import sha256_of
    from sim.scenario.loading import scenario_to_toml

    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        incidents = out / "incidents.parquet"
        same = (
            manifest.get("seeds") == seeds
            and manifest.get("window_days") == window
            and manifest["files"]["incidents.parquet"]["sha256"] == sha256_of(incidents)
            and (out / "scenario.toml").read_text(encoding="utf-8") == scenario_to_toml(config)
            and (out / "safe.toml").read_text(encoding="utf-8") == scenario_to_toml(safe)
        )
        return pd.read_parquet(incidents) if same else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def example_events(events: Any) -> dict[str, str]:
    """The events whose panels a review writes unasked: two examples, cheap to replay.

    ``{"avoided": id, "matched": id}``: the first measured base event avoided under safe
    staffing and the first that also happens under it, of the first replication that has one
    (replication 0 unless it has none); either is left out if no replication has one.
    """
    from sim.experiments.review import AVOIDED, BASE, MATCHED

    if events.empty:
        return {}
    base = events[(events["run"] == BASE) & events["measured"]]
    base = base.sort_values(["replication", "day", "event"])
    chosen = {}
    for kind in (AVOIDED, MATCHED):
        rows = base[base["match"] == kind]
        if not rows.empty:
            chosen[kind] = str(rows["event"].iloc[0])
    return chosen


def panels_markdown(examples: dict[str, str], command: str) -> str:
    """The report's section on the panel views: the examples written and how to get others."""
    words = {"avoided": "avoided under safe staffing", "matched": "also under safe staffing"}
    lines = [
        "",
        "## One event in detail: the panel view",
        "",
        "`incidents.parquet` holds every event of both runs with its context and its `event` "
        "id. The panel view of an event is a page with the 60 working days before it: the "
        "child's visits, record and risk, its worker's caseload, backlog, stress, sickness and "
        "duty, its manager's span and supervision, as run and, beside it, the same child under "
        'safe staffing (docs/review.md, "The panel view of one event").',
        "",
    ]
    if examples:
        lines += [f"- [{event}]({PANEL_DIR}/event-{event}.html): the first measured event "
                  f"{words[kind]}" for kind, event in examples.items()]  # fmt: skip
    else:
        lines.append("No measured harm event, so no example panel was written.")
    lines += ["", "Any other event:", "", f"`{command} --panel EVENT_ID`", ""]
    return "\n".join(lines)


def _remove_old_panels(out: Path) -> None:
    """Remove the panels of a previous review in ``out``: they belong to its figures."""
    folder = out / PANEL_DIR
    if folder.is_dir():
        for page in folder.glob("event-*.html"):
            page.unlink(missing_ok=True)


def _write_panels(
    out: Path,
    console: Any,
    config: Any,
    safe: Any,
    seeds: list[int],
    events: Any,
    ids: list[str],
) -> None:
    """Write ``panels/event-<id>.html`` for each event id (each once), as ``--panel`` asks.

    Raises:
        ScenarioError: An id that is not an event of ``events`` (one line naming it).
    """
    from sim.scenario.loading import ScenarioError

    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return
    known = events.set_index("event") if not events.empty else None
    for event in wanted:
        if known is None or event not in known.index:
            raise ScenarioError([f"--panel {event}: no such event in {out / 'incidents.parquet'}"])
    (out / PANEL_DIR).mkdir(exist_ok=True)
    try:
        _write_each_panel(out, console, config, safe, seeds, known, wanted)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted while writing the panel views; the review's files are complete and the "
            "panels written so far are whole"
        ) from None


def _write_each_panel(
    out: Path, console: Any, config: Any, safe: Any, seeds: list[int], known: Any, wanted: list[str]
) -> None:
    """Write each wanted event's page, titled with its event, child, day and the review's class."""
    from sim.experiments.panel import write_panel
    from sim.scenario.catalogue import display_path

    for event in wanted:
        row = known.loc[event]
        replication, child, day = int(row["replication"]), int(row["child"]), int(row["day"])
        run = str(row["run"])
        where = "under safe staffing" if run == "safe" else "as run"
        title = (
            f"Event {event}: child {child}, serious incident on working day {day} ({where}; "
            f"{MATCH_WORDS.get(str(row['match']), str(row['match']))}; replication "
            f"{replication}, seed {seeds[replication]})"
        )
        path = write_panel(
            out / PANEL_DIR / f"event-{event}.html",
            config,
            safe,
            seeds[replication],
            child,
            day,
            title=title,
            event_run=run,
        )
        console.print(f"Panel view of {event}: {display_path(path)}", highlight=False)
