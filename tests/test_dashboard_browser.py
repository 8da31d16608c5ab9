"""The dashboard in a real headless Chromium: load, step, levers, teaching, compare, sessions.

The server is started the way users start it (``caseload dashboard --port P``) and killed in
teardown. The browser is Debian's ``/usr/bin/chromium`` (``python3 tasks.py test`` installs it);
without it these tests skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=60_000)  # a loaded two-core CI machine renders slowly

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("CASELOAD_DASHBOARD_SHOTS", "/tmp/caseload-dashboard-shots"))
TIMEOUT_MS = 30_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"dashboard browser tests cannot run under CI: {reason}")
    pytest.skip(f"DASHBOARD BROWSER TESTS NOT RUN: {reason}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard():
    """``caseload dashboard`` on a free port; yields (URL, process); always stopped afterwards."""
    yield from _serve({})


def _serve(extra_env: dict[str, str], extra_args: tuple[str, ...] = ()):
    """Start ``caseload dashboard`` with ``extra_env``; yield (URL, process); stop it after."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--port", str(port), *extra_args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **extra_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace")
                pytest.fail(f"caseload dashboard exited ({process.returncode}):\n{output}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("caseload dashboard did not answer within 60 s")
            time.sleep(0.3)
        yield url, process
    finally:
        for sig in (signal.SIGINT, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        process.stdout.close()


@pytest.fixture(scope="module")
def server(dashboard):
    """The dashboard's URL."""
    return dashboard[0]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium through Playwright (no downloaded browser).

    ``launch`` gives the browser a fresh temporary profile (user data dir) of its own.
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (install Debian's chromium: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(server, browser):
    """Open the dashboard in a fresh browser context (a separate session); closed afterwards."""
    contexts = []

    def open_one(width: int = 1600, height: int = 1100):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server)
        page.get_by_text(re.compile(r"Day 0 of \d+")).wait_for()
        return page

    yield open_one
    for context in contexts:
        context.close()


def _day(page) -> int:
    text = page.get_by_text(re.compile(r"Day \d+ of \d+")).first.inner_text()
    return int(re.search(r"Day (\d+) of", text).group(1))


def _step(page, times: int = 1) -> None:
    for _ in range(times):
        before = _day(page)
        page.get_by_role("button", name="Step").click()
        page.get_by_text(re.compile(rf"Day {before + 1} of \d+")).first.wait_for()


def _today(page, title: str) -> list[float]:
    row = page.locator(".figures-table tr", has_text=title).first
    return [float(v) for v in row.locator("td.num").all_inner_texts()]


def _cells(page, name: str, table: int = 0) -> list[str]:
    """The team-view cells of the worker ``name`` (in the ``table``-th team view)."""
    row = page.locator(".team-table").nth(table).locator("tr", has_text=name).first
    return [t.strip() for t in row.locator("td").all_inner_texts()]


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select labelled ``label``."""
    page.locator(".v-select", has_text=label).first.click()
    page.locator(".v-overlay--active .v-list-item", has_text=option).first.click()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


#: The day each browser-side chart last drew (``data-day``, set by ``dashboards/chart.vue``
#: after it took the new points) and its number of drawn line points.
CHART_DAYS = "[...document.querySelectorAll('.cl-chart')].map(c => c.dataset.day)"


#: Points of each chart's first line, and every font size in the charts as drawn (ECharts'
#: own option, read back from the chart in the page).
CHART_POINTS = (
    "[...document.querySelectorAll('.cl-chart')].map(c => c.chart.getOption())"
    ".map(option => option.series[0].data.length)"
)
CHART_FONT_SIZES = """[...document.querySelectorAll('.cl-chart')].flatMap(c => {
  const o = c.chart.getOption();
  const marks = o.series.flatMap(s => [s.markArea, s.markLine]).filter(m => m && m.data.length);
  return [o.title[0].textStyle.fontSize, o.xAxis[0].axisLabel.fontSize,
          o.xAxis[0].nameTextStyle.fontSize, o.yAxis[0].axisLabel.fontSize,
          ...marks.map(m => m.label.fontSize)];
})"""


def _chart_days(page, count: int) -> list[str]:
    """The day each chart drew, once ``count`` charts have drawn."""
    page.wait_for_function(f"{CHART_DAYS}.filter(d => d !== undefined).length >= {count}")
    return page.evaluate(CHART_DAYS)


def test_page_loads_with_team_view_and_charts_and_steps(open_page):
    page = open_page()
    expect(page.get_by_text("Team view").first).to_be_visible()
    expect(page.locator(".team-table tr")).to_have_count(1 + 6)  # header + the baseline's six posts
    # day 0: "Today" describes the team the team view shows (one post vacant at the start)
    vacant = page.locator(".team-table tr[data-status=vacant]").count()
    assert vacant >= 1 and _today(page, "Vacant posts") == [vacant]
    expect(page.get_by_text("Risk to children and families").first).to_be_visible()
    expect(page.get_by_text("Workforce").first).to_be_visible()
    # four risk, four workforce and three team charts (stress, caseload per FTE, supervision)
    assert _chart_days(page, 11) == ["0"] * 11
    _step(page, 3)
    assert _day(page) == 3
    page.wait_for_function(f"{CHART_DAYS}.every(d => d === '3')")  # each drew the new points
    assert page.evaluate(CHART_POINTS) == [3] * 11
    sizes = page.evaluate(CHART_FONT_SIZES)
    assert sizes and min(sizes) >= 16, sorted(set(sizes))  # readable on a projector
    _shot(page, "baseline_day3")


def test_a_lever_change_restarts_the_run_with_its_effect(open_page):
    page = open_page()
    _step(page, 2)
    expect(page.locator(".team-table tr")).to_have_count(7)
    _choose(page, "Scenario file", "social_work_assistants")
    page.get_by_text("One full-time social work assistant").first.wait_for()
    # a slider lever: one more post per team; the run restarts at day 0 with the change
    slider = page.locator(".v-input", has_text="Social worker posts per team").locator(
        "[role=slider]"
    )
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.get_by_text("team.social_worker_posts=7").first.wait_for()
    assert _day(page) == 0
    expect(page.locator(".team-table tr")).to_have_count(1 + 7)
    expect(page.get_by_text("changed (scenario: 6)").first).to_be_visible()
    # the cap is not in use while the caseload cap is "none": its slider says so, disabled
    cap = page.locator(".cl-lever", has_text="Cap: cases per full-time worker")
    expect(cap).to_contain_text("Not in use: Caseload cap is none")
    expect(cap.locator(".v-input--disabled")).to_have_count(1)
    # a choice lever changes what happens: with a cap of 16, cases wait unallocated
    _choose(page, "Caseload cap", "count")
    page.get_by_text('allocation.cap_kind="count"').first.wait_for()
    expect(cap).not_to_contain_text("Not in use")
    _shot(page, "levers_changed")
    # a refused seed: said in the control's words, and the box shows the seed still in use
    seed = page.get_by_label("Random seed")
    in_use = seed.input_value()
    seed.fill("-5")
    seed.press("Enter")
    page.get_by_text("Not applied: Random seed: must be ≥ 0 (got -5)").first.wait_for()
    expect(page.get_by_text("--seed")).to_have_count(0)
    deadline = time.monotonic() + 15
    while page.get_by_label("Random seed").input_value() != in_use:
        assert time.monotonic() < deadline, "the refused seed stayed in the box"
        page.wait_for_timeout(200)
    assert page.get_by_label("Random seed").input_value() == in_use
    # the team chooser follows a change to an organisation with fewer teams
    _choose(page, "Scenario file", "scale/authority.toml")
    page.get_by_text("Team (of 30)").first.wait_for()
    team = page.locator(".v-input", has_text="Team (of").locator("[role=slider]")
    team.focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[role=slider]')]"
        ".some(s => s.getAttribute('aria-valuenow') === '30')"
    )
    _choose(page, "Scenario file", "scale/service_area.toml")
    page.get_by_text("Team (of 5)").first.wait_for()
    team = page.locator(".v-input", has_text="Team (of").locator("[role=slider]")
    assert int(team.get_attribute("aria-valuenow")) <= 5
    expect(page.locator(".team-table tr").nth(1)).to_be_visible()  # not a blank team


#: Each chart's lever-change markers as drawn: [[x, label], ...] per chart.
CHART_MARKERS = """[...document.querySelectorAll('.cl-chart')].map(c => c.chart.getOption())
  .filter(o => o.series.some(s => s.type === 'line'))
  .map(o => o.series.flatMap(s => s.markLine ? s.markLine.data : [])
    .filter(d => d.xAxis !== undefined).map(d => [d.xAxis, d.name]))"""


def test_a_lever_changed_during_a_run_applies_from_the_next_day_with_a_marker(open_page):
    page = open_page()
    _step(page, 2)
    _choose(page, "Caseload cap", "count")
    page.get_by_text("from day 2: Caseload cap → count").first.wait_for()
    assert _day(page) == 2  # not restarted
    expect(page.get_by_text("levers changed: none").first).to_be_visible()  # day 0's settings
    expect(page.get_by_text("changed on day 2 (scenario: none)").first).to_be_visible()
    _step(page)
    page.wait_for_function(f"{CHART_DAYS}.every(d => d === undefined || d === '3')")
    markers = page.evaluate(CHART_MARKERS)
    assert len(markers) == 11, markers
    assert all(m == [[2, "Caseload cap → count"]] for m in markers), markers
    _shot(page, "lever_marker")
    # a lever the build reads still restarts the run, and says so beside it
    posts = page.locator(".cl-lever", has_text="Social worker posts per team")
    expect(page.get_by_text("⟲ restarts the run").first).to_be_visible()
    posts.locator("[role=slider]").focus()
    page.keyboard.press("ArrowRight")
    page.get_by_text("team.social_worker_posts=7").first.wait_for()
    assert _day(page) == 0


#: The loop diagram as drawn: its nodes' labels and its links' (source, target, width, colour).
LOOPS = """[...document.querySelectorAll('.cl-loops')].map(c => c.chart.getOption().series[0])
  .map(g => ({nodes: g.data.map(n => n.label.formatter),
              links: g.links.map(l => [l.source, l.target, l.lineStyle.width, l.lineStyle.color])}))
"""


#: The incident markers drawn on each chart: [[x, y, name], ...] per chart that has any.
INCIDENT_MARKERS = """[...document.querySelectorAll('.cl-chart')].map(c => c.chart.getOption())
  .map(o => o.series.filter(s => s.type === 'scatter').flatMap(s => s.data)
    .map(d => [...d.value, d.name])).filter(points => points.length)"""


#: Where the first incident triangle is on the screen (the chart scrolled into view first).
MARKER_PIXEL = """(() => {
  const el = [...document.querySelectorAll('.cl-chart')]
    .find(c => c.chart.getOption().series.some(s => s.type === 'scatter'));
  el.scrollIntoView({block: 'center'});
  const option = el.chart.getOption();
  const index = option.series.findIndex(s => s.type === 'scatter');
  const [x, y] = el.chart.convertToPixel({seriesIndex: index}, option.series[index].data[0].value);
  const box = el.getBoundingClientRect();
  return [box.left + x, box.top + y];
})()"""


def test_an_incident_is_marked_and_opens_its_panel_view(open_page):
    """Seed 218 of the baseline has a serious incident on Day 10, of child 91 (referred on day
    7, after day 0: the same child under the dashboard's safe staffing)."""
    page = open_page()
    seed = page.get_by_label("Random seed")
    seed.fill("218")
    seed.press("Enter")
    page.get_by_text(re.compile(r"seed 218 ")).first.wait_for()
    expect(page.get_by_text("No serious incident yet").first).to_be_visible()
    _step(page)
    # a lever changed part-way: the panel's replay must take it on the same day
    _choose(page, "Caseload cap", "count")
    page.get_by_text("from day 1: Caseload cap → count").first.wait_for()
    _step(page, 9)
    button = page.locator(".cl-incident").first
    expect(button).to_contain_text("Day 10: child 91")
    page.wait_for_function(f"{CHART_DAYS}.every(d => d === undefined || d === '10')")
    assert page.evaluate(INCIDENT_MARKERS) == [
        [[10, 1, "Day 10: serious incident, child 91 (click: panel view)"]]
    ]
    # a click on the triangle opens the panel view
    x, y = page.evaluate(MARKER_PIXEL)
    page.mouse.click(x, y)
    frame = page.frame_locator("iframe.cl-panel-frame")
    expect(frame.locator("h1")).to_contain_text("Child 91: serious incident on Day 10")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("iframe.cl-panel-frame")).to_have_count(0)
    # and so does the incident's button in the list under the charts
    button.click()
    expect(frame.locator("h1")).to_contain_text("Child 91: serious incident on Day 10")
    # the child, its worker and its manager, as run and under safe staffing, on one axis
    sections = ("The child", "The child's worker", "The manager", "The event day, side by side")
    for section in sections:
        expect(frame.get_by_role("heading", name=section, exact=True)).to_have_count(1)
    assert frame.locator("svg.chart").count() >= 10
    expect(frame.locator("svg.chart polyline").first).to_be_visible()
    expect(frame.get_by_text("Under safe staffing this child").first).to_be_visible()
    expect(frame.get_by_text("as run", exact=True)).to_have_count(1)
    expect(frame.locator("text=not the same referral")).to_have_count(0)  # the same child
    expect(page.get_by_text("Download the page (HTML)").first).to_be_visible()
    _shot(page, "panel_view")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("iframe.cl-panel-frame")).to_have_count(0)
    _step(page)  # the run carries on
    assert _day(page) == 11


def test_the_feedback_loop_diagram_follows_the_run(open_page):
    page = open_page()
    _choose(page, "Scenario file", "manager_span_120")
    page.locator(".teaching-notes").wait_for()
    days = page.locator(".v-input", has_text="Days per Step").locator("[role=slider]")
    days.focus()
    for _ in range(19):
        page.keyboard.press("ArrowRight")
    page.get_by_text("Days per Step: 20").first.wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"Day 20 of \d+")).first.wait_for()
    page.wait_for_function("document.querySelector('.cl-loops').dataset.day === '20'")
    (diagram,) = page.evaluate(LOOPS)
    assert len(diagram["nodes"]) == 7 and len(diagram["links"]) == 8, diagram
    assert any(n.startswith("Manager's span") for n in diagram["nodes"]), diagram
    # a 120-case span: the manager's loop drives (a wide red arrow), something is moving
    widths = [width for _, _, width, _ in diagram["links"]]
    assert max(widths) > 1.5, diagram
    assert all(size >= 16 for size in page.evaluate(
        "document.querySelector('.cl-loops').chart.getOption().series[0].data"
        ".map(n => n.label.fontSize)"))  # fmt: skip
    page.locator(".cl-loops").scroll_into_view_if_needed()
    _shot(page, "loops_manager_span")


