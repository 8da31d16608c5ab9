"""Self-contained HTML reports a planner can send on: one file, figures embedded, no scripts.

A report says what was run (scenarios, replications, seed, versions), shows the tables with
their uncertainty and the figures, and explains how to read them, so it stands up on its own
when forwarded to a director or a union rep who never saw the command.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.engine.metrics import METRICS_BY_KEY
from sim.outputs.formatting import (
    format_change,
    format_change_interval,
    format_interval,
    format_value,
)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 90rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #d0d0d0; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f2f2f2; } td.text, th.text { text-align: left; }
tr.group td { background: #fafafa; font-weight: bold; text-align: left; }
.worse { color: #a40000; } .better { color: #006b21; } .note { color: #555; font-size: 0.9rem; }
img { max-width: 100%; box-sizing: border-box; border: 1px solid #eee; margin: 0.5rem 0; }
code { background: #f4f4f4; padding: 0 0.2rem; }
div.wide { overflow-x: auto; } small { color: #555; white-space: nowrap; }
.caveat { color: #8a5a00; }
section.brief { border-bottom: 2px solid #333; padding-bottom: 1rem; margin-bottom: 2rem; }
section.brief h1 { margin-bottom: 0.2rem; } section.brief h2 { margin-top: 0.8rem; }
section.brief ul { margin: 0.2rem 0; padding-left: 1.2rem; } section.brief li { margin: 0.1rem 0; }
p.question { font-size: 1.1rem; font-weight: 600; margin: 0.3rem 0; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; line-height: 1.3;
         font-variant-ligatures: none; }  /* PDF text reads "staff", not a ligature */
  h1 { font-size: 15pt; } h2 { font-size: 11.5pt; margin-top: 1rem; break-after: avoid; }
  table { font-size: 7.5pt; width: 100%; table-layout: auto; }
  th, td { padding: 1px 3px; overflow-wrap: anywhere; }
  div.wide { overflow: visible; } small { white-space: normal; }
  img { max-width: 100%; max-height: 240mm; break-inside: avoid; } figure { margin: 0; }
  tr, li { break-inside: avoid; }
  section.brief { break-after: page; border: none; margin: 0; padding: 0; font-size: 8.6pt; }
  section.brief h1 { font-size: 14pt; } section.brief h2 { font-size: 10pt; margin: 0.45rem 0 0; }
  section.brief p.question { font-size: 10pt; }
}
"""


class Html(str):
    """Text that is already HTML: a table cell holding it is not escaped again."""


def _cell_html(value: str) -> str:
    return value if isinstance(value, Html) else html.escape(value)


@dataclass
class Report:
    """An HTML report being assembled: a title, paragraphs, tables and figures, in order."""

    title: str
    parts: list[str] = field(default_factory=list)

    def heading(self, text: str) -> None:
        """Start a section."""
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str, note: bool = False) -> None:
        """A paragraph of plain text (escaped)."""
        css = ' class="note"' if note else ""
        self.parts.append(f"<p{css}>{html.escape(text)}</p>")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A table of formatted cells; the first column is left-aligned text.

        Cells are escaped unless they are :class:`Html`. A row of one cell is a group heading
        spanning the table.
        """
        head = "".join(
            f'<th class="{"text" if i == 0 else ""}">{html.escape(h)}</th>'
            for i, h in enumerate(header)
        )
        body = []
        for row in rows:
            if len(row) == 1:
                body.append(
                    f'<tr class="group"><td colspan="{len(header)}">{html.escape(row[0])}</td></tr>'
                )
                continue
            cells = "".join(
                f'<td class="text">{_cell_html(c)}</td>' if i == 0 else f"<td>{_cell_html(c)}</td>"
                for i, c in enumerate(row)
            )
            body.append(f"<tr>{cells}</tr>")
        table = f"<table><tr>{head}</tr>{''.join(body)}</table>"
        self.parts.append(f'<div class="wide">{table}</div>')

    def figure(self, path: Path, caption: str) -> None:
        """Embed a PNG (as a data URI, so the report is one file) with a caption."""
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        self.parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption class='note'>{html.escape(caption)}</figcaption></figure>"
        )

    def definitions(self, items: Sequence[tuple[str, str]]) -> None:
        """A list of ``term: explanation`` lines."""
        lines = "".join(
            f"<li><code>{html.escape(term)}</code>: {html.escape(text)}</li>"
            for term, text in items
        )
        self.parts.append(f"<ul>{lines}</ul>")

    def render(self, before: str = "", title: str | None = None) -> str:
        """The whole document; ``before`` (HTML, e.g. a one-page brief) comes first."""
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title or self.title)}</title><style>{_STYLE}</style></head>"
            f"<body>{before}<h1>{html.escape(self.title)}</h1>{''.join(self.parts)}"
            "</body></html>\n"
        )

    def write(self, path: Path) -> None:
        """Write the document as UTF-8."""
        path.write_text(self.render(), encoding="utf-8")


def cell(value: float, metric: str) -> Html:
    """A metric's value formatted in its unit, escaped for HTML."""
    unit = METRICS_BY_KEY[metric].unit if metric in METRICS_BY_KEY else ""
    return Html(html.escape(format_value(value, unit)))


