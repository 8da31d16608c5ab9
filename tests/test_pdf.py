"""The one way to print: HTML to A4 PDF through headless Chromium, and the page-width check."""

from __future__ import annotations

import pytest

from sim.outputs import pdf

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def chromium():
    try:
        return pdf.find_chromium()
    except pdf.PdfError as exc:
        pytest.skip(str(exc))


def test_html_prints_to_an_a4_pdf_with_its_text(chromium, tmp_path):
    path = tmp_path / "out.pdf"
    pdf.html_to_pdf("<h1>Overdue visits</h1><p>+1,860 case-days</p>", path)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4 in pt
    text = reader.pages[0].extract_text()
    assert "Overdue visits" in text and "+1,860 case-days" in text


def test_a_table_wider_than_the_page_is_found_and_a_narrow_one_is_not(chromium):
    wide = "<table><tr>" + "".join(f"<td>column number {i}</td>" for i in range(20)) + "</tr>"
    narrow = "<table><tr><td>one</td><td>two</td></tr></table>"
    found = pdf.wide_elements(f"<html><body>{wide}</table>{narrow}</body></html>")
    assert len(found) == 1
    assert found[0].what.startswith("table: column number 0")
    assert found[0].width_px > found[0].printable_px


def test_a_missing_browser_is_one_line_saying_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("CASELOAD_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(pdf.PdfError) as caught:
        pdf.find_chromium()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("CASELOAD_CHROMIUM: ") and "apt-get install chromium" in message
    monkeypatch.delenv("CASELOAD_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pdf.PdfError, match=r"^chromium: not found on PATH; install"):
        pdf.find_chromium()
