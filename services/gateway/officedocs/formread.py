"""A filled 样表 read back into items: the Excel sheet (a row per item) or the Word tables (a table per item,
or seed 003's row per item), as ``form_xlsx`` and ``form_docx`` made them.

What comes out is items as a typed submission sends them (field key → value); checking them (required fields,
lengths, options, dates) is the submission's own check, which the caller runs next. What is refused here is a
file that is not this ask's 样表 at all: not an Office file, a 样表 of another ask or of a form changed since
(``signature``), columns or rows edited, a formula in a cell. Every problem says where (the cell, the row, the
item's table), which field and what is wrong, in Chinese; all of them at once.

Each item comes with its places (field key → where it was), so that a problem the submission's check finds
later can be told in the same terms (``FilledForm.where``).
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from docx import Document
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from shared.schemas import FieldType, FormField

from .blankform import BOX, CONTACT_PARTS, FIELDS_SHEET, SIGNATURE_PREFIX, form_columns, signature
from .models import BlankForm

MAX_UNZIPPED = 64 * 1024 * 1024  # an Office file's parts, unpacked: a 样表 is a few hundred KB
MAX_PARTS = 2000
MAX_ROWS = 500  # rows of an Excel 样表 read past its header
TICKS = "☑☒✓✔√■▣●◉✅🗹"
NOT_TICKED = {"", "否", "0", "☐", "□", "n", "no", "×", "✗"}
CELL_FORMULA = "f"


@dataclass
class Problem:
    where: str  # 第5行 C5 单元格, 第1项表格
    message: str
    code: str
    label: str = ""  # the field, when there is one

    def text(self) -> str:
        what = f"“{self.label}”" if self.label else ""
        return f"{self.where}{what}：{self.message}" if self.where or what else self.message


class FormFileError(ValueError):
    """The upload is not a filled 样表 of this ask; ``status``: 415 not an Office file, 422 not this form."""

    def __init__(self, problems: list[Problem], status: int = 422) -> None:
        super().__init__("；".join(p.text() for p in problems))
        self.problems = problems
        self.status = status


@dataclass
class FilledForm:
    kind: str  # xlsx or docx
    items: list[dict[str, Any]] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # per item: 第5行, 第1项表格
    cells: list[dict[str, str]] = field(default_factory=list)  # per item: field key → its cell (C5 单元格)

    def where(self, item: int, key: str | None = None) -> str:
        """Where an item (and a field of it) was in the file, for a problem found after reading."""
        if not 0 <= item < len(self.places):
            return ""
        cell = self.cells[item].get(key or "", "")
        return f"{self.places[item]} {cell}" if cell else self.places[item]


def _refuse(message: str, code: str, status: int = 422) -> FormFileError:
    return FormFileError([Problem("", message, code)], status)


def kind_of(data: bytes) -> str:
    """xlsx or docx, from the file's parts (never from its name); refused when it is neither."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse(
            "这是旧版 Word/Excel（.doc/.xls）文件：请在 Word、WPS 或 Excel 中另存为 .docx 或 .xlsx 后上传",
            "old_office_format",
            415,
        )
    if data[:4] != b"PK\x03\x04":
        raise _refuse("上传的不是 Word（.docx）或 Excel（.xlsx）文件，请上传填好的样表", "not_office", 415)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise _refuse("文件已损坏，无法作为 Word 或 Excel 文件打开", "not_office", 415) from None
    if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNZIPPED:
        raise _refuse("文件解压后过大，不是正常的样表", "too_large", 413)
    names = {i.filename for i in infos}
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    raise _refuse("上传的不是 Word（.docx）或 Excel（.xlsx）文件，请上传填好的样表", "not_office", 415)


def read_form(form: BlankForm, data: bytes, other_asks: dict[str, str] | None = None) -> FilledForm:
    """The items of a filled 样表 (.xlsx or .docx) of ``form``; ``other_asks`` (ask_id → title) names the ask a
    样表 of the same notice's other ask was made for."""
    kind = kind_of(data)
    try:
        filled = (
            _read_xlsx(form, data, other_asks or {}) if kind == "xlsx" else _read_docx(form, data, other_asks or {})
        )
    except FormFileError:
        raise
    except Exception as exc:  # a file whose parts are there but broken: openpyxl and python-docx raise anything
        raise _refuse(
            f"文件无法读取（{type(exc).__name__}），请用 Word、WPS 或 Excel 另存后重新上传", "unreadable", 415
        ) from exc
    if not filled.items:
        raise _refuse("样表中没有填写任何一项", "empty_form")
    return filled


def _wrong_form(form: BlankForm, found: str, other_asks: dict[str, str]) -> FormFileError | None:
    """A problem when the signature read from the file is not this form's; None when it is."""
    if found == signature(form):
        return None
    ask = found.removeprefix(SIGNATURE_PREFIX).rsplit(":", 1)[0] if found.startswith(SIGNATURE_PREFIX) else ""
    if ask and ask != form.ask_id:
        other = f"“{other_asks[ask]}”" if ask in other_asks else "另一项报送要求"
        return _refuse(f"上传的是{other}的样表，不是“{form.title}”的；请下载本项的样表填写", "other_ask")
    return _refuse(f"上传的样表与“{form.title}”现在的表单不一致（表单可能已更正），请重新下载样表填写", "form_changed")


