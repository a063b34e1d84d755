"""An ``ImportedDraft`` in the shape of the ``IssueNotice`` / ``ForwardNotice`` commands.

Only values that validate against the shared models go into ``values``
(asks as ``shared.schemas.Ask``, contacts as ``Contact``, routes as
``Route``); the rest stay in ``raw`` with a warning saying why, and
``missing`` names what a text cannot give (the recipients, the notice in
Cascade that is forwarded). A person completes and confirms the draft:
nothing here issues anything.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from shared.schemas import Ask, Contact, FieldType, FormField, Route, ShortText, UnitKind

from .models import DraftWarning, ImportedAsk, ImportedDraft

_SHORT = TypeAdapter(ShortText)


class CommandDraft(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: Literal["issue", "forward"]
    values: dict[str, Any] = {}
    missing: list[str] = []
    raw: dict[str, Any] = {}
    hints: dict[str, Any] = {}
    warnings: list[DraftWarning] = []
    upstream: CommandDraft | None = None


def to_command(draft: ImportedDraft) -> CommandDraft:
    """The draft as IssueNotice fields (a notice) or ForwardNotice fields (a 转发), as far as they validate."""
    if draft.kind == "forward" and draft.upstream is not None:
        return _forward(draft)
    return _issue(draft)


def _common(d: ImportedDraft, values: dict, raw: dict, warnings: list[DraftWarning]) -> None:
    f = d.fields
    if f.title is not None:
        try:
            values["title"] = _SHORT.validate_python(f.title.value)
        except ValidationError:
            raw["title"] = f.title.value
            warnings.append(DraftWarning(field="title", message="标题超过200字，请精简后填写"))
    if f.doc_number is not None:
        if len(f.doc_number.value) <= 60:
            values["doc_number"] = f.doc_number.value
        else:
            raw["doc_number"] = f.doc_number.value
            warnings.append(DraftWarning(field="doc_number", message="文号超过60字，请核对"))
    contacts, bad = contacts_of(d)
    values["contacts"] = [c.model_dump(mode="json") for c in contacts]
    if bad:
        raw["contacts"] = bad
        warnings.append(DraftWarning(field="contacts", message=f"{len(bad)}位联系人的信息格式有误，未填入，请核对"))


def _issue(d: ImportedDraft) -> CommandDraft:
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    warnings: list[DraftWarning] = []
    missing = ["recipient_unit_ids"]
    _common(d, values, raw, warnings)
    ids, unmatched = _issuer_ids(d)
    if ids and not unmatched:
        values["issuer_unit_ids"] = ids
    else:
        missing.append("issuer_unit_ids")
        if unmatched:
            raw["issuers"] = unmatched
            warnings.append(
                DraftWarning(
                    field="issuer_unit_ids", message=f"发文机关“{'、'.join(unmatched)}”未能对应到通讯录中的单位，请选择"
                )
            )
    if d.fields.body is not None:
        values["body"] = d.fields.body.value
    asks, bad = asks_of(d, warnings)
    values["asks"] = [a.model_dump(mode="json") for a in asks]
    if bad:
        raw["asks"] = bad
    up = to_command(d.upstream) if d.upstream is not None else None
    return CommandDraft(
        command="issue",
        values=values,
        missing=missing,
        raw=raw,
        hints=_hints(d),
        warnings=_unique(warnings),
        upstream=up,
    )


def _forward(d: ImportedDraft) -> CommandDraft:
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    warnings: list[DraftWarning] = []
    missing = ["notice_id", "recipient_unit_ids"]
    _common(d, values, raw, warnings)
    ids, unmatched = _issuer_ids(d)
    if ids:
        values["unit_id"] = ids[0]
        values["co_issuer_unit_ids"] = ids[1:]
    else:
        missing.append("unit_id")
    if unmatched:
        raw["issuers"] = unmatched
        warnings.append(
            DraftWarning(field="unit_id", message=f"发文机关“{'、'.join(unmatched)}”未能对应到通讯录中的单位，请选择")
        )
    if d.fields.body is not None:
        values["cover_note"] = d.fields.body.value
    up = d.upstream
    own, bad = asks_of(d, warnings)
    up_asks = {a.ask_id: a for a in (up.asks if up else [])}
    deadlines: dict[str, str] = {}
    unit_kinds: dict[str, list[str]] = {}
    extra: list[Ask] = []
    pairs = _pair_asks(own, list(up_asks.values()))
    for a in own:
        match = pairs.get(a.ask_id)
        if match is None:
            extra.append(a)
            continue
        deadlines[match.ask_id] = a.deadline.isoformat()
        if a.unit_kinds:
            unit_kinds[match.ask_id] = [k.value for k in a.unit_kinds]
        if match.deadline is not None and a.deadline > match.deadline.value:
            warnings.append(
                DraftWarning(field="deadlines", message=f"转发后“{a.title}”的截止日期晚于上级来文的截止日期，请核对")
            )
    values["deadlines"] = deadlines
    values["unit_kinds"] = unit_kinds
    values["extra_asks"] = [a.model_dump(mode="json") for a in extra]
    routes, bad_routes = routes_of(d, None, warnings)
    values["routes"] = [r.model_dump(mode="json") for r in routes]
    if bad:
        raw["asks"] = bad
    if bad_routes:
        raw["routes"] = bad_routes
    return CommandDraft(
        command="forward",
        values=values,
        missing=missing,
        raw=raw,
        hints=_hints(d),
        warnings=_unique(warnings),
        upstream=to_command(up) if up is not None else None,
    )


def _pair_asks(own: list[Ask], upstream: list[ImportedAsk]) -> dict[str, ImportedAsk]:
    """Which of the forwarder's asks restate an upstream ask: same kind, the closest title.

    Seed 003: the upstream 特色亮点活动筹备方案 is the departments' 特色亮点活动筹备方案
    (5月8日), not the prefectures' 简要活动方案, which is an ask of the forwarder's own.
    """
    pairs: dict[str, ImportedAsk] = {}
    for u in upstream:
        same = [a for a in own if a.kind == u.kind.value and a.ask_id not in pairs]
        if not same:
            continue
        best = max(same, key=lambda a: SequenceMatcher(None, a.title, u.title.value).ratio())
        if len(same) > 1 and SequenceMatcher(None, best.title, u.title.value).ratio() < 0.3:
            continue
        pairs[best.ask_id] = u
    return pairs


def _unique(warnings: list[DraftWarning]) -> list[DraftWarning]:
    out: list[DraftWarning] = []
    for w in warnings:
        if w not in out:
            out.append(w)
    return out


def _hints(d: ImportedDraft) -> dict[str, Any]:
    f = d.fields
    return {
        "recipients": f.recipients.value if f.recipients else None,
        "recipient_kinds": [k.kind.value for k in f.recipient_kinds],
        "issuers": [i.name for i in f.issuers],
        "date": f.date.value.isoformat() if f.date else None,
        "attachments": [a.name for a in f.attachments],
        "upstream_doc_number": d.upstream.fields.doc_number.value
        if d.upstream is not None and d.upstream.fields.doc_number
        else None,
    }


def _issuer_ids(d: ImportedDraft) -> tuple[list[str], list[str]]:
    ids, unmatched = [], []
    for i in d.fields.issuers:
        if i.unit_id:
            if i.unit_id not in ids:
                ids.append(i.unit_id)
        else:
            unmatched.append(i.name)
    return ids, unmatched


def contacts_of(d: ImportedDraft) -> tuple[list[Contact], list[dict]]:
    """One Contact per person; a block's e-mail, fax and address go to each of its people."""
    out, bad = [], []
    for b in d.fields.contacts:
        for p in b.people:
            data = {
                "name": p.name,
                "department": b.department,
                "office_phone": p.office_phone,
                "mobile": p.mobile,
                "fax": b.fax,
                "email": b.emails[0] if b.emails else None,
                "address": b.address,
            }
            try:
                out.append(Contact.model_validate(data))
            except ValidationError:
                bad.append(data)
    return out, bad


