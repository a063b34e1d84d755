"""The 汇总报告 of an ask as a Word document: who submitted (on time, late) and who did not, then each accepted
submission under its unit's heading, its items as label | value tables, images as thumbnails, files listed.

A thumbnail is drawn from the image's bytes (Pillow, as WeasyPrint uses it): scaled down to at most
``THUMB_PX`` pixels and stored as JPEG, so a report of many photos stays small. A file that is not an image,
or an image that cannot be read, is listed by name and size.
"""

import io
from dataclasses import dataclass, field
from typing import Any

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from PIL import Image, ImageOps

from shared.schemas import FieldType, FormField

from . import layout as L
from .models import ReportSection, ReportUnit, SummaryReport
from .summary import GAP_FILL, HEADER_FILL, source_text
from .text import contact_cell, datetime_text
from .wordml import TableLook, new_document, off_grid, paragraph_before, run, run_look, save, text_run

THUMB_PX = 480
THUMB_MM = 45
TEXT_PT = 12.0
TEXT_WIDTH_PT = L.TEXT_WIDTH_MM * L.PT_PER_MM


def thumbnail(data: bytes) -> bytes | None:
    """A small JPEG of an image, upright as its EXIF says; None when the bytes are no image Pillow reads."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (THUMB_PX, THUMB_PX))  # a JPEG decodes at a fraction of its size: fast
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((THUMB_PX, THUMB_PX))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def completeness(units: list[ReportUnit]) -> str:
    """应报送 12 个单位：已报送 10 个（按时 8 个，逾期 2 个），未报送 2 个（均已逾期）."""
    sent = [u for u in units if u.submitted]
    late = sum(1 for u in sent if u.late)
    missing = [u for u in units if not u.submitted]
    overdue = sum(1 for u in missing if u.overdue)
    text = f"应报送{len(units)}个单位：已报送{len(sent)}个"
    if sent:
        text += f"（按时{len(sent) - late}个，逾期{late}个）"
    text += f"，未报送{len(missing)}个"
    if missing and overdue:
        text += "（均已逾期）" if overdue == len(missing) else f"（其中已逾期{overdue}个）"
    return text + "。"


UNITS_HEADER = ["序号", "单位（来源）", "状态", "报送时间", "按时/逾期", "项数"]
UNITS_WIDTHS = [36.0, 146.0, 50.0, 114.0, 54.0, TEXT_WIDTH_PT - 400.0]  # 序号 to 999, a time on one line
ITEM_WIDTHS = [100.0, TEXT_WIDTH_PT - 100.0]


@dataclass
class _Pen:
    """What the report's many tables and paragraphs are written with, made once (wordml: ``TableLook``,
    ``run_look``): a report of thousands of submissions is written from copies, not cell by cell."""

    d: DocxDocument
    report: SummaryReport
    thumbs: dict[str, bytes | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cell = run_look(size=10.5)  # 五号 仿宋: a table's cells
        self.label = run_look(L.FONT_HEITI, 10.5)  # 五号 黑体: a field's label, a header
        self.text = run_look(size=TEXT_PT)  # 小四 仿宋: a field's text
        self.units = TableLook(self.d, UNITS_WIDTHS)
        self.units_header = self.units.row_look(dict.fromkeys(range(6), HEADER_FILL), header=True)
        self.units_row = self.units.row_look()
        self.units_gap = self.units.row_look(dict.fromkeys(range(6), GAP_FILL))
        self.items = TableLook(self.d, ITEM_WIDTHS)
        self.item_row = self.items.row_look({0: "F2F2F2"}, middle=(0,))
        self.end = self.d.element.body.sectPr  # new blocks go before it

    def paragraph(self) -> Paragraph:
        return paragraph_before(self.end, self.d)


def report_docx(report: SummaryReport) -> bytes:
    d = new_document(grid=False, body_pt=TEXT_PT, line_pt=None)
    pen = _Pen(d, report)
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    off_grid(p)
    run(p, report.notice_title, L.FONT_TITLE, 18)
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(6)
    run(p, f"{report.ask_title}汇总报告", L.FONT_HEITI, L.SIZE_3)
    for text in (
        "　".join(
            t
            for t in (
                f"文号：{report.doc_number}" if report.doc_number else "",
                f"汇总单位：{report.compiled_by}" if report.compiled_by else "",
            )
            if t
        ),
        "　".join(
            t
            for t in (
                f"截止时间：{datetime_text(report.deadline, report.timezone)}" if report.deadline else "",
                f"导出时间：{datetime_text(report.generated_at, report.timezone)}",
            )
            if t
        ),
    ):
        if text:
            run(d.add_paragraph(), text, size=10.5)

    _heading(d, "一、报送情况")
    run(d.add_paragraph(), completeness(report.units), size=TEXT_PT)
    _units_table(pen)

    _heading(d, "二、已采用的报送")
    if not report.sections:
        run(d.add_paragraph(), "暂无已采用的报送。", size=TEXT_PT)
    for n, section in enumerate(report.sections, 1):
        _section(pen, n, section)
    return save(d)


def _heading(d: DocxDocument, text: str) -> None:
    p = d.add_paragraph()
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(6)
    p.paragraph_format.keep_with_next = True
    run(p, text, L.FONT_HEITI, L.SIZE_4)


def _units_table(pen: _Pen) -> None:
    report = pen.report
    t = pen.units.table()
    for p, label in zip(TableLook.add_row(t, pen.units_header), UNITS_HEADER, strict=True):
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        text_run(p, label, pen.label)
    for i, u in enumerate(report.units, 1):
        unit = u.unit_name if not u.source_path else f"{u.unit_name}\n（{source_text(u.source_path, u.unit_name)}）"
        if u.submitted:
            timing = "逾期" if u.late else "按时"
        else:
            timing = "已逾期" if u.overdue else ""
        cells = [
            str(i),
            unit,
            u.status,
            datetime_text(u.submitted_at, report.timezone),
            timing,
            str(u.items) if u.submitted else "",
        ]
        look = pen.units_row if u.submitted else pen.units_gap
        for p, text in zip(TableLook.add_row(t, look), cells, strict=True):
            text_run(p, text, pen.cell)


def _section(pen: _Pen, n: int, section: ReportSection) -> None:
    report = pen.report
    p = pen.paragraph()
    p.paragraph_format.space_before = Pt(10)
    p.paragraph_format.keep_with_next = True
    run(p, f"（{n}）{section.unit_name}", L.FONT_KAITI, L.SIZE_4, bold=True)
    meta = "　".join(
        t
        for t in (
            section.status,
            f"报送时间：{datetime_text(section.submitted_at, report.timezone)}" if section.submitted_at else "",
            "逾期报送" if section.late else "",
            f"报送人：{section.submitted_by}" if section.submitted_by else "",
            f"评选：{section.commendation}" if section.commendation else "",
        )
        if t
    )
    p = pen.paragraph()
    p.paragraph_format.keep_with_next = True
    text_run(p, meta, pen.cell)
    many = len(section.items) > 1
    for k, item in enumerate(section.items, 1):
        label = f"第{k}项" if many else ""
        if item.source_path:
            label += f"（来源：{source_text(item.source_path, item.unit_name)}）"
        if label:
            p = pen.paragraph()
            p.paragraph_format.space_before = Pt(4)
            p.paragraph_format.keep_with_next = True
            text_run(p, label, pen.label)
        _item_table(pen, item.values)


def _item_table(pen: _Pen, values: dict[str, Any]) -> None:
    shown = [f for f in pen.report.fields if values.get(f.key) not in (None, "", [])]
    if not shown:
        text_run(pen.paragraph(), "（无内容）", pen.cell)
        return
    t = pen.items.table()
    for f in shown:
        label, cell = TableLook.add_row(t, pen.item_row)
        text_run(label, f.label, pen.label)
        value = values[f.key]
        if f.type == FieldType.file and isinstance(value, list):
            _files(pen, _Cell(cell._p.getparent(), t), value)
            continue
        for i, line in enumerate(_value_text(f, value).splitlines() or [""]):
            text_run(cell if i == 0 else _next_paragraph(cell), line, pen.text)


def _next_paragraph(p: Paragraph) -> Paragraph:
    """A new paragraph at the end of the table cell that holds ``p``."""
    new = OxmlElement("w:p")
    p._p.getparent().append(new)
    return Paragraph(new, p._parent)


def _value_text(f: FormField, value: Any) -> str:
    if f.type == FieldType.contact or isinstance(value, dict):
        return contact_cell(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _files(pen: _Pen, cell: Any, files: list[Any]) -> None:
    first = True
    for f in files:
        if not isinstance(f, dict):
            continue
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        sha = str(f.get("sha256") or "")
        if sha in pen.report.images and sha not in pen.thumbs:
            pen.thumbs[sha] = thumbnail(pen.report.images[sha])
        small = pen.thumbs.get(sha)
        if small is not None:
            p.add_run().add_picture(io.BytesIO(small), width=Mm(THUMB_MM))
            p = cell.add_paragraph()
        size = f.get("size")
        name = str(f.get("filename") or "")
        text_run(p, f"{name}（{size_text(size)}）" if isinstance(size, int) else name, pen.cell)
