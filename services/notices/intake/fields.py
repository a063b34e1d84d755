"""An ``ImportedDraft`` level as a flat list of fields, each with its label, value, confidence and source span:
what a person checks (待核对) before a draft made from it goes anywhere.

Keys name a field within its level: ``doc_number``, ``title``, ``issuers.0``, ``recipients``,
``recipient_kinds``, ``date``, ``printed``, ``body``, ``attachments.0``, ``contacts.0`` (one per person),
``cc``, ``received``, ``asks.<ask_id>.<part>`` (``title``, ``deadline``, ``unit_kinds``, ``chars``,
``items``, ``formats``, ``send_to``) and ``routes.0``. Values are JSON.
"""

from __future__ import annotations

from typing import Any

from shared.schemas import AskKind

from .models import ImportedAsk, ImportedDraft, Span

SOURCE_CHARS = 300
DISPLAY_CHARS = 200

ASK_KINDS = {
    AskKind.plan: "活动筹备方案",
    AskKind.liaison_form: "联络员回执表",
    AskKind.summary_report: "总结报告",
    AskKind.media: "影像资料",
    AskKind.other: "其他",
}


def field(
    key: str, label: str, value: Any, display: str, confidence: float, span: Span | None, text: str, how: str = ""
) -> dict[str, Any]:
    source = text[span[0] : span[1]] if span is not None else ""
    return {
        "key": key,
        "label": label,
        "value": value,
        "display": _cut(" ".join(display.split()), DISPLAY_CHARS),
        "confidence": round(confidence, 2),
        "span": list(span) if span is not None else None,
        "source": _cut(source, SOURCE_CHARS),
        "how": how,
    }


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def fields_of(d: ImportedDraft, text: str) -> list[dict[str, Any]]:
    """Every field of one level (``d``'s own, not its upstream's), in the order a 公文 gives them."""
    f = d.fields
    out: list[dict[str, Any]] = []
    for i, issuer in enumerate(f.issuers):
        matched = f"（通讯录：{issuer.unit_name}）" if issuer.unit_id and issuer.unit_name != issuer.name else ""
        who = {"name": issuer.name, "unit_id": issuer.unit_id, "unit_name": issuer.unit_name}
        out.append(
            field(
                f"issuers.{i}",
                "发文机关",
                who,
                issuer.name + matched,
                issuer.confidence,
                issuer.span,
                text,
                issuer.how,
            )
        )
    if f.doc_number is not None:
        out.append(_found("doc_number", "文号", f.doc_number, text))
    if f.title is not None:
        out.append(_found("title", "标题", f.title, text))
    if f.recipients is not None:
        out.append(_found("recipients", "主送机关", f.recipients, text))
    if f.recipient_kinds:
        kinds = list(dict.fromkeys(k.kind.value for k in f.recipient_kinds))
        confidence = min(k.confidence for k in f.recipient_kinds)
        span = f.recipients.span if f.recipients is not None else f.recipient_kinds[0].span
        out.append(
            field("recipient_kinds", "主送单位类别", kinds, "、".join(kinds), confidence, span, text, "主送机关")
        )
    if f.date is not None:
        out.append(
            field(
                "date",
                "成文日期",
                f.date.value.isoformat(),
                _day(f.date.value),
                f.date.confidence,
                f.date.span,
                text,
                f.date.how,
            )
        )
    if f.printed is not None:
        pr = f.printed
        out.append(
            field("printed", "印发日期", pr.value.isoformat(), _day(pr.value), pr.confidence, pr.span, text, pr.how)
        )
    if f.body is not None:
        out.append(_found("body", "正文", f.body, text))
    for i, att in enumerate(f.attachments):
        name = f"附件{att.no}：{att.name}" if att.no else att.name
        out.append(field(f"attachments.{i}", "附件", att.name, name, att.confidence, att.span, text, "附件说明"))
    n = 0
    for b in f.contacts:
        for p in b.people:
            person: dict[str, Any] = {
                "name": p.name,
                "department": b.department,
                "office_phone": p.office_phone,
                "mobile": p.mobile,
                "fax": b.fax,
                "email": b.emails[0] if b.emails else None,
                "address": b.address,
            }
            shown = " · ".join(str(v) for v in person.values() if v)
            out.append(field(f"contacts.{n}", "联系人", person, shown, min(p.confidence, b.confidence), p.span, text))
            n += 1
    if f.cc is not None:
        out.append(_found("cc", "抄送", f.cc, text))
    if f.received is not None:
        st = f.received
        stamp = {"unit": st.unit, "number": st.number, "date": st.date.isoformat() if st.date else None}
        shown = " ".join(x for x in (st.unit, "收文", st.number, _day(st.date) if st.date else None) if x)
        out.append(field("received", "收文登记", stamp, shown, st.confidence, st.span, text, "收文章"))
    for a in d.asks:
        out += _ask_fields(a, text)
    for i, r in enumerate(d.routes):
        kinds = [k.kind.value for k in r.unit_kinds]
        route: dict[str, Any] = {
            "unit_kinds": kinds,
            "destination": r.destination,
            "to_unit_id": r.to_unit_id,
            "to_unit_name": r.to_unit_name,
            "department": r.department,
            "ask_ids": list(r.ask_ids),
        }
        owing = "、".join(kinds) if kinds else "须报送的单位"
        to = " ".join(x for x in (r.to_unit_name or r.organisation or r.destination, r.department) if x)
        out.append(field(f"routes.{i}", "报送对象", route, f"{owing} → {to}", r.confidence, r.span, text, r.how))
    return out


