"""The notice forms (拟稿, 转发) → command bodies: asks with their form fields and routes, attachments kept from an
earlier try, and the 通报表扬 draft.

A block where nothing was typed (the blank rows the form offers) is left out:
a route without a unit, a field with neither label nor anything else, an ask
with neither title nor anything else. An ask or field with something typed but
no name is kept, so the command refuses it naming that name (``asks.0.title``)
rather than issuing the notice without it.
The values every form reads (text, dates, contacts) are in core/forms.py.
"""

import json

from starlette.datastructures import FormData

from ...core.editor import BLANK_ASK as BLANK_ASK  # the blank ask block, with the editor's other values
from ...core.forms import deadline, nested, number, text, words

# Inputs of the notice editor that repeat their name (check boxes, multiple selects): every value counts.
MULTI = ("unit_kinds", "recipients", "co_issuers")


def notice_form(form: FormData) -> dict:
    """A posted notice editor as nested values (``asks-0-fields-1-label`` → ``asks[0].fields[1].label``)."""
    return nested(form, MULTI)


def fields_of(rows: list[dict] | None) -> list[dict]:
    out = []
    for n, row in enumerate(rows or []):
        label = text(row.get("label"))
        if not label and not any(text(row.get(k)) for k in ("max_chars", "options", "accept")):
            continue  # a blank row
        field = {
            "key": text(row.get("key")) or f"f{n + 1}",
            "label": label,
            "type": text(row.get("type")) or "text",
            "required": bool(row.get("required")),
        }
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
        {
            "unit_kind": text(r.get("unit_kind")),
            "to_unit_id": text(r.get("to_unit_id")),
            "department": text(r.get("department")),
        }
        for r in rows or []
        if text(r.get("to_unit_id"))
    ]


def asks_of(blocks: list[dict] | None, tz: str, prefix: str = "ask") -> list[dict]:
    out = []
    for n, a in enumerate(blocks or []):
        title = text(a.get("title"))
        if not title and not _typed_in(a):
            continue  # a blank ask
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


def _typed_in(ask: dict) -> bool:
    """Whether anything but the defaults the form shows was given for an ask (its title aside)."""
    return bool(
        text(ask.get("deadline"))
        or text(ask.get("note"))
        or ask.get("unit_kinds")
        or any(text(f.get("label")) for f in ask.get("fields") or [] if isinstance(f, dict))
        or any(text(r.get("to_unit_id")) for r in ask.get("routes") or [] if isinstance(r, dict))
    )


def inherited_of(rows: list[dict] | None, tz: str) -> tuple[dict[str, str], dict[str, list]]:
    """The inherited asks of a 转发 form: the deadlines moved, and the unit kinds chosen per ask (``kinds_set``
    marks an ask whose boxes were on the form, so none ticked means every recipient). Rows without an ask id
    (none the page makes) are left out."""
    deadlines: dict[str, str] = {}
    kinds: dict[str, list] = {}
    for row in rows or []:
        ask_id = text(row.get("ask_id")) if isinstance(row, dict) else ""
        if not ask_id:
            continue
        if text(row.get("deadline")):
            deadlines[ask_id] = deadline(row.get("deadline"), tz)
        if row.get("kinds_set"):
            kinds[ask_id] = row.get("unit_kinds") or []
    return deadlines, kinds


def upward_of(rows: list[dict] | None) -> dict[str, dict]:
    """How the level sends up each inherited ask (本级上报方式): 逐级汇总 is the default and is left out; a 择优上报
    limit left empty takes the ask's own maximum (the service fills it in)."""
    out: dict[str, dict] = {}
    for row in rows or []:
        ask_id = text(row.get("ask_id")) if isinstance(row, dict) else ""
        mode = text(row.get("upward")) if ask_id else ""
        if not mode or mode == "compile":
            continue
        limit = number(row.get("upward_limit")) if mode == "select" else None
        out[ask_id] = {"mode": mode, **({"limit": limit} if limit is not None else {})}
    return out


def uploaded_of(values: list[str]) -> list[dict]:
    """Attachments uploaded by an earlier try of the same form (kept in hidden inputs as JSON)."""
    out = []
    for v in values:
        try:
            out.append(json.loads(v))
        except ValueError:
            continue
    return out


# ---------------------------------------------------------------- 通报表扬: a draft from the 评选结果

NUMERALS = "一二三四五六七八九十"


def commendation_draft(notice: dict, commended: dict[str, list[dict]]) -> dict:
    """Compose-form values announcing a notice's 评选结果: title, body by category, the same recipients.

    A draft: the issuer reads, edits and issues it like any notice.
    """
    subject = notice["title"].removeprefix("关于").removesuffix("的通知")
    lines = [
        f"根据《{notice['title']}》（{notice['doc_number']}）的要求，各单位认真组织、按时报送。"
        "经评选，现将结果通报如下："
    ]
    for n, (category, rows) in enumerate(commended.items()):
        lines += ["", f"{NUMERALS[n % len(NUMERALS)]}、{category}"]
        named = [
            f"{r['unit_name']}（{r['commendation']['note']}）" if r["commendation"].get("note") else r["unit_name"]
            for r in rows
        ]
        lines.append("、".join(dict.fromkeys(named)))
    lines += ["", "希望受到表扬的单位再接再厉，其他单位学习借鉴，共同把工作做得更好。"]
    return {
        "title": f"关于{subject}评选结果的通报"[:200],
        "body": "\n".join(lines),
        "recipients": [r["unit_id"] for r in notice.get("recipients", [])],
    }
