"""The Caseload dashboard (Solara app); start it with ``caseload dashboard``."""
