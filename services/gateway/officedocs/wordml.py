"""The WordprocessingML that python-docx has no API for: East Asian fonts, character indents, grids, borders, fields.

Every document here starts from ``new_document``, which sets the page, the
grid, the fonts Word/WPS fall back to and a 公文 ``Normal`` style.
"""

import copy
import io
from xml.sax.saxutils import quoteattr

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.oxml.text.run import CT_R
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from . import layout as L

TWIPS_PER_PT = 20


def new_document(
    *, landscape: bool = False, grid: bool = True, body_pt: float = L.BODY_PT, line_pt: float | None = L.LINE_PITCH_PT
) -> DocxDocument:
    """An A4 document with GB/T 9704 margins (or landscape with even margins), 仿宋 body and the font table."""
    doc = Document()
    section = doc.sections[0]
    if landscape:
        from docx.enum.section import WD_ORIENT

        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(L.PAGE_HEIGHT_MM), Mm(L.PAGE_WIDTH_MM)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin = section.right_margin = Mm(20)
    else:
        section.page_width, section.page_height = Mm(L.PAGE_WIDTH_MM), Mm(L.PAGE_HEIGHT_MM)
        section.top_margin, section.bottom_margin = Mm(L.MARGIN_TOP_MM), Mm(L.MARGIN_BOTTOM_MM)
        section.left_margin, section.right_margin = Mm(L.MARGIN_LEFT_MM), Mm(L.MARGIN_RIGHT_MM)
    section.gutter = Mm(0)
    section.header_distance = Mm(15)
    # The footer's line sits so that its dashes come 7 mm under the 版心 (§7.5): 35 − 7 mm to the dash, less half
    # a 4号 line to the bottom of the footer.
    section.footer_distance = Mm(L.MARGIN_BOTTOM_MM - L.FOLIO_GAP_MM - 3)
    if grid:
        set_doc_grid(section._sectPr)
    _defaults(doc, body_pt, line_pt)
    _font_table(doc)
    return doc


def set_doc_grid(sect_pr) -> None:
    """22 lines × 28 characters: the section's document grid (lines and characters)."""
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(round(L.LINE_PITCH_PT * TWIPS_PER_PT)))
    # charSpace: 4096ths of a point added to (here: taken from) each character of the Normal style's size.
    grid.set(qn("w:charSpace"), str(round((L.CHAR_PITCH_PT - L.BODY_PT) * 4096)))


def _defaults(doc: DocxDocument, body_pt: float, line_pt: float | None) -> None:
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    # The template's theme fonts would win over named fonts in Word: name them outright.
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    _set_fonts(fonts, L.FONT_FANGSONG)
    # The grid's characters are measured from the default size: make it the body's.
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(round(body_pt * 2)))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    for attr in list(spacing.attrib):
        del spacing.attrib[attr]
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:before"), "0")

    normal = doc.styles["Normal"]
    normal.font.size = Pt(body_pt)
    set_fonts(normal.element.get_or_add_rPr(), L.FONT_FANGSONG)
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if line_pt:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_pt)
    pf.widow_control = False


def off_grid(paragraph: Paragraph) -> None:
    """Let a paragraph not of body size leave the character grid: Word and WPS would otherwise give each of its
    characters a whole number of grid cells and spread a 2号 title or a red 标志 apart (对齐到网格 off)."""
    ppr = paragraph._p.get_or_add_pPr()
    el = OxmlElement("w:snapToGrid")
    el.set(qn("w:val"), "0")
    ppr.append(el)
    _reorder(ppr)


def _set_fonts(el, name: str) -> None:
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        el.set(qn(attr), name)
    # Quotation marks “” are shared by Latin and CJK: the hint makes Word set them in the Chinese font, full width.
    el.set(qn("w:hint"), "eastAsia")


