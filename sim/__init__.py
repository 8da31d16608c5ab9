"""Caseload: an agent-based simulation of social-work team workload, burnout and risk."""
