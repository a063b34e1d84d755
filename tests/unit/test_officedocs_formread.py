"""A filled 样表 read back (services/gateway/officedocs/formread.py): the Excel sheet and the Word tables as a clerk
fills them in Excel, WPS or Word (edited here with openpyxl and python-docx), and what is refused, with where."""

import io
from datetime import datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from services.gateway.officedocs import FormFileError, form_docx, form_xlsx, read_form
from services.gateway.officedocs.blankform import form_columns
from tests.unit.test_officedocs_models import FIVE_MODULES, seed_002_form, seed_003_form

pytestmark = pytest.mark.unit

FORM = seed_002_form()


def filled_xlsx(rows: list[dict[str, object]], form=FORM, edit=None) -> bytes:
    """The Excel 样表 with ``rows`` typed in (header → value), as from Excel."""
    wb = load_workbook(io.BytesIO(form_xlsx(form)))
    ws = wb["样表"]
    headers = [h for _, _, h in form_columns(form)]
    for r, row in enumerate(rows, 4):
        for header, value in row.items():
            ws.cell(r, headers.index(header) + 1).value = value
    if edit:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def first_row() -> dict[str, object]:
    return {
        "主办单位名称": "苏州市科协",
        "主题活动名称": "科技为民 奋斗有我",
        "主题活动模块：团结引领": "√",
        "主题活动模块：为民服务": "✓",
        "拟举办时间": datetime(2020, 5, 30),
        "预计活动规模": 300,
        "联系人：姓名": "王敏",
        "联系人：手机": 13800000001,
        "联系人：办公电话": "0512-1234567",
        "工作方案": "走访慰问一线科技工作者。",
    }


def problems(exc: pytest.ExceptionInfo[FormFileError]) -> list[tuple[str, str, str]]:
    return [(p.where, p.label, p.code) for p in exc.value.problems]


def test_an_excel_form_reads_as_the_typed_submission_would_send_it():
    second = {
        "主办单位名称": "昆山市科协",
        "主题活动名称": "科普进社区",
        "主题活动模块：表彰发布": "√",
        "拟举办时间": "2020/6/1",
    }
    filled = read_form(FORM, filled_xlsx([first_row(), second]))
    assert filled.kind == "xlsx" and len(filled.items) == 2
    assert filled.items[0] == {
        "host": "苏州市科协",
        "activity": "科技为民 奋斗有我",
        "modules": ["团结引领", "为民服务"],
        "when": "2020-05-30",
        "size": 300,
        "contact": {"name": "王敏", "mobile": "13800000001", "office_phone": "0512-1234567"},
        "plan": "走访慰问一线科技工作者。",
    }
    assert filled.items[1] == {
        "host": "昆山市科协",
        "activity": "科普进社区",
        "modules": ["表彰发布"],
        "when": "2020-06-01",
    }
    assert filled.where(1, "activity") == "第5行 B5 单元格"  # for a problem the submission's check finds


def test_an_empty_row_between_items_is_skipped_and_an_empty_form_refused():
    filled = read_form(FORM, filled_xlsx([first_row(), {}, {"主办单位名称": "第三行"}]))
    assert [i["host"] for i in filled.items] == ["苏州市科协", "第三行"] and filled.places == ["第4行", "第6行"]
    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_xlsx([]))
    assert problems(no) == [("", "", "empty_form")] and "没有填写" in str(no.value)


def test_a_formula_is_refused_naming_its_cell_and_field():
    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_xlsx([first_row() | {"主题活动名称": '=HYPERLINK("http://x")', "工作方案": "=1+1"}]))
    assert problems(no) == [("第4行 B4 单元格", "主题活动名称", "formula"), ("第4行 P4 单元格", "工作方案", "formula")]
    assert "第4行 B4 单元格“主题活动名称”：不能使用公式" in str(no.value)


def test_edited_columns_are_refused():
    def rename(wb):
        wb["样表"]["B3"].value = "活动名称"

    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_xlsx([first_row()], edit=rename))
    assert problems(no) == [("第3行 B3 单元格", "", "columns_changed")]
    assert "栏目应为“主题活动名称”，现为“活动名称”" in str(no.value)

    def insert(wb):
        wb["样表"].insert_cols(2)

    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_xlsx([first_row()], edit=insert))
    assert {p.code for p in no.value.problems} == {"columns_changed"}


