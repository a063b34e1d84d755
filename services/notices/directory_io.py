"""The directory as CSV and YAML files. Pure functions: text in, rows or text out.

CSV has one row per unit. Contacts are column groups ``contact1_name``,
``contact1_department`` … ``contact2_name`` …; departments are one cell
separated by ``;`` (also ``；`` or ``、``). Headers may be the English keys
or their Chinese labels (``单位编号``, ``联系人1姓名`` …).

YAML is a list of units (or ``units:`` holding one), each shaped like the
``UpsertUnit`` command.

Parsing never stops at the first bad row: every error comes back with its
line number, so a file can be fixed in one go.
"""

import csv
import io
import re
from dataclasses import dataclass

import yaml
from pydantic import ValidationError

from shared.contracts.notices import UpsertUnit
from shared.messages import describe
from shared.schemas import UnitKind

CONTACT_FIELDS = ("name", "department", "office_phone", "mobile", "fax", "email", "address")
CONTACT_LABELS = {
    "name": "姓名",
    "department": "部门",
    "office_phone": "办公电话",
    "mobile": "手机",
    "fax": "传真",
    "email": "邮箱",
    "address": "地址",
}
UNIT_COLUMNS = (
    "unit_id",
    "name",
    "kind",
    "parent_id",
    "node_id",
    "runs_own_node",
    "departments",
    "doc_number_template",
    "mark_name",
    "requires_signing",
)
UNIT_LABELS = {
    "unit_id": "单位编号",
    "name": "单位名称",
    "kind": "类别",
    "parent_id": "上级单位",
    "node_id": "节点",
    "runs_own_node": "自建节点",
    "departments": "部门",
    "doc_number_template": "文号模板",
    "mark_name": "发文机关标志",
    "requires_signing": "须签发",
}
_CONTACT_COLUMN = re.compile(r"^contact(\d+)_([a-z_]+)$")
_CONTACT_LABEL = re.compile(r"^联系人(\d+)(.+)$")
_LIST_SEPARATORS = re.compile(r"[;；、|]")
_TRUE = {"true", "1", "yes", "y", "是", "√"}
_FALSE = {"false", "0", "no", "n", "否", ""}
_KIND_BY_NAME = {k.name: k.value for k in UnitKind}
MAX_ERRORS = 100


@dataclass
class RowError:
    line: int
    field: str | None
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ParsedRow:
    line: int
    unit: UpsertUnit


def _column_key(header: str) -> str | None:
    h = header.strip()
    if h in UNIT_COLUMNS or _CONTACT_COLUMN.match(h):
        return h
    for key, label in UNIT_LABELS.items():
        if h == label:
            return key
    m = _CONTACT_LABEL.match(h)
    if m:
        for key, label in CONTACT_LABELS.items():
            if m.group(2) == label:
                return f"contact{m.group(1)}_{key}"
    return None


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"应为“是”或“否”，得到“{value}”")


def _normalise(raw: dict) -> dict:
    """Shared by both formats: kinds may be written by name (kexie) or label (科协)."""
    kind = raw.get("kind")
    if isinstance(kind, str) and kind in _KIND_BY_NAME:
        raw["kind"] = _KIND_BY_NAME[kind]
    for key in ("parent_id", "node_id", "doc_number_template", "mark_name"):
        if raw.get(key) == "":
            raw[key] = None
    return raw


def _validate(line: int, raw: dict, errors: list[RowError], *, field_prefix: str = "") -> UpsertUnit | None:
    try:
        return UpsertUnit.model_validate(_normalise(raw))
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"]) or None
            errors.append(RowError(line, f"{field_prefix}{loc}" if loc else None, describe(err)))
        return None


