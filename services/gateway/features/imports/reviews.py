"""What a person has checked of an imported draft: every field the reader extracted is 待核对 until the clerk
confirms it (已核对) or edits it in the draft (已修改: the draft no longer holds the value imported).

Kept by the gateway (collection ``draft_imports``, ``_id`` = the draft's id), with the fields as read, so the
review page can be opened again; the draft itself is the notices service's. A draft of another unit has no
review here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock
from shared.contracts.intake import DocumentRead, ExtractedField
from shared.contracts.notices import DraftView
from shared.errors import NotFound

from .drafting import Note, Plan

KEEP_TEXT = 200_000

Use = Literal["draft", "info", "left_out"]
State = Literal["pending", "confirmed", "edited"]

# What a draft forwarding another unit's document does not take from it (it is this unit's own).
NOT_OURS = ("issuers.", "doc_number", "title", "body", "routes.", "contacts.")


class ReviewedField(BaseModel):
    """An extracted field and where it stands: ``use`` whether the draft holds it, ``state`` whether a person has
    checked it (``pending`` is 待核对)."""

    id: str
    level: int
    key: str
    label: str
    value: Any = None
    display: str = ""
    confidence: float
    span: tuple[int, int] | None = None
    source: str = ""
    how: str = ""
    use: Use
    state: State = "pending"
    reason: str = ""


# ---------------------------------------------------------------- the fields of an import


def field_id(level: int, key: str) -> str:
    return f"{level}:{key}"


def fields_of(read: DocumentRead, p: Plan, content: dict[str, Any], left_out: list[Note]) -> list[dict[str, Any]]:
    """Every field of every level, with what the draft made of it, and the draft's value (``facet``) to tell an
    edit from it later."""
    dropped = {str(n["key"]): n["message"] or "" for n in left_out if n.get("key")}
    out = []
    for level in read.levels:
        for f in level.fields:
            drafted = level.level == p.own_level and not (p.carried and f.key.startswith(NOT_OURS))
            held = facet(p.kind, content, f.key, p.ask_ids, p.own_ids) if drafted else None
            row = _row(level.level, f, "draft" if held is not None else "info")
            why = next((m for k, m in dropped.items() if f.key == k or (k.endswith(".") and f.key.startswith(k))), None)
            if drafted and why is not None:
                row.update(use="left_out", reason=why)
            elif held is not None:
                row["facet"] = canonical(held)
            out.append(row)
    return out


def _row(level: int, f: ExtractedField, use: Use) -> dict[str, Any]:
    return {**f.model_dump(mode="json"), "id": field_id(level, f.key), "level": level, "use": use}


_ASK = re.compile(r"^asks\.(.+)\.[a-z_]+$")


def _ask_of(key: str) -> str | None:
    m = _ASK.match(key)
    return m[1] if m else None


# ---------------------------------------------------------------- what the draft holds of a field


def _day(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    except ValueError:
        return value


def canonical(value: Any) -> str:
    """A facet as kept: JSON text (the store takes no arrays of arrays), the same for the same value."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _asks(content: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(content.get("asks") or []), *(content.get("extra_asks") or [])]


def facet(kind: str, content: dict[str, Any], key: str, ask_ids: dict[str, str], own_ids: dict[str, str]) -> Any:
    """The part of a draft's content an extracted field went into, comparable across saves (instants in UTC).
    ``ask_ids``: an ask of the document → the ask of the notice forwarded it restates; ``own_ids``: an ask of
    the document → its id in the draft, where it had to change."""
    if key in ("title", "doc_number"):
        return content.get(key) or None
    if key == "body":
        return (content.get("body") if kind == "notice" else content.get("cover_note")) or None
    if key.startswith("issuers."):
        if kind == "notice":
            return list(content.get("issuer_unit_ids") or [])
        return [content.get("unit_id"), *(content.get("co_issuer_unit_ids") or [])]
    if key.startswith("contacts."):
        return [{k: v for k, v in c.items() if v} for c in content.get("contacts") or []]
    if key == "recipient_kinds":
        return sorted(content.get("recipient_unit_ids") or []) or None
    if key == "recipients":
        return content.get("addressees") or None
    if key == "cc":
        return list(content.get("copy_to") or []) or None
    if key.startswith("attachments."):
        return list(content.get("attachment_names") or []) or None
    if key.startswith("routes."):
        if kind == "forward":
            return _routes(content.get("routes") or [])
        return [_routes(a.get("routes") or []) for a in _asks(content)]
    ask_id = _ask_of(key)
    if ask_id is None:
        return None
    part = key.rsplit(".", 1)[1]
    cascade = ask_ids.get(ask_id)
    if kind == "forward" and cascade is not None:
        if part == "deadline":
            return _day((content.get("deadlines") or {}).get(cascade))
        if part == "unit_kinds":
            return sorted((content.get("unit_kinds") or {}).get(cascade) or [])
        return None
    own = own_ids.get(ask_id, ask_id)
    ask = next((a for a in _asks(content) if a.get("ask_id") == own), None)
    if ask is None:
        return None
    if part == "deadline":
        return _day(ask.get("deadline"))
    if part == "unit_kinds":
        return sorted(ask.get("unit_kinds") or [])
    if part == "title":
        return [ask.get("title"), ask.get("kind")]
    if part == "items":
        return [ask.get("min_items"), ask.get("max_items")]
    if part in ("chars", "formats"):
        return [[f.get("max_chars"), sorted(f.get("accept") or [])] for f in ask.get("fields") or []]
    if part == "send_to":
        return _routes(ask.get("routes") or [])
    return None


