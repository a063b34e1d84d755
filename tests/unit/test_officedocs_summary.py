"""The 汇总 of an ask as .xlsx and .docx, read back with openpyxl and python-docx."""

import io
import zipfile
from datetime import datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from services.gateway.officedocs import summary_docx, summary_xlsx
from tests.unit.test_officedocs_models import two_level_table

pytestmark = pytest.mark.unit

HEAD = 4  # title, 文号/ask, deadline/exported, then the header row


@pytest.fixture(scope="module")
def xlsx_bytes() -> bytes:
    return summary_xlsx(two_level_table())


@pytest.fixture(scope="module")
def wb(xlsx_bytes):
    return load_workbook(io.BytesIO(xlsx_bytes))


def header(ws) -> list[str]:
    return [c.value for c in ws[HEAD]]


def column(ws, label: str) -> int:
    return header(ws).index(label) + 1


def test_title_block_merged_across_the_columns(wb):
    ws = wb["汇总表"]
    last = ws.max_column
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {f"A{r}:{get_column_letter(last)}{r}" for r in (1, 2, 3)} <= merged
    assert ws["A1"].value.startswith("关于转发《中国科协办公厅")
    assert "文号：苏科协发〔2020〕12号" in ws["A2"].value and "报送要求：特色亮点活动筹备方案" in ws["A2"].value
    assert "截止时间：2020年4月21日 17:59" in ws["A3"].value  # shown in 北京时间
    assert "导出时间：2020年4月22日 09:00" in ws["A3"].value


def test_header_is_bold_frozen_and_holds_the_form_fields(wb):
    ws = wb["汇总表"]
    assert header(ws)[:10] == [
        "序号",
        "单位",
        "来源（逐级）",
        "状态",
        "报送时间",
        "是否逾期",
        "是否采用",
        "评选",
        "第几项",
        "备注",
    ]
    assert header(ws)[10:] == [
        "主办单位名称",
        "主题活动名称",
        "主题活动模块",
        "承办单位名称",
        "拟举办时间",
        "预计活动规模",
        "联系人",
        "工作方案",
    ]
    assert all(c.font.bold for c in ws[HEAD])
    assert ws.freeze_panes == "C5"
    assert ws.auto_filter.ref.startswith(f"A{HEAD}:")


def test_a_row_per_item_with_its_source_unit_through_every_level(wb):
    ws = wb["汇总表"]
    rows = list(ws.iter_rows(min_row=HEAD + 1, values_only=True))
    assert len(rows) == 5  # 4 items (昆山 sent 2) + 1 unit that sent nothing
    assert [(r[1], r[2], r[8]) for r in rows[:4]] == [
        ("苏州市科协", "苏州市科协", 1),
        ("昆山市科协", "苏州市科协 ← 昆山市科协", 1),
        ("昆山市科协", "苏州市科协 ← 昆山市科协", 2),
        ("常熟市科协", "苏州市科协 ← 常熟市科协", 1),
    ]
    first = rows[0]
    assert first[column(ws, "主题活动模块") - 1] == "团结引领、为民服务"
    assert first[column(ws, "联系人") - 1] == "王敏 办公电话：0512-1234567 手机：13800000001"
    assert first[column(ws, "评选") - 1] == "优秀活动案例"
    assert rows[1][column(ws, "是否逾期") - 1] == "是"


def test_dates_and_numbers_are_real_excel_values(wb):
    ws = wb["汇总表"]
    submitted = ws.cell(HEAD + 1, column(ws, "报送时间"))
    assert submitted.value == datetime(2020, 4, 20, 10, 30) and submitted.is_date  # 02:30 UTC in 北京时间
    assert submitted.number_format == "yyyy-mm-dd hh:mm"
    when = ws.cell(HEAD + 1, column(ws, "拟举办时间"))
    assert when.value == datetime(2020, 5, 30) and when.is_date and when.number_format == "yyyy-mm-dd"
    size = ws.cell(HEAD + 1, column(ws, "预计活动规模"))
    assert size.value == 300 and size.data_type == "n"


def test_no_formulas_ever(wb, xlsx_bytes):
    ws = wb["汇总表"]
    injected = ws.cell(HEAD + 2, column(ws, "主办单位名称"))
    assert injected.value == "=1+1" and injected.data_type == "s" and injected.quotePrefix
    for text in ("@SUM(A1)", "-2 项活动"):
        cell = next(c for row in ws.iter_rows() for c in row if c.value == text)
        assert cell.data_type == "s" and cell.quotePrefix
    plus = next(c for row in ws.iter_rows() for c in row if c.value == "+科普进社区")
    assert plus.quotePrefix
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode() and "<f " not in z.read(name).decode()


def test_gap_rows_are_marked_in_red(wb):
    ws = wb["汇总表"]
    r = HEAD + 5
    assert ws.cell(r, 2).value == "太仓市科协" and ws.cell(r, 4).value == "未报送"
    assert ws.cell(r, column(ws, "是否逾期")).value == "是" and ws.cell(r, column(ws, "备注")).value == "已催办2次"
    for c in range(1, ws.max_column + 1):
        assert ws.cell(r, c).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(HEAD + 1, 1).fill.fgColor.rgb in (None, "00000000")


def test_column_widths_fit_chinese_text(wb):
    ws = wb["汇总表"]
    unit = ws.column_dimensions[get_column_letter(column(ws, "来源（逐级）"))].width
    assert unit >= 2 * len("苏州市科协 ← 昆山市科协") - 4  # a 汉字 takes two character widths
    assert all(6 <= ws.column_dimensions[get_column_letter(c)].width <= 50 for c in range(1, ws.max_column + 1))


def test_statistics_sheet_counts_units_and_items(wb):
    st = wb["统计"]
    rows = {r[0]: r[1:] for r in st.iter_rows(min_row=2, values_only=True)}
    assert rows["已采用"] == (2, 3) and rows["已退回"] == (1, 1) and rows["未报送"] == (1, 0)
    assert rows["其中逾期报送"] == (1, 2)


def test_word_table_on_landscape_a4():
    d = Document(io.BytesIO(summary_docx(two_level_table())))
    s = d.sections[0]
    assert s.page_width > s.page_height and round(s.page_width / 36000) == 297
    assert "关于转发《中国科协办公厅" in d.paragraphs[0].text
    assert d.paragraphs[1].text == "特色亮点活动筹备方案 汇总表"
    assert any("未报送：1个单位" in p.text for p in d.paragraphs)
    [t] = d.tables
    assert [c.text for c in t.rows[0].cells][:4] == ["序号", "单位（来源）", "状态", "报送时间"]
    assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # the header repeats on every page
    assert len(t.rows) == 1 + 5
    assert t.cell(2, 1).text == "昆山市科协\n（苏州市科协 ← 昆山市科协）"
    assert t.cell(2, 2).text == "已采用（逾期）"
    assert t.cell(2, 6).text == "=1+1"  # plain text in Word too
    gap = t.rows[5]
    assert gap.cells[1].text.startswith("太仓市科协") and gap.cells[2].text == "未报送（逾期）"
    assert gap.cells[0]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "FFC7CE"
