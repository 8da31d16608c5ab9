"""The employer-standards health check: a council's own workforce data, today and 12 months on.

``data`` reads and checks the worker and team files, ``standards`` holds the benchmark and the
dated national and regional figures, ``picture`` measures today against them, ``forward`` builds
a scenario per team and runs it on (with the lever search), and ``report`` writes the report.
It reads scenarios, runs replications and writes outputs, so it sits beside ``experiments``.
"""
