"""The 汇总 of an ask as an Excel workbook and as a Word table.

One row per item submitted, the form's fields as columns, the units that owe
the ask and sent nothing as rows of their own (未报送, in red), and every row
naming its source unit through every level (苏州市科协 ← 昆山市科协).
"""

import io
from collections import Counter
from datetime import date, datetime
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from shared.schemas import FieldType, FormField

from . import layout as L
from .models import SummaryGap, SummaryItem, SummaryTable
from .text import datetime_text, field_text, local, width
from .wordml import TableLook, new_document, off_grid, run, run_look, save, text_run

GAP_FILL = "FFC7CE"  # Excel's own "bad" red, readable in print
GAP_FONT = "9C0006"
HEADER_FILL = "D9D9D9"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEASURED = 30  # characters of a cell that can widen its column (a column is at most 50 wide)
META = ["序号", "单位", "来源（逐级）", "状态", "报送时间", "是否逾期", "是否采用", "评选", "第几项", "备注"]


def source_text(path: list[str], unit: str) -> str:
    """苏州市科协 ← 昆山市科协: the compiling levels then the source unit; the unit alone when it sent directly."""
    chain = path or [unit]
    return " ← ".join(chain)


def _value(field: FormField, value: Any) -> Any:
    """A field's value as a typed cell: dates as dates, numbers as numbers, the rest as text."""
    if value is None or value == "":
        return None
    if field.type == FieldType.date and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    if field.type == FieldType.number and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return field_text(value)


def _unit_key(path: list[str], unit: str) -> tuple:
    return (*path, unit)


def counts(table: SummaryTable) -> list[tuple[str, int, int]]:
    """(状态, 单位数, 条目数) per status, then 未报送 and 逾期: what the 统计 sheet and the Word summary show."""
    units: dict[str, set] = {}
    items: Counter = Counter()
    for r in table.rows:
        units.setdefault(r.status, set()).add(_unit_key(r.source_path, r.unit_name))
        items[r.status] += 1
    out = [(status, len(units[status]), items[status]) for status in units]
    gap_status = Counter(g.status for g in table.gaps)
    out += [(status, n, 0) for status, n in gap_status.items()]
    late_units = {_unit_key(r.source_path, r.unit_name) for r in table.rows if r.late}
    out.append(("其中逾期报送", len(late_units), sum(1 for r in table.rows if r.late)))
    return out


# ---------------------------------------------------------------- .xlsx


def summary_xlsx(table: SummaryTable) -> bytes:
    """The 汇总表 as .xlsx: title block, frozen bold header, a row per item, 未报送 rows in red, a 统计 sheet.

    No cell is ever a formula: user text that starts with = + - @ is stored as text and marked so (quotePrefix)
    that Excel keeps it text when someone edits the cell.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    fields = table.fields
    header = META + [f.label for f in fields]
    ncols = len(header)
    last = get_column_letter(ncols)

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    ws.merge_cells(f"A1:{last}1")
    put(ws, 1, 1, table.notice_title)
    ws["A1"].font = Font(name=L.FONT_SONG, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 36
    info = [
        "　".join(
            t
            for t in (
                f"文号：{table.doc_number}" if table.doc_number else "",
                f"报送要求：{table.ask_title}",
                f"汇总单位：{table.compiled_by}" if table.compiled_by else "",
            )
            if t
        ),
        "　".join(
            t
            for t in (
                f"截止时间：{datetime_text(table.deadline, table.timezone)}" if table.deadline else "",
                f"导出时间：{datetime_text(table.generated_at, table.timezone)}",
            )
            if t
        ),
    ]
    for r, text in enumerate(info, 2):
        ws.merge_cells(f"A{r}:{last}{r}")
        put(ws, r, 1, text)
        ws.cell(r, 1).alignment = Alignment(horizontal="left", vertical="center")

    head_row = 4
    for c, label in enumerate(header, 1):
        cell = put(ws, head_row, c, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    ws.freeze_panes = ws.cell(head_row + 1, 3)  # the title block, the header and the unit stay in view

    widths = [width(h) * 2 + 2 for h in header]
    r = head_row
    # A body cell's look as a named style, given by name: setting border, alignment, fill one by one on every
    # cell costs openpyxl a hash of each style object each time (most of the time of a big 汇总).
    looks = {
        (gap, fmt): _named(wb, f"汇总{'-未报送' if gap else ''}-{fmt}", border, wrap, fmt, gap)
        for gap in (False, True)
        for fmt in ("General", "yyyy-mm-dd hh:mm", "yyyy-mm-dd")
    }
    for n, row in enumerate(_ordered(table), 1):
        r += 1
        values = _row_values(n, row, fields, table.timezone)
        gap = isinstance(row, SummaryGap)
        for c, value in enumerate(values, 1):
            if isinstance(value, datetime):
                fmt = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                fmt = "yyyy-mm-dd"
            else:
                fmt = "General"
            ws.cell(row=r, column=c).style = looks[gap, fmt]
            put(ws, r, c, value)  # after the style: quotePrefix is part of it
            text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, (date, datetime)) else str(value or "")
            widths[c - 1] = max(widths[c - 1], width(text[:MEASURED]) * 2 + 2)
    for c, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = max(6, min(50, w))
    ws.auto_filter.ref = f"A{head_row}:{last}{max(r, head_row)}"
    ws.print_title_rows = f"{head_row}:{head_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    st = wb.create_sheet("统计")
    for c, label in enumerate(["状态", "单位数", "条目数"], 1):
        put(st, 1, c, label).font = Font(bold=True)
    for i, (status, units, items) in enumerate(counts(table), 2):
        put(st, i, 1, status)
        put(st, i, 2, units)
        put(st, i, 3, items)
    st.column_dimensions["A"].width = 16
    st.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _named(wb: Workbook, name: str, border: Border, wrap: Alignment, fmt: str, gap: bool) -> str:
    look = NamedStyle(name=name, border=border, alignment=wrap, number_format=fmt)
    if gap:
        look.fill = PatternFill("solid", fgColor=GAP_FILL)
        look.font = Font(color=GAP_FONT)
    wb.add_named_style(look)
    return name


def put(ws, row: int, col: int, value: Any):
    """Write a value so that no text ever becomes a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        if cell.data_type == "f":  # openpyxl takes any text starting with = for a formula
            cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


