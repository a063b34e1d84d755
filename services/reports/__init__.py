"""Reports: read models (completeness, timeliness, aggregates) and compiled reports."""