def parse_csv(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowError(1, None, "文件为空")]
    except csv.Error as exc:
        return [], [RowError(1, None, f"CSV 格式错误：{exc}")]
    keys = [_column_key(h) for h in header]
    for i, (h, k) in enumerate(zip(header, keys, strict=True)):
        if k is None:
            errors.append(RowError(1, h, f"无法识别的列名：“{h}”（第{i + 1}列）"))
    if "unit_id" not in keys or "name" not in keys or "kind" not in keys:
        errors.append(RowError(1, None, "缺少必需的列：unit_id、name、kind（或 单位编号、单位名称、类别）"))
    if errors:
        return [], errors
    columns = [k for k in keys if k is not None]  # all of them: an unknown column was refused above
    while True:
        line = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, None, f"CSV 格式错误：{exc}"))
            break
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(keys):
            errors.append(RowError(line, None, f"列数（{len(cells)}）多于表头（{len(keys)}）"))
            continue
        raw: dict = {}
        contacts: dict[int, dict] = {}
        bad = False
        for key, cell in zip(columns, cells, strict=False):
            value = cell.strip()
            m = _CONTACT_COLUMN.match(key)
            if m:
                if m.group(2) not in CONTACT_FIELDS:
                    errors.append(RowError(line, key, f"无法识别的联系人字段：{m.group(2)}"))
                    bad = True
                elif value:
                    contacts.setdefault(int(m.group(1)), {})[m.group(2)] = value
            elif key == "departments":
                raw[key] = [d.strip() for d in _LIST_SEPARATORS.split(value) if d.strip()]
            elif key in ("runs_own_node", "requires_signing"):
                try:
                    raw[key] = _bool(value)
                except ValueError as exc:
                    errors.append(RowError(line, key, str(exc)))
                    bad = True
            else:
                raw[key] = value
        raw["contacts"] = [contacts[n] for n in sorted(contacts)]
        unit = _validate(line, raw, errors)
        if unit is not None and not bad:
            rows.append(ParsedRow(line, unit))
        if len(errors) >= MAX_ERRORS:
            break
    return rows, errors


def parse_yaml(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # refuses unprintable characters already here
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [RowError(mark.line + 1 if mark else 1, None, f"YAML 格式错误：{getattr(exc, 'problem', exc)}")]
    finally:
        if loader is not None:
            loader.dispose()
    if root is None:
        return [], [RowError(1, None, "文件为空")]
    items_node = root
    if isinstance(data, dict) and isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if k.value == "units":
                items_node = v
        data = data.get("units")
    if not isinstance(data, list) or not isinstance(items_node, yaml.SequenceNode):
        return [], [RowError(root.start_mark.line + 1, None, "应为单位列表（或 units: 下的列表）")]
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    for node, item in zip(items_node.value, data, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            errors.append(RowError(line, None, "每个单位应为一个映射（unit_id: …）"))
            continue
        raw = {
            k: ("" if v is None else v) if k in ("parent_id", "node_id", "doc_number_template") else v
            for k, v in item.items()
        }
        unit = _validate(line, raw, errors)
        if unit is not None:
            rows.append(ParsedRow(line, unit))
        if len(errors) >= MAX_ERRORS:
            break
    return rows, errors


def parse(fmt: str, text: str) -> tuple[list[ParsedRow], list[RowError]]:
    return parse_csv(text) if fmt == "csv" else parse_yaml(text)


# ---------------------------------------------------------------- export


def _unit_dict(doc: dict) -> dict:
    """A directory document in the command's shape (what import reads back)."""
    fields = UpsertUnit.model_fields
    out = {k: doc.get(k) for k in fields if k not in ("unit_id", "actor")}
    out = {"unit_id": doc["_id"], **out, "kind": str(doc["kind"])}
    out["contacts"] = [{k: v for k, v in c.items() if v not in (None, "")} for c in doc.get("contacts") or []]
    out["departments"] = list(doc.get("departments") or [])
    out["runs_own_node"] = bool(doc.get("runs_own_node"))
    out["requires_signing"] = bool(doc.get("requires_signing"))
    return out


def to_csv(docs: list[dict]) -> str:
    units = [_unit_dict(d) for d in docs]
    n_contacts = max([1, *(len(u["contacts"]) for u in units)])
    header = list(UNIT_COLUMNS) + [f"contact{n}_{f}" for n in range(1, n_contacts + 1) for f in CONTACT_FIELDS]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for u in units:
        row = [
            u["unit_id"],
            u["name"],
            u["kind"],
            u["parent_id"] or "",
            u["node_id"] or "",
            "是" if u["runs_own_node"] else "否",
            ";".join(u["departments"]),
            u["doc_number_template"] or "",
            u["mark_name"] or "",
            "是" if u["requires_signing"] else "否",
        ]
        for n in range(n_contacts):
            contact = u["contacts"][n] if n < len(u["contacts"]) else {}
            row += [contact.get(f, "") for f in CONTACT_FIELDS]
        writer.writerow(row)
    return buf.getvalue()


def to_yaml(docs: list[dict]) -> str:
    units = []
    for d in docs:
        u = {k: v for k, v in _unit_dict(d).items() if v not in (None, [], "")}
        u["runs_own_node"] = bool(d.get("runs_own_node"))
        units.append(u)
    return yaml.safe_dump({"units": units}, allow_unicode=True, sort_keys=False)
