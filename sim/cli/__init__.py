"""The ``caseload`` command line: one module per command."""