#: Days of replication band each line chart draws (0 without a band).
BAND_DAYS = """[...document.querySelectorAll('.cl-chart')].map(c => c.chart.getOption())
  .map(o => o.series.filter(s => s.name === '_spread0').map(s => s.data.length)[0] || 0)"""


def test_the_band_of_other_seeds_fills_in_behind_the_live_run(open_page):
    page = open_page()
    _step(page, 3)
    # computed in the background: it arrives after the Step, on the risk, workforce and
    # caseload charts (the stress chart's band is the team's spread, from the live run)
    page.wait_for_function(f"{BAND_DAYS}.filter(d => d === 3).length >= 10")
    expect(page.get_by_text("Shaded: the lowest to the highest of 6 runs").first).to_be_visible()
    page.get_by_label("Band: 6 runs with other seeds").uncheck()
    page.wait_for_function(f"{BAND_DAYS}.filter(d => d > 0).length === 1")  # the stress spread
    _step(page)
    assert _day(page) == 4


def test_the_manager_row_reads_the_models_values(open_page):
    from sim.engine.model import CaseloadModel
    from sim.scenario.loading import load_scenario

    page = open_page()
    _choose(page, "Scenario file", "manager_span_120")
    page.locator(".teaching-notes").wait_for()
    days = page.locator(".v-input", has_text="Days per Step").locator("[role=slider]")
    days.focus()
    for _ in range(29):
        page.keyboard.press("ArrowRight")
    page.get_by_text("Days per Step: 30").first.wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"Day 30 of \d+")).first.wait_for()
    row = page.locator(".manager-table").first
    expect(row).to_contain_text("against an optimum of 65")
    # the same run, from the engine directly
    config = load_scenario(ROOT / "scenarios" / "teaching" / "manager_span_120.toml")
    model = CaseloadModel(config, config.simulation.seed)
    for _ in range(30):
        model.step()
    manager = model.managers[0]
    staff = model.staff
    overdue = int((staff.day_supervision_due[staff.in_post] <= 29).sum())
    assert float(row.get_attribute("data-span")) == pytest.approx(manager.oversight_ratio, abs=1e-4)
    assert int(row.get_attribute("data-overdue")) == overdue
    assert int(row.get_attribute("data-missed")) == manager.sessions_missed
    expect(row).to_contain_text(f"{manager.oversight_ratio * 65:.0f} cases")
    expect(row).to_contain_text(f"{overdue} worker")
    expect(row).to_contain_text(f"Stress{manager.stress:.2f}")  # the model's manager stress
    _shot(page, "manager_row")


