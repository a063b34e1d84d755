"""The 汇总表 of an ask as CSV: one row per item of each unit's latest submission, the ask's form fields as
columns, each item's source unit through every level, and the units that have not submitted as rows of their
own, so the compiling level sees the gaps beside the answers."""

from typing import Any

from shared.clock import local_text
from shared.contracts.submissions import SubmissionTable
from shared.schemas import FieldType, FormField

from ...core.item_sources import item_sources
from ...core.spreadsheet import csv_text


def field_text(value: Any) -> str:
    """An item's value as one cell: choices joined, a contact block on one line, files by name."""
    if value is None:
        return ""
    if isinstance(value, dict):  # a contact block
        return " ".join(str(value[k]) for k in ("name", "office_phone", "mobile", "email") if value.get(k))
    if isinstance(value, list):
        return "、".join(v.get("filename", "") if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def submissions_csv(table: SubmissionTable, timezone: str) -> str:
    """The 汇总表 of one ask (the submissions service's ``table``) as CSV, read from the typed reply as it came (a
    whole ask is hundreds of rows: no round trip through dicts)."""
    fields = table.ask.fields or [FormField(key="text", label="内容", type=FieldType.text)]
    header = [
        "序号",
        "单位",
        "来源（逐级）",
        "报送单位代码",
        "状态",
        "报送时间",
        "报送人",
        "逾期",
        "版本",
        "评选",
        "第几项",
        *[f.label for f in fields],
    ]
    rows: list[list[Any]] = [header]
    for n, r in enumerate(table.rows, 1):
        mark = r.commendation
        commended = (
            "" if mark is None else f"{mark.category.value}（{mark.note}）" if mark.note else mark.category.value
        )
        state = [
            r.status_text,
            local_text(r.submitted_at, timezone) if r.submitted_at else "",
            r.submitted_by or "",
            "是" if r.late else "",
            r.revision or "",
            commended,
        ]
        # Each item names the unit it came from and its way up through every level (苏州市科协 ← 昆山市科协);
        # the unit's own items, and a unit that owes the ask, name the unit alone.
        sources = item_sources(r) if r.items else [(r.unit_name, [])]
        for i, (item, (source, path)) in enumerate(zip(r.items or [{}], sources, strict=True), 1):
            origin = [source, " ← ".join(path or [source]), r.unit_id]
            cells = [field_text(item.get(f.key)) for f in fields]
            rows.append([n, *origin, *state, i if r.items else "", *cells])
    return csv_text(rows)
