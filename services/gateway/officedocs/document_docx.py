"""A 公文 as a Word document, laid out by GB/T 9704-2012.

Order on the page: [附件 mark] [份号 密级 紧急程度] 发文机关标志 — 文号 (and 签发人) over the red rule — 标题 —
主送机关 — 正文 — 附件说明 — 署名 and 成文日期 — 附注; then each following document (the original of a
转发) from a new page under its 附件 mark; then the 版记 at the foot of the last page.
"""

import math

from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from . import layout as L
from .models import OfficialDocument
from .text import contact_text, date_text, ending_with_colon, ending_with_full_stop, width
from .wordml import (
    bottom_border,
    cell_borders,
    cell_margins,
    center_table,
    fixed_widths,
    float_to_bottom,
    indent,
    new_document,
    off_grid,
    page_field,
    right_tab,
    run,
    save,
    table_borders,
    tidy_table,
)

LINE = L.LINE_PITCH_PT
TEXT_WIDTH_PT = L.TEXT_WIDTH_MM * L.PT_PER_MM


def mark_size(doc: OfficialDocument) -> float:
    """The 发文机关标志's size: as large as fits the 版心 (a joint 标志 is as wide as its longest name + 文件), capped."""
    names = max(width(i.mark) for i in doc.issuers)
    suffix = width(doc.mark_suffix)
    chars = names + suffix + (0.5 if len(doc.issuers) > 1 and suffix else 0)
    return min(L.MARK_MAX_PT, int(TEXT_WIDTH_PT / max(chars, 1) * 2) / 2)


def attachment_marks(doc: OfficialDocument) -> list[str]:
    """附件 marks of the following documents: 附件 alone, or 附件1, 附件2 … when the notice has several attachments."""
    n = len(doc.attachments_following)
    numbered = n > 1 or len(doc.attachment_names) > 1
    return [f"附件{i}" if numbered else "附件" for i in range(1, n + 1)]


def document_docx(doc: OfficialDocument) -> bytes:
    """The .docx of a 公文 (and, for a 转发, the forwarded original after it as 附件)."""
    d = new_document()
    d.settings.odd_and_even_pages_header_footer = True
    _folios(d)
    w = _Writer(d)
    w.document(doc)
    return save(d)


def _folios(d: DocxDocument) -> None:
    """Page numbers — 1 — in 4号宋体: odd pages at the right, even pages at the left, one character in (§7.5)."""
    section = d.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        off_grid(p)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            indent(p, right=1, char_pt=L.FOLIO_PT)
        else:
            indent(p, left=1, char_pt=L.FOLIO_PT)
        run(p, "— ", L.FONT_SONG, L.FOLIO_PT)
        page_field(p, L.FONT_SONG, L.FOLIO_PT)
        run(p, " —", L.FONT_SONG, L.FOLIO_PT)


