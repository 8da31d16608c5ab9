"""Bringing a built organisation up to a larger establishment on day 0, children unchanged.

The counterfactual replay of ``caseload review`` runs one replication twice: as the scenario,
and under a safe configuration with more posts, no vacancies and more management time. If the
safe configuration built its own day 0, its day-0 caseload would differ (the build hands each
worker in post ``simulation.initial_cases_per_fte`` cases per FTE, drawn worker by worker) and
so would every child's identity after it, since children are numbered in order of referral.
So the replay builds day 0 *as the scenario does* (same staff, same day-0 cases, same draws)
and then, before the first day, brings the organisation up to the safe establishment here:

- each team gets the posts the safe configuration has beyond the scenario's, filled at once
  by workers drawn as day-0 staff are (experience, part-time, style; no cases yet);
- if the safe configuration has no vacancies at the start (``team.initial_vacancy_share`` 0),
  every post left vacant on day 0 is filled the same way, and each post covered by an agency
  worker gets its permanent recruit after the safe configuration's recruitment delay;
- the managers start with the safe configuration's ``manager.initial_stress``;
- from then on the safe configuration is the model's configuration (manager FTE, caps, every
  other setting) and the run goes on as any run.

The extra workers draw from the ``workforce_build`` stream *after* the build has finished with
it, so nothing the scenario's build drew moves. Arrivals are drawn per team and never read the
workforce, so the same children are referred on the same days in both runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.engine.build import OrganisationBuilder
from sim.engine.distributions import sample_days
from sim.engine.posts import NOBODY, NOT_SCHEDULED

if TYPE_CHECKING:
    from sim.engine.state import World
    from sim.scenario.schema import Scenario

#: Settings that must be equal for the two runs to share their children (dotted keys).
SHARED_SETTINGS: tuple[str, ...] = (
    "simulation.days",
    "simulation.warmup_days",
    "simulation.seed",
    "simulation.initial_cases_per_fte",
    "team.n_teams",
    "team.workers",
    "demand",
    "case_types",
)


def _setting(config: Scenario, key: str) -> object:
    value: object = config
    for part in key.split("."):
        value = getattr(value, part)
    return value


def compatibility_problems(scenario: Scenario, safe: Scenario) -> list[str]:
    """Why ``safe`` cannot replay ``scenario``'s children, one ``key: reason`` line each."""
    problems = [
        f"{key}: must equal the scenario's ({_setting(scenario, key)!r}) so that both runs "
        f"have the same children (got {_setting(safe, key)!r})"
        for key in SHARED_SETTINGS
        if _setting(scenario, key) != _setting(safe, key)
    ]
    if safe.team.social_worker_posts < scenario.team.social_worker_posts:
        problems.append(
            "team.social_worker_posts: the replay adds posts to the scenario's day-0 "
            f"organisation and cannot remove any: at least {scenario.team.social_worker_posts} "
            f"(got {safe.team.social_worker_posts})"
        )
    return problems


def expand_establishment(model: World, config: Scenario) -> None:
    """Bring ``model``, just built from its own configuration, up to ``config`` (module doc).

    Raises:
        ValueError: If ``config`` cannot share the built model's children
            (:func:`compatibility_problems`).
    """
    problems = compatibility_problems(model.config, config)
    if problems:
        raise ValueError("; ".join(problems))
    old = model.config
    model.config = config
    posts = model.posts
    extra = config.team.social_worker_posts - old.team.social_worker_posts
    first_new = posts.n
    if extra > 0:
        for team in range(config.team.n_teams):
            posts.add(team, extra)
    fill = config.team.initial_vacancy_share == 0.0
    rng = model.streams["workforce_build"]  # the build has finished with it
    builder = OrganisationBuilder(model)
    for post in range(posts.n):
        if not posts.is_active[post]:
            continue
        holder = int(posts.holder[post])
        if holder == NOBODY and (fill or post >= first_new):
            builder.hire(post, is_agency=False, initial=True)
            posts.day_recruit[post] = NOT_SCHEDULED
            posts.day_agency[post] = NOT_SCHEDULED
        elif fill and holder != NOBODY and model.workers[holder].is_agency:
            delay = sample_days(config.staffing.recruitment, rng, 1)[0]
            posts.day_recruit[post] = model.day + max(1, round(delay))
    for manager in model.managers:
        manager.stress = config.manager.initial_stress