def _routes(routes: list[dict[str, Any]]) -> list[list[Any]]:
    return sorted([r.get("unit_kind"), r.get("to_unit_id"), r.get("department")] for r in routes)


# ---------------------------------------------------------------- the store


@dataclass
class ImportReviews:
    db: AsyncDatabase
    clock: Clock

    @property
    def reviews(self):
        return self.db["draft_imports"]

    async def save(self, doc: dict[str, Any]) -> None:
        doc = {**doc, "text": (doc.get("text") or "")[:KEEP_TEXT], "confirmed": doc.get("confirmed") or []}
        await self.reviews.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def get(self, draft_id: str, unit_id: str) -> dict[str, Any]:
        doc = await self.reviews.find_one({"_id": draft_id})
        if doc is None or doc.get("unit_id") != unit_id:
            raise NotFound("该草稿不是导入生成的，或不是本单位的草稿", field="draft_id", code="no_import")
        return doc

    async def confirm(self, draft_id: str, unit_id: str, ids: list[str], by: str) -> dict[str, Any]:
        """Mark ``ids`` as checked by ``by`` (a field checked stays checked)."""
        doc = await self.get(draft_id, unit_id)
        known = {f["id"] for f in doc["fields"]}
        done = confirmed_ids(doc)
        now = self.clock.now()
        marks = [{"id": i, "by": by, "at": now} for i in dict.fromkeys(ids) if i in known and i not in done]
        if marks:
            await self.reviews.update_one({"_id": draft_id}, {"$push": {"confirmed": {"$each": marks}}})
            doc = await self.get(draft_id, unit_id)
        return doc


def confirmed_ids(doc: dict[str, Any]) -> set[str]:
    return {c["id"] for c in doc.get("confirmed") or []}


def reviewed(doc: dict[str, Any], content: dict[str, Any] | None) -> list[ReviewedField]:
    """The fields of an import as they stand against the draft's content now (None: the draft is gone or is
    not editable here: only what was confirmed counts)."""
    out = []
    done = confirmed_ids(doc)
    for f in doc["fields"]:
        state: State = "pending"
        if f["id"] in done:
            state = "confirmed"
        elif content is not None and f["use"] == "draft" and "facet" in f:
            now = facet(doc["kind"], content, f["key"], doc.get("ask_ids") or {}, doc.get("own_ids") or {})
            if canonical(now) != f["facet"]:
                state = "edited"
        out.append(ReviewedField.model_validate({**f, "state": state}))
    return out


# ---------------------------------------------------------------- what the API answers


class ImportView(BaseModel):
    """An imported draft with every extracted field: its value, confidence, the span of the text it came from
    (offsets into ``text``), whether the draft holds it (``use``) and whether a person has checked it
    (``state``: ``pending`` is 待核对)."""

    draft: DraftView
    kind: Literal["notice", "forward"]
    file_type: str
    filename: str = ""
    forwarding: dict[str, Any] | None = Field(default=None, description="the notice of Cascade the 转发 forwards")
    levels: list[dict[str, Any]] = Field(default=[], description="the document, then each upstream notice it holds")
    fields: list[ReviewedField]
    pending: int = Field(description="fields not yet checked (待核对)")
    warnings: list[dict[str, Any]] = Field(default=[], description="what was not found, left out or to check")
    text: str = ""


def content_of(draft: DraftView) -> dict[str, Any] | None:
    """The draft's content, where its unit may still edit it."""
    body = draft.notice or draft.forward
    if body is None or not (draft.viewer and draft.viewer.can_edit):
        return None
    return body.model_dump(mode="json")


def view_of(doc: dict[str, Any], draft: DraftView) -> ImportView:
    fields = reviewed(doc, content_of(draft))
    return ImportView(
        draft=draft,
        kind=doc["kind"],
        file_type=doc["file_type"],
        filename=doc.get("filename") or "",
        forwarding=doc.get("forwarding"),
        levels=doc.get("levels") or [],
        fields=fields,
        pending=sum(f.state == "pending" for f in fields),
        warnings=doc.get("warnings") or [],
        text=doc.get("text") or "",
    )
