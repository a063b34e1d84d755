"""The notice editor (拟稿, 转发) as a draft's editor: 保存草稿 and 送签发 keep what was typed as a draft (a new one,
or the one being edited: ``draft_id``), and 发文 or 转发 that must first be signed (the unit requires 签发, or the
notice names co-issuers — the 转发 co-forwarders — who must 会签) keeps it as a draft, sent for 签发, instead of
refusing it. A draft's content back into the editor's values (a 转发's 上报方式 too), to edit it again.
"""

from datetime import datetime
from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import FormData

from shared.clock import local_text
from shared.contracts.common import Actor
from shared.contracts.notices import (
    CreateDraft,
    DraftQuery,
    ForwardDraft,
    ForwardNotice,
    Issued,
    IssueNotice,
    NoticeDraft,
    SubmitDraft,
    UpdateDraft,
)
from shared.errors import DomainError

from ...core.backend import Backend
from ...core.commands import send
from ...core.forms import number, text
from .forms import BLANK_ASK

SIGNING_DUE = ("cosign_required", "signing_required")  # the service's refusals of a notice to be signed first


def saving(form: FormData) -> bool:
    """The editor saves a draft (保存草稿, 送签发, or any change to a draft it edits) rather than issuing."""
    return form.get("action") in ("draft", "submit") or bool(text(form.get("draft_id")))


async def issue_or_draft(
    request: Request,
    b: Backend,
    form: FormData,
    *,
    notice: IssueNotice | None = None,
    forward: ForwardNotice | None = None,
) -> Issued | str:
    """What the editor's button asks: the notice issued (``Issued``), or the URL of the draft it was kept as."""
    if saving(form):
        return await _save(request, b, form, notice, forward)
    try:
        if notice is not None:
            return await send(request, b.notices.issue, notice)
        assert forward is not None
        return await send(request, b.notices.forward, forward)
    except DomainError as exc:
        if exc.code not in SIGNING_DUE:
            raise
    return await _save(request, b, form, notice, forward, why="signing")


async def _save(
    request: Request,
    b: Backend,
    form: FormData,
    notice: IssueNotice | None,
    forward: ForwardNotice | None,
    why: str = "saved",
) -> str:
    actor = (notice or forward).actor  # type: ignore[union-attr]
    as_notice = NoticeDraft.model_validate(notice.model_dump(exclude={"actor"})) if notice else None
    as_forward = ForwardDraft.model_validate(forward.model_dump(exclude={"actor"})) if forward else None
    draft_id = text(form.get("draft_id"))
    if draft_id:
        version = number(form.get("version")) or None
        cmd = UpdateDraft(draft_id=draft_id, version=version, notice=as_notice, forward=as_forward, actor=actor)
        draft = await send(request, b.notices.update_draft, cmd, target=draft_id)
    else:
        create = CreateDraft(notice=as_notice, forward=as_forward, actor=actor)
        draft = await send(request, b.notices.create_draft, create)
    if form.get("action") == "submit" or why == "signing":
        try:
            await send(request, b.notices.submit_draft, SubmitDraft(draft_id=draft.id, actor=actor), target=draft.id)
        except DomainError as exc:  # kept, not sent: its page says why
            return f"/drafts/{draft.id}?saved=saved&error={quote(exc.message)}"
        why = "submitted" if form.get("action") == "submit" else why
    return f"/drafts/{draft.id}?saved={why}"


# ---------------------------------------------------------------- a draft back into the editor


def _date(value: str | datetime, tz: str) -> str:
    return local_text(value if isinstance(value, datetime) else datetime.fromisoformat(value), tz, "%Y-%m-%d")


def ask_values(ask: dict, tz: str) -> dict:
    return {
        **ask,
        "deadline": _date(ask["deadline"], tz),
        "fields": [*ask.get("fields", []), {}],
        "routes": [*ask.get("routes", []), {}],
    }


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


def _other_inputs(content: dict) -> dict:
    """Fields the editor shows as plain inputs (the 公文要素): lists one entry a line, as the form reads them."""
    return {
        k: "\n".join(str(x) for x in v) if isinstance(v, list) else ("" if v is None else v)
        for k, v in content.items()
        if k not in KNOWN and not isinstance(v, dict)
    }


async def editor_values(b: Backend, actor: Actor, draft_id: str, tz: str, upstream: dict | None = None) -> dict:
    """The editor's values for a draft of the actor's unit (its page's 修改)."""
    draft = (await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor))).model_dump(mode="json")
    content = draft.get("notice") or draft.get("forward")
    if content is None or not draft["viewer"]["can_edit"]:
        raise DomainError("该草稿不能修改", field="draft", code="not_editable")
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
