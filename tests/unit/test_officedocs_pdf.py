"""The 红头 notice as PDF, rendered by WeasyPrint and read back with pypdf (and poppler's pdftotext).

These need the Debian fonts and libraries that deploy/system_packages.py installs; without them they fail, saying
what to install: a PDF of boxes must not pass unnoticed.
"""

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from services.gateway.officedocs import document_html, document_pdf, fonts
from tests.unit.test_officedocs_models import seed_000, seed_003

pytestmark = pytest.mark.unit

MM = 72 / 25.4


def _need_fonts():
    lacking = fonts.missing()
    if lacking:
        pytest.fail(
            f"the PDF tests need fonts for {', '.join(lacking)}: run `python deploy/system_packages.py` "
            f"(Debian packages {' '.join(fonts.DEBIAN_PACKAGES)})",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def forwarded_bytes() -> bytes:
    _need_fonts()
    return document_pdf(seed_000())


@pytest.fixture(scope="module")
def forwarded(forwarded_bytes) -> PdfReader:
    return PdfReader(io.BytesIO(forwarded_bytes))


def pieces(page) -> list[tuple[str, float, float]]:
    """(text, x, y) of each piece of text drawn on a page, in PDF points from the bottom left."""
    out = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((text, x, y))

    page.extract_text(visitor_text=visit)
    return out


def where(page, needle: str) -> tuple[float, float]:
    return next((x, y) for t, x, y in pieces(page) if needle in t)


def test_pages_are_a4(forwarded):
    for page in forwarded.pages:
        assert float(page.mediabox.width) == pytest.approx(210 * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(297 * MM, abs=0.5)


def test_chinese_text_comes_back_out(forwarded, forwarded_bytes, tmp_path):
    first = forwarded.pages[0].extract_text()
    for text in ("广东省科学技术协会", "文件", "粤科协联〔2020〕9号", "关于转发《中国科协", "各地级以上市科协"):
        assert text in first
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(forwarded_bytes)
    assert shutil.which("pdftotext"), "pdftotext missing: run `python deploy/system_packages.py` (poppler-utils)"
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "粤科协联〔2020〕9号" in out and "科协发组字〔2020〕7号" in out


def test_fonts_are_embedded_cjk_fonts_of_the_right_kinds(forwarded):
    chosen = {family.replace(" ", "").replace("-", "").lower() for family, _ in fonts.resolve().values()}
    seen = set()
    for page in forwarded.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            name = str(font["/BaseFont"]).split("+", 1)[-1].replace("-", "").lower()
            seen.add(name)
    # Every font drawn is one the renderer chose (no fallback to a Latin font showing boxes for 汉字).
    assert all(any(name.startswith(c) for c in chosen) for name in seen), (seen, chosen)
    assert any("cjk" in n or "gb2312" in n or "宋" in n for n in seen)


def test_red_mark_and_rule_on_the_first_page(forwarded):
    content = forwarded.pages[0].get_contents().get_data().decode("latin-1")
    assert "1 0 0 rg" in content or "1 0 0 RG" in content  # red fill (the 标志) and stroke/fill (the rule)
    _x, y = where(forwarded.pages[0], "广东省科学技术协会")
    top_of_block = (297 - 37) * MM
    assert top_of_block - 35 * MM - 45 < y < top_of_block - 35 * MM  # its baseline just under 35 mm down
    _, y_number = where(forwarded.pages[0], "粤科协联")
    _, y_title = where(forwarded.pages[0], "关于转发")
    assert y > y_number > y_title


def test_page_numbers_odd_right_even_left(forwarded):
    middle = 105 * MM
    for n, page in enumerate(forwarded.pages, 1):
        folio = [(t, x, y) for t, x, y in pieces(page) if t.strip() == f"— {n} —" or t.strip() == f"—{n}—"]
        if not folio:  # pypdf may split the folio into pieces: find the number alone under the 版心
            folio = [(t, x, y) for t, x, y in pieces(page) if t.strip() == str(n) and y < 35 * MM]
        assert folio, f"no page number on page {n}"
        _, x, y = folio[0]
        assert (x > middle) if n % 2 else (x < middle), f"page {n}'s number on the wrong side"
        assert 20 * MM < y < 35 * MM  # in the foot margin, about 7 mm under the 版心
    assert "— 1 —" in forwarded.pages[0].extract_text()


def test_a_forward_carries_the_original_from_a_new_page(forwarded):
    texts = [p.extract_text() for p in forwarded.pages]
    start = next(i for i, t in enumerate(texts) if "科协发组字〔2020〕7号" in t)
    assert start > 0 and texts[start].lstrip().startswith("附件")
    assert "（省科协组织联络部" in "".join(texts[:start])
    assert "中国科协办公厅" in "".join(texts[start:])


def test_imprints_at_the_foot_of_their_last_pages(forwarded):
    """The original's 版记 closes its last page; the forwarder's closes the document, on a page of its own."""
    texts = [p.extract_text() for p in forwarded.pages]
    [original] = [i for i, t in enumerate(texts) if "中国科协办公厅" in t and "印发" in t]
    assert texts[-1].replace(f"— {len(texts)} —", "").split() == [
        "抄送：中国科协组织人事部，科技部引进国外智力管理司。",
        "广东省科学技术协会办公室",
        "2020年5月21日印发",
    ]
    for page, who in ((forwarded.pages[original], "2020年5月12日印发"), (forwarded.pages[-1], "2020年5月21日印发")):
        _, y = where(page, who)
        assert 35 * MM < y < 35 * MM + 28.95  # on the last line of the 版心


def test_html_keeps_the_layout_numbers():
    html = document_html(seed_003())
    assert "青海省科学技术协会文件" in html and "float: footnote" not in html  # styles live in the stylesheet
    from services.gateway.officedocs.document_pdf import stylesheet

    css = stylesheet({role: ("Noto Serif CJK SC", 400) for role in fonts.CANDIDATES})
    assert "margin: 37mm 26mm 35mm 28mm" in css and "size: A4" in css
    assert "@page :right { @bottom-right" in css and "@page :left { @bottom-left" in css
    assert "counter(page)" in css and "line-height: 28.95pt" in css


def test_a_node_without_pango_is_told_what_to_install(monkeypatch):
    """WeasyPrint loads Pango when imported; a node without it gets FontsMissing (a 503 naming the set-up), not
    an OSError (a 500)."""
    import builtins

    real = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(fonts.FontsMissing, match=r"system_packages\.py"):
        document_pdf(seed_003())