def _ordered(table: SummaryTable) -> list[SummaryItem | SummaryGap]:
    """Items in the order given, then the gaps: the compiling level reads answers first, then who still owes."""
    return [*table.rows, *table.gaps]


def _row_values(n: int, row: SummaryItem | SummaryGap, fields: list[FormField], timezone: str) -> list[Any]:
    if isinstance(row, SummaryGap):
        return [
            n,
            row.unit_name,
            source_text(row.source_path, row.unit_name),
            row.status,
            None,
            "是" if row.overdue else "",
            "",
            "",
            None,
            row.note,
        ] + [None] * len(fields)
    return [
        n,
        row.unit_name,
        source_text(row.source_path, row.unit_name),
        row.status,
        local(row.submitted_at, timezone) if row.submitted_at else None,
        "是" if row.late else "",
        "是" if row.accepted else "",
        row.commendation,
        row.item_no,
        f"报送人：{row.submitted_by}" if row.submitted_by else "",
    ] + [_value(f, row.values.get(f.key)) for f in fields]


# ---------------------------------------------------------------- .docx


def summary_docx(table: SummaryTable) -> bytes:
    """The 汇总表 as a Word table on landscape A4: title, the ask and deadline, counts, then the table."""
    d = new_document(landscape=True, grid=False, body_pt=L.SIZE_5, line_pt=None)
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    off_grid(p)
    run(p, table.notice_title, L.FONT_TITLE, 18)
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(p, f"{table.ask_title} 汇总表", L.FONT_HEITI, L.SIZE_4)
    lines = [
        "　".join(
            t
            for t in (
                f"文号：{table.doc_number}" if table.doc_number else "",
                f"汇总单位：{table.compiled_by}" if table.compiled_by else "",
            )
            if t
        ),
        "　".join(
            t
            for t in (
                f"截止时间：{datetime_text(table.deadline, table.timezone)}" if table.deadline else "",
                f"导出时间：{datetime_text(table.generated_at, table.timezone)}",
            )
            if t
        ),
        "　".join(
            f"{status}：{units}个单位" + (f"（{items}项）" if items else "") for status, units, items in counts(table)
        ),
    ]
    for text in lines:
        if text:
            p = d.add_paragraph()
            run(p, text, size=L.SIZE_5)
    p.paragraph_format.space_after = Pt(6)

    header = ["序号", "单位（来源）", "状态", "报送时间", "评选", "第几项"] + [f.label for f in table.fields]
    rows = _ordered(table)
    usable = (L.PAGE_HEIGHT_MM - 40) * L.PT_PER_MM
    meta_w = [24.0, 96.0, 48.0, 60.0, 48.0, 28.0]
    # The fields share what is left by how much they hold: a 500-character plan wider than a name.
    weights = [_weight(f) for f in table.fields]
    rest = max(0.0, usable - sum(meta_w))
    field_w = [max(36.0, rest * w / sum(weights)) for w in weights]
    # Rows copied from a look made once (wordml.TableLook): thousands of rows, not cell by cell.
    look = TableLook(d, meta_w + field_w)
    every = range(len(header))
    head, plain, gap = (
        look.row_look(dict.fromkeys(every, HEADER_FILL), header=True),
        look.row_look(),
        look.row_look(dict.fromkeys(every, GAP_FILL)),
    )
    label_run, cell_run = run_look(L.FONT_HEITI, 9), run_look(size=9)
    t = look.table()
    for p, label in zip(TableLook.add_row(t, head), header, strict=True):
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        text_run(p, label, label_run)
    for i, row in enumerate(rows, 1):
        if isinstance(row, SummaryGap):
            status = row.status + ("（逾期）" if row.overdue else "")
            cells = [str(i), _unit_cell(row.unit_name, row.source_path), status, row.note, "", ""] + [""] * len(
                table.fields
            )
        else:
            status = row.status + ("（逾期）" if row.late else "")
            when = datetime_text(row.submitted_at, table.timezone)
            cells = [
                str(i),
                _unit_cell(row.unit_name, row.source_path),
                status,
                when,
                row.commendation,
                str(row.item_no or ""),
            ] + [_docx_value(f, row.values.get(f.key)) for f in table.fields]
        for p, text in zip(TableLook.add_row(t, gap if isinstance(row, SummaryGap) else plain), cells, strict=True):
            text_run(p, text, cell_run)
    return save(d)


def _weight(f: FormField) -> float:
    """A field's share of the Word table's width."""
    if f.type == FieldType.contact:
        return 2.0
    if f.type == FieldType.text:
        return min(5.0, max(1.0, (f.max_chars or 100) / 60))
    return 1.0


def _unit_cell(unit: str, path: list[str]) -> str:
    return unit if not path or path == [unit] else f"{unit}\n（{source_text(path, unit)}）"


def _docx_value(field: FormField, value: Any) -> str:
    v = _value(field, value)
    if isinstance(v, date):
        return f"{v.year}年{v.month}月{v.day}日"
    return "" if v is None else str(v)