class _Writer:
    def __init__(self, d: DocxDocument):
        self.d = d

    def para(
        self,
        *,
        align=None,
        before_lines: float = 0,
        page_break: bool = False,
        line_pt: float | None = None,
        grid: bool = True,
    ) -> DocxParagraph:
        p = self.d.add_paragraph()
        if not grid:
            off_grid(p)
        pf = p.paragraph_format
        if align is not None:
            p.alignment = align
        if before_lines:
            pf.space_before = Pt(before_lines * LINE)
        if page_break:
            pf.page_break_before = True
        if line_pt:
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Pt(line_pt)
        return p

    # ---------------------------------------------------------------- the whole document

    def document(self, doc: OfficialDocument, *, mark: str = "", new_page: bool = False) -> None:
        lines_used = 0
        if mark:  # §8: 附件 and its number in 3号黑体, flush left on the first line
            p = self.para(page_break=new_page)
            run(p, mark, L.FONT_HEITI)
            lines_used += 1
            new_page = False
        for text in (doc.copy_number, doc.secrecy, doc.urgency):  # §7.2.1–7.2.2: 黑体, flush left, top lines
            if text:
                p = self.para(page_break=new_page)
                run(p, text, L.FONT_HEITI if text != doc.copy_number else L.FONT_FANGSONG)
                lines_used += 1
                new_page = False
        self.masthead(doc, lines_used, new_page)
        self.number_line(doc)
        self.title(doc)
        if doc.addressees:
            p = self.para(before_lines=1)
            run(p, ending_with_colon(doc.addressees))
        self.body(doc)
        self.attachment_note(doc)
        self.signature(doc)
        self.annotation(doc)
        for label, following in zip(attachment_marks(doc), doc.attachments_following, strict=True):
            self.document(following, mark=label, new_page=True)
        if doc.has_imprint:
            self.imprint(doc, new_page=bool(doc.attachments_following))

    # ---------------------------------------------------------------- 版头

    def masthead(self, doc: OfficialDocument, lines_used: int, new_page: bool) -> None:
        size = mark_size(doc)
        line = round(size * 1.2, 1)  # exact lines smaller than the glyphs would clip them
        # §7.2.3: the 标志's top 35 mm under the top of the 版心, below whatever the first lines held.
        gap = max(0.0, L.MARK_TOP_MM * L.PT_PER_MM - lines_used * LINE - (line - size) / 2)
        if len(doc.issuers) == 1:
            p = self.para(align=WD_ALIGN_PARAGRAPH.CENTER, page_break=new_page, line_pt=line, grid=False)
            p.paragraph_format.space_before = Pt(gap)
            run(p, doc.issuers[0].mark + doc.mark_suffix, L.FONT_TITLE, size, color=L.RED)
            return
        self._spacer(gap, new_page)
        # §7.2.3 联合行文: the names stacked, the lead first, all set to one width; 文件 at the right, centred on them.
        names = [i.mark for i in doc.issuers]
        name_w = max(width(n) for n in names) * size
        suffix_w = width(doc.mark_suffix) * size
        gap_w = size / 2 if doc.mark_suffix else 0
        cols = [name_w + gap_w, suffix_w] if doc.mark_suffix else [name_w]
        table = self.d.add_table(rows=len(names), cols=len(cols))
        table_borders(table, outer=None, inner=None)
        cell_margins(table, 0, 0)
        center_table(table)
        fixed_widths(table, cols)
        tidy_table(table)
        for r, name in enumerate(names):
            row = table.rows[r]
            row.height, row.height_rule = Pt(line), WD_ROW_HEIGHT_RULE.EXACTLY
            p = row.cells[0].paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
            off_grid(p)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(line)
            if gap_w:
                indent(p, right=0.5, char_pt=size)
            run(p, name, L.FONT_TITLE, size, color=L.RED)
        if doc.mark_suffix:
            cell = table.cell(0, 1).merge(table.cell(len(names) - 1, 1)) if len(names) > 1 else table.cell(0, 1)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
            off_grid(p)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(line)
            run(p, doc.mark_suffix, L.FONT_TITLE, size, color=L.RED)

    def _spacer(self, height_pt: float, new_page: bool) -> None:
        p = self.para(page_break=new_page, line_pt=max(1.0, round(height_pt, 1)), grid=False)
        run(p, "", size=1)

    def number_line(self, doc: OfficialDocument) -> None:
        """§7.2.4–7.2.5: the 文号 two lines under the 标志, centred; for a 上行文 left (one character in) with
        签发人 at the right of its line; then the red rule 4 mm under it."""
        last: DocxParagraph | None = None
        if doc.signers:
            rows = [doc.signers[i : i + 2] for i in range(0, len(doc.signers), 2)]  # two names a line
            for n, names in enumerate(rows):
                p = self.para(before_lines=2 if n == 0 else 0)
                right_tab(p, TEXT_WIDTH_PT - L.BODY_PT)
                if n == len(rows) - 1:
                    indent(p, left=1)
                    run(p, doc.doc_number)
                run(p, "\t")
                run(p, "签发人：" if n == 0 else "\u3000" * 4)
                run(p, "\u3000".join(names), L.FONT_KAITI)
                last = p
        else:
            last = self.para(align=WD_ALIGN_PARAGRAPH.CENTER, before_lines=2)
            run(last, doc.doc_number)
        # 4 mm under the glyphs: the exact line box has (line − size) / 2 under them already.
        space = L.RULE_GAP_MM * L.PT_PER_MM - (LINE - L.BODY_PT) / 2
        assert last is not None  # the signers' last row, or the centred 文号
        bottom_border(last, color=L.RED, width_pt=L.RED_RULE_PT, space_pt=space)

    # ---------------------------------------------------------------- 主体

    def title(self, doc: OfficialDocument) -> None:
        """§7.3.1: 2号小标宋, centred, two lines under the red rule; the author's line breaks kept."""
        p = self.para(align=WD_ALIGN_PARAGRAPH.CENTER, before_lines=2, line_pt=round(L.TITLE_PT * 1.5, 2), grid=False)
        lines = [line.strip() for line in doc.title.split("\n") if line.strip()]
        for i, line in enumerate(lines):
            r = run(p, line, L.FONT_TITLE, L.TITLE_PT)
            if i < len(lines) - 1:
                r.add_break()

    def body(self, doc: OfficialDocument) -> None:
        """§7.3.3: each paragraph two characters in; headings in their level's font, the text after in 仿宋."""
        for para in doc.body:
            p = self.para(align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            indent(p, first=2)
            if para.heading:
                run(p, para.heading, L.HEADING_FONTS[para.level])
            if para.text:
                run(p, para.text)

    def attachment_note(self, doc: OfficialDocument) -> None:
        """§7.3.4: 附件：1.名称 one line under the body, two characters in; wrapped lines under the name."""
        names = [n.strip().rstrip("。.；;，,") for n in doc.attachment_names if n.strip()]
        for i, name in enumerate(names, 1):
            number = f"{i}." if len(names) > 1 else ""
            p = self.para(before_lines=1 if i == 1 else 0)
            hang = width(number) + (3 if i == 1 else 0)
            indent(p, left=2 + 3 + width(number), hanging=hang)
            run(p, ("附件：" if i == 1 else "") + number + name)

    def signature(self, doc: OfficialDocument) -> None:
        """§7.3.5.1: 成文日期 four characters from the right; each 署名 centred over it, the lead first."""
        date = date_text(doc.signed_on)
        for i, name in enumerate(doc.signatures):
            p = self.para(align=WD_ALIGN_PARAGRAPH.RIGHT, before_lines=2 if i == 0 else 0)
            indent(p, right=max(0.0, 4 + (width(date) - width(name)) / 2))
            run(p, name)
            p.paragraph_format.keep_with_next = True  # the names never part from their date
        p = self.para(align=WD_ALIGN_PARAGRAPH.RIGHT)
        indent(p, right=4)
        run(p, date)

    def annotation(self, doc: OfficialDocument) -> None:
        """§7.3.6: 附注 in parentheses, two characters in, on the line under the date."""
        parts = [n.strip().strip("（）()") for n in doc.notes if n.strip()] + [contact_text(c) for c in doc.contacts]
        if parts:
            p = self.para(align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            indent(p, first=2)
            run(p, "（" + "；".join(parts) + "）")

    # ---------------------------------------------------------------- 版记

    def imprint(self, doc: OfficialDocument, *, new_page: bool) -> None:
        """§7.4: 抄送 and 印发机关/印发日期 between rules at the foot of the last page (4号仿宋, one character in)."""
        if new_page:
            self.para(page_break=True)
        rows = []
        if doc.copy_to:
            rows.append("copy")
        if doc.printed_by or doc.printed_on:
            rows.append("printed")
        table = self.d.add_table(rows=len(rows), cols=1)
        thick, thin = L.IMPRINT_THICK_PT, L.IMPRINT_THIN_PT
        table_borders(table, outer=None, inner=("single", thin))
        # Only the top and bottom rules are thick (set per cell below); the sides stay open.
        cell_margins(table, 0, 0)
        fixed_widths(table, [TEXT_WIDTH_PT])
        chars = (TEXT_WIDTH_PT - 2 * L.IMPRINT_PT) / L.IMPRINT_PT
        lines = (math.ceil(width("抄送：" + "，".join(doc.copy_to) + "。") / chars) if doc.copy_to else 0) + (
            1 if "printed" in rows else 0
        )
        float_to_bottom(table, lines * LINE + 2 * thick)
        tidy_table(table)
        for r, kind in enumerate(rows):
            cell = table.cell(r, 0)
            edges = {}
            if r == 0:
                edges["top"] = ("single", thick, "000000")
            if r == len(rows) - 1:
                edges["bottom"] = ("single", thick, "000000")
            cell_borders(cell, **edges)
            p = cell.paragraphs[0]
            off_grid(p)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(LINE)
            if kind == "copy":
                indent(p, left=1 + 3, right=1, hanging=3, char_pt=L.IMPRINT_PT)
                run(p, "抄送：" + ending_with_full_stop("，".join(doc.copy_to)), size=L.IMPRINT_PT)
            else:
                indent(p, left=1, char_pt=L.IMPRINT_PT)
                right_tab(p, TEXT_WIDTH_PT - L.IMPRINT_PT)
                run(p, doc.printed_by, size=L.IMPRINT_PT)
                if doc.printed_on:
                    run(p, "\t" + date_text(doc.printed_on) + "印发", size=L.IMPRINT_PT)
        self.para()  # the paragraph the floating 版记 hangs from; a document must end with one