def interval(low: float, high: float, metric: str, like: float) -> Html:
    """``low – high`` in the metric's unit, or ``–`` when undefined."""
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        return Html("–")
    unit = METRICS_BY_KEY[metric].unit if metric in METRICS_BY_KEY else ""
    return Html(html.escape(format_interval(low, high, unit, like)))


def mean_with_interval(mean: float, low: float, high: float, metric: str) -> Html:
    """A mean over its 95% interval in small type, as one table cell's HTML."""
    return Html(f"{cell(mean, metric)}<br><small>{interval(low, high, metric, mean)}</small>")


def change(row: pd.Series, metric: str, caveat: str = "") -> Html:
    """A paired difference with its interval, coloured when the interval excludes zero.

    Red when the change is clearly for the worse (by the metric's declared direction), green
    when clearly for the better, plain when the interval includes zero or direction is neither.
    A ``caveat`` (a cut's vacant posts removed, so the vacancy rate falls without a post being
    filled) turns a "better" into amber with a dagger and the caveat as its tooltip: the number
    is right, calling it an improvement is not.
    """
    unit = METRICS_BY_KEY[metric].unit
    better = METRICS_BY_KEY[metric].better
    diff = format_change(row["diff_mean"], unit)
    spread = format_change_interval(
        row["diff_ci95_low"], row["diff_ci95_high"], unit, row["diff_mean"]
    )
    text = f"{diff} ({spread})"
    low, high = row["diff_ci95_low"], row["diff_ci95_high"]
    clear = not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0)
    if clear and better != "neither":
        worse = (low > 0) == (better == "lower")
        if caveat and not worse:
            return Html(
                f'<span class="caveat" title="{html.escape(caveat)}">{html.escape(text)} †</span>'
            )
        return Html(f'<span class="{"worse" if worse else "better"}">{html.escape(text)}</span>')
    return Html(html.escape(text))


def label_with_unit(metric: str) -> str:
    """A metric's human label with its unit: ``Overdue statutory visits (case-days)``."""
    found = METRICS_BY_KEY.get(metric)
    if found is None:
        return metric
    unit = "%" if found.unit == "share" else found.unit
    return f"{found.label} ({unit})"


def provenance(
    report: Report, master_seed: int, replications: int, command: list[str] | None
) -> None:
    """A closing section saying how to reproduce the report: command, seeds, versions."""
    import platform
    import shlex
    import sys

    from sim.engine.rng import replication_seeds
    from sim.outputs.files import package_versions

    seeds = replication_seeds(master_seed, replications)
    shown = ", ".join(map(str, seeds[:5])) + (", ..." if len(seeds) > 5 else "")
    report.heading("How to reproduce this report")
    report.definitions(
        [
            ("command", shlex.join(command if command is not None else sys.argv)),
            ("master seed", f"{master_seed} ({replications} replications; seeds {shown})"),
            ("versions", ", ".join(f"{k} {v}" for k, v in package_versions().items())),
            ("platform", platform.platform()),
        ]
    )
    report.paragraph(
        "Made by the Caseload agent-based model; its equations and the sources of its "
        "parameters are in docs/model.md. manifest.json, written beside this report, also "
        "records every replication seed and the SHA-256 of every output file.",
        note=True,
    )
