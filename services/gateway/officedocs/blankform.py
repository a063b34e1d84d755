"""An ask's form as a blank 样表: a Word table laid out like seed 002's, and an Excel sheet with a row per item.

Word: [附件 mark] title, 单位盖章 … 报送时间 line, then per item a table of label | blank (choices as ☐ boxes, a
contact as 姓名/办公电话/手机/传真/电子邮箱, long text as room to write), or for short forms (seed 003's 回执表) one
table with a row per item; the requirements under it.

Excel: a row per item, drop-down lists for choices (a column of √ per option where several may be ticked),
validation for dates, numbers and lengths, and a hidden sheet naming each column's field, so that a filled form
can be read back.
"""

import hashlib
import io
import json
import math

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from shared.schemas import FieldType, FormField

from . import layout as L
from .models import BlankForm
from .summary import put
from .text import datetime_text, width
from .wordml import fixed_widths, new_document, off_grid, right_tab, run, save, tidy_table

BOX = "☐"
CONTACT_PARTS = [
    ("name", "姓名"),
    ("office_phone", "办公电话"),
    ("mobile", "手机"),
    ("fax", "传真"),
    ("email", "电子邮箱"),
]
MAX_BLOCKS = 5  # more items than this: one table and 表格可自行复制, as seed 002 says
FIELDS_SHEET = "_字段"
SIGNATURE_PREFIX = "cascade-form:"


def requirements(form: BlankForm) -> str:
    """The limits in words: how many items, characters per field, the deadline, and the ask's own note."""
    parts = []
    if form.max_items > 1:
        n = f"{form.min_items}–{form.max_items}" if form.min_items != form.max_items else str(form.max_items)
        parts.append(f"每单位报送{n}项" + ("，一项一表" if form.effective_layout == "block" else ""))
    for f in form.fields:
        if f.max_chars and f.max_chars > 100:
            parts.append(f"{f.label}{f.max_chars}字以内")
    required = [f.label for f in form.fields if f.required]
    if required and len(required) < len(form.fields):
        parts.append("必填：" + "、".join(required))
    if form.deadline:
        parts.append(f"请于{datetime_text(form.deadline, form.timezone)}前报送")
    if form.note:
        parts.append(form.note.strip().rstrip("。"))
    return "；".join(parts) + "。" if parts else ""


def _hint(f: FormField) -> str:
    if f.type == FieldType.multi_choice:
        return "（可多选）"
    if f.type == FieldType.choice:
        return "（单选）"
    return ""


def _blank(f: FormField) -> str:
    """What stands in a field's blank: the boxes to tick, the date's frame, the files to attach."""
    if f.type in (FieldType.choice, FieldType.multi_choice):
        return "　".join(BOX + o for o in f.options)
    if f.type == FieldType.date:
        return "　　　　年　　月　　日"
    if f.type == FieldType.file:
        return "（另附文件" + ("：" + "、".join(f.accept) if f.accept else "") + "）"
    if f.type == FieldType.number and (f.min_value is not None or f.max_value is not None):
        lo = "" if f.min_value is None else f"{f.min_value:g}"
        hi = "" if f.max_value is None else f"{f.max_value:g}"
        return f"（{lo}–{hi}）" if lo and hi else (f"（不小于{lo}）" if lo else f"（不大于{hi}）")
    return ""


def _boxes(options: list[str], chars_per_line: float) -> str:
    lines: list[list[str]] = [[]]
    for o in options:
        line = lines[-1]
        if line and width("　".join([*line, BOX + o])) > chars_per_line:
            lines.append(line := [])
        line.append(BOX + o)
    return "\n".join("　".join(line) for line in lines)


# ---------------------------------------------------------------- .docx


def signature(form: BlankForm) -> str:
    """Which form a filled 样表 was made from: the ask and a digest of its fields (keys, labels, types, options),
    so that a 样表 of another ask, or of the form before a 更正 changed it, is told apart when it comes back."""
    shape = [[f.key, f.label, str(f.type), list(f.options)] for f in form.fields]
    digest = hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:12]
    return f"{SIGNATURE_PREFIX}{form.ask_id}:{digest}"


