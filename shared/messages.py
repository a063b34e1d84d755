"""Validation messages in zh-CN: THE translation of pydantic's error types, and the Chinese names of fields.

Every refusal a user can read is in Chinese, wherever it is made: the gateway's
forms (``problems``) and its API (FastAPI's request validation, a command built
in a route), a service refusing a request (``shared.bus.problem_from_validation``)
and a directory file's rows (services/notices/directory_io.py). Each asks
``describe(err)`` for a pydantic error (``ValidationError.errors()``) and
``field_label`` for the field it is said of.

A validator's own message (``ValueError("…")`` in a contract) is kept when it is
written in Chinese; pydantic's English text never reaches a user.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# ---------------------------------------------------------------- field names

FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "issuer_unit_ids": "发文单位",
    "co_issuer_unit_ids": "联合转发单位",
    "recipient_unit_ids": "收文单位",
    "body": "正文",
    "cover_note": "转发说明",
    "asks": "报送要求",
    "extra_asks": "新增报送要求",
    "deadlines": "截止时间",
    "deadline": "截止时间",
    "routes": "报送对象",
    "unit_kind": "单位类别",
    "to_unit_id": "报送单位",
    "department": "部门",
    "fields": "表单字段",
    "key": "编号",
    "type": "类型",
    "label": "名称",
    "required": "必填",
    "options": "选项",
    "accept": "文件类型",
    "help": "填写说明",
    "min_value": "最小值",
    "max_value": "最大值",
    "min_items": "最少份数",
    "max_items": "最多份数",
    "contacts": "联系人",
    "office_phone": "办公电话",
    "mobile": "手机",
    "fax": "传真",
    "address": "地址",
    "attachments": "附件",
    "attachment_id": "附件编号",
    "filename": "文件名",
    "content_type": "文件类型",
    "sha256": "校验值",
    "size": "大小",
    "file": "附件",
    "files": "附件",
    "items": "报送内容",
    "values": "填写内容",
    "reason": "原因",
    "unit_id": "单位编号",
    "unit_ids": "单位",
    "name": "名称",
    "kind": "类别",
    "parent_id": "上级单位",
    "node_id": "节点",
    "runs_own_node": "自建节点",
    "departments": "部门",
    "doc_number_template": "文号模板",
    "email": "电子邮箱",
    "ask_id": "编号",
    "unit_kinds": "须报送的单位类别",
    "max_chars": "字数上限",
    "notice_id": "通知",
    "submission_id": "报送",
    "category": "评选类别",
    "commendation": "评选",
    "note": "说明",
    "revision": "版本",
    "username": "用户名",
    "password": "密码",
    "new_password": "新密码",
    "current_password": "当前密码",
    "display_name": "姓名",
    "roles": "角色",
    "expires_at": "有效期",
    "channels": "通知渠道",
    "channel": "渠道",
    "cause": "事由",
    "subject": "主题",
    "template": "模板",
    "page": "页码",
    "per_page": "每页条数",
    "seq": "序号",
    "since": "起始日期",
    "until": "截止日期",
    "action": "操作",
    "user_id": "用户",
    "year": "年份",
    "status": "状态",
    "q": "搜索",
    "format": "格式",
    "content": "内容",
    "line": "行",
}

# Names said differently inside a part of a form: an ask's title is its 名称 (the notice's is its 标题).
LABELS_WITHIN = {("asks", "title"): "名称", ("extra_asks", "title"): "名称", ("extra", "title"): "名称"}

# Where FastAPI says a request value came from; not part of the field's name.
_SOURCES = ("body", "query", "path", "header", "cookie")
_SOURCE_LABELS = {"body": "请求内容", "query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}


def field_of(loc: Sequence[Any], skip: int = 0) -> str:
    """A pydantic location as a dotted field name (``asks.0.deadline``), its first ``skip`` parts left out."""
    return ".".join(str(p) for p in list(loc)[skip:])


def request_field(loc: Sequence[Any]) -> str:
    """The field of FastAPI's request validation error: where the value came from (``body``, ``query``…) is
    not part of its name (``("body", "asks", 0, "title")`` → ``asks.0.title``)."""
    return field_of(loc, 1 if loc and str(loc[0]) in _SOURCES else 0)


def field_label(field: str | None) -> str:
    """``asks.0.deadline`` → ``报送要求 1 · 截止时间``; a name with no Chinese label is shown as it is."""
    if not field:
        return ""
    out: list[str] = []
    within = ""
    for part in field.split("."):
        if part.isdigit() and out:
            out[-1] += f" {int(part) + 1}"  # the n-th of a list, counted from 1
        else:
            out.append(LABELS_WITHIN.get((within, part)) or FIELD_LABELS.get(part, part))
            within = part
    return " · ".join(out)


def said_of(field: str | None, message: str) -> str:
    """A message as a sentence of its own, naming its field: ``报送要求 1 · 名称：不能为空``."""
    label = field_label(field)
    return f"{label}：{message}" if label else message


# ---------------------------------------------------------------- messages by error type

_FIXED = {
    "missing": "必须填写",
    "missing_argument": "必须填写",
    "missing_keyword_only_argument": "必须填写",
    "missing_positional_only_argument": "必须填写",
    "extra_forbidden": "不允许的字段",
    "unexpected_keyword_argument": "不允许的字段",
    "unexpected_positional_argument": "不允许的字段",
    "no_such_attribute": "不允许的字段",
    "frozen_field": "不能修改",
    "frozen_instance": "不能修改",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "string_type": "应为文字",
    "string_unicode": "应为有效的文字（UTF-8）",
    "string_not_ascii": "只能包含英文字母、数字和符号",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值超出范围",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为“是”或“否”",
    "bool_parsing": "应为“是”或“否”",
    "none_required": "不应填写",
    "model_type": "格式不正确，应为对象",
    "model_attributes_type": "格式不正确，应为对象",
    "dataclass_type": "格式不正确，应为对象",
    "dict_type": "格式不正确，应为对象",
    "mapping_type": "格式不正确，应为对象",
    "list_type": "格式不正确，应为列表",
    "tuple_type": "格式不正确，应为列表",
    "set_type": "格式不正确，应为列表",
    "frozen_set_type": "格式不正确，应为列表",
    "iterable_type": "格式不正确，应为列表",
    "arguments_type": "格式不正确",
    "bytes_type": "应为文件内容",
    "bytes_invalid_encoding": "文件内容编码不正确",
    "date_type": "应为日期",
    "date_parsing": "日期格式不正确，应为 2020-06-20",
    "date_from_datetime_parsing": "日期格式不正确，应为 2020-06-20",
    "date_from_datetime_inexact": "应为日期，不带时刻",
    "date_past": "应为今天以前的日期",
    "date_future": "应为今天以后的日期",
    "time_type": "应为时刻",
    "time_parsing": "时刻格式不正确，应为 17:30",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式不正确，应为 2020-06-20T17:30:00+08:00",
    "datetime_from_date_parsing": "日期时间格式不正确，应为 2020-06-20T17:30:00+08:00",
    "datetime_object_invalid": "日期时间无效",
    "datetime_past": "应为过去的时间",
    "datetime_future": "应为将来的时间",
    "timezone_naive": "不应带时区",
    "timezone_aware": "须带时区（如 +08:00）",
    "timezone_offset": "时区不正确",
    "time_delta_type": "应为时长",
    "time_delta_parsing": "时长格式不正确",
    "url_type": "应为网址",
    "url_parsing": "网址格式不正确",
    "url_syntax_violation": "网址格式不正确",
    "url_too_long": "网址太长",
    "url_scheme": "网址协议不正确",
    "uuid_type": "编号格式不正确",
    "uuid_parsing": "编号格式不正确",
    "uuid_version": "编号格式不正确",
    "union_tag_invalid": "类型无效",
    "union_tag_not_found": "缺少类型",
    "set_item_not_hashable": "列表中的值无效",
    "recursion_loop": "内容嵌套过深",
    "recursion_depth_exceeded": "内容嵌套过深",
}
FALLBACK = "取值无效"


def _bound(ctx: Mapping[str, Any], key: str) -> Any:
    value = ctx.get(key)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _choices(expected: Any) -> str:
    """pydantic's ``'科协', '科技厅/局' or '其他'`` → ``科协、科技厅/局、其他``."""
    found = re.findall(r"'([^']*)'", str(expected or ""))
    return "、".join(found)