def test_teaching_scenario_shows_what_to_watch(open_page):
    page = open_page()
    expect(page.locator(".teaching-notes")).to_have_count(0)
    _choose(page, "Scenario file", "duty_after_sickness")
    notes = page.locator(".teaching-notes")
    notes.wait_for()
    expect(notes).to_contain_text("What to watch")
    expect(notes).to_contain_text("Returning worker")
    steps = page.locator(".teaching-steps li")  # a short guided sequence, from the file
    expect(steps.first).to_contain_text("Returning worker")
    assert 3 <= steps.count() <= 8
    expect(page.locator(".team-table", has_text="Returning worker")).to_have_count(1)
    expect(page.get_by_text(re.compile(r"Day 0 of 260")).first).to_be_visible()
    _step(page)
    _shot(page, "teaching_duty_after_sickness")
    # the team view follows the model day by day: the named worker's cells change as it steps
    _choose(page, "Scenario file", "part_time_worker_20_cases")
    page.get_by_text("Part-time worker").first.wait_for()
    start = _cells(page, "Part-time worker")
    assert start[4] == "20" and start[7] == "12.0", start  # her starting cases and backlog
    seen = [start]
    for _ in range(3):
        _step(page, 2)
        seen.append(_cells(page, "Part-time worker"))
    backlogs = [cells[7] for cells in seen]
    assert len(set(backlogs)) >= 3, seen  # her backlog moves as the days go by
    assert len({cells[8] for cells in seen}) > 1, seen  # and her stress
    assert all(cells[4] for cells in seen), seen  # she holds her cases throughout


