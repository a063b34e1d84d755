"""Benchmarks: ``make bench`` (``python -m bench``) runs every module here.

A benchmark is a module ``bench/<name>.py`` (not starting with ``_``) with a
``main(argv: list[str]) -> int`` that starts what it needs on free loopback
ports, prints its figures next to a raw baseline, and stops everything it
started. Figures are recorded in docs/benchmarks.md.
"""