# ---------------------------------------------------------------- .xlsx


def _read_xlsx(form: BlankForm, data: bytes, other_asks: dict[str, str]) -> FilledForm:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        if FIELDS_SHEET not in wb.sheetnames:
            raise _refuse("不是从本系统下载的样表（缺少栏目说明），请下载本项的样表（Excel）填写后上传", "not_the_form")
        about = [c.value for c in next(wb[FIELDS_SHEET].iter_rows(min_row=1, max_row=1))]
        found = str(about[9]) if len(about) > 9 and about[8] == "form" else ""
        wrong = _wrong_form(form, found, other_asks)
        if wrong is not None:
            raise wrong
        first = int(about[5]) if isinstance(about[5], int) else 4
        sheet = next((wb[n] for n in wb.sheetnames if n != FIELDS_SHEET), None)
        assert sheet is not None
        cols = form_columns(form)
        header = [c.value for c in next(sheet.iter_rows(min_row=first - 1, max_row=first - 1, max_col=len(cols) + 1))]
        problems = [
            Problem(
                f"第{first - 1}行 {get_column_letter(i)}{first - 1} 单元格",
                f"栏目应为“{want}”，现为“{got or ''}”：样表的栏目不能改动，请重新下载样表填写",
                "columns_changed",
            )
            for i, ((_, _, want), got) in enumerate(zip(cols, header[: len(cols)], strict=False), 1)
            if str(got or "").strip() != want
        ]
        if len(header) > len(cols) and header[len(cols)] not in (None, ""):
            problems.append(
                Problem(
                    f"第{first - 1}行 {get_column_letter(len(cols) + 1)}{first - 1} 单元格",
                    "样表多了一栏：栏目不能增加，请重新下载样表填写",
                    "columns_changed",
                )
            )
        if problems:
            raise FormFileError(problems)
        filled = FilledForm("xlsx")
        for r, row in enumerate(
            sheet.iter_rows(min_row=first, max_row=first + MAX_ROWS, max_col=len(cols)), start=first
        ):
            cells = list(row)
            values = [c.value for c in cells]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if isinstance(values[0], str) and values[0].startswith("说明：") and all(v is None for v in values[1:]):
                break  # the requirements under the rows
            item, places = _xlsx_item(cols, cells, r, problems)
            filled.items.append(item)
            filled.places.append(f"第{r}行")
            filled.cells.append(places)
        if problems:
            raise FormFileError(problems)
        return filled
    finally:
        wb.close()


def _xlsx_item(
    cols: list[tuple[FormField, str, str]], cells: list[Any], r: int, problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, str]]:
    item: dict[str, Any] = {}
    places: dict[str, str] = {}
    for c, ((f, part, _), cell) in enumerate(zip(cols, cells, strict=False), 1):
        ref = f"{get_column_letter(c)}{r}"
        places.setdefault(f.key, f"{ref} 单元格")
        value = cell.value
        if cell.data_type == CELL_FORMULA:
            problems.append(Problem(f"第{r}行 {ref} 单元格", "不能使用公式，请直接填写内容", "formula", f.label))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if f.type == FieldType.file:
            continue  # files are uploaded on the 报送 page, not typed into the sheet
        if f.type == FieldType.contact:
            item.setdefault(f.key, {})[part] = _text(value)
        elif f.type == FieldType.multi_choice:
            if _text(value).strip().lower() not in NOT_TICKED:
                item.setdefault(f.key, []).append(part)
        else:
            item[f.key] = _typed(f, value)
    return item, places


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            f"{value:%Y-%m-%d}" if (value.hour, value.minute, value.second) == (0, 0, 0) else f"{value:%Y-%m-%d %H:%M}"
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def _date(text: str) -> str:
    """2021/5/30, 2021.5.30, 2021年5月30日 → 2021-05-30; anything else as typed (the check says why not)."""
    m = _DATE.match(text)
    if m is None:
        return text
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return text


def _typed(f: FormField, value: Any) -> Any:
    """A cell's value as the typed form sends it: numbers as numbers, dates as 2021-05-30, the rest as text."""
    if f.type == FieldType.number:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value) if isinstance(value, float) and value.is_integer() else value
        return _text(value)
    if f.type == FieldType.date:
        if isinstance(value, (datetime, date)):
            return (value.date() if isinstance(value, datetime) else value).isoformat()
        return _date(_text(value))
    return _text(value)


# ---------------------------------------------------------------- .docx


_BLANK_DATE = re.compile(r"^[\s　]*年[\s　]*月[\s　]*日[\s　]*$")


def _read_docx(form: BlankForm, data: bytes, other_asks: dict[str, str]) -> FilledForm:
    doc = Document(io.BytesIO(data))
    found = doc.core_properties.identifier or ""
    if found:
        wrong = _wrong_form(form, found, other_asks)
        if wrong is not None:
            raise wrong
    if form.effective_layout == "rows":
        return _docx_rows(form, doc)
    return _docx_blocks(form, doc)