def test_compare_mode_runs_two_models_side_by_side(open_page):
    page = open_page()
    _choose(page, "Scenario file", "caseload_cap")
    page.get_by_text("A hard cap of 16 cases").first.wait_for()
    page.get_by_label("Compare: same seed, one lever changed").check()
    page.locator(".team-table").nth(1).wait_for()
    expect(page.locator(".team-table")).to_have_count(2)
    expect(page.get_by_text("B: Caseload cap = none").first).to_be_visible()
    before = [page.locator(".team-table").nth(i).inner_text() for i in (0, 1)]
    # days per Step: one Step advances 15 days
    interval = page.locator(".v-input", has_text="Days per Step").locator("[role=slider]")
    interval.focus()
    for _ in range(14):
        page.keyboard.press("ArrowRight")
    page.get_by_text("Days per Step: 15").first.wait_for()
    # Three Steps: with the front door screening under pressure the capped team's list builds
    # more slowly than before the recalibration (about 10 waiting by day 40, none by day 15).
    for day in (15, 30, 45):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(re.compile(rf"Day {day} of \d+")).first.wait_for()
    waiting = _today(page, "Unallocated cases (waiting)")
    referrals_note = _today(page, "Serious incidents")
    assert len(waiting) == 2 and len(referrals_note) == 2
    capped, uncapped = waiting
    assert capped > uncapped, waiting
    for i in (0, 1):  # both team views moved on (each is its own update, in turn)
        expect(page.locator(".team-table").nth(i)).not_to_have_text(before[i])
    _shot(page, "compare_cap")