def routes_of(
    d: ImportedDraft, ask_id: str | None, warnings: list[DraftWarning], default_kinds: list[UnitKind] | None = None
) -> tuple[list[Route], list[dict]]:
    """Routes (of one ask, or all) as ``Route``: one per unit kind; a route for "everyone" takes the
    ask's kinds, else the kinds the 主送机关 names."""
    out: list[Route] = []
    bad: list[dict] = []
    for r in d.routes:
        if ask_id is not None and ask_id not in r.ask_ids:
            continue
        kinds = [k.kind for k in r.unit_kinds] or default_kinds or [k.kind for k in d.fields.recipient_kinds]
        if not r.to_unit_id or not r.department:
            entry = {
                "destination": r.destination,
                "unit_kinds": [k.value for k in kinds],
                "organisation": r.organisation,
                "department": r.department,
            }
            if entry not in bad:
                bad.append(entry)
                why = "未能对应到通讯录中的单位" if not r.to_unit_id else "未写明部门"
                warnings.append(DraftWarning(field="routes", message=f"报送对象“{r.destination}”{why}，请核对"))
            continue
        for k in kinds:
            try:
                route = Route(unit_kind=k, to_unit_id=r.to_unit_id, department=r.department)
            except ValidationError:
                bad.append({"destination": r.destination, "unit_kind": k.value, "to_unit_id": r.to_unit_id})
                continue
            if route not in out:
                out.append(route)
    return out, bad


