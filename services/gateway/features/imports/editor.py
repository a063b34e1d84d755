"""The imported draft in the notice editor (templates/compose.html, which the review page extends): the draft's
content as the editor's values, and which inputs of the editor hold each extracted field (marked 待核对).

The editor's values are those its own pages give a draft (core/editor.py ``editor_values``):
named ``asks-0-deadline``, ``inherit-0-deadline``, ``routes-0-unit_kind``, ``contacts-0-name``…
"""

from __future__ import annotations

import re
from typing import Any

from .reviews import ReviewedField

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