def test_two_sessions_do_not_share_state(open_page):
    first, second = open_page(), open_page()
    _choose(first, "Scenario file", "manager_span_120")
    first.locator(".teaching-notes").wait_for()
    _step(first, 3)
    assert _day(second) == 0
    expect(second.locator(".teaching-notes")).to_have_count(0)
    expect(second.locator(".team-table tr")).to_have_count(7)
    _step(second)
    assert _day(second) == 1 and _day(first) == 3
    expect(first.locator(".team-table tr")).to_have_count(1 + 8)
    second.reload()
    second.get_by_text(re.compile(r"Day 0 of 780")).wait_for()  # a new session starts afresh
    assert _day(first) == 3


def test_projector_layout_puts_the_controls_on_screen(open_page):
    page = open_page(1280, 720)
    step = page.get_by_role("button", name="Step").bounding_box()
    levers = page.get_by_text("Levers", exact=True).first.bounding_box()
    assert step["y"] + step["height"] <= 720, step  # no scrolling to reach Play / Step / Reset
    assert step["y"] < levers["y"]
    _step(page)
    cost = page.locator(".figures-table tr", has_text="Staff cost to date").inner_text()
    assert re.search(r"£[\d,]+", cost), cost
    _shot(page, "projector_1280x720")


#: Elements whose content is wider than their box, inside the page, with what they hold. Left
#: out: Vuetify's slider internals (a thumb overhangs its track by design), a button's click
#: ripple (an animation) and the hidden text input inside a select (the shown value wraps).
OVERFLOWING = """() => [...document.querySelectorAll('.cl-page *')].filter(e => {
  if (!e.clientWidth || e.closest('canvas, .v-slider, .v-ripple__container')) return false;
  if (e.tagName === 'INPUT' && e.closest('.v-select')) return false;
  return e.scrollWidth > e.clientWidth + 1;
}).map(e => `${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}: `
            + e.innerText.slice(0, 40))"""


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1920, 1080)], ids=str)
def test_nothing_is_clipped_and_the_controls_stay_in_reach(open_page, size):
    width, height = size
    page = open_page(width, height)
    _choose(page, "Scenario file", "caseload_cap")
    page.get_by_text("A hard cap of 16 cases").first.wait_for()
    _step(page)
    assert page.evaluate(OVERFLOWING) == []
    page.get_by_label("Compare: same seed, one lever changed").check()
    page.locator(".team-table").nth(1).wait_for()
    _step(page)
    assert page.evaluate(OVERFLOWING) == []  # compare mode: Today and both team views whole
    expect(page.locator(".team-table").nth(1)).to_contain_text("Backlog")
    _shot(page, f"compare_{width}x{height}")
    # scrolled to the team views at the bottom, Play, Step and Reset are still on screen
    page.locator(".team-table").nth(1).scroll_into_view_if_needed()
    step = page.get_by_role("button", name="Step").bounding_box()
    assert step is not None and step["y"] >= 0 and step["y"] + step["height"] <= height, step
    assert step["x"] + step["width"] <= width


#: Sends ``raw`` (JSON text, sent as is: ``1e400`` stays a number too large for a double) as the
#: ``v_model`` of the widget whose label starts with ``label``, over the page's own websocket, as
#: a crafted client would: the widget model's ``set``/``save_changes`` sends a placeholder that
#: the socket's ``send`` swaps for ``raw`` on the way out.
CRAFTED_SEND = """async ([label, raw]) => {
  const manager = solara.debug.widgetManager();
  let target = null;
  for (const promise of Object.values(manager._models)) {
    const model = await promise;
    const name = model.get('label');
    if (typeof name === 'string' && name.startsWith(label)) { target = model; break; }
  }
  if (target === null) throw new Error('no widget labelled ' + label);
  const ws = solara.debug.ws();
  const send = ws.send;
  const placeholder = '"v_model":987654.125';
  ws.send = (data) => {
    if (typeof data === 'string' && data.includes(placeholder)) {
      ws.send = send;
      data = data.replace(placeholder, '"v_model":' + raw);
    }
    return send.call(ws, data);
  };
  target.set('v_model', 987654.125);
  target.save_changes();
}"""