def form_docx(form: BlankForm) -> bytes:
    d = new_document(grid=False, line_pt=None)
    d.core_properties.title = form.title.replace("\n", "")
    d.core_properties.identifier = signature(form)  # Word and WPS keep it when the form is filled and saved
    section = d.sections[0]
    page_w, left, right = section.page_width, section.left_margin, section.right_margin
    assert page_w is not None and left is not None and right is not None  # new_document() sets the page
    text_w = (page_w - left - right) / 12700  # EMU → pt
    if form.attachment_label:
        run(d.add_paragraph(), form.attachment_label, L.FONT_HEITI)
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(12)
    off_grid(p)
    lines = [t.strip() for t in form.title.split("\n") if t.strip()]
    for i, line in enumerate(lines):
        r = run(p, line, L.FONT_TITLE, L.TITLE_PT)
        if i < len(lines) - 1:
            r.add_break()
    p = d.add_paragraph()
    right_tab(p, text_w)
    p.paragraph_format.space_after = Pt(6)
    run(p, f"{form.unit_label}：", size=L.SIZE_4)
    run(p, f"\t{form.date_label}：　　　　年　　月　　日", size=L.SIZE_4)

    if form.effective_layout == "rows":
        _rows_table(d, form, text_w)
    else:
        blocks = form.max_items if form.max_items <= MAX_BLOCKS else 1
        for i in range(1, blocks + 1):
            if blocks > 1:
                hp = d.add_paragraph()
                hp.paragraph_format.page_break_before = i > 1  # 一项一表: each item on a page of its own
                hp.paragraph_format.space_after = Pt(4)
                hp.paragraph_format.keep_with_next = True
                run(hp, f"第{i}项", L.FONT_HEITI, L.SIZE_4)
            _block_table(d, form.fields, text_w)
    note = requirements(form)
    if form.max_items > MAX_BLOCKS:
        note += "表格可自行复制。"
    if note:
        p = d.add_paragraph()
        p.paragraph_format.space_before = Pt(8)
        run(p, "注：" + note, size=L.SIZE_5 + 1.5)
    return save(d)


def _cell_text(
    cell, text: str, *, size: float = 12, font: str = L.FONT_FANGSONG, center: bool = False, grey: bool = False
) -> None:
    p = cell.paragraphs[0] if not cell.paragraphs[0].text else cell.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = run(p, text, font, size)
    if grey:
        r.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _block_table(d, fields: list[FormField], text_w: float) -> None:
    """Seed 002's layout: five columns, the label at the left, a contact as two pairs and an e-mail row."""
    rows = sum(3 if f.type == FieldType.contact else 1 for f in fields)
    t = d.add_table(rows=rows, cols=5)
    t.style = d.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    label_w, sub_w = 110.0, 64.0
    value_w = (text_w - label_w - 2 * sub_w) / 2
    fixed_widths(t, [label_w, sub_w, value_w, sub_w, value_w])
    tidy_table(t)
    r = 0
    for f in fields:
        if f.type == FieldType.contact:
            label = t.cell(r, 0).merge(t.cell(r + 2, 0))
            label.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _cell_text(label, f.label, center=True)
            pairs = [(CONTACT_PARTS[0], CONTACT_PARTS[1]), (CONTACT_PARTS[2], CONTACT_PARTS[3])]
            for k, (left, right) in enumerate(pairs):
                _cell_text(t.cell(r + k, 1), left[1], center=True)
                _cell_text(t.cell(r + k, 3), right[1], center=True)
            _cell_text(t.cell(r + 2, 1), CONTACT_PARTS[4][1], center=True)
            t.cell(r + 2, 2).merge(t.cell(r + 2, 4))
            for k in range(3):
                t.rows[r + k].height = Pt(26)
            r += 3
            continue
        label = t.cell(r, 0)
        label.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_text(label, f.label, center=True)
        if _hint(f):
            _cell_text(label, _hint(f), size=10, center=True)
        value = t.cell(r, 1).merge(t.cell(r, 4))
        value.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        if f.type in (FieldType.choice, FieldType.multi_choice):
            # Whole options per line: Word and WPS would otherwise break a line inside an option's name.
            _cell_text(value, _boxes(f.options, (text_w - label_w - 24) / 12))  # less the cell margins, at 12 pt
        elif _blank(f):
            _cell_text(value, _blank(f))
        if f.help:
            _cell_text(value, f"（{f.help.strip('（）()')}）", size=10, grey=True)
        max_chars = f.max_chars or 0
        long_text = f.type == FieldType.text and max_chars > 100
        if long_text:  # room to write: a line of ~30 characters per 30 characters asked, at most a page
            value.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
            t.rows[r].height = Pt(min(560.0, 22 * math.ceil(max_chars / 30)))
            t.rows[r].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        else:
            t.rows[r].height = Pt(30)
        r += 1
    for row in t.rows:  # a row never splits over two pages
        row._tr.get_or_add_trPr().append(_cant_split())


def _cant_split():
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    return el


def _rows_table(d, form: BlankForm, text_w: float) -> None:
    """Seed 003's 回执表: the fields as columns, a blank row per item."""
    n = max(form.max_items, 3)
    t = d.add_table(rows=1 + n, cols=len(form.fields))
    t.style = d.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    weights = [
        max(
            4.0,
            min(
                12.0,
                (f.max_chars or 20) / 5,
            ),
        )
        for f in form.fields
    ]
    fixed_widths(t, [text_w * w / sum(weights) for w in weights])
    tidy_table(t)
    for c, f in enumerate(form.fields):
        _cell_text(t.cell(0, c), f.label + _hint(f), size=12, font=L.FONT_HEITI, center=True)
        for r in range(1, n + 1):
            if _blank(f):
                _cell_text(t.cell(r, c), _blank(f), size=10.5)
    t.rows[0].height = Pt(30)
    for r in range(1, n + 1):
        t.rows[r].height = Pt(36)


