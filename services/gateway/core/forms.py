"""Plain HTML forms of the notice pages → command bodies, and errors → zh-CN messages.

Repeated parts of a form are named with indexes, ``asks-0-fields-1-label``;
``nested`` turns them back into lists of dicts. A block whose key input is
empty (an ask without a title, a field without a label) is a blank row of the
form and is left out. Dates come from ``<input type="date">`` and mean the end
of that day in the node's zone ("于6月20日前报送").
"""

import json
import re
from datetime import date, datetime

from pydantic import ValidationError
from starlette.datastructures import FormData

from shared.clock import end_of_day
from shared.errors import DomainError

_SPLIT = re.compile(r"[,，、;；\n]+")
_INDEX = re.compile(r"^\d+$")
MULTI = ("unit_kinds", "recipients", "co_issuers", "accept")


def nested(form: FormData) -> dict:
    """``a-0-b`` keys → ``{"a": [{"b": …}]}``; keys listed in MULTI keep every value."""
    root: dict = {}
    for key in form.keys():
        parts = key.split("-")
        values = form.getlist(key)
        value = values if parts[-1] in MULTI else values[-1]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(_INDEX.match(k) for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def words(value) -> list[str]:
    return [w.strip() for w in _SPLIT.split(text(value)) if w.strip()]


def deadline(value, tz: str) -> str:
    """A date input → the end of that day in the node's zone; anything else is passed on to fail validation."""
    raw = text(value)
    try:
        return end_of_day(date.fromisoformat(raw), tz).isoformat()
    except ValueError:
        try:
            return datetime.fromisoformat(raw).isoformat()
        except ValueError:
            return raw


def number(value):
    raw = text(value)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw  # refused by validation, naming the field


def fields_of(rows: list[dict] | None) -> list[dict]:
    out = []
    for n, row in enumerate(rows or []):
        label = text(row.get("label"))
        if not label:
            continue
        field = {"key": text(row.get("key")) or f"f{n + 1}", "label": label, "type": text(row.get("type")) or "text",
                 "required": bool(row.get("required"))}
        if number(row.get("max_chars")) is not None:
            field["max_chars"] = number(row.get("max_chars"))
        if words(row.get("options")):
            field["options"] = words(row.get("options"))
        if words(row.get("accept")):
            field["accept"] = [w.lower().lstrip(".") for w in words(row.get("accept"))]
        out.append(field)
    return out


def routes_of(rows: list[dict] | None) -> list[dict]:
    return [
        {"unit_kind": text(r.get("unit_kind")), "to_unit_id": text(r.get("to_unit_id")),
         "department": text(r.get("department"))}
        for r in rows or [] if text(r.get("to_unit_id"))
    ]


def asks_of(blocks: list[dict] | None, tz: str, prefix: str = "ask") -> list[dict]:
    out = []
    for n, a in enumerate(blocks or []):
        title = text(a.get("title"))
        if not title:
            continue
        ask = {
            "ask_id": text(a.get("ask_id")) or f"{prefix}{n + 1}",
            "kind": text(a.get("kind")) or "other",
            "title": title,
            "deadline": deadline(a.get("deadline"), tz),
            "min_items": number(a.get("min_items")) or 1,
            "max_items": number(a.get("max_items")) or 1,
            "note": text(a.get("note")),
            "unit_kinds": a.get("unit_kinds") or [],
            "fields": fields_of(a.get("fields")),
            "routes": routes_of(a.get("routes")),
        }
        out.append(ask)
    return out


def contacts_of(rows: list[dict] | None) -> list[dict]:
    keys = ("name", "department", "office_phone", "mobile", "email", "address")
    return [{k: text(r.get(k)) or None for k in keys} for r in rows or [] if text(r.get("name"))]


def uploaded_of(values: list[str]) -> list[dict]:
    """Attachments uploaded by an earlier try of the same form (kept in hidden inputs as JSON)."""
    out = []
    for v in values:
        try:
            out.append(json.loads(v))
        except ValueError:
            continue
    return out


# ---------------------------------------------------------------- errors in zh-CN

_MESSAGES = {
    "missing": "必须填写",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "too_short": "至少选择一项",
    "too_long": "数量太多",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "datetime_parsing": "日期格式不正确",
    "datetime_from_date_parsing": "日期格式不正确",
    "timezone_aware": "日期须带时区",
    "extra_forbidden": "不允许的字段",
    "value_error": "取值无效",
}

FIELD_LABELS = {
    "title": "标题", "doc_number": "文号", "issuer_unit_ids": "发文单位", "co_issuer_unit_ids": "联合转发单位",
    "recipient_unit_ids": "收文单位", "body": "正文", "cover_note": "转发说明", "asks": "报送要求",
    "extra_asks": "新增报送要求", "deadlines": "截止时间", "deadline": "截止时间", "routes": "报送对象",
    "to_unit_id": "报送单位", "department": "部门", "fields": "表单字段", "label": "名称", "options": "选项",
    "min_items": "最少份数", "max_items": "最多份数", "contacts": "联系人", "attachments": "附件", "file": "附件",
    "reason": "原因", "unit_id": "单位编号", "name": "名称", "kind": "类别", "parent_id": "上级单位",
    "node_id": "节点", "departments": "部门", "doc_number_template": "文号模板", "email": "电子邮箱",
    "ask_id": "编号", "unit_kinds": "须报送的单位类别", "max_chars": "字数上限", "notice_id": "通知",
}


def field_label(field: str | None) -> str:
    """``asks.0.deadline`` → ``报送要求 1 · 截止时间``."""
    if not field:
        return ""
    out: list[str] = []
    for part in field.split("."):
        if part.isdigit() and out:
            out[-1] += f" {int(part) + 1}"  # the n-th of a list, counted from 1
        else:
            out.append(FIELD_LABELS.get(part, part))
    return " · ".join(out)


def problems(exc: Exception) -> list[dict]:
    """Errors to show above a form: each with its field (as the API names it) and a zh-CN message."""
    if isinstance(exc, ValidationError):
        out = []
        for err in exc.errors(include_url=False):
            field = ".".join(str(p) for p in err.get("loc", ()))
            out.append({"field": field, "label": field_label(field),
                        "message": _MESSAGES.get(err.get("type", ""), err.get("msg", "取值无效"))})
        return out
    if isinstance(exc, DomainError):
        return [{"field": exc.field, "label": field_label(exc.field), "message": exc.message}]
    raise exc


# ---------------------------------------------------------------- 通报表扬: a draft from the 评选结果

NUMERALS = "一二三四五六七八九十"


def commendation_draft(notice: dict, commended: dict[str, list[dict]]) -> dict:
    """Compose-form values announcing a notice's 评选结果: title, body by category, the same recipients.

    A draft: the issuer reads, edits and issues it like any notice.
    """
    subject = notice["title"].removeprefix("关于").removesuffix("的通知")
    lines = [f"根据《{notice['title']}》（{notice['doc_number']}）的要求，各单位认真组织、按时报送。"
             "经评选，现将结果通报如下："]
    for n, (category, rows) in enumerate(commended.items()):
        lines += ["", f"{NUMERALS[n % len(NUMERALS)]}、{category}"]
        named = [f"{r['unit_name']}（{r['commendation']['note']}）" if r["commendation"].get("note") else r["unit_name"]
                 for r in rows]
        lines.append("、".join(dict.fromkeys(named)))
    lines += ["", "希望受到表扬的单位再接再厉，其他单位学习借鉴，共同把工作做得更好。"]
    return {
        "title": f"关于{subject}评选结果的通报"[:200],
        "body": "\n".join(lines),
        "recipients": [r["unit_id"] for r in notice.get("recipients", [])],
    }