CAP = "Cap: cases per full-time worker"


@pytest.mark.parametrize(
    ("label", "raw", "message"),
    [
        ("Scenario file", '"../../../../etc/passwd"', "Scenario file: not one of the choices"),
        ("Scenario file", "null", "Scenario file: not one of the choices offered (got null)"),
        ("Scenario file", "5", "Scenario file: not one of the choices offered (got 5)"),
        ("Cap: cases per", "1e400", f"{CAP}: must be a finite number (got inf)"),
        ("Cap: cases per", "null", f"{CAP}: must be a number (got null)"),
        ("Cap: cases per", '"abc"', f"{CAP}: must be a number (got 'abc')"),
        ("Cap: cases per", "[7]", f"{CAP}: must be a number (got [7])"),
        ("Social worker posts", "6.5", "Social worker posts per team: must be a whole number"),
        ("Caseload cap", "null", "Caseload cap: must be one of none, count, weighted"),
        ("Regular supervision", '"yes"', "Regular supervision: must be on or off"),
        ("Compare: same seed", "3", "Compare: must be on or off (got 3)"),
        # the run controls (Mesa's SolaraViz handed these to the model unchecked)
        ("Days per Step", "null", "Days per Step: must be a number (got null)"),
        ("Days per Step", "1e400", "Days per Step: must be a finite number (got inf)"),
        ("Days per Step", "-5", "Days per Step: must be ≥ 1 (got -5)"),
        ("Days per Step", '"abc"', "Days per Step: must be a number (got 'abc')"),
        ("Days per Step", "[7]", "Days per Step: must be a number (got [7])"),
        ("Days per Step", "0", "Days per Step: must be ≥ 1 (got 0)"),
        ("Play: a tick every", "null", "Play: a tick every (ms): must be a number (got null)"),
        ("Play: a tick every", "1e400", "Play: a tick every (ms): must be a finite number"),
        ("Play: a tick every", "-5", "Play: a tick every (ms): must be ≥ 20 (got -5)"),
        ("Play: a tick every", '"abc"', "Play: a tick every (ms): must be a number (got 'abc')"),
        ("Play: a tick every", "[7]", "Play: a tick every (ms): must be a number (got [7])"),
        ("Play: a tick every", "0", "Play: a tick every (ms): must be ≥ 20 (got 0)"),
    ],
    ids=lambda value: re.sub(r"\W+", "-", str(value))[:24],
)
def test_a_crafted_widget_value_is_refused_and_the_page_keeps_working(
    open_page, label, raw, message
):
    page = open_page()
    _step(page)
    page.evaluate(CRAFTED_SEND, [label, raw])
    page.get_by_text(f"Not applied: {message}").first.wait_for()
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.locator(".v-select", has_text="Scenario file").first).to_contain_text("baseline")
    expect(page.get_by_text("levers changed: none").first).to_be_visible()
    assert _day(page) == 1  # the run was left as it was
    _step(page)  # and the session still works, a Step still one day
    assert _day(page) == 2
    expect(page.locator(".team-table tr")).to_have_count(1 + 6)
    # the refused control is drawn again with the value in use, and still works
    slider = page.locator(".v-input", has_text="Social worker posts per team").locator(
        "[role=slider]"
    )
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.get_by_text("team.social_worker_posts=7").first.wait_for()
    expect(page.get_by_text("Not applied")).to_have_count(0)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Random seed: must be a whole number such as 42 (got 'abc')"),
        ("1e3", "Random seed: must be a whole number such as 42 (got '1e3')"),
        ("9" * 5000, "Random seed: must be ≤ 9,223,372,036,854,775,807 (got a number of 5,000"),
    ],
    ids=["letters", "exponent", "5000-digits"],
)
def test_a_seed_that_is_not_a_whole_number_is_refused_with_a_sentence(open_page, typed, message):
    page = open_page()
    seed = page.get_by_label("Random seed")
    in_use = seed.input_value()
    seed.fill(typed)
    seed.press("Enter")
    page.get_by_text(f"Not applied: {message}").first.wait_for()
    expect(page.get_by_label("Random seed")).to_have_value(in_use)
    _step(page)


# --- the class view ------------------------------------------------------------------------------


def _share(page) -> str:
    """Share ``page``'s run with the class; the class code."""
    page.get_by_role("button", name="Share this run with the class").click()
    code = page.locator(".cl-share .cl-code")
    code.wait_for()
    return code.inner_text().strip()


def _follow(browser, url: str, code: str, day: int):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}?class={code}")
    page.get_by_text(re.compile(rf"Day {day} of \d+")).first.wait_for()
    return context, page


