"""Checking submitted items against an ask's form template. Pure functions.

An item is a JSON object keyed by the form's field keys. What a field may
hold follows its type and limits (seed 002: "500字以内", five modules to tick,
盖章PDF版和word版). Errors name the place, e.g. ``items.1.plan``, so the
gateway can point at the input; the message says why in the users' words.
"""

import re
from datetime import date
from typing import Any

from pydantic import ValidationError

from shared.errors import Invalid
from shared.messages import describe, field_label
from shared.schemas import Ask, Attachment, Contact, FieldType, FormField

# A contact block as a form sends it; the same shape as a notice's contacts.
CONTACT_KEYS = set(Contact.model_fields)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def check_items(ask: Ask, items: list[dict], *, field: str = "items", own_only: bool = False) -> list[dict]:
    """The items, normalised (text stripped, numbers as numbers), or ``Invalid`` naming the first bad value.

    ``own_only``: the compiling unit's own items in a 汇总, which need not
    reach the ask's item count (the included submissions make it up).
    """
    if not own_only:
        low = max(ask.min_items, 1)
        if not low <= len(items) <= ask.max_items:
            span = f"{low}项" if low == ask.max_items else f"{low}–{ask.max_items}项"
            raise Invalid(f"“{ask.title}”应报送{span}，实际{len(items)}项", field=field, code="item_count")
    elif len(items) > ask.max_items:
        raise Invalid(f"“{ask.title}”最多{ask.max_items}项", field=field, code="item_count")
    if not ask.fields:
        # An ask without a template takes free text only.
        ask = ask.model_copy(update={"fields": [FormField(key="text", label="内容", type=FieldType.text)]})
    return [check_item(ask.fields, item, field=f"{field}.{i}") for i, item in enumerate(items)]


def check_item(fields: list[FormField], item: dict, *, field: str) -> dict:
    if not isinstance(item, dict):
        raise Invalid("每一项应是一组填写内容", field=field)
    known = {f.key for f in fields}
    unknown = sorted(set(item) - known)
    if unknown:
        raise Invalid(f"表格中没有这一栏：{unknown[0]}", field=f"{field}.{unknown[0]}", code="unknown_field")
    out: dict[str, Any] = {}
    for f in fields:
        value = item.get(f.key)
        if isinstance(value, str):
            value = value.strip()
        if _blank(value):
            if f.required:
                raise Invalid(f"请填写“{f.label}”", field=f"{field}.{f.key}", code="required")
            continue
        out[f.key] = check_value(f, value, field=f"{field}.{f.key}")
    return out


def check_value(f: FormField, value: Any, *, field: str) -> Any:
    match f.type:
        case FieldType.text:
            if not isinstance(value, str):
                raise Invalid(f"“{f.label}”应是文字", field=field)
            if f.max_chars is not None and len(value) > f.max_chars:
                raise Invalid(f"“{f.label}”不超过{f.max_chars}字（现{len(value)}字）", field=field, code="too_long")
            return value
        case FieldType.choice:
            if value not in f.options:
                raise Invalid(f"“{f.label}”只能从给定选项中选一项", field=field, code="not_an_option")
            return value
        case FieldType.multi_choice:
            chosen = [value] if isinstance(value, str) else value
            if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
                raise Invalid(f"“{f.label}”应是选项列表", field=field)
            bad = [v for v in chosen if v not in f.options]
            if bad:
                raise Invalid(f"“{f.label}”没有选项“{bad[0]}”", field=field, code="not_an_option")
            return [o for o in f.options if o in chosen]  # the form's order, no repeats
        case FieldType.date:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise Invalid(f"“{f.label}”应是日期（如 2021-05-30）", field=field, code="not_a_date")
            try:
                date.fromisoformat(value)
            except ValueError:
                raise Invalid(f"“{f.label}”不是有效日期", field=field, code="not_a_date") from None
            return value
        case FieldType.number:
            return _number(f, value, field)
        case FieldType.contact:
            return _contact(f, value, field)
        case FieldType.file:
            return _files(f, value, field)
    raise Invalid(f"“{f.label}”的类型无法填写", field=field)  # pragma: no cover - every FieldType is handled


def _number(f: FormField, value: Any, field: str) -> float | int:
    if isinstance(value, bool):
        raise Invalid(f"“{f.label}”应是数字", field=field, code="not_a_number")
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise Invalid(f"“{f.label}”应是数字", field=field, code="not_a_number") from None
    if not isinstance(value, int | float) or value != value or value in (float("inf"), float("-inf")):
        raise Invalid(f"“{f.label}”应是数字", field=field, code="not_a_number")
    if f.min_value is not None and value < f.min_value:
        raise Invalid(f"“{f.label}”不小于{f.min_value:g}", field=field, code="out_of_range")
    if f.max_value is not None and value > f.max_value:
        raise Invalid(f"“{f.label}”不大于{f.max_value:g}", field=field, code="out_of_range")
    return value


def _contact(f: FormField, value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"“{f.label}”应填写姓名和联系方式", field=field)
    value = {k: v.strip() if isinstance(v, str) else v for k, v in value.items() if not _blank(v)}
    try:
        contact = Contact.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        what = "姓名" if where == "name" else field_label(where)
        raise Invalid(f"“{f.label}”的{what}{describe(err)}", field=f"{field}.{where}", code="bad_contact") from None
    if not (contact.office_phone or contact.mobile or contact.email):
        raise Invalid(f"“{f.label}”请至少留一种联系方式（电话、手机或邮箱）", field=field, code="bad_contact")
    return contact.model_dump(mode="json", exclude_none=True)


def _files(f: FormField, value: Any, field: str) -> list[dict]:
    """A file field holds one or more uploaded attachments (e.g. the stamped PDF and the Word file)."""
    files = value if isinstance(value, list) else [value]
    out = []
    for i, raw in enumerate(files):
        try:
            att = Attachment.model_validate(raw)
        except ValidationError:
            raise Invalid(f"“{f.label}”应是已上传的文件", field=f"{field}.{i}", code="not_a_file") from None
        ext = att.filename.rsplit(".", 1)[-1].lower() if "." in att.filename else ""
        if f.accept and ext not in f.accept:
            raise Invalid(
                f"“{f.label}”只接受 {'、'.join(f.accept)} 文件（“{att.filename}”不是）",
                field=f"{field}.{i}",
                code="file_type",
            )
        out.append(att.model_dump(mode="json", exclude={"original_of"}))
    return out


def attachments_in(items: list[dict], field: str = "items") -> list[tuple[str, dict]]:
    """Every attachment named in the items, with where it is (file fields hold lists of them)."""
    return [
        (f"{field}.{i}.{key}.{j}", v)
        for i, item in enumerate(items)
        for key, value in item.items()
        if isinstance(value, list)
        for j, v in enumerate(value)
        if isinstance(v, dict) and "sha256" in v and "attachment_id" in v
    ]
