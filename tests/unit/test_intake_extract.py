"""导入公文, reading files: .txt in UTF-8 or GBK, .docx paragraphs and tables in order, .pdf with a text layer,
and the refusals (empty, binary, scanned, broken, unsupported, too large) as Chinese ``Invalid`` errors."""

import io
import zipfile
from collections.abc import Sequence

import pytest

from services.notices.intake import (
    BrokenFile,
    EmptyDocument,
    FileTooLarge,
    NoTextLayer,
    UnsupportedFile,
    extract,
    extract_text,
    import_document,
)
from shared.errors import Invalid

pytestmark = pytest.mark.unit

NOTICE = [
    "浙江省科学技术协会文件",
    "浙科协发〔2022〕18号",
    "关于开展2022年全国科普日活动的通知",
    "各市科协，各省级学会、协会、研究会，各高校科协：",
    "请各单位于2022年8月31日前报送活动方案（盖章PDF版和word版）。",
    "联系人：周敏，电话：0571-85171234，邮箱：kpb@zast.org.cn",
    "浙江省科学技术协会",
    "2022年7月20日",
]


def make_docx(paragraphs: list[str], tables: Sequence[tuple[int, list[list[str]]]] = ()) -> bytes:
    """A .docx with ``paragraphs``; each (index, rows) table is inserted before paragraph ``index``."""
    import docx

    doc = docx.Document()
    by_index = dict(tables)
    for i, p in enumerate([*paragraphs, None]):
        if i in by_index:
            rows = by_index[i]
            t = doc.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    t.cell(r, c).text = value
        if p is not None:
            doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_pdf(lines: list[str], *, wrap: int = 36, per_page: int = 44, blank_pages: int = 0) -> bytes:
    """A PDF with a text layer (reportlab's built-in Chinese font, nothing embedded or downloaded).

    Long lines are wrapped at ``wrap`` characters, as a PDF of a 公文 is.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 11)
    y, n = 800, 0
    for line in lines:
        for k in range(0, max(len(line), 1), wrap):
            if n == per_page:
                c.showPage()
                c.setFont("STSong-Light", 11)
                y, n = 800, 0
            c.drawString(40, y, line[k : k + wrap])
            y -= 17
            n += 1
    c.showPage()
    for _ in range(blank_pages):
        c.rect(50, 50, 400, 600, fill=1)  # a "scanned" page: a picture, no text
        c.showPage()
    c.save()
    return buf.getvalue()


def scanned_pdf(pages: int = 2) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.rect(50, 50, 400, 600, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------- .txt


def test_utf8_text_is_read_as_is_and_line_breaks_normalised():
    data = "\ufeff" + "\r\n".join(NOTICE)
    text = extract_text(data.encode("utf-8"), "通知.txt")
    assert text.splitlines() == NOTICE
    assert "\r" not in text and "\ufeff" not in text


def test_gbk_and_gb18030_text_fall_back_from_utf8():
    for enc in ("gbk", "gb18030", "gb2312"):
        got = extract("\n".join(NOTICE).encode(enc), "notice.TXT")
        assert got.file_type == "txt"
        assert got.text.splitlines() == NOTICE


def test_utf16_with_bom_is_read():
    assert extract_text("\n".join(NOTICE).encode("utf-16"), "a.txt").splitlines() == NOTICE


def test_text_without_a_name_is_taken_as_text():
    assert extract_text("浙科协发〔2022〕18号".encode()) == "浙科协发〔2022〕18号"


# ---------------------------------------------------------------- .docx


def test_docx_paragraphs_and_tables_come_in_document_order():
    data = make_docx(
        [*NOTICE[:6], "附件：联系人名单", "浙江省科学技术协会"],
        tables=[(6, [["单位", "姓名", "电话", "邮箱"], ["省科协科普部", "周敏", "0571-85171234", "kpb@zast.org.cn"]])],
    )
    got = extract(data, "通知.docx")
    lines = [ln for ln in got.text.splitlines() if ln.strip()]
    assert got.file_type == "docx"
    assert lines[:6] == NOTICE[:6]
    assert lines[6] == "单位\t姓名\t电话\t邮箱"
    assert lines[7] == "省科协科普部\t周敏\t0571-85171234\tkpb@zast.org.cn"
    assert lines[8:] == ["附件：联系人名单", "浙江省科学技术协会"]


def test_docx_merged_cells_appear_once():
    import docx

    doc = docx.Document()
    t = doc.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 2)).text = "联络员回执表"
    t.cell(1, 0).text, t.cell(1, 1).text, t.cell(1, 2).text = "姓名", "职务", "电话"
    buf = io.BytesIO()
    doc.save(buf)
    assert extract_text(buf.getvalue(), "a.docx").splitlines() == ["联络员回执表", "姓名\t职务\t电话"]


def test_docx_named_wrongly_is_read_by_its_content():
    assert extract(make_docx(NOTICE), "notice.txt").file_type == "docx"


# ---------------------------------------------------------------- .pdf


def test_pdf_text_layer_is_read_page_by_page():
    got = extract(make_pdf(NOTICE * 8, per_page=20), "通知.pdf")
    assert got.file_type == "pdf" and got.pages >= 3
    assert "浙科协发〔2022〕18号" in got.text
    assert "各市科协，各省级学会、协会、研究会，各高校科协：" in got.text
    assert got.warnings == []


def test_pdf_without_text_layer_is_refused_in_chinese():
    with pytest.raises(NoTextLayer) as err:
        extract(scanned_pdf(), "扫描件.pdf")
    assert isinstance(err.value, Invalid)
    assert err.value.field == "file" and "文字层" in err.value.message and "扫描" in err.value.message
    assert err.value.problem().status == 422


def test_pdf_with_some_scanned_pages_says_which_pages_were_lost():
    draft = import_document(make_pdf(NOTICE, blank_pages=1), "通知.pdf")
    assert draft.fields.doc_number.value == "浙科协发〔2022〕18号"
    assert any("第 2 页没有文字层" in w.message for w in draft.warnings)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "data,name,error,words",
    [
        (b"", "a.txt", EmptyDocument, "为空"),
        (b"   \n\n \t", "a.txt", EmptyDocument, "没有文字"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "notice.png", UnsupportedFile, "不支持"),
        (bytes(range(256)) * 4, "notice.txt", UnsupportedFile, "不是文本文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "通知.doc", UnsupportedFile, ".docx"),
        (b"%PDF-1.7\n%garbage that is no pdf at all", "a.pdf", BrokenFile, "PDF"),
        (b"this is not a pdf", "a.pdf", BrokenFile, "PDF"),
        (b"PK\x03\x04 broken zip", "a.docx", BrokenFile, "损坏"),
        (b"not a word file", "a.docx", BrokenFile, "Word"),
        ("\n".join(NOTICE).encode(), "notice.xlsx", UnsupportedFile, ".txt"),
    ],
)
def test_bad_files_raise_invalid_with_a_chinese_message(data, name, error, words):
    with pytest.raises(error) as err:
        extract(data, name)
    assert isinstance(err.value, Invalid)
    assert err.value.field == "file"
    assert words in err.value.message
    assert 400 <= err.value.problem().status < 500


def test_a_zip_that_is_not_a_docx_is_unsupported():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFile):
        extract(buf.getvalue(), "a.docx")


def test_a_docx_with_broken_xml_is_broken():
    good = make_docx(NOTICE)
    src = zipfile.ZipFile(io.BytesIO(good))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for item in src.infolist():
            data = src.read(item.filename)
            z.writestr(item, b"<w:document><unclosed" if item.filename == "word/document.xml" else data)
    with pytest.raises(BrokenFile) as err:
        extract(buf.getvalue(), "a.docx")
    assert "Word" in err.value.message


def test_too_large_a_file_is_refused_before_reading():
    with pytest.raises(FileTooLarge) as err:
        extract(b"x" * 2048, "a.txt", max_bytes=1024)
    assert err.value.problem().status == 413 and "过大" in err.value.message


def test_docx_text_box_masthead_comes_before_its_paragraph():
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    doc = docx.Document()
    p = doc.add_paragraph()
    box = (
        '<w:r {}><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox><w:txbxContent>'
        "<w:p><w:r><w:t>广东省科学技术协会文件</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    ).format(nsdecls("w"))
    p._p.append(parse_xml(box))
    doc.add_paragraph("粤科协发〔2021〕3号")
    buf = io.BytesIO()
    doc.save(buf)
    lines = [ln for ln in extract_text(buf.getvalue(), "a.docx").splitlines() if ln]
    assert lines == ["广东省科学技术协会文件", "粤科协发〔2021〕3号"]