def set_fonts(rpr, name: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    _set_fonts(fonts, name)


def _font_table(doc: DocxDocument) -> None:
    """Entries in word/fontTable.xml so Word substitutes a GB2312 font of the same kind when one is missing."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name={quoteattr(name)}><w:altName w:val={quoteattr(alt)}/><w:panose1 w:val="{panose}"/>'
        f'<w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        for name, (alt, panose, family, pitch) in L.FONT_TABLE.items()
    )
    part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def run(
    paragraph: Paragraph,
    text: str,
    font: str = L.FONT_FANGSONG,
    size: float | None = None,
    *,
    bold: bool = False,
    color: str | None = None,
) -> Run:
    r = paragraph.add_run(text)
    set_fonts(r._r.get_or_add_rPr(), font)
    if size:
        r.font.size = Pt(size)
    if bold:
        r.font.bold = True
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    return r


def run_look(font: str = L.FONT_FANGSONG, size: float | None = None, *, bold: bool = False) -> CT_R:
    """A run with no text in one look (fonts, size, bold): ``text_run`` copies it for each text. Writing a run
    through python-docx looks up where each property goes every time; a table of thousands of cells in one look
    is written many times faster from a copy."""
    r = OxmlElement("w:r")
    look = Run(r, None)  # type: ignore[arg-type]  # no part needed to set fonts and sizes
    set_fonts(r.get_or_add_rPr(), font)
    if size:
        look.font.size = Pt(size)
    if bold:
        look.font.bold = True
    return r


def text_run(paragraph: Paragraph, text: str, look: CT_R) -> None:
    """``text`` as a run in ``look`` (``run_look``) at the end of the paragraph; line breaks and tabs as
    ``run`` writes them."""
    if any(c in text for c in "\n\r\t"):
        r = paragraph.add_run(text)
        r._r.insert(0, copy.deepcopy(look.rPr))
        return
    r = copy.deepcopy(look)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    r.append(t)
    paragraph._p.append(r)


def block_width(doc: DocxDocument) -> Emu:
    """The width between the margins of the document's (first) section."""
    section = doc.sections[0]
    return Emu((section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0))


def add_table(doc: DocxDocument, rows: int, cols: int, width: Emu) -> Table:
    """``doc.add_table`` given the width (``block_width``, found once): ``doc.add_table`` looks for the last
    section through the whole body each time, quadratic in a report of thousands of tables."""
    return doc._body.add_table(rows, cols, width)


def indent(
    paragraph: Paragraph,
    *,
    first: float | None = None,
    left: float | None = None,
    right: float | None = None,
    hanging: float | None = None,
    char_pt: float = L.BODY_PT,
) -> None:
    """Indents in characters (w:*Chars, what Word's 字符 unit writes), with twips for readers that ignore them."""
    ppr = paragraph._p.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    for name, value in (("firstLine", first), ("left", left), ("right", right), ("hanging", hanging)):
        if value is not None:
            ind.set(qn(f"w:{name}Chars"), str(round(value * 100)))
            ind.set(qn(f"w:{name}"), str(round(value * char_pt * TWIPS_PER_PT)))
    _reorder(ppr)


# CT_PPr children must come in schema order, or Word calls the file corrupt.
_PPR_ORDER = [
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
]


def _reorder(ppr) -> None:
    rank = {qn(t): i for i, t in enumerate(_PPR_ORDER)}
    children = sorted(ppr, key=lambda c: rank.get(c.tag, len(rank)))
    for c in children:
        ppr.remove(c)
        ppr.append(c)


_TBLPR_ORDER = [
    "w:tblStyle",
    "w:tblpPr",
    "w:tblOverlap",
    "w:bidiVisual",
    "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize",
    "w:tblW",
    "w:jc",
    "w:tblCellSpacing",
    "w:tblInd",
    "w:tblBorders",
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
]


def tidy_table(table: Table) -> None:
    """Put tblPr's children in schema order (helpers here append; Word rejects them out of order)."""
    tblpr = table._tbl.tblPr
    rank = {qn(t): i for i, t in enumerate(_TBLPR_ORDER)}
    for c in sorted(tblpr, key=lambda c: rank.get(c.tag, len(rank))):
        tblpr.remove(c)
        tblpr.append(c)


def cell_margins(table: Table, left_pt: float, right_pt: float) -> None:
    tblpr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for edge, v in (("left", left_pt), ("right", right_pt)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(round(v * TWIPS_PER_PT)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblpr.append(mar)


def float_to_bottom(table: Table, height_pt: float) -> None:
    """Anchor the table to the bottom of the 版心 of the page it is on (the 版记's place, §7.4).

    Word and WPS read tblpYSpec="bottom"; LibreOffice ignores it and reads the offset from the top of the 版心,
    which is why both are set (``height_pt`` is the table's height).
    """
    tblpr = table._tbl.tblPr
    pos = OxmlElement("w:tblpPr")
    top = max(0, round((L.TEXT_HEIGHT_MM * L.PT_PER_MM - height_pt) * TWIPS_PER_PT))
    for k, v in (
        ("leftFromText", "0"),
        ("rightFromText", "0"),
        ("topFromText", "0"),
        ("bottomFromText", "0"),
        ("vertAnchor", "margin"),
        ("horzAnchor", "margin"),
        ("tblpXSpec", "center"),
        ("tblpY", str(top)),
        ("tblpYSpec", "bottom"),
    ):
        pos.set(qn(f"w:{k}"), v)
    tblpr.append(pos)
    overlap = OxmlElement("w:tblOverlap")
    overlap.set(qn("w:val"), "never")
    tblpr.append(overlap)


def center_table(table: Table) -> None:
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), "center")
    table._tbl.tblPr.append(jc)


def bottom_border(paragraph: Paragraph, *, color: str, width_pt: float, space_pt: float) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(round(width_pt * 8)))  # eighths of a point
    bottom.set(qn("w:space"), str(round(space_pt)))  # whole points between the text and the rule
    bottom.set(qn("w:color"), color)
    bdr.append(bottom)
    ppr.append(bdr)
    _reorder(ppr)


