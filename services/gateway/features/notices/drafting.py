"""The notice editor (拟稿, 转发) as a draft's editor: 保存草稿 and 送签发 keep what was typed as a draft (a new one,
or the one being edited: ``draft_id``), and 发文 or 转发 that must first be signed (the unit requires 签发, or the
notice names co-issuers — the 转发 co-forwarders — who must 会签) keeps it as a draft, sent for 签发, instead of
refusing it. A draft's content back into the editor's values (a 转发's 上报方式 too), to edit it again.
"""

from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import FormData

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

from ...core import editor
from ...core.backend import Backend
from ...core.commands import send
from ...core.forms import number, text

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


async def editor_values(b: Backend, actor: Actor, draft_id: str, tz: str, upstream: dict | None = None) -> dict:
    """The editor's values for a draft of the actor's unit (its page's 修改)."""
    draft = (await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor))).model_dump(mode="json")
    if (draft.get("notice") or draft.get("forward")) is None or not draft["viewer"]["can_edit"]:
        raise DomainError("该草稿不能修改", field="draft", code="not_editable")
    return editor.editor_values(draft, tz, upstream)
