"""CSV for spreadsheet programs: UTF-8 with a BOM (so Excel reads the Chinese), no formulas from data."""

import csv
import io
from collections.abc import Iterable
from typing import Any

BOM = "\ufeff"


def cell(value: Any) -> str:
    """A cell's text; one starting with = + - @ would run as a formula in a spreadsheet (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return BOM + buf.getvalue()
