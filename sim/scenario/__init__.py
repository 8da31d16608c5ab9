"""Scenario files in: schema, loading (inheritance, overrides), the lever registry, catalogue."""
