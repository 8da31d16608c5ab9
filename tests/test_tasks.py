"""The README's setup script: ``python3 tasks.py run`` works on a machine without Chromium."""

from __future__ import annotations

import tasks


def test_run_falls_back_to_html_briefs_when_no_chromium_is_found(monkeypatch):
    monkeypatch.setenv("CASELOAD_CHROMIUM", "/nonexistent/chromium")
    assert tasks.have_pdf_browser() is False
    calls = []
    monkeypatch.setattr(tasks, "ensure_environment", lambda: None)
    monkeypatch.setattr(tasks, "ensure_chromium", lambda: None)
    monkeypatch.setattr(tasks.subprocess, "call", lambda args, **kw: calls.append(args) or 0)
    monkeypatch.setattr(tasks, "have_pdf_browser", lambda: False)
    assert tasks.main(["run", "--reps", "2"]) == 0
    assert calls[-1][1:] == ["run", "--reps", "2", "--no-pdf"]
    monkeypatch.setattr(tasks, "have_pdf_browser", lambda: True)
    assert tasks.main(["run", "--reps", "2"]) == 0
    assert calls[-1][1:] == ["run", "--reps", "2"]