# ---------------------------------------------------------------- .xlsx


def form_columns(form: BlankForm) -> list[tuple[FormField, str, str]]:
    """Every column of the Excel 样表: (field, part, header). part is the contact's part or the option ticked,
    empty for a one-column field."""
    cols = []
    for f in form.fields:
        if f.type == FieldType.contact:
            cols += [(f, key, f"{f.label}：{label}") for key, label in CONTACT_PARTS]
        elif f.type == FieldType.multi_choice:
            cols += [(f, option, f"{f.label}：{option}") for option in f.options]
        else:
            cols.append((f, "", f.label))
    return cols


def form_xlsx(form: BlankForm) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "样表"
    cols = form_columns(form)
    last = get_column_letter(max(len(cols), 2))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    ws.merge_cells(f"A1:{last}1")
    put(ws, 1, 1, form.title.replace("\n", ""))
    ws["A1"].font = Font(name=L.FONT_SONG, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 40
    half = max(1, len(cols) // 2)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    put(ws, 2, 1, f"{form.unit_label}：")
    if len(cols) > half:
        ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=max(len(cols), half + 1))
    put(ws, 2, half + 1, f"{form.date_label}：")

    head = 3
    commented: set[str] = set()
    for c, (f, _, header) in enumerate(cols, 1):
        cell = put(ws, head, c, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        if f.help and f.key not in commented:  # on a field's first column only
            commented.add(f.key)
            cell.comment = Comment(f.help, "Cascade")
        ws.column_dimensions[get_column_letter(c)].width = max(
            10, min(60, width(header) * 2 + 4, (f.max_chars or 0) / 3 + 10)
        )
    ws.row_dimensions[head].height = 32
    first, end = head + 1, head + form.max_items
    for r in range(first, end + 1):
        for c, (f, _, _) in enumerate(cols, 1):
            cell = ws.cell(r, c)
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if f.type == FieldType.date:
                cell.number_format = "yyyy-mm-dd"
            elif f.type != FieldType.number:
                cell.number_format = "@"  # text stays text: a phone number keeps its leading 0
    for c, (f, part, _) in enumerate(cols, 1):
        dv = _validation(f, part)
        if dv is not None:
            letter = get_column_letter(c)
            dv.add(f"{letter}{first}:{letter}{end}")
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(first, 1)
    note = requirements(form)
    if note:
        r = end + 2
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=max(len(cols), 2))
        put(ws, r, 1, "说明：" + note).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 15 * max(2, math.ceil(width(note) / 60))

    keys = wb.create_sheet(FIELDS_SHEET)
    keys.sheet_state = "hidden"
    about = ["ask_id", form.ask_id, "notice", form.doc_number, "first_row", first, "rows", form.max_items]
    for c, value in enumerate([*about, "form", signature(form)], 1):
        put(keys, 1, c, value)
    for c, label in enumerate(["column", "key", "part", "label", "type"], 1):
        put(keys, 2, c, label)
    for i, (f, part, header) in enumerate(cols, 3):
        for c, value in enumerate([get_column_letter(i - 2), f.key, part, header, str(f.type)], 1):
            put(keys, i, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _validation(f: FormField, part: str) -> DataValidation | None:
    prompt = (f.help or "")[:250]
    if f.type == FieldType.multi_choice:
        dv = DataValidation(type="list", formula1='"√"', allow_blank=True)
        dv.prompt = f"选中请填 √（{f.label}可多选）"
    elif f.type == FieldType.choice and f.options:
        listed = ",".join(f.options)
        if any("," in o or '"' in o for o in f.options) or len(listed) > 250:
            return None  # Excel's inline list cannot hold these; the header and the note say the options
        dv = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=not f.required)
        dv.prompt = prompt or "请从下拉列表中选择"
    elif f.type == FieldType.date:
        dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=not f.required)
        dv.prompt = prompt or "日期，如 2021-05-30"
    elif f.type == FieldType.number:
        lo = -1e15 if f.min_value is None else f.min_value
        hi = 1e15 if f.max_value is None else f.max_value
        dv = DataValidation(
            type="decimal", operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}", allow_blank=not f.required
        )
        dv.prompt = prompt or "填数字"
    elif f.type == FieldType.text and f.max_chars:
        dv = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(f.max_chars), allow_blank=not f.required
        )
        dv.prompt = prompt or f"{f.max_chars}字以内"
    else:
        return None
    dv.error = "填写的内容不符合要求：" + (dv.prompt or "")
    dv.errorTitle = f.label[:32]
    dv.promptTitle = f.label[:32]
    dv.showErrorMessage = True
    dv.showInputMessage = True
    return dv
