"""HTML to A4 PDF, and a check that nothing is wider than the printed page: one way for all.

The brief, the reports and the health check print through headless Chromium (Debian's
``chromium``, driven by Playwright's Python client; no browser is downloaded). The same engine
that prints the PDF measures its tables, so the width check tests what a reader gets, and the
HTML needs no second stylesheet dialect as it would for a separate PDF renderer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where Chromium is looked for, after ``$CASELOAD_CHROMIUM``.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")

#: Flags for a headless browser that runs as root in a container and opens no network.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run")

#: A4 with the margins every document is printed with.
PAGE_MARGIN_MM = 12
A4_WIDTH_MM = 210
A4_HEIGHT_MM = 297
PX_PER_MM = 96 / 25.4

#: The printable width in CSS pixels: what a table may use.
PRINTABLE_WIDTH_PX = (A4_WIDTH_MM - 2 * PAGE_MARGIN_MM) * PX_PER_MM

INSTALL_HINT = (
    "install Debian's chromium (apt-get install chromium), or set CASELOAD_CHROMIUM to a "
    "Chromium or Chrome executable, or pass --no-pdf for the HTML only"
)


class PdfError(Exception):
    """No browser to print with, or printing failed: said in one line, with the fix."""


def find_chromium() -> Path:
    """The Chromium executable: ``$CASELOAD_CHROMIUM``, else the first of the usual names.

    Raises:
        PdfError: When none is found.
    """
    given = os.environ.get("CASELOAD_CHROMIUM", "").strip()
    if given:
        path = Path(given)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise PdfError(f"CASELOAD_CHROMIUM: not an executable file; {INSTALL_HINT} (got {given!r})")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise PdfError(f"chromium: not found on PATH; {INSTALL_HINT} (got PATH={os.get_exec_path()})")


@contextmanager
def _browser() -> Iterator[Any]:
    """A headless Chromium, closed afterwards."""
    executable = find_chromium()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:  # pragma: no cover - a dependency of the package
        raise PdfError(
            "playwright: the Python package is missing; reinstall caseload "
            "(python3 tasks.py setup) (got no module playwright)"
        ) from None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True
            )
            try:
                yield browser
            finally:
                browser.close()
    except Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PdfError(f"{executable}: printing failed: {first}; {INSTALL_HINT}") from None


def _print_page(browser: Any, html: str) -> Any:
    """A page holding ``html``, laid out as on paper (print media, A4's printable width)."""
    page = browser.new_page(
        viewport={"width": round(PRINTABLE_WIDTH_PX), "height": round(A4_HEIGHT_MM * PX_PER_MM)}
    )
    page.emulate_media(media="print")
    page.set_content(html, wait_until="load")
    return page


def html_to_pdf(html: str, path: Path) -> None:
    """Print ``html`` to an A4 PDF at ``path`` (backgrounds and colours kept).

    Raises:
        PdfError: No Chromium, or it failed to print.
    """
    with _browser() as browser:
        page = _print_page(browser, html)
        margin = f"{PAGE_MARGIN_MM}mm"
        page.pdf(
            path=str(path),
            format="A4",
            print_background=True,
            prefer_css_page_size=True,
            margin={"top": margin, "bottom": margin, "left": margin, "right": margin},
        )


@dataclass(frozen=True)
class WideElement:
    """A table (or figure) that does not fit the printed page's width."""

    what: str
    width_px: float
    printable_px: float


_MEASURE = """(limit) => {
  const wide = [];
  for (const el of document.querySelectorAll('table, img, figure, pre')) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 0.5 || el.scrollWidth > el.clientWidth + 1) {
      const head = el.querySelector('th') || el;
      wide.push([el.tagName.toLowerCase() + ': ' + (head.textContent || '').slice(0, 60),
                 Math.max(box.right, box.left + el.scrollWidth)]);
    }
  }
  return wide;
}"""


def wide_elements(html: str) -> list[WideElement]:
    """Every table, figure or preformatted block wider than A4's printable width when printed.

    Measured in the browser that prints the PDF, with print media and the page's margins, so a
    column cut off on paper (or hidden behind a scroll box) is reported.

    Raises:
        PdfError: No Chromium, or it failed.
    """
    with _browser() as browser:
        page = _print_page(browser, html)
        found = page.evaluate(_MEASURE, PRINTABLE_WIDTH_PX)
    return [WideElement(what, float(width), PRINTABLE_WIDTH_PX) for what, width in found]