def _docx_value(f: FormField, text: str) -> Any:
    """A Word cell's text as the typed form sends the field; None when left blank."""
    lines = [line.strip() for line in text.splitlines()]
    if f.help:
        hint = f"（{f.help.strip('（）()')}）"
        lines = [line for line in lines if line != hint]
    text = "\n".join(line for line in lines if line).strip()
    if f.type in (FieldType.choice, FieldType.multi_choice):
        chosen = _ticked(f.options, text)
        if f.type == FieldType.multi_choice:
            return chosen or None
        return chosen[0] if len(chosen) == 1 else ("、".join(chosen) if chosen else None)
    if not text or f.type == FieldType.file:
        return None
    if f.type == FieldType.date:
        return None if _BLANK_DATE.match(text) else _date(text)
    if f.type == FieldType.number:
        if re.fullmatch(r"（[^）]*）", text):
            return None  # the range hint left as it was
        return text
    return text


def _ticked(options: list[str], text: str) -> list[str]:
    """The options ticked in a ☐ list: marked by ☑ √ ■ …, or, where every ☐ was deleted, the ones left."""
    chosen = [o for o in options if re.search(f"[{re.escape(TICKS)}]\\s*{re.escape(o)}", text)]
    if chosen:
        return chosen
    if BOX not in text and "□" not in text:
        return [o for o in options if o in text]
    return []


def _label_ok(f: FormField, text: str) -> bool:
    return text.strip().split("\n")[0].strip() == f.label


def _docx_blocks(form: BlankForm, doc: Any) -> FilledForm:
    filled = FilledForm("docx")
    problems: list[Problem] = []
    fields = form.fields
    height = sum(3 if f.type == FieldType.contact else 1 for f in fields)
    tables = [t for t in doc.tables if len(t.rows) and _label_ok(fields[0], t.cell(0, 0).text)]
    if not tables:
        raise _refuse(f"文件中没有“{form.title}”的表格，请下载本项的样表（Word）填写后上传", "not_the_form")
    for k, t in enumerate(tables, 1):
        where = f"第{k}项表格" if len(tables) > 1 or form.max_items > 1 else "表格"
        if len(t.rows) != height or len(t.columns) != 5:
            problems.append(Problem(where, "表格的行或列被改动，请按样表原样填写", "columns_changed"))
            continue
        item: dict[str, Any] = {}
        places: dict[str, str] = {}
        r = 0
        for f in fields:
            label = t.cell(r, 0).text
            if not _label_ok(f, label):
                problems.append(
                    Problem(
                        f"{where}第{r + 1}行",
                        f"应为“{f.label}”，现为“{label.strip()}”：样表的栏目不能改动",
                        "columns_changed",
                    )
                )
                r += 3 if f.type == FieldType.contact else 1
                continue
            places[f.key] = f"“{f.label}”栏"
            if f.type == FieldType.contact:
                contact = {
                    CONTACT_PARTS[0][0]: t.cell(r, 2).text,
                    CONTACT_PARTS[1][0]: t.cell(r, 4).text,
                    CONTACT_PARTS[2][0]: t.cell(r + 1, 2).text,
                    CONTACT_PARTS[3][0]: t.cell(r + 1, 4).text,
                    CONTACT_PARTS[4][0]: t.cell(r + 2, 2).text,
                }
                contact = {key: v.strip() for key, v in contact.items() if v.strip()}
                if contact:
                    item[f.key] = contact
                r += 3
                continue
            value = _docx_value(f, t.cell(r, 1).text)
            if value is not None:
                item[f.key] = value
            r += 1
        if item:
            filled.items.append(item)
            filled.places.append(where)
            filled.cells.append({})
    if problems:
        raise FormFileError(problems)
    return filled


def _docx_rows(form: BlankForm, doc: Any) -> FilledForm:
    fields = form.fields
    table = next(
        (
            t
            for t in doc.tables
            if len(t.rows) and len(t.columns) == len(fields) and _label_ok(fields[0], t.cell(0, 0).text)
        ),
        None,
    )
    if table is None:
        raise _refuse(f"文件中没有“{form.title}”的表格，请下载本项的样表（Word）填写后上传", "not_the_form")
    problems = [
        Problem(
            "表格第1行",
            f"第{c + 1}列应为“{f.label}”，现为“{table.cell(0, c).text.strip()}”：栏目不能改动",
            "columns_changed",
        )
        for c, f in enumerate(fields)
        if not _label_ok(f, table.cell(0, c).text)
    ]
    if problems:
        raise FormFileError(problems)
    filled = FilledForm("docx")
    for r, row in enumerate(list(table.rows)[1:], 1):  # a row's cells: table.cell() walks the table each time
        item = {}
        for f, cell in zip(fields, row.cells, strict=False):
            value = _docx_value(f, cell.text)
            if value is not None:
                item[f.key] = value
        if item:
            filled.items.append(item)
            filled.places.append(f"表格第{r + 1}行")
            filled.cells.append({})
    return filled