def _found(key: str, label: str, found: Any, text: str) -> dict[str, Any]:
    return field(key, label, found.value, str(found.value), found.confidence, found.span, text, found.how)


def _day(day: Any) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _ask_fields(a: ImportedAsk, text: str) -> list[dict[str, Any]]:
    name = a.title.value
    p = f"asks.{a.ask_id}"
    label = f"报送要求“{name}”"
    kind = ASK_KINDS.get(a.kind.value, "其他")
    items = "、".join(a.items)
    shown = f"{name}（{kind}）" + (f"：{items}" if items and items != name else "")
    out = [
        field(
            f"{p}.title",
            label,
            {"title": name, "kind": a.kind.value.value, "items": a.items},
            shown,
            a.title.confidence,
            a.title.span,
            text,
            a.title.how,
        )
    ]
    if a.deadline is not None:
        day = a.deadline_date or a.deadline.value.date()
        shown = _day(day) + ("前" if not a.recurrence else f"（{a.recurrence}）")
        out.append(
            field(
                f"{p}.deadline",
                f"{label}的截止日期",
                a.deadline.value.isoformat(),
                shown,
                a.deadline.confidence,
                a.deadline.span,
                text,
                a.deadline.how,
            )
        )
    else:
        out.append(field(f"{p}.deadline", f"{label}的截止日期", None, "未找到截止日期", 0, a.span, text, "未找到"))
    if a.unit_kinds:
        kinds = list(dict.fromkeys(k.kind.value for k in a.unit_kinds))
        confidence = min(k.confidence for k in a.unit_kinds)
        span = (min(k.span[0] for k in a.unit_kinds), max(k.span[1] for k in a.unit_kinds))
        out.append(
            field(f"{p}.unit_kinds", f"{label}须报送的单位类别", kinds, "、".join(kinds), confidence, span, text)
        )
    if a.chars is not None:
        c = a.chars.value
        shown = f"{c.max_chars}字" + ("左右" if c.approx else "以内")
        out.append(
            field(
                f"{p}.chars",
                f"{label}的字数上限",
                c.model_dump(),
                shown,
                a.chars.confidence,
                a.chars.span,
                text,
                a.chars.how,
            )
        )
    if a.item_range is not None:
        r = a.item_range.value
        lo, hi = r.min_items, r.max_items
        shown = ("约" if r.approx else "") + (
            f"{lo}-{hi}项" if lo is not None and hi is not None and lo != hi else f"{hi or lo}项"
        )
        out.append(
            field(
                f"{p}.items",
                f"{label}的份数",
                r.model_dump(),
                shown,
                a.item_range.confidence,
                a.item_range.span,
                text,
                a.item_range.how,
            )
        )
    if a.formats is not None:
        fm = a.formats.value
        parts = [("盖章" if fm.stamped else "") + "、".join(fm.types)] if fm.types else []
        if fm.paper_copies:
            parts.append(f"纸质版{fm.paper_copies}份")
        shown = "；".join(x for x in parts if x) or ("盖章" if fm.stamped else "")
        out.append(
            field(
                f"{p}.formats",
                f"{label}的文件格式",
                fm.model_dump(),
                shown,
                a.formats.confidence,
                a.formats.span,
                text,
                a.formats.how,
            )
        )
    if a.send_to:
        out.append(
            field(
                f"{p}.send_to", f"{label}的报送单位", list(a.send_to), "、".join(a.send_to), a.confidence, a.span, text
            )
        )
    return out