def test_a_student_follows_the_lecturers_run_and_forks_it(open_page, server, browser):
    lecturer = open_page()
    _choose(lecturer, "Scenario file", "manager_span_120")
    lecturer.locator(".teaching-notes").wait_for()
    code = _share(lecturer)
    assert re.fullmatch(r"[A-Z2-9]{5}", code), code
    _step(lecturer, 2)
    context, student = _follow(browser, server, code, 2)
    try:
        expect(student.get_by_text(f"Following class {code}")).to_be_visible()
        expect(student.locator(".teaching-notes")).to_contain_text("What to watch")
        # read-only: no run controls, no levers, no scenario picker
        expect(student.get_by_role("button", name="Step")).to_have_count(0)
        expect(student.locator(".cl-lever")).to_have_count(0)
        expect(student.locator(".v-select")).to_have_count(0)
        assert student.evaluate(OVERFLOWING) == []  # 1280x720: nothing clipped
        # it follows: a Step and a lever change on the lecturer's page reach the student
        _step(lecturer)
        student.get_by_text(re.compile(r"Day 3 of \d+")).first.wait_for()
        _choose(lecturer, "Caseload cap", "count")
        student.get_by_text("from day 3: Caseload cap → count").first.wait_for()
        assert student.evaluate(CHART_MARKERS)[0] == [[3, "Caseload cap → count"]]
        lecturer_today = lecturer.locator(".figures-table").inner_text()
        student.wait_for_function(
            "t => document.querySelector('.figures-table').innerText === t", arg=lecturer_today
        )
        # the fork: the same run, in the student's own session, steered there only
        student.get_by_role("button", name="Fork into my session").click()
        student.get_by_role("button", name="Step").wait_for()
        assert _day(student) == 3
        assert student.locator(".figures-table").inner_text() == lecturer_today
        expect(student.get_by_text("from day 3: Caseload cap → count").first).to_be_visible()
        _step(student, 2)
        _choose(student, "Caseload cap", "none")
        student.get_by_text("from day 5: Caseload cap → none").first.wait_for()
        assert _day(lecturer) == 3
        expect(lecturer.get_by_text("Caseload cap → none")).to_have_count(0)
        _shot(student, "class_fork")
    finally:
        context.close()


def test_a_class_code_nobody_shares_is_refused(open_page, server):
    page = open_page()
    page.goto(f"{server}?class=ZZZZZ")
    page.get_by_text("Not applied: Class code: no class is sharing ZZZZZ").first.wait_for()
    page.goto(f"{server}?class=../../etc")
    page.get_by_text("Not applied: Class code: 5 letters and digits").first.wait_for()
    _step(page)  # a run of its own instead
    box = page.get_by_label("Follow a class: its code")
    box.fill("abc")
    box.press("Enter")
    page.get_by_text("Not applied: Class code: 5 letters and digits").first.wait_for()


def test_sigterm_stops_the_server(dashboard):
    """Last in this module: ``kill`` (SIGTERM) on ``caseload dashboard`` stops its server too."""
    url, process = dashboard
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert children, "caseload dashboard has no server process"
    process.send_signal(signal.SIGTERM)  # the command only, not its server's process group
    process.wait(timeout=30)
    assert process.returncode == 0
    for child in map(int, children):
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)
    port = int(url.rstrip("/").rpartition(":")[2])
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the port still answers"


def _server_load(url: str, pid: int) -> tuple[int, int, int]:
    """The server's live kernel contexts (Solara's /resourcez), threads and RSS in kB.

    ``pid`` is the ``caseload dashboard`` process; the Solara server is its only child.
    """
    with urllib.request.urlopen(url + "resourcez", timeout=10) as response:
        kernels = json.load(response)["kernels"]["total"]
    (pid,) = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    return kernels, int(fields["Threads"]), int(fields["VmRSS"].split()[0])


@pytest.fixture
def short_cull_dashboard():
    """A dashboard of its own whose disconnected sessions are culled after 3 s."""
    yield from _serve({"SOLARA_KERNEL_CULL_TIMEOUT": "3s"})


#: RSS may still grow this much after the first session (allocator high water, lazily built
#: caches: measured ~65 MB over 8 sessions). When each closed tab left its play loop stepping,
#: this test measured +145 MB and 9 more threads, still growing while the server ran.
RSS_MARGIN_KB = 120_000


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_closed_sessions_release_their_kernel_threads_and_memory(short_cull_dashboard, browser):
    url, process = short_cull_dashboard
    after_first = None
    for n in range(8):
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text(re.compile(r"Day 0 of \d+")).wait_for()
        page.get_by_role("button", name="▶").click()  # a playing model, left playing
        page.get_by_text(re.compile(r"Day [1-9]\d* of \d+")).first.wait_for()
        if n % 2:  # no close beacon (a crashed browser, a lost network): left to the cull
            page.route("**/_solara/api/close/**", lambda route: route.abort())
        context.close()
        if after_first is None:
            time.sleep(5)
            after_first = _server_load(url, process.pid)
    deadline = time.monotonic() + 60
    while (load := _server_load(url, process.pid))[0] and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(5)  # a leaked play loop keeps stepping (and growing) after its tab closed
    kernels, threads, rss = _server_load(url, process.pid)
    assert kernels == 0, (load, after_first)
    assert after_first[0] == 0, after_first
    assert threads <= after_first[1] + 3, (threads, after_first)
    assert rss <= after_first[2] + RSS_MARGIN_KB, (rss, after_first)