def describe(err: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in zh-CN, said of its field."""
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        cause = str(ctx.get("error") or "")
        cause = cause.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return cause if _CJK.search(cause) else FALLBACK  # the contracts write their own in zh-CN
    if kind in ("enum", "literal_error"):
        choices = _choices(ctx.get("expected"))
        return f"应为以下之一：{choices}" if choices else FALLBACK
    if kind == "string_too_short":
        n = _bound(ctx, "min_length")
        return "不能为空" if n in (None, 1) else f"至少{n}个字"
    if kind == "string_too_long":
        return f"不能超过{_bound(ctx, 'max_length')}个字"
    if kind == "too_short":
        n = _bound(ctx, "min_length")
        return "至少选择一项" if n in (None, 1) else f"至少{n}项"
    if kind == "too_long":
        return f"最多{_bound(ctx, 'max_length')}项"
    if kind in ("bytes_too_short", "bytes_too_long"):
        return "文件太小" if kind == "bytes_too_short" else "文件太大"
    if kind == "greater_than":
        return f"应大于{_bound(ctx, 'gt')}"
    if kind == "greater_than_equal":
        return f"不能小于{_bound(ctx, 'ge')}"
    if kind == "less_than":
        return f"应小于{_bound(ctx, 'lt')}"
    if kind == "less_than_equal":
        return f"不能大于{_bound(ctx, 'le')}"
    if kind == "multiple_of":
        return f"应为{_bound(ctx, 'multiple_of')}的倍数"
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return "数字位数太多"
    return _FIXED.get(kind, FALLBACK)


def described(errors: Sequence[Mapping[str, Any]], skip: int = 0) -> list[tuple[str, str, str]]:
    """Every error of a validation as (field, zh-CN message, pydantic type), in pydantic's order."""
    return [(field_of(e.get("loc", ()), skip), describe(e), str(e.get("type", "invalid"))) for e in errors]


def request_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict]:
    """FastAPI's request validation errors as the API answers them: each its ``loc`` (``["query", "page"]``),
    ``msg`` in zh-CN naming the field, and pydantic's ``type``."""
    out = []
    for err in errors:
        loc = list(err.get("loc", ()))
        kind = str(err.get("type", "invalid"))
        if kind == "json_invalid":  # its loc ends at the character where parsing stopped: no field
            loc, message = loc[:1], "请求内容不是有效的 JSON"
        else:
            field = request_field(loc)
            message = (
                said_of(field, describe(err))
                if field
                else f"{_SOURCE_LABELS.get(str(loc[0]) if loc else '', '请求')}{describe(err)}"
            )
        out.append({"loc": loc, "msg": message, "type": kind})
    return out


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))
