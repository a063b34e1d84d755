"""The 红头 notice as .docx, read back with python-docx: GB/T 9704's page, grid, fonts, 版头, 主体, 版记 and folios."""

import io
from datetime import date

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from services.gateway.officedocs import Issuer, OfficialDocument, document_docx
from services.gateway.officedocs import Paragraph as Para
from tests.unit.test_officedocs_models import seed_000, seed_003

pytestmark = pytest.mark.unit

EMU_PER_MM = 36000


@pytest.fixture(scope="module")
def forwarded():
    return Document(io.BytesIO(document_docx(seed_000())))


@pytest.fixture(scope="module")
def single():
    return Document(io.BytesIO(document_docx(seed_003())))


def blocks(doc) -> list[Paragraph | Table]:
    """The body's paragraphs and tables in document order."""
    out: list[Paragraph | Table] = []
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            out.append(Paragraph(el, doc))
        elif el.tag == qn("w:tbl"):
            out.append(Table(el, doc))
    return out


def texts(doc) -> list[str]:
    """One text per block: a paragraph's text, or a table's cells joined by |."""
    out = []
    for b in blocks(doc):
        if isinstance(b, Table):
            seen: list[object] = []  # a merged cell appears in every row it spans: once here
            cells = []
            for row in b.rows:
                for cell in row.cells:
                    if not any(cell._tc is s for s in seen):
                        seen.append(cell._tc)
                        cells.append(cell.text)
            out.append("|".join(cells))
        else:
            out.append(b.text)
    return out


def index_of(doc, needle: str) -> int:
    return next(i for i, t in enumerate(texts(doc)) if needle in t)


def para_with(doc, needle: str) -> Paragraph:
    return next(p for p in blocks(doc) if isinstance(p, Paragraph) and needle in p.text)


def east_asian(run) -> str:
    return run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def ind(p: Paragraph, attr: str) -> str | None:
    ppr = p._p.pPr
    assert ppr is not None
    el = ppr.find(qn("w:ind"))
    return None if el is None else el.get(qn(f"w:{attr}"))


def mm(emu) -> float:
    return round(emu / EMU_PER_MM, 1)


def test_a4_with_the_gbt9704_text_block(single):
    s = single.sections[0]
    assert (mm(s.page_width), mm(s.page_height)) == (210, 297)
    assert (mm(s.top_margin), mm(s.bottom_margin), mm(s.left_margin), mm(s.right_margin)) == (37, 35, 28, 26)
    assert mm(s.page_width - s.left_margin - s.right_margin) == 156
    assert mm(s.page_height - s.top_margin - s.bottom_margin) == 225


def test_22_lines_of_28_characters(single):
    grid = single.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt
    char_pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert 28 * char_pitch == pytest.approx(156 / 25.4 * 72, abs=0.1)
    normal = single.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert normal.paragraph_format.line_spacing == Pt(28.95)


def test_body_is_fangsong_gb2312_with_the_fallbacks_word_knows(single):
    fonts = single.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:ascii")) == "仿宋_GB2312"
    assert fonts.get(qn("w:hint")) == "eastAsia"  # “” in the Chinese font
    defaults = single.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:asciiTheme")) is None  # no theme font overriding the names
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    table = single.part.part_related_by(RT.FONT_TABLE).blob.decode()
    for name, alt in (("仿宋_GB2312", "仿宋"), ("楷体_GB2312", "楷体"), ("方正小标宋简体", "方正小标宋_GBK")):
        assert f'w:name="{name}"><w:altName w:val="{alt}"/>' in table
    assert table.count('<w:charset w:val="86"/>') >= 5  # GB2312: Word substitutes a Chinese font of the kind


def test_single_issuer_mark_is_red_xiaobiaosong_35mm_down(single):
    p = blocks(single)[0]
    assert p.text == "青海省科学技术协会文件"
    assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
    [r] = p.runs
    assert str(r.font.color.rgb) == "FF0000"
    assert east_asian(r) == "方正小标宋简体"
    assert 30 <= r.font.size.pt <= 42
    line = p.paragraph_format.line_spacing.pt
    top = p.paragraph_format.space_before.pt + (line - r.font.size.pt) / 2
    assert top == pytest.approx(35 / 25.4 * 72, abs=0.5)
    assert p._p.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"  # a big 标志 off the character grid


def test_joint_mark_stacks_the_issuers_lead_first_with_wenjian_at_the_right(forwarded):
    [table] = [b for b in blocks(forwarded)[:3] if isinstance(b, Table)]
    assert [row.cells[0].text for row in table.rows] == ["广东省科学技术协会", "广东省科学技术厅"]
    assert table.cell(0, 1)._tc is table.cell(1, 1)._tc and table.cell(0, 1).text == "文件"  # one cell spanning both
    for row in table.rows:
        for cell in row.cells:
            for r in cell.paragraphs[0].runs:
                assert str(r.font.color.rgb) == "FF0000" and east_asian(r) == "方正小标宋简体"
        assert row.cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.DISTRIBUTE  # names set to one width
    assert table._tbl.tblPr.find(qn("w:jc")).get(qn("w:val")) == "center"