def test_another_asks_form_or_a_changed_form_is_refused():
    liaison = filled_xlsx([{"姓名": "王敏"}], form=seed_003_form())
    with pytest.raises(FormFileError) as no:
        read_form(FORM, liaison, {"liaison": "联络员回执表"})
    assert problems(no) == [("", "", "other_ask")] and "“联络员回执表”的样表" in str(no.value)
    changed = FORM.model_copy(
        update={"fields": [*FORM.fields[:-1], FORM.fields[-1].model_copy(update={"label": "方案"})]}
    )
    with pytest.raises(FormFileError) as no:
        read_form(changed, filled_xlsx([first_row()]))
    assert problems(no) == [("", "", "form_changed")]

    def drop_the_key(wb):
        del wb["_字段"]

    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_xlsx([first_row()], edit=drop_the_key))
    assert problems(no) == [("", "", "not_the_form")]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"%PDF-1.4 not a form", 415, "not_office"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", 415, "old_office_format"),
        (b"PK\x03\x04 broken zip", 415, "not_office"),
    ],
)
def test_what_is_no_office_file_is_refused(data, status, code):
    with pytest.raises(FormFileError) as no:
        read_form(FORM, data)
    assert no.value.status == status and problems(no) == [("", "", code)]


def test_a_zip_that_is_no_office_file_is_refused():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(FormFileError) as no:
        read_form(FORM, out.getvalue())
    assert no.value.status == 415


# ---------------------------------------------------------------- Word


def filled_docx(fill, form=FORM) -> bytes:
    doc = Document(io.BytesIO(form_docx(form)))
    fill(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def set_text(cell, text: str) -> None:
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    cell.paragraphs[0].text = text


def fill_first(doc) -> None:
    t = doc.tables[0]
    set_text(t.cell(0, 1), "苏州市科协")
    set_text(t.cell(1, 1), "科技为民 奋斗有我")
    boxes = t.cell(2, 1).paragraphs[0]
    boxes.text = boxes.text.replace("☐团结引领", "☑团结引领").replace("☐为民服务", "√为民服务")
    set_text(t.cell(4, 1), "2020年5月30日")
    set_text(t.cell(5, 1), "300")
    set_text(t.cell(6, 2), "王敏")
    set_text(t.cell(7, 2), "13800000001")
    set_text(t.cell(9, 1), "走访慰问一线科技工作者。\n共120人参加。")


def test_a_word_form_reads_each_filled_items_table():
    filled = read_form(FORM, filled_docx(fill_first))
    assert filled.kind == "docx" and filled.places == ["第1项表格"]  # the second table left blank
    assert filled.items == [
        {
            "host": "苏州市科协",
            "activity": "科技为民 奋斗有我",
            "modules": ["团结引领", "为民服务"],
            "when": "2020-05-30",
            "size": "300",
            "contact": {"name": "王敏", "mobile": "13800000001"},
            "plan": "走访慰问一线科技工作者。\n共120人参加。",
        }
    ]


def test_boxes_deleted_but_the_chosen_ones_count_as_ticked():
    def only_two(doc):
        fill_first(doc)
        set_text(doc.tables[0].cell(2, 1), "开放合作　表彰发布")

    assert read_form(FORM, filled_docx(only_two)).items[0]["modules"] == ["开放合作", "表彰发布"]
    assert set(FIVE_MODULES) >= {"开放合作", "表彰发布"}


def test_a_word_form_with_a_changed_table_is_refused():
    def relabel(doc):
        fill_first(doc)
        set_text(doc.tables[0].cell(1, 0), "活动名称")

    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_docx(relabel))
    assert problems(no) == [("第1项表格第2行", "", "columns_changed")]

    def extra_row(doc):
        fill_first(doc)
        doc.tables[0].add_row()

    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_docx(extra_row))
    assert problems(no) == [("第1项表格", "", "columns_changed")]


def test_a_word_form_of_another_ask_is_refused():
    with pytest.raises(FormFileError) as no:
        read_form(FORM, filled_docx(lambda d: None, seed_003_form()), {"liaison": "联络员回执表"})
    assert problems(no) == [("", "", "other_ask")]


def test_a_receipt_form_reads_a_row_per_person():
    form = seed_003_form()

    def fill(doc):
        t = doc.tables[0]
        for c, text in enumerate(["王敏", "苏州市科协 办公室主任", "0512-1234567"]):
            set_text(t.cell(1, c), text)
        set_text(t.cell(3, 0), "李华")

    filled = read_form(form, filled_docx(fill, form))
    assert filled.items == [
        {"name": "王敏", "post": "苏州市科协 办公室主任", "phone": "0512-1234567"},
        {"name": "李华"},
    ]
    assert filled.places == ["表格第2行", "表格第4行"]
