"""JSON API of drafts: 拟稿 → 送签发 → 签发 (and each co-issuer's 会签), or 退回 with the reason.

A notice or a 转发 starts as a draft (``POST /api/drafts``, the body of ``POST /api/notices`` under ``notice``
or that of ``POST /api/notices/{id}/forward`` under ``forward``), is edited while it is not with its 签发人
(``PUT``), sent for 签发 (``submit``: the lead issuer's 签发人 and each co-issuer's, on their own node), then
signed (``approve``) or sent back (``reject``, with the reason). The last signature issues the notice (its
id is the draft's, its 文号 is allocated then). A joint notice goes this way only: ``POST /api/notices``
naming co-issuers is refused (409 ``cosign_required``, naming ``issuer_unit_ids.1``), and so is a joint 转发
(``POST /api/notices/{id}/forward`` naming ``co_issuer_unit_ids``: ``co_issuer_unit_ids.0``), as is any notice
or 转发 of a unit whose directory entry requires 签发 (409 ``signing_required``).

Roles here (drafting: 发文 issuer; signing: 签发人 signer); the notices service checks the unit scope.
"""

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, status

from shared.contracts.notices import (
    ApproveDraft,
    CreateDraft,
    DraftQuery,
    DraftRow,
    DraftsQuery,
    DraftStatus,
    DraftView,
    RejectDraft,
    SubmitDraft,
    UpdateDraft,
)
from shared.paging import Page

from ...core.bodies import as_command, body_of
from ...core.commands import send
from ...core.deps import BackendDep, CurrentActor, Issuer, Signer
from ...core.paging import PageParams

router = APIRouter(prefix="/api", tags=["drafts"])

if TYPE_CHECKING:  # to the type checker a body is its command (core/bodies.py)
    CreateBody = CreateDraft
    UpdateBody = UpdateDraft
    SubmitBody = SubmitDraft
    ApproveBody = ApproveDraft
    RejectBody = RejectDraft
else:
    CreateBody = body_of(CreateDraft)
    UpdateBody = body_of(UpdateDraft, "draft_id")
    SubmitBody = body_of(SubmitDraft, "draft_id")
    ApproveBody = body_of(ApproveDraft, "draft_id")
    RejectBody = body_of(RejectDraft, "draft_id")


@router.post("/drafts", status_code=status.HTTP_201_CREATED, summary="拟稿: save a draft of a notice or a 转发")
async def create_draft(body: CreateBody, request: Request, b: BackendDep, actor: Issuer) -> DraftView:
    return await send(request, b.notices.create_draft, as_command(CreateDraft, body, actor))


@router.get("/drafts", summary="A page of drafts: your unit's (mine), 待签发 (pending) or decided by its 签发人")
async def list_drafts(
    b: BackendDep,
    actor: CurrentActor,
    page: PageParams,
    box: Literal["mine", "pending", "decided"] = "mine",
    state: Annotated[DraftStatus | None, Query(alias="status", description="mine: only drafts in this state")] = None,
) -> Page[DraftRow]:
    return await b.notices.drafts(DraftsQuery(box=box, status=state, page=page, actor=actor))


@router.get("/drafts/{draft_id}", summary="One draft, as your unit drafted it or is asked to sign it")
async def get_draft(draft_id: str, b: BackendDep, actor: CurrentActor) -> DraftView:
    return await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor))


@router.put("/drafts/{draft_id}", summary="Edit a draft that is not with its 签发人 (拟稿中, 已退回)")
async def update_draft(draft_id: str, body: UpdateBody, request: Request, b: BackendDep, actor: Issuer) -> DraftView:
    cmd = as_command(UpdateDraft, body, actor, draft_id=draft_id)
    return await send(request, b.notices.update_draft, cmd, target=draft_id)


@router.post("/drafts/{draft_id}/submit", summary="送签发: ask the lead's 签发 and each co-issuer's 会签")
async def submit_draft(
    draft_id: str,
    request: Request,
    b: BackendDep,
    actor: Issuer,
    body: Annotated[SubmitBody | None, Body()] = None,
) -> DraftView:
    cmd = SubmitDraft(draft_id=draft_id, version=body.version if body else None, actor=actor)
    return await send(request, b.notices.submit_draft, cmd, target=draft_id)


@router.post("/drafts/{draft_id}/approve", summary="签发/会签: sign the draft for your unit (the last one issues it)")
async def approve_draft(
    draft_id: str,
    request: Request,
    b: BackendDep,
    actor: Signer,
    body: Annotated[ApproveBody | None, Body()] = None,
) -> DraftView:
    cmd = ApproveDraft(draft_id=draft_id, comment=body.comment if body else "", actor=actor)
    return await send(request, b.notices.approve_draft, cmd, target=draft_id)


@router.post("/drafts/{draft_id}/reject", summary="退回: send the draft back to its drafter, with the reason")
async def reject_draft(draft_id: str, body: RejectBody, request: Request, b: BackendDep, actor: Signer) -> DraftView:
    cmd = as_command(RejectDraft, body, actor, draft_id=draft_id)
    return await send(request, b.notices.reject_draft, cmd, target=draft_id)
