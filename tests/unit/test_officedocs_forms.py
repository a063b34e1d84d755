"""The 样表 of an ask as .docx (seed 002's block layout, seed 003's 回执表 rows) and .xlsx, read back."""

import io
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from services.gateway.officedocs import BlankForm, form_columns, form_docx, form_xlsx
from shared.schemas import FormField
from tests.unit.test_officedocs_models import FIVE_MODULES, seed_002_form, seed_003_form

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def plan_docx():
    return Document(io.BytesIO(form_docx(seed_002_form())))


@pytest.fixture(scope="module")
def plan_xlsx_bytes() -> bytes:
    return form_xlsx(seed_002_form())


def unique_cells(table) -> list[str]:
    seen: list[object] = []
    out = []
    for row in table.rows:
        for cell in row.cells:
            if not any(cell._tc is s for s in seen):
                seen.append(cell._tc)
                out.append(cell.text)
    return out


def test_plan_form_heads_like_seed_002(plan_docx):
    ps = [p.text for p in plan_docx.paragraphs]
    assert ps[0] == "附件"
    assert ps[1] == "2020年“全国科技工作者日”\n特色亮点活动筹备方案（样表）"
    title_run = plan_docx.paragraphs[1].runs[0]
    assert title_run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "方正小标宋简体"
    assert ps[2] == "单位盖章：\t报送时间：　　　　年　　月　　日"


def test_an_item_block_per_item_with_the_fields_as_rows(plan_docx):
    assert len(plan_docx.tables) == 2  # 1–2 项: the block twice, 一项一表
    headings = [p for p in plan_docx.paragraphs if p.text in ("第1项", "第2项")]
    assert [p.text for p in headings] == ["第1项", "第2项"]
    assert headings[1].paragraph_format.page_break_before and not headings[0].paragraph_format.page_break_before
    cells = unique_cells(plan_docx.tables[0])
    labels = [
        c
        for c in cells
        if c in {"主办单位名称", "主题活动名称", "承办单位名称", "拟举办时间", "预计活动规模", "联系人"}
    ]
    assert labels == ["主办单位名称", "主题活动名称", "承办单位名称", "拟举办时间", "预计活动规模", "联系人"]
    assert "主题活动模块\n（可多选）" in cells
    assert "　　　　年　　月　　日" in cells  # the date's frame
    assert "（不小于1）" in cells


def test_the_five_modules_are_boxes_to_tick(plan_docx):
    cells = unique_cells(plan_docx.tables[0])
    boxes = next(c for c in cells if c.startswith("☐"))
    lines = boxes.split("\n")
    assert "　".join(lines[:2]) == "　".join("☐" + m for m in FIVE_MODULES)  # whole options on each line
    assert "（请在相应模块划√，可多选）" in boxes


def test_contact_block_and_room_for_the_plan(plan_docx):
    t = plan_docx.tables[0]
    cells = unique_cells(t)
    for part in ("姓名", "办公电话", "手机", "传真", "电子邮箱"):
        assert part in cells
    contact_rows = [r for r in t.rows if r.cells[0].text == "联系人"]
    assert len(contact_rows) == 3 and contact_rows[0].cells[0]._tc is contact_rows[2].cells[0]._tc  # merged label
    plan_row = next(r for r in t.rows if r.cells[0].text == "工作方案")
    assert plan_row.height.pt >= 300  # 500 characters: room to write
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)


def test_requirements_under_the_form(plan_docx):
    note = plan_docx.paragraphs[-1].text
    assert note.startswith("注：每单位报送1–2项，一项一表")
    assert "工作方案500字以内" in note and "请于2020年4月22日 17:59前报送" in note and "盖章PDF版和word版" in note


def test_liaison_form_is_a_row_per_person_like_seed_003():
    d = Document(io.BytesIO(form_docx(seed_003_form())))
    ps = [p.text for p in d.paragraphs]
    assert ps[0] == "附件2" and ps[2].startswith("填报单位：")
    [t] = d.tables
    assert [c.text for c in t.rows[0].cells] == ["姓名", "工作单位及职务", "联系电话"]
    assert len(t.rows) == 1 + 3 and all(c.text == "" for r in t.rows[1:] for c in r.cells)
    assert "一项一表" not in ps[-1]


def test_xlsx_has_a_row_per_item_and_a_column_per_answer(plan_xlsx_bytes):
    ws = load_workbook(io.BytesIO(plan_xlsx_bytes))["样表"]
    assert ws["A1"].value == "2020年“全国科技工作者日”特色亮点活动筹备方案（样表）"
    assert ws["A2"].value == "单位盖章："
    headers = [c.value for c in ws[3]]
    assert headers[:2] == ["主办单位名称", "主题活动名称"]
    assert [h for h in headers if h.startswith("主题活动模块：")] == [f"主题活动模块：{m}" for m in FIVE_MODULES]
    assert [h for h in headers if h.startswith("联系人：")] == [
        "联系人：姓名",
        "联系人：办公电话",
        "联系人：手机",
        "联系人：传真",
        "联系人：电子邮箱",
    ]
    assert ws.freeze_panes == "A4"
    assert all(ws.cell(r, 1).border.left.style == "thin" for r in (4, 5))  # two items' rows, ready to fill
    assert ws.cell(4, headers.index("联系人：手机") + 1).number_format == "@"  # a phone number stays text
    assert ws.cell(4, headers.index("拟举办时间") + 1).number_format == "yyyy-mm-dd"
    note = next(c.value for row in ws.iter_rows(min_row=6) for c in row if c.value)
    assert note.startswith("说明：每单位报送1–2项")


def test_xlsx_validates_choices_dates_numbers_and_lengths(plan_xlsx_bytes):
    ws = load_workbook(io.BytesIO(plan_xlsx_bytes))["样表"]
    headers = [c.value for c in ws[3]]
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            rules[headers[rng.min_col - 1]] = (dv.type, dv.operator, dv.formula1, str(rng))
    assert rules["主题活动模块：团结引领"][0] == "list" and rules["主题活动模块：团结引领"][2] == '"√"'
    assert rules["拟举办时间"][0] == "date"
    assert rules["预计活动规模"][:3] == ("decimal", "between", "1")
    assert rules["主办单位名称"][:3] == ("textLength", "lessThanOrEqual", "50")
    assert rules["主办单位名称"][3].endswith("4:A5")  # the item rows only


def test_choice_fields_get_a_drop_down():
    form = BlankForm(
        title="样表", fields=[FormField(key="level", label="级别", type="choice", options=["省级", "市级"])]
    )
    ws = load_workbook(io.BytesIO(form_xlsx(form)))["样表"]
    [dv] = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"省级,市级"'


def test_xlsx_names_each_column_for_reading_back(plan_xlsx_bytes):
    wb = load_workbook(io.BytesIO(plan_xlsx_bytes))
    keys = wb["_字段"]
    assert keys.sheet_state == "hidden"
    assert [c.value for c in keys[1]][:4] == ["ask_id", "plan", "notice", "科协办函组字〔2020〕29号"]
    mapping = [tuple(c.value for c in row[:3]) for row in keys.iter_rows(min_row=3)]
    columns = form_columns(seed_002_form())
    assert len(mapping) == len(columns)
    assert mapping[0] == ("A", "host", None)
    assert ("C", "modules", "团结引领") in mapping
    assert any(m[1:] == ("contact", "mobile") for m in mapping)
    with zipfile.ZipFile(io.BytesIO(plan_xlsx_bytes)) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
