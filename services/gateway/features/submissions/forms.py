"""The 报送 form: an ask's form template as HTML inputs, and a posted form back into items.

Inputs are named ``item-<n>-<key>`` (a contact block ``item-<n>-<key>-<part>``,
a multiple choice repeats its name). Files are chosen in ``file-<n>-<key>``
and uploaded when the form is posted; files of an earlier revision or an
earlier try stay as ``keep-<n>-<key>`` (the attachment as JSON). An item
block left entirely empty is not an item, so "1–2 项" shows two blocks and
the second may stay blank.
"""

import json

from starlette.datastructures import FormData, UploadFile

CONTACT_PARTS = ("name", "office_phone", "mobile", "email")


def files_to_upload(form: FormData, ask: dict) -> dict[tuple[int, str], list[UploadFile]]:
    out: dict[tuple[int, str], list[UploadFile]] = {}
    for n in range(ask.get("max_items", 1)):
        for f in ask.get("fields") or []:
            if f["type"] == "file":
                chosen = [u for u in form.getlist(f"file-{n}-{f['key']}") if isinstance(u, UploadFile) and u.filename]
                if chosen:
                    out[(n, f["key"])] = chosen
    return out


def items_of(form: FormData, ask: dict, uploaded: dict[tuple[int, str], list[dict]]) -> list[dict]:
    """Items as the submissions service checks them; blank blocks left out."""
    fields = ask.get("fields") or [{"key": "text", "type": "text"}]
    items = []
    for n in range(ask.get("max_items", 1)):
        item: dict = {}
        for f in fields:
            key, name = f["key"], f"item-{n}-{f['key']}"
            value: object  # what the submissions service takes for the field's type
            match f["type"]:
                case "multi_choice":
                    value = [v for v in form.getlist(name) if isinstance(v, str)]
                case "contact":
                    value = {p: _text(form.get(f"{name}-{p}")) for p in CONTACT_PARTS if _text(form.get(f"{name}-{p}"))}
                case "file":
                    value = [*_kept(form.getlist(f"keep-{n}-{key}")), *uploaded.get((n, key), [])]
                case _:
                    value = _text(form.get(name))
            if value:
                item[key] = value
        if item:
            items.append(item)
    return items


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _kept(values: list) -> list[dict]:
    out = []
    for v in values:
        if isinstance(v, str):
            try:
                att = json.loads(v)
            except ValueError:
                continue
            if isinstance(att, dict):
                out.append(att)
    return out
