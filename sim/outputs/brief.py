"""The one-page brief a director or a union rep can stand behind, printed before the report.

A brief says, on one A4 page: the question in plain words, the headline changes with their 95%
intervals and how many paired runs agree, headcounts beside shares, costs per year and per unit
of harm avoided, the assumptions the result rests on, the caveats the tool detected and the
exact command that reproduces it. The full report follows it in the same file (``brief.html``)
and PDF (``brief.pdf``), so nothing is handed on without its workings.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sim.outputs.pdf import html_to_pdf
from sim.outputs.report import Html, Report


@dataclass
class Brief:
    """The content of one brief; every line is plain text unless it is :class:`Html`."""

    title: str
    question: str
    headlines: list[str] = field(default_factory=list)
    headcounts: list[str] = field(default_factory=list)
    costs: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # scenario discovery, trade-offs
    assumptions: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    reproduce: str = ""
    headlines_title: str = "What changes"

    def section(self) -> str:
        """The brief as an HTML section that prints as one A4 page."""
        parts = [
            '<section class="brief">',
            f"<h1>{html.escape(self.title)}</h1>",
            f'<p class="question">{html.escape(self.question)}</p>',
        ]
        for heading, lines in (
            (self.headlines_title, self.headlines),
            ("People", self.headcounts),
            ("Cost", self.costs),
            ("Where it goes wrong, and what it buys", self.findings),
            ("Caveats", self.caveats),
            ("What the result assumes", self.assumptions),
        ):
            if lines:
                items = "".join(f"<li>{_html(line)}</li>" for line in lines)
                parts.append(f"<h2>{html.escape(heading)}</h2><ul>{items}</ul>")
        if self.reproduce:
            parts.append(
                "<h2>How to reproduce it</h2>"
                f"<p><code>{html.escape(self.reproduce)}</code> (the full report follows; "
                "seeds, versions and file hashes are in manifest.json)</p>"
            )
        parts.append("</section>")
        return "".join(parts)

    def render(self, report: Report) -> str:
        """The brief, then the full report, as one document."""
        return report.render(before=self.section(), title=self.title)


def _html(line: str) -> str:
    return line if isinstance(line, Html) else html.escape(line)


def brief_writers(
    build: Callable[[Path], tuple[Brief, Report]], pdf: bool = True
) -> dict[str, Callable[[Path], None]]:
    """Writers of ``brief.html`` (and ``brief.pdf``) for :func:`sim.outputs.files.write_directory`.

    ``build(path)`` is called once, with the path of the first file written (the figures the
    report embeds are read from beside it, so list these writers after the figures'), and its
    document is shared.
    """
    made: list[str] = []

    def document(path: Path) -> str:
        if not made:
            brief, report = build(path)
            made.append(brief.render(report))
        return made[0]

    def write_html(path: Path) -> None:
        path.write_text(document(path), encoding="utf-8")

    def write_pdf(path: Path) -> None:
        html_to_pdf(document(path), path)

    writers: dict[str, Callable[[Path], None]] = {"brief.html": write_html}
    if pdf:
        writers["brief.pdf"] = write_pdf
    return writers


def bullet(*sentences: str) -> str:
    """Sentences joined into one bullet."""
    return " ".join(s.strip() for s in sentences if s and s.strip())


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
