"""The imported draft in the notice editor (templates/compose.html, which the review page extends): the draft's
content as the editor's values, and which inputs of the editor hold each extracted field (marked 待核对).

The editor's values are those its own pages give a draft (features/notices/drafting.py ``editor_values``):
named ``asks-0-deadline``, ``inherit-0-deadline``, ``routes-0-unit_kind``, ``contacts-0-name``…
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from shared.clock import local_text

from .reviews import ReviewedField

BLANK_ASK: dict[str, list] = {"fields": [{}, {}, {}], "routes": [{}, {}], "unit_kinds": []}
CONTENT_KEYS = {
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
}


def _date(value: str | datetime, tz: str) -> str:
    return local_text(value if isinstance(value, datetime) else datetime.fromisoformat(value), tz, "%Y-%m-%d")


def _ask(ask: dict, tz: str) -> dict:
    return {
        **ask,
        "deadline": _date(ask["deadline"], tz),
        "fields": [*ask.get("fields", []), {}],
        "routes": [*ask.get("routes", []), {}],
    }


def _elements(content: dict) -> dict:
    """The 公文要素 inputs: a list one entry a line, as the editor reads them."""
    return {
        k: "\n".join(str(x) for x in v) if isinstance(v, list) else ("" if v is None else v)
        for k, v in content.items()
        if k not in CONTENT_KEYS and not isinstance(v, dict)
    }


def editor_values(draft: dict[str, Any], tz: str, upstream: dict[str, Any] | None) -> dict[str, Any]:
    """The editor's values for a draft (a ``DraftView`` as JSON) of the caller's unit."""
    content = draft.get("notice") or draft.get("forward") or {}
    common = {
        **_elements(content),
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
            "asks": [_ask(a, tz) for a in content.get("asks", [])] or [BLANK_ASK],
        }
    deadlines, kinds = content.get("deadlines") or {}, content.get("unit_kinds") or {}
    return {
        **common,
        "cover_note": content.get("cover_note") or "",
        "co_issuers": content.get("co_issuer_unit_ids") or [],
        "inherit": [
            {
                "ask_id": a["ask_id"],
                "deadline": _date(deadlines[a["ask_id"]], tz) if a["ask_id"] in deadlines else "",
                "unit_kinds": kinds.get(a["ask_id"], a.get("unit_kinds", [])),
            }
            for a in (upstream or {}).get("asks", [])
        ],
        "routes": content.get("routes") or [{}],
        "extra": [_ask(a, tz) for a in content.get("extra_asks", [])] or [BLANK_ASK],
    }


# ---------------------------------------------------------------- where each field is in the editor

_ASK = re.compile(r"^asks\.(.+)\.([a-z_]+)$")
ASK_INPUTS = {
    "title": "title",
    "deadline": "deadline",
    "unit_kinds": "unit_kinds",
    "items": "max_items",
    "chars": "fields-0-max_chars",
    "formats": "note",
    "send_to": "routes-0-to_unit_id",
}


def inputs_of(
    f: ReviewedField, draft: dict[str, Any], ask_ids: dict[str, str], own_ids: dict[str, str], upstream: dict | None
) -> list[str]:
    """The names of the editor's inputs that hold the field (the first is marked), or none."""
    if f.use != "draft":
        return []
    content = draft.get("notice") or draft.get("forward") or {}
    forward = draft["kind"] == "forward"
    key = f.key
    if key in ("title", "doc_number"):
        return [key]
    if key == "body":
        return ["cover_note" if forward else "body"]
    if key.startswith("issuers."):
        return ["co_issuers"]
    if key == "recipients":
        return ["addressees"]
    if key == "recipient_kinds":
        return ["recipients"]
    if key == "cc":
        return ["copy_to"]
    if key.startswith("attachments."):
        return ["attachment_names"]
    if key.startswith("contacts."):
        return [f"contacts-{key.split('.')[1]}-name"]
    if key.startswith("routes."):
        return ["routes-0-unit_kind"] if forward else []
    m = _ASK.match(key)
    if m is None:
        return []
    ask_id, part = m[1], m[2]
    if forward and ask_id in ask_ids:
        asks = (upstream or {}).get("asks", [])
        i = next((n for n, a in enumerate(asks) if a["ask_id"] == ask_ids[ask_id]), None)
        return [f"inherit-{i}-{part}"] if i is not None and part in ("deadline", "unit_kinds") else []
    name = "extra" if forward else "asks"
    own = content.get("extra_asks" if forward else "asks") or []
    j = next((n for n, a in enumerate(own) if a.get("ask_id") == own_ids.get(ask_id, ask_id)), None)
    return [f"{name}-{j}-{ASK_INPUTS[part]}"] if j is not None and part in ASK_INPUTS else []
