"""Dashboard speed in a real browser: Step latency, Play rate and Pause, for one or more trees.

Run ``.venv/bin/python benchmarks/dashboard_benchmark.py [--tree NAME=PATH ...]``. For each tree
(the code before a change and after it) it starts ``caseload dashboard`` from that tree (with
``PYTHONPATH`` set to it, so both run on this machine with the same packages), opens it in
headless Chromium (Debian's ``/usr/bin/chromium`` through Playwright) at 1280×720 and measures,
with the page's own clock (``performance.now()`` in the page, from the click to the frame after
the day shown and every chart have changed):

- ``step_ms``: one Step until it is visible, median over ``--steps`` clicks, for the baseline
  and for the 30-team authority (``scale/authority.toml``);
- ``play_days_per_s``: days shown per second while playing at render interval 1 and the page's
  default play speed, over ``--play-seconds`` (after a second to settle);
- ``pause_extra_days``: days that still appeared after Pause was clicked (one tick is 1 day).

Not a test: the targets live here (200 ms / 400 ms a Step, 10 days a second, one tick), so the
test suite never depends on how busy the machine is. A Step counts as visible when the new day
is shown and every browser-side chart's ``data-day`` says it drew that day (or, for the old
matplotlib figures, one image changed: an unchanged picture is not sent again).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SCENARIOS = {"baseline": "baseline.toml", "authority": "scale/authority.toml"}

#: (figure, target, comparison) printed as PASS or FAIL.
TARGETS = (
    ("baseline_step_ms", 200.0, "<="),
    ("authority_step_ms", 400.0, "<="),
    ("baseline_play_days_per_s", 10.0, ">="),
    ("baseline_pause_extra_days", 1.0, "<="),
)

#: In-page helpers: the day shown, a fingerprint of every chart, and "click then wait until
#: the day and every chart changed, plus one frame", timed with the page's clock.
HELPERS = """
window.__cl = {
  day() {
    const m = document.body.innerText.match(/Day (\\d+) of \\d+/);
    return m ? Number(m[1]) : -1;
  },
  charts() {
    const drawn = [...document.querySelectorAll('[data-day]')].map(e => e.dataset.day);
    if (drawn.length) return drawn;
    return [...document.images].map(i => i.src)
      .filter(s => s.startsWith('blob:') || s.startsWith('data:image'));
  },
  button(pattern) {
    const re = new RegExp(pattern, 'i');
    return [...document.querySelectorAll('button')].find(b => re.test(b.textContent.trim()));
  },
  clickAndWait(pattern) {
    const day = this.day(), before = this.charts();
    const drawn = document.querySelector('[data-day]') !== null;
    const ready = () => {
      const now = this.charts();
      if (this.day() <= day || now.length !== before.length) return false;
      // browser-side charts say which day they drew; an image that did not change (the same
      // picture) is not sent again, so for images one new image is enough
      return drawn ? now.every(c => Number(c) > day) : now.some((c, i) => c !== before[i]);
    };
    return new Promise(resolve => {
      const start = performance.now();
      const observer = new MutationObserver(() => {
        if (!ready()) return;
        observer.disconnect();
        requestAnimationFrame(() => requestAnimationFrame(
          () => resolve(performance.now() - start)));
      });
      observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                       characterData: true});
      this.button(pattern).click();
    });
  },
};
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(tree: Path, scenario: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--port", str(port), "--scenario", scenario],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return process, url
        except OSError:
            time.sleep(0.3)
    _stop(process)
    raise SystemExit(f"dashboard from {tree} did not answer within 90 s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to ``caseload dashboard``, which stops its server (SIGINT may be ignored here)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_function("/Day 0 of \\d+/.test(document.body.innerText)")
    page.evaluate(HELPERS)
    page.wait_for_function("window.__cl.charts().length >= 2")
    page.wait_for_timeout(1500)  # let the first drawing settle
    return page


def measure_steps(browser, url: str, steps: int) -> list[float]:
    """Milliseconds from each Step click until the new day and charts are on screen."""
    page = _open(browser, url)
    times = [page.evaluate("window.__cl.clickAndWait('^Step$')") for _ in range(steps)]
    page.close()
    return times


def measure_play(browser, url: str, seconds: float) -> tuple[float, int]:
    """Days shown per second while playing, and days still shown after Pause."""
    page = _open(browser, url)
    page.evaluate("window.__cl.button('▶|Play').click()")
    page.wait_for_function("window.__cl.day() > 0")
    page.wait_for_timeout(1000)
    start_day, start = page.evaluate("window.__cl.day()"), time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    end_day, end = page.evaluate("window.__cl.day()"), time.monotonic()
    at_click = page.evaluate("(() => { const d = window.__cl.day();"
                             " window.__cl.button('❚❚|Pause').click(); return d; })()")  # fmt: skip
    page.wait_for_timeout(3000)
    after = page.evaluate("window.__cl.day()")
    page.close()
    return (end_day - start_day) / (end - start), after - at_click


def bench_tree(browser, tree: Path, steps: int, play_seconds: float) -> dict[str, float]:
    """Every figure for one tree."""
    figures: dict[str, float] = {}
    for name, scenario in SCENARIOS.items():
        print(f"{tree}: {scenario}", file=sys.stderr, flush=True)
        process, url = _serve(tree, scenario)
        try:
            times = measure_steps(browser, url, steps)
            print(f"  steps: {[round(t) for t in times]} ms", file=sys.stderr, flush=True)
            figures[f"{name}_step_ms"] = statistics.median(times)
            figures[f"{name}_step_ms_max"] = max(times)
            if name == "baseline":
                rate, extra = measure_play(browser, url, play_seconds)
                print(
                    f"  play: {rate:.1f} days/s, {extra} after Pause", file=sys.stderr, flush=True
                )
                figures["baseline_play_days_per_s"] = rate
                figures["baseline_pause_extra_days"] = extra
        finally:
            _stop(process)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                        help="a code tree to measure (default: this one, as 'this')")  # fmt: skip
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--play-seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    trees = [t.split("=", 1) for t in args.tree] or [["this", str(ROOT)]]
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in trees:
            results[name] = bench_tree(browser, Path(path), args.steps, args.play_seconds)
        browser.close()
    names = list(results)
    print(f"{'figure':<30}" + "".join(f"{n:>14}" for n in names) + "  target")
    keys = dict.fromkeys(k for r in results.values() for k in r)
    for key in keys:
        row = "".join(f"{results[n].get(key, float('nan')):>14.1f}" for n in names)
        target = next((t for t in TARGETS if t[0] == key), None)
        verdict = ""
        if target is not None:
            _, limit, op = target
            value = results[names[-1]].get(key, float("nan"))
            ok = value <= limit if op == "<=" else value >= limit
            verdict = f"  {op} {limit:g} {'PASS' if ok else 'FAIL'}"
        print(f"{key:<30}{row}{verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
