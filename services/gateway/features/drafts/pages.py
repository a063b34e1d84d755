"""The draft pages (zh-CN): the unit's drafts and 待签发, one draft with its preview, signatures and history, and
the forms on it: 送签发 (the drafter's issuers), 签发/会签 and 退回 with the reason (its 签发人).

The editor of a draft is the notice editor (拟稿 ``/notices/new?draft=…``, 转发 ``/notices/{id}/forward?draft=…``).
A form here that is refused comes back to the draft's page with the message (``?error=``).
"""

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shared.contracts.notices import ApproveDraft, DraftQuery, DraftsQuery, RejectDraft, SubmitDraft

from ...core import forms
from ...core.commands import send
from ...core.deps import BackendDep, CurrentActor, Issuer, Signer, has
from ...core.forms import REFUSALS, refused
from ...core.paging import PageParams
from ...core.rendering import plain, render, see_other

router = APIRouter(include_in_schema=False)

STATUSES = ("draft", "submitted", "returned", "issuing", "issued")
SAVED = {
    "saved": "草稿已保存。",
    "submitted": "已送签发，等待签发人签发（联合发文单位会签）。",
    "signing": "本单位发文须经签发，或有联合发文单位须会签：已保存为草稿并送签发。",
    "signed": "已签发。",
    "returned": "已退回拟稿单位。",
}
SAVED_FORWARD = {  # a 转发's draft: its co-issuers are co-forwarders
    **SAVED,
    "submitted": "已送签发，等待签发人签发（联合转发单位会签）。",
    "signing": "本单位转发须经签发，或有联合转发单位须会签：已保存为草稿并送签发。",
}


@router.get("/drafts", response_class=HTMLResponse)
async def drafts_page(
    request: Request, b: BackendDep, actor: CurrentActor, page: PageParams, box: str = "mine", status: str = ""
) -> HTMLResponse:
    can_sign = has(actor, "signer")
    box = box if box in ("pending", "decided") and can_sign else "mine"
    state = status if status in STATUSES and box == "mine" else None
    found = plain(await b.notices.drafts(DraftsQuery(box=box, status=state, page=page, actor=actor)))  # type: ignore[arg-type]
    return render(
        request,
        "drafts.html",
        rows=found["items"],
        page=found,
        box=box,
        status=state or "",
        can_sign=can_sign,
        can_draft=has(actor, "issuer"),
    )


def edit_url(draft: dict) -> str:
    if draft["kind"] == "forward" and draft.get("forward"):
        return f"/notices/{draft['forward']['notice_id']}/forward?draft={draft['id']}"
    return f"/notices/new?draft={draft['id']}"


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
async def draft_page(request: Request, draft_id: str, b: BackendDep, actor: CurrentActor) -> HTMLResponse:
    draft = plain(await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor)))
    viewer = draft.get("viewer") or {}
    signing = viewer.get("signing")
    return render(
        request,
        "draft.html",
        draft=draft,
        signing=signing,
        can_edit=bool(viewer.get("can_edit")) and has(actor, "issuer"),
        can_sign=(signing or {}).get("status") == "pending" and draft["status"] == "submitted" and has(actor, "signer"),
        edit_url=edit_url(draft),
        saved=(SAVED_FORWARD if draft["kind"] == "forward" else SAVED).get(request.query_params.get("saved") or ""),
        error=request.query_params.get("error"),
    )


async def _back(request: Request, draft_id: str, exc: Exception) -> Response:
    return see_other(f"/drafts/{draft_id}?error=" + quote(refused(request, exc).message))


@router.post("/drafts/{draft_id}/submit", response_class=HTMLResponse)
async def submit(request: Request, draft_id: str, b: BackendDep, actor: Issuer) -> Response:
    try:
        await send(request, b.notices.submit_draft, SubmitDraft(draft_id=draft_id, actor=actor), target=draft_id)
    except REFUSALS as exc:
        return await _back(request, draft_id, exc)
    return see_other(f"/drafts/{draft_id}?saved=submitted")


@router.post("/drafts/{draft_id}/approve", response_class=HTMLResponse)
async def approve(request: Request, draft_id: str, b: BackendDep, actor: Signer) -> Response:
    comment = forms.text((await request.form()).get("comment"))
    try:
        cmd = ApproveDraft(draft_id=draft_id, comment=comment, actor=actor)
        await send(request, b.notices.approve_draft, cmd, target=draft_id)
    except REFUSALS as exc:
        return await _back(request, draft_id, exc)
    return see_other(f"/drafts/{draft_id}?saved=signed")


@router.post("/drafts/{draft_id}/reject", response_class=HTMLResponse)
async def reject(request: Request, draft_id: str, b: BackendDep, actor: Signer) -> Response:
    reason = forms.text((await request.form()).get("reason"))
    try:
        cmd = RejectDraft(draft_id=draft_id, reason=reason, actor=actor)
        await send(request, b.notices.reject_draft, cmd, target=draft_id)
    except REFUSALS as exc:
        return await _back(request, draft_id, exc)
    return see_other(f"/drafts/{draft_id}?saved=returned")