def asks_of(d: ImportedDraft, warnings: list[DraftWarning]) -> tuple[list[Ask], list[dict]]:
    """The asks that validate as ``Ask``; the others as extracted, each with a warning."""
    out, bad = [], []
    for a in d.asks:
        data = _ask_data(d, a, warnings)
        try:
            out.append(Ask(**data))
        except ValidationError as exc:
            raw = a.model_dump(mode="json")
            bad.append(raw)
            why = "没有截止日期" if a.deadline is None else "内容不完整"
            warnings.append(
                DraftWarning(field="asks", message=f"报送要求“{a.title.value}”{why}，未能生成，请补充后添加")
            )
            del exc
    return out, bad


def _ask_data(d: ImportedDraft, a: ImportedAsk, warnings: list[DraftWarning]) -> dict[str, Any]:
    kinds = [k.kind for k in a.unit_kinds]
    routes, _ = routes_of(d, a.ask_id, warnings, kinds or None)
    fields: list[FormField] = []
    chars = a.chars.value.max_chars if a.chars and not a.chars.value.approx else None
    fields.append(
        FormField(key="content", label=a.title.value[:200] or "报送内容", type=FieldType.text, max_chars=chars)
    )
    if a.formats and a.formats.value.types:
        accept = [t for t in a.formats.value.types if t.isalnum() and len(t) <= 10]
        label = ("盖章" if a.formats.value.stamped else "") + "、".join(accept) + "文件"
        fields.append(FormField(key="files", label=label, type=FieldType.file, accept=accept))
    data: dict[str, Any] = {
        "ask_id": a.ask_id,
        "kind": a.kind.value,
        "title": a.title.value[:200],
        "fields": fields,
        "deadline": a.deadline.value if a.deadline else None,
        "unit_kinds": kinds,
        "routes": routes,
        "note": a.note[:2000],
    }
    if a.item_range is not None:
        lo, hi = a.item_range.value.min_items, a.item_range.value.max_items
        if lo is not None:
            data["min_items"] = lo
        if hi is not None:
            data["max_items"] = hi
        elif lo is not None:
            data["max_items"] = max(lo, 1)
    return data