def test_doc_number_two_lines_down_over_the_red_rule(forwarded):
    p = para_with(forwarded, "粤科协联")
    assert p.text == "粤科协联〔2020〕9号"  # typed with [ ]: printed with 〔〕
    assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert p.paragraph_format.space_before == Pt(2 * 28.95)
    rule = p._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000" and rule.get(qn("w:val")) == "single"
    gap_pt = int(rule.get(qn("w:space"))) + (28.95 - 16) / 2  # border space plus the line box under the glyphs
    assert gap_pt == pytest.approx(4 / 25.4 * 72, abs=1)


def test_title_addressees_and_body(forwarded):
    title = para_with(forwarded, "关于转发《中国科协")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert {(east_asian(r), r.font.size) for r in title.runs} == {("方正小标宋简体", Pt(22))}
    assert title.paragraph_format.space_before == Pt(2 * 28.95)
    to = para_with(forwarded, "各地级以上市科协")
    assert to.text.endswith("企业科协：") and ind(to, "firstLineChars") is None
    body = para_with(forwarded, "现将《中国科协")
    assert ind(body, "firstLineChars") == "200"  # two characters in
    heading = para_with(forwarded, "一、广泛凝聚合力")
    assert [east_asian(r) for r in heading.runs] == ["黑体"]


def test_heading_levels_take_their_fonts():
    doc = seed_003().model_copy(
        update={
            "body": [
                Para(level=1, heading="一、活动主题"),
                Para(level=2, heading="（一）突出时代主题。", text="充分发挥自身优势。"),
                Para(level=3, heading="1.开展活动。", text="内容"),
                Para(level=4, heading="（1）细则"),
            ]
        }
    )
    d = Document(io.BytesIO(document_docx(doc)))
    assert [east_asian(r) for r in para_with(d, "一、活动主题").runs] == ["黑体"]
    assert [east_asian(r) for r in para_with(d, "（一）突出").runs] == ["楷体_GB2312", "仿宋_GB2312"]
    assert [east_asian(r) for r in para_with(d, "1.开展活动").runs] == ["仿宋_GB2312", "仿宋_GB2312"]


def test_attachment_note_numbers_and_hangs(single):
    first = para_with(single, "附件：1.")
    assert first.text == "附件：1.《2021年“全国科技工作者日”青海省活动方案》"
    assert (ind(first, "leftChars"), ind(first, "hangingChars")) == ("600", "400")  # wrapped lines under the name
    second = para_with(single, "2.2021年")
    assert (ind(second, "leftChars"), ind(second, "hangingChars")) == ("600", "100")
    assert first.paragraph_format.space_before == Pt(28.95)  # one line under the body


def test_signature_and_date_four_characters_from_the_right(single, forwarded):
    d = para_with(single, "2021年4月27日")
    assert d.text == "2021年4月27日" and d.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert ind(d, "rightChars") == "400"
    name = next(p for p in blocks(single) if isinstance(p, Paragraph) and p.text == "青海省科学技术协会")
    # centred over the date: 9 characters over 6.5 → 4 − 1.25 characters in
    assert ind(name, "rightChars") == "275" and name.paragraph_format.keep_with_next
    names = [p.text for p in blocks(forwarded) if isinstance(p, Paragraph) and p.alignment == WD_ALIGN_PARAGRAPH.RIGHT][
        :3
    ]
    assert names == ["广东省科学技术协会", "广东省科学技术厅", "2020年5月20日"]


def test_annotation_lists_the_contacts_in_parentheses(single):
    p = para_with(single, "联系人：李想")
    assert p.text.startswith("（") and p.text.endswith("）")
    assert "联系电话：6335628、15897098299" in p.text and "传真：6302839" in p.text
    assert ind(p, "firstLineChars") == "200"
    order = texts(single)
    assert order.index(p.text) == index_of(single, "2021年4月27日") + 1


def test_elements_come_in_the_order_of_the_standard(single):
    steps = [
        "青海省科学技术协会文件",
        "青科协发〔2021〕15号",
        "关于印发《2021年",
        "各省级学会",
        "2021年5月30日是",
        "附件：1.",
        "2021年4月27日",
        "（联系人：李想",
        "抄送：",
    ]
    assert [index_of(single, s) for s in steps] == sorted(index_of(single, s) for s in steps)


