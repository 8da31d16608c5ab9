"""Scenario files in: the schema, loading with inheritance and overrides, the catalogue."""
