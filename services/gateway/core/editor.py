"""A draft back in the notice editor (templates/compose.html, 拟稿 and 转发): its content as the editor's values.

The editor names its inputs ``asks-0-deadline``, ``inherit-0-deadline``, ``routes-0-unit_kind``,
``contacts-0-name``…; the 公文要素 are plain inputs, a list one entry a line. One mapping for every page that
opens a draft in the editor (its page's 修改, and the review of an imported 公文).
"""

from datetime import datetime
from typing import Any

from shared.clock import local_text

# An ask block of the editor with nothing typed: three field rows, two route rows.
BLANK_ASK: dict[str, list] = {"fields": [{}, {}, {}], "routes": [{}, {}], "unit_kinds": []}

# A draft's content keys the editor shows in blocks of their own; every other one is a 公文要素 input.
KNOWN = {
    "title",
    "issuer_unit_ids",
    "recipient_unit_ids",
    "body",
    "doc_number",
    "asks",
    "contacts",
    "attachments",
    "actor",
    "notice_id",
    "unit_id",
    "co_issuer_unit_ids",
    "cover_note",
    "deadlines",
    "unit_kinds",
    "routes",
    "extra_asks",
    "upward",
}


def _date(value: str | datetime, tz: str) -> str:
    return local_text(value if isinstance(value, datetime) else datetime.fromisoformat(value), tz, "%Y-%m-%d")


def ask_values(ask: dict, tz: str) -> dict:
    """An ask as the editor's block: its deadline a local date, a blank field row and route row to add one."""
    return {
        **ask,
        "deadline": _date(ask["deadline"], tz),
        "fields": [*ask.get("fields", []), {}],
        "routes": [*ask.get("routes", []), {}],
    }


def _other_inputs(content: dict) -> dict:
    """Fields the editor shows as plain inputs (the 公文要素): lists one entry a line, as the form reads them."""
    return {
        k: "\n".join(str(x) for x in v) if isinstance(v, list) else ("" if v is None else v)
        for k, v in content.items()
        if k not in KNOWN and not isinstance(v, dict)
    }


def editor_values(draft: dict[str, Any], tz: str, upstream: dict[str, Any] | None = None) -> dict[str, Any]:
    """The editor's values for a draft (a ``DraftView`` as JSON); ``upstream``: the notice a 转发 forwards."""
    content = draft.get("notice") or draft.get("forward") or {}
    common = {
        **_other_inputs(content),
        "draft_id": draft["id"],
        "version": draft["version"],
        "title": content.get("title") or "",
        "doc_number": content.get("doc_number") or "",
        "recipients": content.get("recipient_unit_ids") or [],
        "contacts": [*content.get("contacts", []), {}],
        "uploaded": content.get("attachments", []),
    }
    if draft["kind"] == "notice":
        return {
            **common,
            "body": content.get("body") or "",
            "co_issuers": content["issuer_unit_ids"][1:],
            "asks": [ask_values(a, tz) for a in content.get("asks", [])] or [BLANK_ASK],
        }
    deadlines, kinds = content.get("deadlines") or {}, content.get("unit_kinds") or {}
    upward = content.get("upward") or {}
    inherited = (upstream or {}).get("asks", [])
    return {
        **common,
        "cover_note": content.get("cover_note") or "",
        "co_issuers": content.get("co_issuer_unit_ids") or [],
        "inherit": [
            {
                "ask_id": a["ask_id"],
                "deadline": _date(deadlines[a["ask_id"]], tz) if a["ask_id"] in deadlines else "",
                "unit_kinds": kinds.get(a["ask_id"], a.get("unit_kinds", [])),
                # 本级上报方式, as the draft keeps it (逐级汇总 where it names none)
                "upward": (upward.get(a["ask_id"]) or {}).get("mode") or "compile",
                "upward_limit": (upward.get(a["ask_id"]) or {}).get("limit") or "",
            }
            for a in inherited
        ],
        "routes": content.get("routes") or [{}],
        "extra": [ask_values(a, tz) for a in content.get("extra_asks", [])] or [BLANK_ASK],
    }