def right_tab(paragraph: Paragraph, position_pt: float) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    tabs = OxmlElement("w:tabs")
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:pos"), str(round(position_pt * TWIPS_PER_PT)))
    tabs.append(tab)
    ppr.append(tabs)
    _reorder(ppr)


def page_field(paragraph: Paragraph, font: str, size: float) -> None:
    """A PAGE field (fldChar begin / instrText / separate / 1 / end), updated by Word as it lays out pages."""

    def piece(kind: str | None = None, instr: str | None = None, text: str | None = None):
        r = run(paragraph, "", font, size)
        if kind:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            r._r.append(fc)
        if instr:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr
            r._r.append(it)
        if text:
            r.text = text

    piece("begin")
    piece(instr=" PAGE ")
    piece("separate")
    piece(text="1")
    piece("end")


def cell_borders(cell: _Cell, **edges: tuple[str, float, str]) -> None:
    """edges: top/bottom/left/right → (val, width_pt, color); val "nil" removes the edge."""
    tcpr = cell._tc.get_or_add_tcPr()
    borders = tcpr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tcpr.append(borders)
    for edge in ("top", "left", "bottom", "right"):
        if edge not in edges:
            continue
        val, width_pt, color = edges[edge]
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), val)
        el.set(qn("w:sz"), str(round(width_pt * 8)))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), color)
        borders.append(el)


def table_borders(
    table: Table, *, outer: tuple[str, float] | None, inner: tuple[str, float] | None, color: str = "000000"
) -> None:
    tblpr = table._tbl.tblPr
    old = tblpr.find(qn("w:tblBorders"))
    if old is not None:
        tblpr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        spec = outer if edge in ("top", "left", "bottom", "right") else inner
        el = OxmlElement(f"w:{edge}")
        if spec is None:
            el.set(qn("w:val"), "nil")
        else:
            el.set(qn("w:val"), spec[0])
            el.set(qn("w:sz"), str(round(spec[1] * 8)))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), color)
        borders.append(el)
    tblpr.append(borders)


def shade(cell: _Cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def fixed_widths(table: Table, widths_pt: list[float]) -> None:
    """Column widths that Word and WPS both keep (fixed layout, tblGrid and every cell's tcW)."""
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(round(sum(widths_pt) * TWIPS_PER_PT)))
    for col, w in zip(table.columns, widths_pt, strict=True):
        col.width = Pt(w)
    for row in table.rows:
        # A row may hold fewer cells than the grid has columns (python-docx: "only cells actually present").
        for cell, w in zip(row.cells, widths_pt, strict=False):
            cell.width = Pt(w)


class TableLook:
    """A table's look made once with python-docx (style, alignment, fixed widths, tidy properties) and copied,
    with rows of a look of their own (shaded cells, a cell centred), for each table and row: a report of
    thousands of rows and tables is written many times faster than cell by cell through python-docx, which
    looks up where each property goes every time. Cells hold one empty paragraph each, for ``text_run``."""

    def __init__(self, doc: DocxDocument, widths_pt: list[float], style: str = "Table Grid") -> None:
        self.doc = doc
        tbl = CT_Tbl.new_tbl(1, len(widths_pt), block_width(doc))
        table = Table(tbl, doc._body)
        table.style = doc.styles[style]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        fixed_widths(table, widths_pt)
        tidy_table(table)
        self._row = tbl.tr_lst[0]
        tbl.remove(self._row)
        self._tbl = tbl
        self._end = doc.element.body.sectPr  # a new block goes before it

    def row_look(self, fills: dict[int, str] | None = None, *, header: bool = False, middle: tuple[int, ...] = ()):
        """A row: cells ``fills`` shaded (column → colour), ``middle`` cells centred vertically, a header row
        repeated on each page."""
        tr = copy.deepcopy(self._row)
        table = Table(self._tbl, self.doc._body)
        row = _Row(tr, table)
        for c, cell in enumerate(row.cells):
            if fills and c in fills:
                shade(cell, fills[c])
            if c in middle:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        if header:
            repeat_header(row)
        return tr

    def table(self) -> Table:
        """A new table of this look, with no rows yet, at the end of the document."""
        tbl = copy.deepcopy(self._tbl)
        self._end.addprevious(tbl)
        return Table(tbl, self.doc._body)

    @staticmethod
    def add_row(table: Table, look) -> list[Paragraph]:
        """A row of ``look`` (``row_look``) at the end of ``table``: each cell's paragraph."""
        tr = copy.deepcopy(look)
        table._tbl.append(tr)
        return [Paragraph(tc.find(qn("w:p")), table) for tc in tr.iterchildren(qn("w:tc"))]


def paragraph_before(end, doc: DocxDocument) -> Paragraph:
    """A new paragraph just before ``end`` (the body's ``sectPr``, found once): ``doc.add_paragraph()`` looks
    for it through the whole body each time."""
    p = OxmlElement("w:p")
    end.addprevious(p)
    return Paragraph(p, doc._body)


def repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def save(doc: DocxDocument) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