def test_imprint_floats_to_the_foot_of_the_last_page_between_rules(single):
    table = [b for b in blocks(single) if isinstance(b, Table)][-1]
    assert isinstance(blocks(single)[-2], Table) and blocks(single)[-1].text == ""  # the last thing, then its anchor
    pos = table._tbl.tblPr.find(qn("w:tblpPr"))
    assert pos.get(qn("w:tblpYSpec")) == "bottom" and pos.get(qn("w:vertAnchor")) == "margin"
    copy, printed = (row.cells[0].paragraphs[0] for row in table.rows)
    assert copy.text == "抄送：尤伟利书记，王彤主席，黄俊玉副主席，兼职副主席，存档。"
    assert printed.text == "青海省科学技术协会办公室\t2021年4月27日印发"
    assert {r.font.size for r in copy.runs + printed.runs} == {Pt(14)}  # 4号
    top = table.rows[0].cells[0]._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:top"))
    bottom = table.rows[1].cells[0]._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
    between = table._tbl.tblPr.find(qn("w:tblBorders")).find(qn("w:insideH"))
    assert int(top.get(qn("w:sz"))) == int(bottom.get(qn("w:sz"))) == 8  # 0.35 mm
    assert int(between.get(qn("w:sz"))) == 6  # 0.25 mm
    assert table._tbl.tblPr.find(qn("w:tblBorders")).find(qn("w:left")).get(qn("w:val")) == "nil"


def test_page_numbers_odd_right_even_left(single):
    assert single.settings.odd_and_even_pages_header_footer
    s = single.sections[0]
    for footer, align, side in (
        (s.footer, WD_ALIGN_PARAGRAPH.RIGHT, "rightChars"),
        (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "leftChars"),
    ):
        [p] = footer.paragraphs
        assert p.alignment == align and ind(p, side) == "100"
        xml = p._p.xml
        assert '<w:instrText xml:space="preserve"> PAGE </w:instrText>' in xml
        assert xml.count('w:fldCharType="begin"') == 1 and xml.count('w:fldCharType="end"') == 1
        assert p.text.replace("1", "") == "—  —"  # — PAGE —, the field showing 1 until Word updates it
        assert {east_asian(r) for r in p.runs} == {"宋体"} and {r.font.size for r in p.runs} == {Pt(14)}
    assert mm(s.footer_distance) == 25


def test_a_forward_carries_the_original_from_a_new_page(forwarded):
    marks = [p for p in blocks(forwarded) if isinstance(p, Paragraph) and p.text == "附件"]
    [mark] = marks
    assert mark.paragraph_format.page_break_before and east_asian(mark.runs[0]) == "黑体"
    i = next(n for n, b in enumerate(blocks(forwarded)) if b._element is mark._p)
    after = texts(forwarded)[i + 1 :]
    assert after[1] == "中国科协|文件|科技部"  # the original's own 标志 (after the spacer)
    assert any(t == "科协发组字〔2020〕7号" for t in after)
    assert index_of(forwarded, "（省科协组织联络部") < i  # the forwarding notice's 附注 came first
    imprints = [b for b in blocks(forwarded) if isinstance(b, Table) and "抄送" in b.cell(0, 0).text]
    assert [t.rows[-1].cells[0].text.split("\t")[0] for t in imprints] == ["中国科协办公厅", "广东省科学技术协会办公室"]
    last_page = [b for b in blocks(forwarded) if isinstance(b, Paragraph) and b.paragraph_format.page_break_before]
    assert last_page[-1]._p.getnext() is imprints[-1]._tbl  # the forwarder's 版记 on a page of its own, last


def test_upward_notice_puts_the_signers_beside_the_doc_number():
    doc = OfficialDocument(
        issuers=[Issuer(name="苏州市科学技术协会", mark_name="苏州市科协")],
        doc_number="苏科协〔2020〕3号",
        signers=["王五"],
        urgency="特急",
        secrecy="秘密★1年",
        title="关于报送2020年活动总结的报告",
        addressees="江苏省科协",
        body=[Para(text="现将总结报告如下。")],
        signed_on=date(2020, 6, 5),
    )
    d = Document(io.BytesIO(document_docx(doc)))
    assert texts(d)[:2] == ["秘密★1年", "特急"]
    assert east_asian(blocks(d)[0].runs[0]) == "黑体"
    p = para_with(d, "苏科协〔2020〕3号")
    assert p.text == "苏科协〔2020〕3号\t签发人：王五"
    assert ind(p, "leftChars") == "100"
    assert east_asian(p.runs[-1]) == "楷体_GB2312"
    assert p._p.pPr.find(qn("w:pBdr")) is not None
    assert not [b for b in blocks(d) if isinstance(b, Table)]  # no 版记 without 抄送 or 印发