@pytest.fixture
def built_scenarios(tmp_path):
    """A folder of two built team scenarios, as ``caseload healthcheck`` writes them."""
    from sim.scenario.loading import load_scenario, scenario_to_toml

    folder = tmp_path / "scenarios"
    folder.mkdir()
    teams = (("family-support-west", "Family Support West"), ("front-door", "Front Door"))
    for file, name in teams:
        config = load_scenario(ROOT / "scenarios" / "baseline.toml")
        config = config.model_copy(update={"name": name})
        (folder / f"{file}.toml").write_text(scenario_to_toml(config), encoding="utf-8")
    return folder


def test_a_folder_of_built_scenarios_opens_in_the_picker_instead_of_scenarios(
    built_scenarios, browser
):
    serving = _serve({}, ("--scenarios", str(built_scenarios)))
    url, _ = next(serving)
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text(re.compile(r"Day 0 of \d+")).wait_for()
        # the folder's first file opens (it has no baseline.toml) and runs
        expect(page.get_by_text("Family Support West").first).to_be_visible()
        _step(page)
        assert _day(page) == 1
        page.locator(".v-select", has_text="Scenario file").first.click()
        options = page.locator(".v-overlay--active .v-list-item")
        expect(options).to_have_count(2)  # the folder's two files, nothing of scenarios/
        texts = options.all_inner_texts()
        assert any("Front Door (front-door.toml)" in text for text in texts), texts
        assert not any("baseline" in text.lower() for text in texts), texts
        options.filter(has_text="Front Door").first.click()
        expect(page.get_by_text("Front Door").first).to_be_visible()
        page.get_by_text(re.compile(r"Day 0 of \d+")).first.wait_for()
    finally:
        context.close()
        serving.close()


FOLLOWERS = 30


def _released(url: str, pid: int, kernels: int) -> tuple[int, int, int]:
    """The server's load once only ``kernels`` sessions are left (culled within 60 s)."""
    deadline = time.monotonic() + 60
    while (load := _server_load(url, pid))[0] > kernels and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(3)
    load = _server_load(url, pid)
    assert load[0] == kernels, load
    return load


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_thirty_students_follow_none_steers_and_their_sessions_are_released(
    short_cull_dashboard, browser
):
    """Two rounds of 30 followers: the second finds the first's threads and memory released.

    The first round grows the server's thread pool (30 websockets at once; it keeps idle
    threads) and its allocator's high water; a leak would grow again in the second.
    """
    url, process = short_cull_dashboard
    lecturer_context = browser.new_context(viewport={"width": 1600, "height": 1100})
    lecturer = lecturer_context.new_page()
    lecturer.set_default_timeout(TIMEOUT_MS)
    lecturer.goto(url)
    lecturer.get_by_text(re.compile(r"Day 0 of \d+")).wait_for()
    code = _share(lecturer)
    _step(lecturer)
    rounds = []
    for round_ in range(2):
        day = _day(lecturer)
        students = [_follow(browser, url, code, day) for _ in range(FOLLOWERS)]
        try:
            assert _server_load(url, process.pid)[0] == 1 + FOLLOWERS
            _step(lecturer, 2)
            for _, student in students:  # all follow
                student.get_by_text(re.compile(rf"Day {day + 2} of \d+")).first.wait_for()
            # none can steer: a follower's page has no control of the run, and a value crafted
            # over its websocket for the lecturer's controls finds no widget to carry it
            for _, student in students[:5] if round_ == 0 else ():
                expect(student.get_by_role("button", name="Step")).to_have_count(0)
                with pytest.raises(Exception, match="no widget labelled"):
                    student.evaluate(CRAFTED_SEND, ["Caseload cap", '"count"'])
                with pytest.raises(Exception, match="no widget labelled"):
                    student.evaluate(CRAFTED_SEND, ["Days per Step", "50"])
            assert _day(lecturer) == day + 2
            expect(lecturer.get_by_text("levers changed: none").first).to_be_visible()
            expect(lecturer.locator(".cl-change")).to_have_count(0)
        finally:
            for context, _ in students:
                context.close()
        rounds.append(_released(url, process.pid, kernels=1))
    print("server load (kernels, threads, RSS kB) after each round:", rounds)
    (_, threads_1, rss_1), (_, threads_2, rss_2) = rounds
    assert threads_2 <= threads_1 + 3, rounds
    assert rss_2 <= rss_1 + RSS_MARGIN_KB, rounds
    _step(lecturer)  # the lecturer's run carries on
    lecturer_context.close()
